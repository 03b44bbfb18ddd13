#!/bin/sh
# Remote update over SSH, run from a support workstation:
#   appliance/update.sh root@hotel-box dist/bellhop dist/bellhop.sig [update apply flags…]
# Uploads the binary and its signature (`bellhop release sign`) to a fresh folder on the box and runs
# the installed `bellhop update apply` there: signature checked against /etc/bellhop/update-keys
# (refused: nothing changes), the new binary tried, the database snapshotted, the binary swapped,
# the service restarted and its health awaited; an unhealthy version is rolled back (binary and
# database) and the reason printed. Exit 0 updated, 1 refused or rolled back, 2 usage.
# The apply runs under nohup: a dropped connection does not stop it half-way (its steps stay in
# /var/lib/bellhop/update/update.log, the outcome on GET /api/v1/health).
# Environment: BELLHOP_SSH_OPTS (more ssh/scp options, e.g. "-F ssh_config" or "-p 2222"),
# BELLHOP_REMOTE_BIN (the installed binary, /usr/local/bin/bellhop), BELLHOP_REMOTE_TMP (where the
# upload folder is made, /var/tmp).
set -eu
usage="usage: $0 user@host path/to/bellhop path/to/bellhop.sig [update apply flags…]"
[ $# -ge 3 ] || { echo "$usage" >&2; exit 2; }
host=$1 bin=$2 sig=$3
shift 3
[ -f "$bin" ] || { echo "$bin: no such file" >&2; exit 2; }
[ -f "$sig" ] || { echo "$sig: no such file (sign it: bellhop release sign --key KEY.pem $bin)" >&2; exit 2; }
opts=${BELLHOP_SSH_OPTS:-}
remote_bin=${BELLHOP_REMOTE_BIN:-/usr/local/bin/bellhop}
remote_tmp=${BELLHOP_REMOTE_TMP:-/var/tmp}

# Quoted for the remote shell: each argument in single quotes, inner ones escaped.
q() { printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"; }
args=""
for a in "$@"; do args="$args $(q "$a")"; done

# shellcheck disable=SC2086 # opts holds several options
dir=$(ssh $opts "$host" "mktemp -d $(q "$remote_tmp")/bellhop-update.XXXXXX")
# shellcheck disable=SC2086
scp -q $opts "$bin" "$host:$dir/bellhop"
# shellcheck disable=SC2086
scp -q $opts "$sig" "$host:$dir/bellhop.sig"
# shellcheck disable=SC2086
exec ssh $opts "$host" "sh -s -- $(q "$dir") $(q "$remote_bin") $args" <<'REMOTE'
set -u
dir=$1 bin=$2
shift 2
[ -d /var/lib/bellhop/tmp ] && export TMPDIR=/var/lib/bellhop/tmp
: >"$dir/apply.log" # made before tail opens it, so tail never misses it
nohup "$bin" update apply "$dir/bellhop" "$dir/bellhop.sig" "$@" >>"$dir/apply.log" 2>&1 </dev/null &
pid=$!
tail -n +1 -f --pid="$pid" "$dir/apply.log" 2>/dev/null
wait "$pid"
rc=$?
rm -rf "$dir"
exit "$rc"
REMOTE
