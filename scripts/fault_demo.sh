#!/usr/bin/env bash
# The netcat fault demo, from a checkout after `make run`: start the reference
# station, push its DMM off by 1000 with one custom command sent by OpenBSD
# netcat, watch the bring-up plan fail at step 9, clear the fault over netcat,
# and re-run only what failed. The station is stopped however the demo ends.
#
#   scripts/fault_demo.sh [PORT_OFFSET]     # default 0: the reference ports 5020-5023
#
# Environment: BIN (default .venv/bin) holds discos-simulator and mfg-ctl;
# MFG_CTL_DB chooses the run store as for mfg-ctl (default: a throwaway one).
set -euo pipefail
cd "$(dirname "$0")/.."
offset="${1:-0}"
bin="${BIN:-.venv/bin}"
case "$offset" in
    '' | *[!0-9]*) echo "fault_demo.sh: PORT_OFFSET must be a number, got '$offset'" >&2; exit 2 ;;
esac
case "$(nc -h 2>&1 || true)" in
    *'OpenBSD netcat'*) ;;
    *) echo "fault_demo.sh: needs OpenBSD netcat (nc -N): apt-get install netcat-openbsd" >&2; exit 2 ;;
esac
scratch="$(mktemp -d)"
export MFG_CTL_DB="${MFG_CTL_DB:-$scratch/runs.db}"
dmm_port=$((5021 + offset))
plan=plans/station_bringup.yaml
ctl=("$bin/mfg-ctl" run "$plan" --station stations/local.yaml --port-offset "$offset")

stop_station() {
    "$bin/discos-simulator" -s station --port-offset "$offset" stop >/dev/null || true
    rm -rf "$scratch"
}
trap stop_station EXIT

say() { printf '\n== %s\n' "$*"; }
send() {  # a custom command to the DMM, as bytes on its own port
    echo "\$ printf '${1//%/%%}' | nc -N 127.0.0.1 $dmm_port"
    printf '%s' "$1" | nc -N 127.0.0.1 "$dmm_port"
}

say "start the reference station (port offset $offset)"
"$bin/discos-simulator" -s station --port-offset "$offset" start
say "break the DMM: its DC voltage reads 4000 mV from now on"
send '$system_set:dc_voltage,4000%'
say "the bring-up plan finds it (exit status 1)"
status=0
"${ctl[@]}" || status=$?
if [ "$status" -ne 1 ]; then
    echo "fault_demo.sh: expected the run to fail (exit 1), it exited $status" >&2
    exit 1
fi
say "clear the fault, then re-run only the steps that did not pass"
send '$system_reset%'
"${ctl[@]}" --only-failed
say "done: the station stops now"
