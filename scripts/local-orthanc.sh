#!/usr/bin/env bash
# Start or stop a throw-away Orthanc (Debian's package, as a plain process) on 127.0.0.1, to try
# orthanc-import on one machine. Nothing is installed as a service and nothing outside DIR is touched.
#
#   scripts/local-orthanc.sh start DIR [--port N] [--compression true|false]
#       prints "URL PID" on stdout once GET /system answers; storage, config and log live in DIR
#   scripts/local-orthanc.sh stop PID
#       SIGTERM to that PID only (after checking it is an Orthanc), waits for it to exit
set -euo pipefail

die() { echo "local-orthanc: $*" >&2; exit 2; }

free_port() { node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }

start() {
  local dir="${1:?usage: local-orthanc.sh start DIR [--port N] [--compression true|false]}"; shift
  local port="" compression=false
  while (($# > 0)); do
    case "$1" in
      --port) port="$2"; shift 2;;
      --compression) compression="$2"; shift 2;;
      *) die "unknown option $1";;
    esac
  done
  command -v Orthanc >/dev/null 2>&1 || die "Orthanc is not installed (Debian: apt-get install orthanc)"
  [[ -n "$port" ]] || port="$(free_port)"
  mkdir -p "$dir/storage" "$dir/tmp"
  dir="$(cd "$dir" && pwd)"
  cat > "$dir/config.json" <<JSON
{
  "Name": "orthanc-import-try",
  "StorageDirectory": "$dir/storage",
  "IndexDirectory": "$dir/storage",
  "TemporaryDirectory": "$dir/tmp",
  "StorageCompression": $compression,
  "HttpPort": $port,
  "RemoteAccessAllowed": false,
  "AuthenticationEnabled": false,
  "DicomServerEnabled": false,
  "Plugins": [],
  "SaveJobs": false,
  "HttpDescribeErrors": true
}
JSON
  Orthanc --logfile="$dir/orthanc.log" "$dir/config.json" </dev/null >/dev/null 2>&1 &
  local pid=$!
  for _ in $(seq 1 300); do
    if ! kill -0 "$pid" 2>/dev/null; then tail -n 20 "$dir/orthanc.log" >&2; die "Orthanc exited during start-up"; fi
    if node -e 'fetch(process.argv[1]).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))' "http://127.0.0.1:$port/system"; then
      echo "http://127.0.0.1:$port $pid"
      return 0
    fi
    sleep 0.1
  done
  kill -TERM "$pid" 2>/dev/null || true
  die "Orthanc did not answer on port $port within 30 s (log: $dir/orthanc.log)"
}

stop() {
  local pid="${1:?usage: local-orthanc.sh stop PID}"
  [[ "$pid" =~ ^[0-9]+$ ]] || die "bad PID '$pid'"
  kill -0 "$pid" 2>/dev/null || return 0
  [[ "$(cat "/proc/$pid/comm" 2>/dev/null)" == Orthanc ]] || die "PID $pid is not an Orthanc; refusing"
  kill -TERM "$pid"
  for _ in $(seq 1 300); do
    kill -0 "$pid" 2>/dev/null || return 0
    [[ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" == Z ]] && return 0
    sleep 0.1
  done
  die "PID $pid still running after 30 s"
}

case "${1:-}" in
  start) shift; start "$@";;
  stop) shift; stop "$@";;
  *) sed -n '2,9p' "$0"; exit 2;;
esac
