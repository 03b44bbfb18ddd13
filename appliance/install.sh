#!/bin/sh
# First installation of bellhop on a Debian box, run as root next to the binary:
#   ./install.sh ./bellhop
# Creates the service user, /etc/bellhop/config.json (from the example when absent), the data folder,
# the systemd unit with its boot check, the update keys, an admin API token (printed once), and starts
# the service. Run again after an update of this folder: it keeps the configuration, data and token.
# Public keys that may sign updates (`bellhop release sign`) go in ./update-keys/*.pem beside this
# script; they are copied to /etc/bellhop/update-keys/ (`bellhop update apply` trusts only those).
set -eu
bin=${1:-./bellhop}
[ -x "$bin" ] || { echo "usage: $0 path/to/bellhop" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)

id bellhop >/dev/null 2>&1 || useradd --system --home-dir /var/lib/bellhop --shell /usr/sbin/nologin bellhop
install -d -o root -g bellhop -m 0750 /etc/bellhop
install -d -o bellhop -g bellhop -m 0750 /var/lib/bellhop /var/lib/bellhop/tmp
[ -f /etc/bellhop/config.json ] || install -o root -g bellhop -m 0640 "$here/bellhop.example.json" /etc/bellhop/config.json
install -o root -g root -m 0755 "$bin" /usr/local/bin/bellhop
install -o root -g root -m 0644 "$here/../systemd/bellhop.service" /etc/systemd/system/bellhop.service
install -d -o root -g root -m 0755 /usr/local/lib/bellhop /etc/bellhop/update-keys
install -o root -g root -m 0755 "$here/boot-check.sh" /usr/local/lib/bellhop/boot-check.sh
for key in "$here"/update-keys/*.pem; do
  [ -f "$key" ] || continue
  grep -q "PRIVATE KEY" "$key" && { echo "refusing $key: a private key (only public keys go on the box)" >&2; exit 2; }
  install -o root -g root -m 0644 "$key" /etc/bellhop/update-keys/
done
ls /etc/bellhop/update-keys/*.pem >/dev/null 2>&1 || echo "warning: no key in /etc/bellhop/update-keys: remote updates will be refused" >&2

# Validate the configuration before starting anything (exit 78 names the bad key).
TMPDIR=/var/lib/bellhop/tmp runuser -u bellhop -- /usr/local/bin/bellhop migrate --config /etc/bellhop/config.json --data /var/lib/bellhop

if [ ! -f /var/lib/bellhop/.admin-token-created ]; then
  echo "admin API token (store it now; it is not shown again):"
  TMPDIR=/var/lib/bellhop/tmp runuser -u bellhop -- /usr/local/bin/bellhop token create --data /var/lib/bellhop --role admin --name installer-admin | tail -n 1
  touch /var/lib/bellhop/.admin-token-created
fi

systemctl daemon-reload
systemctl enable --now bellhop
systemctl --no-pager status bellhop | head -n 5
