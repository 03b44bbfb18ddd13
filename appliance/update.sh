#!/bin/sh
# Remote update over SSH, run from a support workstation:
#   appliance/update.sh root@hotel-box dist/bellhop
# Copies the new binary beside the old one, checks it starts (`bellhop version`), swaps it in
# atomically, restarts the service and waits for /api/v1/health; if the new version does not come
# up healthy within 30 s the previous binary is put back and restarted.
set -eu
host=${1:?usage: $0 user@host path/to/bellhop}
bin=${2:?usage: $0 user@host path/to/bellhop}
scp -q "$bin" "$host:/usr/local/bin/bellhop.new"
ssh "$host" sh -s <<'REMOTE'
set -eu
cd /usr/local/bin
chmod 0755 bellhop.new
TMPDIR=/var/lib/bellhop/tmp ./bellhop.new version
health() {
  listen=$(sed -n 's/.*"listen" *: *"\([^"]*\)".*/\1/p' /etc/bellhop/config.json | head -n 1)
  curl -fsS "http://${listen:-127.0.0.1:8080}/api/v1/health" >/dev/null 2>&1
}
cp -p bellhop bellhop.previous
mv -f bellhop.new bellhop
systemctl restart bellhop
for _ in $(seq 1 30); do health && { echo "updated: $(./bellhop version)"; exit 0; }; sleep 1; done
echo "new version is not healthy; rolling back" >&2
mv -f bellhop.previous bellhop
systemctl restart bellhop
exit 1
REMOTE
