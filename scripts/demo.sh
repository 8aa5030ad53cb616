#!/usr/bin/env bash
# The newcomer's first run: import the bundled sample storage (written by a real Orthanc, mixing
# compressed and uncompressed files) into a throw-away local Orthanc, then stop it. Without an
# Orthanc (and no way to install Debian's package), take the inventory of the sample instead.
set -euo pipefail
cd "$(dirname "$0")/.."
SAMPLE=fixtures/sample-storage
CLI=(node dist/src/cli/main.js)
[[ -f dist/src/cli/main.js ]] || { echo "demo: build first (npm ci && npm run build)" >&2; exit 2; }

if ! command -v Orthanc >/dev/null 2>&1 && [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null 2>&1; then
  echo "demo: Orthanc is not installed; trying Debian's package (apt-get install orthanc)" >&2
  (export DEBIAN_FRONTEND=noninteractive; apt-get install -y -q orthanc >/dev/null 2>&1 ||
    { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q orthanc >/dev/null 2>&1; }) || true
fi

if ! command -v Orthanc >/dev/null 2>&1; then
  echo "demo: no Orthanc available here, so this is the inventory of $SAMPLE (nothing is uploaded)" >&2
  exec "${CLI[@]}" "$SAMPLE"
fi

run="$(mktemp -d "${TMPDIR:-/tmp}/orthanc-import-demo.XXXXXX")"
read -r url pid < <(scripts/local-orthanc.sh start "$run/target")
[[ -n "${pid:-}" ]] || { echo "demo: could not start a local Orthanc" >&2; exit 1; }
trap 'scripts/local-orthanc.sh stop "$pid"' EXIT
echo "demo: throw-away Orthanc $url (PID $pid, files in $run)" >&2
status=0
"${CLI[@]}" "$SAMPLE" "$url" --report "$run/report.json" || status=$?
echo "demo: the target now holds: $(node -e 'fetch(process.argv[1]).then(r=>r.json()).then(s=>console.log(`${s.CountPatients} patients, ${s.CountStudies} studies, ${s.CountInstances} instances`))' "$url/statistics")"
echo "demo: JSON report: $run/report.json"
exit "$status"
