#!/usr/bin/env bash
# Start a local Neo4j 5.26 Community server WITHOUT Docker (needs only `java` 17/21
# and `mvn`; every jar comes from Maven Central via neo4j/pom.xml).
#
# Usage:  NEO4J_PASSWORD=... bash neo4j/start.sh
#
# Environment (all optional except NEO4J_PASSWORD):
#   NEO4J_PASSWORD        initial password of user `neo4j` (required, min 8 chars;
#                         if unset, the NEO4J_PASSWORD= line of the repo's .env is used).
#                         Applied only when the database is created (first start);
#                         to change it later, `bash neo4j/stop.sh --wipe` and restart.
#   NEO4J_HOME_DIR        run dir (conf/, data/, logs/, pid)      default: neo4j/run
#   NEO4J_BOLT_PORT       bolt port on 127.0.0.1                  default: 7687
#   NEO4J_HTTP_PORT       http port on 127.0.0.1, or "off"        default: 7474
#   NEO4J_HEAP_SIZE       JVM heap (initial = max)                default: 2g
#   NEO4J_PAGECACHE_SIZE  page cache                              default: 512m
#   NEO4J_TX_MEMORY_MAX   memory limit of all transactions        default: 1536m
#   NEO4J_START_TIMEOUT   seconds to wait for Bolt                default: 120
#   NEO4J_JAVA            java binary (17 or 21)       default: $JAVA_HOME/bin/java, java
#
# stdout: nothing; progress and the final "Neo4j ready at bolt://..." go to stderr.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
RUN_DIR="${NEO4J_HOME_DIR:-$HERE/run}"
BOLT_PORT="${NEO4J_BOLT_PORT:-7687}"
HTTP_PORT="${NEO4J_HTTP_PORT:-7474}"
HEAP_SIZE="${NEO4J_HEAP_SIZE:-2g}"
PAGECACHE_SIZE="${NEO4J_PAGECACHE_SIZE:-512m}"
TX_MEMORY_MAX="${NEO4J_TX_MEMORY_MAX:-1536m}"
START_TIMEOUT="${NEO4J_START_TIMEOUT:-120}"

LIB_DIR="$HERE/target/lib"
STAMP="$LIB_DIR/.pom.sha256"

umask 077   # data/ holds the password hash (data/dbms/auth.ini): keep the run dir private

log() { printf 'neo4j: %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

java_major() {
  "$1" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = //p'
}

# ---------------------------------------------------------------- checks
# Convenience: take NEO4J_PASSWORD from the repo's .env when it is not in the
# environment (the line is read as data, never executed).
if [[ -z "${NEO4J_PASSWORD:-}" && -f "$HERE/../.env" ]]; then
  env_line="$(grep -E '^[[:space:]]*(export[[:space:]]+)?NEO4J_PASSWORD=' "$HERE/../.env" | tail -n 1 || true)"
  if [[ -n "$env_line" ]]; then
    NEO4J_PASSWORD="${env_line#*=}"
    NEO4J_PASSWORD="${NEO4J_PASSWORD%$'\r'}"
    if [[ "$NEO4J_PASSWORD" =~ ^\"(.*)\"$ || "$NEO4J_PASSWORD" =~ ^\'(.*)\'$ ]]; then
      NEO4J_PASSWORD="${BASH_REMATCH[1]}"
    fi
    export NEO4J_PASSWORD
  fi
  unset env_line
fi
[[ -n "${NEO4J_PASSWORD:-}" ]] || die "NEO4J_PASSWORD is not set. Export the password for user 'neo4j' (at least 8 characters), e.g. NEO4J_PASSWORD=... bash neo4j/start.sh, or set NEO4J_PASSWORD= in .env (see .env.example)"
[[ "$BOLT_PORT" =~ ^[0-9]+$ ]] || die "NEO4J_BOLT_PORT must be a number (got '$BOLT_PORT')"
[[ "$HTTP_PORT" == off || "$HTTP_PORT" =~ ^[0-9]+$ ]] || die "NEO4J_HTTP_PORT must be a number or 'off' (got '$HTTP_PORT')"
# Neo4j 5.26 runs on Java 17 or 21 only: take the first of $NEO4J_JAVA, $JAVA_HOME/bin/java,
# `java` on PATH that is one of those (so a JAVA_HOME pointing at another JDK is skipped).
JAVA=""
tried=""
for cand in ${NEO4J_JAVA:+"$NEO4J_JAVA"} ${JAVA_HOME:+"$JAVA_HOME/bin/java"} java; do
  command -v "$cand" >/dev/null 2>&1 || continue
  v="$(java_major "$cand")"
  if [[ "$v" == 17 || "$v" == 21 ]]; then JAVA="$cand"; break; fi
  tried+=" $cand(Java ${v:-?})"
done
[[ -n "$JAVA" ]] || die "Neo4j 5.26 needs Java 17 or 21 (set NEO4J_JAVA to its java binary); found:${tried:- no java}"

mkdir -p "$RUN_DIR"
RUN_DIR="$(cd "$RUN_DIR" && pwd)"
PID_FILE="$RUN_DIR/neo4j.pid"
LOG_FILE="$RUN_DIR/logs/console.log"

# One start.sh at a time per run dir (fd 9 is closed for the server process below).
exec 9>"$RUN_DIR/.start.lock"
flock -w 300 9 || die "another neo4j/start.sh is still running for $RUN_DIR"

# True when something speaks Bolt on 127.0.0.1:$BOLT_PORT (handshake gets a 4-byte reply).
bolt_answers() {
  local reply
  # shellcheck disable=SC2016  # expanded by the inner bash
  reply="$(timeout 5 bash -c '
      exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
      # magic 0x6060B017, then proposals: Bolt 5.0-5.8, 4.4, none, none
      printf "\x60\x60\xb0\x17\x00\x08\x08\x05\x00\x00\x04\x04\x00\x00\x00\x00\x00\x00\x00\x00" >&3
      head -c 4 <&3 | od -An -tx1' _ "$BOLT_PORT" 2>/dev/null)" || return 1
  reply="${reply//[[:space:]]/}"
  [[ ${#reply} -eq 8 ]]
}

port_in_use() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# Our server process is alive (pid from the pid file, and it is Neo4j).
server_pid() {
  local pid
  [[ -s "$PID_FILE" ]] || return 1
  pid="$(<"$PID_FILE")"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  [[ "$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)" == *org.neo4j.server.CommunityEntryPoint* ]] || return 1
  echo "$pid"
}

# Tail of the JVM console log and of this start's part (from byte offset $1) of neo4j.log.
show_logs() {
  local offset="${1:-0}"
  if [[ -s "$LOG_FILE" ]]; then
    echo "----- $LOG_FILE" >&2
    tail -n 30 "$LOG_FILE" >&2 || true
  fi
  if [[ -f "$RUN_DIR/logs/neo4j.log" ]]; then
    echo "----- $RUN_DIR/logs/neo4j.log" >&2
    tail -c "+$((offset + 1))" "$RUN_DIR/logs/neo4j.log" | tail -n 30 >&2 || true
  fi
  echo "----- (more in $RUN_DIR/logs/debug.log)" >&2
}

# Waits until Bolt answers a handshake and "Started." appears in logs/neo4j.log after
# byte offset $2 (i.e. among this start's lines).
wait_ready() {
  local pid="$1" offset="${2:-0}" deadline=$((SECONDS + START_TIMEOUT))
  while ((SECONDS < deadline)); do
    if ! kill -0 "$pid" 2>/dev/null; then
      log "Neo4j process $pid exited during startup. Last log lines:"
      show_logs "$offset"
      rm -f "$PID_FILE"
      return 1
    fi
    if bolt_answers && tail -c "+$((offset + 1))" "$RUN_DIR/logs/neo4j.log" 2>/dev/null | awk '/INFO  Started\./ { f = 1 } END { exit !f }'; then
      return 0
    fi
    sleep 1
  done
  log "Neo4j did not answer on bolt://127.0.0.1:$BOLT_PORT within ${START_TIMEOUT}s (still running as pid $pid; 'bash neo4j/stop.sh' stops it). Last log lines:"
  show_logs "$offset"
  return 1
}

# ---------------------------------------------------------------- already running?
if pid="$(server_pid)"; then
  if bolt_answers; then
    log "Neo4j already running (pid $pid) at bolt://127.0.0.1:$BOLT_PORT"
    exit 0
  fi
  log "Neo4j process $pid is running but Bolt does not answer yet; waiting..."
  wait_ready "$pid" || exit 1
  log "Neo4j ready at bolt://127.0.0.1:$BOLT_PORT"
  exit 0
fi
rm -f "$PID_FILE"

if port_in_use "$BOLT_PORT"; then
  die "port 127.0.0.1:$BOLT_PORT is already in use by another process (not started by this script from $RUN_DIR). Stop it or set NEO4J_BOLT_PORT."
fi
if [[ "$HTTP_PORT" != off ]] && port_in_use "$HTTP_PORT"; then
  die "port 127.0.0.1:$HTTP_PORT is already in use. Stop that process, set NEO4J_HTTP_PORT to a free port, or NEO4J_HTTP_PORT=off."
fi

# ---------------------------------------------------------------- jars (Maven Central)
# target/lib is shared by all run dirs: fetch under a lock, then re-check.
pom_sum="$(sha256sum "$HERE/pom.xml" | cut -d' ' -f1)"
mkdir -p "$HERE/target"
exec 8>"$HERE/target/.fetch.lock"
flock -w 600 8 || die "timed out waiting for another neo4j/start.sh to fetch the jars"
if [[ ! -f "$STAMP" || "$(<"$STAMP")" != "$pom_sum" ]]; then
  command -v mvn >/dev/null 2>&1 || die "mvn not found (needed once to fetch the Neo4j jars)"
  log "fetching Neo4j jars with Maven (first run only; takes a minute)..."
  rm -rf "$LIB_DIR.tmp"
  mvn_log="$HERE/target/mvn-fetch.log"
  if ! mvn -B -q -Dstyle.color=never -f "$HERE/pom.xml" dependency:copy-dependencies \
        -DincludeScope=runtime -DoutputDirectory="$LIB_DIR.tmp" >"$mvn_log" 2>&1; then
    tail -n 40 "$mvn_log" >&2
    rm -rf "$LIB_DIR.tmp"
    die "mvn could not fetch the Neo4j jars (output above; full log: $mvn_log)"
  fi
  rm -rf "$LIB_DIR"
  mv "$LIB_DIR.tmp" "$LIB_DIR"
  echo "$pom_sum" >"$STAMP"
fi
exec 8>&-
CLASSPATH_GLOB="$LIB_DIR/*"

# ---------------------------------------------------------------- config
mkdir -p "$RUN_DIR/conf" "$RUN_DIR/data" "$RUN_DIR/logs" "$RUN_DIR/import" "$RUN_DIR/plugins"
if [[ "$HTTP_PORT" == off ]]; then
  http_conf="server.http.enabled=false"
else
  http_conf="server.http.enabled=true
server.http.listen_address=127.0.0.1:$HTTP_PORT
server.http.advertised_address=127.0.0.1:$HTTP_PORT"
fi
conf_tmp="$RUN_DIR/conf/neo4j.conf.tmp"
cat >"$conf_tmp" <<EOF
# Generated by neo4j/start.sh -- edits are overwritten on the next start.
server.directories.data=$RUN_DIR/data
server.directories.logs=$RUN_DIR/logs
server.directories.import=$RUN_DIR/import
server.directories.plugins=$RUN_DIR/plugins
server.directories.run=$RUN_DIR

# Loopback only.
server.default_listen_address=127.0.0.1
server.default_advertised_address=127.0.0.1
server.bolt.enabled=true
server.bolt.listen_address=127.0.0.1:$BOLT_PORT
server.bolt.advertised_address=127.0.0.1:$BOLT_PORT
server.bolt.tls_level=DISABLED
$http_conf
server.https.enabled=false

# Security / privacy.
dbms.security.auth_enabled=true
dbms.usage_report.enabled=false
server.bolt.telemetry.enabled=false
# Stop in ~1 s instead of ~10 s (Bolt waits 5 s + 5 s for connections / workers by default).
internal.server.bolt.connection_shutdown_wait_time=1s
internal.server.bolt.thread_pool_shutdown_wait_time=1s

# Memory: modest, for a 2-core / 24 GiB machine. The JVM heap is also passed as -Xms/-Xmx.
server.memory.heap.initial_size=$HEAP_SIZE
server.memory.heap.max_size=$HEAP_SIZE
server.memory.pagecache.size=$PAGECACHE_SIZE
# All transactions together may use this much heap (one 300k-row UNWIND fits easily);
# a single transaction is bounded only by this total.
dbms.memory.transaction.total.max=$TX_MEMORY_MAX
db.memory.transaction.max=0

# Keep the on-disk footprint small for a dev/CI database.
db.tx_log.rotation.retention_policy=2 files
EOF
mv "$conf_tmp" "$RUN_DIR/conf/neo4j.conf"

# ---------------------------------------------------------------- initial password
# Neo4j reads data/dbms/auth.ini only when it creates the system database, so the
# password is set once, before the first start. The official set-initial-password
# command is driven from Java so the password never appears on a command line.
if [[ ! -d "$RUN_DIR/data/databases/system" ]]; then
  log "new database: setting the initial password of user 'neo4j'"
  pw_out="$RUN_DIR/logs/set-initial-password.log"
  src_dir="$(mktemp -d)"
  cat >"$src_dir/SetInitialPassword.java" <<'JAVA'
import java.nio.file.Path;
import org.neo4j.cli.ExecutionContext;
import org.neo4j.commandline.admin.security.SetInitialPasswordCommand;
import picocli.CommandLine;

public class SetInitialPassword {
    public static void main(String[] args) throws Exception {
        Path home = Path.of(System.getenv("NEO4J_HOME_DIR"));
        String password = System.getenv("NEO4J_PASSWORD");
        var command = new SetInitialPasswordCommand(new ExecutionContext(home, home.resolve("conf")));
        // no @file expansion, and "--" so a password starting with '-' is not an option
        try {
            new CommandLine(command).setExpandAtFiles(false).parseArgs("--", password);
            command.execute();
        } catch (Exception e) {
            System.err.println("set-initial-password: " + e.getMessage());
            System.exit(1);
        }
    }
}
JAVA
  pw_rc=0
  NEO4J_HOME_DIR="$RUN_DIR" "$JAVA" -cp "$CLASSPATH_GLOB" "$src_dir/SetInitialPassword.java" >"$pw_out" 2>&1 || pw_rc=$?
  rm -rf "$src_dir"
  if ((pw_rc != 0)); then
    log "setting the initial password failed:"
    tail -n 20 "$pw_out" >&2 || true
    exit 1
  fi
else
  log "existing database in $RUN_DIR/data: the password was fixed on its first start (NEO4J_PASSWORD is not re-applied; 'bash neo4j/stop.sh --wipe' resets it)"
fi

# ---------------------------------------------------------------- start
# Same JVM flags as the stock neo4j.conf (server.jvm.additional) of 5.26.
JVM_OPTS=(
  "-Xms$HEAP_SIZE" "-Xmx$HEAP_SIZE"
  -XX:+UseG1GC
  -XX:-OmitStackTraceInFastThrow
  -XX:+UnlockExperimentalVMOptions
  -XX:+TrustFinalNonStaticFields
  -XX:+DisableExplicitGC
  -Djdk.nio.maxCachedBufferSize=1024
  -Dio.netty.tryReflectionSetAccessible=true
  -Djdk.tls.ephemeralDHKeySize=2048
  -Djdk.tls.rejectClientInitiatedRenegotiation=true
  -Dlog4j2.disable.jmx=true
  -Dfile.encoding=UTF-8
  --add-opens=java.base/java.nio=ALL-UNNAMED
  --add-opens=java.base/java.io=ALL-UNNAMED
  --add-opens=java.base/sun.nio.ch=ALL-UNNAMED
)

log "starting Neo4j (run dir $RUN_DIR, log $LOG_FILE)"
user_log_offset="$(stat -c %s "$RUN_DIR/logs/neo4j.log" 2>/dev/null || echo 0)"
: >"$LOG_FILE"
rm -f "$PID_FILE"
# setsid: own session, so the server outlives this script and its terminal.
# The inner bash writes its own pid, then execs java (same pid). The password is
# removed from the server's environment.
# shellcheck disable=SC2016  # expanded by the inner bash
setsid env -u NEO4J_PASSWORD bash -c 'echo $$ >"$1"; shift; exec "$@"' _ "$PID_FILE" \
  "$JAVA" "${JVM_OPTS[@]}" -cp "$CLASSPATH_GLOB" org.neo4j.server.CommunityEntryPoint \
  --home-dir="$RUN_DIR" --config-dir="$RUN_DIR/conf" \
  </dev/null >>"$LOG_FILE" 2>&1 9>&- &

for _ in $(seq 50); do [[ -s "$PID_FILE" ]] && break; sleep 0.1; done
[[ -s "$PID_FILE" ]] || die "could not start java (no pid file). See $LOG_FILE"
pid="$(<"$PID_FILE")"

wait_ready "$pid" "$user_log_offset" || exit 1
log "Neo4j ready at bolt://127.0.0.1:$BOLT_PORT"
