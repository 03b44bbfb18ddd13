#!/bin/sh
# bellhop boot check: ExecStartPre (as root, "+") of bellhop.service, before every start.
#   boot-check.sh /var/lib/bellhop
# Plain sh on purpose: it must work when the new binary does not start at all.
#
# `bellhop update apply` writes <data>/update/pending from the moment it swaps the binary until it
# knows the outcome (src/store/update-state.ts). Here each start of the new version is counted, and
# the previous binary AND the database snapshot are put back when
#   - the new version was started more than max_starts times without apply confirming it (a crash
#     loop: systemd restarts it, each start lands here),
#   - the deadline passed and nothing confirmed it (apply died: dropped SSH session, power loss), or
#   - a rollback was under way when it was interrupted (state=rolling-back).
# The outcome goes to <data>/update/last.json (shown on GET /api/v1/health) and update.log. It always
# exits 0: a failing check must not keep the appliance down.
set -u
data=${1:-/var/lib/bellhop}
dir=$data/update
pending=$dir/pending
[ -f "$pending" ] || exit 0

get() { sed -n "s/^$1=//p" "$pending" | head -n 1; }
id=$(get id)
state=$(get state)
from=$(get from)
to=$(get to)
log() {
  echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) $id boot-check: $*" >>"$dir/update.log"
  echo "bellhop boot check: $*" >&2
}
iso() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%S.000Z 2>/dev/null || date -u +%Y-%m-%dT%H:%M:%S.000Z; }

rollback() {
  reason=$1
  bin=$(get bin)
  previous=$(get previous)
  snapshot=$(get snapshot)
  db=$data/bellhop.db
  sed "s/^state=.*/state=rolling-back/" "$pending" >"$pending.tmp" && mv -f "$pending.tmp" "$pending"
  if [ ! -f "$previous" ]; then
    log "cannot roll back ($reason): $previous is missing"
    return
  fi
  if ! { cp "$previous" "$bin.boot-check" && chmod 0755 "$bin.boot-check" && mv -f "$bin.boot-check" "$bin"; }; then
    log "cannot roll back ($reason): $bin could not be replaced"
    return
  fi
  # The old WAL must go before the snapshot takes the database's place, or SQLite would replay it.
  rm -f "$db-wal" "$db-shm" "$db-journal"
  if [ "$snapshot" = none ]; then
    rm -f "$db"
  elif ! { cp "$snapshot" "$db.restoring" && chown --reference="$data" "$db.restoring" && mv -f "$db.restoring" "$db"; }; then
    log "binary rolled back but the database snapshot $snapshot could not be put back"
    return
  fi
  sync
  started=$(get startedAt)
  printf '{"id":"%s","result":"rolled-back","from":"%s","to":"%s","startedAt":"%s","finishedAt":"%s","reason":"%s","by":"boot-check"}\n' \
    "$id" "$from" "$to" "$(iso $((started / 1000)))" "$(iso "$(date +%s)")" "$reason" >"$dir/last.json.tmp"
  chown --reference="$data" "$dir/last.json.tmp" 2>/dev/null
  mv -f "$dir/last.json.tmp" "$dir/last.json"
  rm -f "$pending" "$dir/starts"
  log "rolled back to $from (binary and database): $reason"
}

now=$(date +%s)
deadline=$(get deadline)
case $state in
  restarting)
    starts=$(($(cat "$dir/starts" 2>/dev/null || echo 0) + 1))
    echo "$starts" >"$dir/starts"
    max=$(get maxStarts)
    if [ "$starts" -gt "${max:-3}" ]; then
      rollback "crash loop: version $to started $starts times without becoming healthy"
    elif [ "$now" -gt "${deadline:-0}" ]; then
      rollback "version $to was never confirmed healthy (the update was interrupted)"
    else
      log "start $starts of version $to"
    fi
    ;;
  rolling-back)
    rollback "finishing an interrupted rollback"
    ;;
  *)
    # Before the swap nothing is to be undone; a marker left by an apply that died there is stale.
    if [ "$now" -gt "${deadline:-0}" ]; then
      rm -f "$pending" "$dir/starts"
      log "removed a stale pending update (state $state)"
    fi
    ;;
esac
exit 0
