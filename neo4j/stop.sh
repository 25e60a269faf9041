#!/usr/bin/env bash
# Stop the local Neo4j started by neo4j/start.sh (SIGTERM, then SIGKILL after a timeout).
#
# Usage:  bash neo4j/stop.sh [--wipe]
#   --wipe   also delete the data dir (databases, transaction logs, users/password)
#
# Environment: NEO4J_HOME_DIR (default neo4j/run), NEO4J_STOP_TIMEOUT (seconds, default 60).
# Exits 0 when nothing was running.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
RUN_DIR="${NEO4J_HOME_DIR:-$HERE/run}"
STOP_TIMEOUT="${NEO4J_STOP_TIMEOUT:-60}"
PID_FILE="$RUN_DIR/neo4j.pid"

log() { printf 'neo4j: %s\n' "$*" >&2; }

wipe=0
for arg in "$@"; do
  case "$arg" in
    --wipe) wipe=1 ;;
    -h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 0 ;;
    *) log "unknown argument: $arg (use --wipe or --help)"; exit 2 ;;
  esac
done

is_our_neo4j() {
  kill -0 "$1" 2>/dev/null &&
    [[ "$(tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null)" == *org.neo4j.server.CommunityEntryPoint* ]]
}

pid=""
if [[ -s "$PID_FILE" ]]; then
  pid="$(<"$PID_FILE")"
  [[ "$pid" =~ ^[0-9]+$ ]] || pid=""
fi

if [[ -n "$pid" ]] && is_our_neo4j "$pid"; then
  log "stopping Neo4j (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  deadline=$((SECONDS + STOP_TIMEOUT))
  while is_our_neo4j "$pid" && ((SECONDS < deadline)); do sleep 0.5; done
  if is_our_neo4j "$pid"; then
    log "Neo4j did not stop within ${STOP_TIMEOUT}s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    for _ in $(seq 50); do is_our_neo4j "$pid" || break; sleep 0.1; done
  fi
  log "Neo4j stopped"
else
  log "Neo4j is not running${pid:+ (stale pid file)}"
fi
rm -f "$PID_FILE"

if ((wipe)); then
  if [[ -d "$RUN_DIR/data" ]]; then
    rm -rf "$RUN_DIR/data"
    log "wiped $RUN_DIR/data"
  fi
fi
exit 0
