#!/usr/bin/env bash
# Run CI on this machine, as the CI server does: a fresh clone of the current
# commit, then `.ci/run` (the README's `make test`) with CI=true. With `act`
# and a Docker engine it runs the GitHub workflow instead (.actrc picks the image).
#
#   scripts/local_ci.sh [--load] [--act]
#     --load   keep two CPU-bound processes running meanwhile: a busy machine
#              must not turn the suite red (a flaky test is a defect)
#     --act    run .github/workflows/ci.yml through act (needs act and Docker)
#
# Uncommitted changes are not part of the clone: commit first. Exit status:
# that of the CI run (0 green), 2 for bad usage or a missing tool.
set -euo pipefail
cd "$(dirname "$0")/.."
load=0
use_act=0
for arg in "$@"; do
    case "$arg" in
        --load) load=1 ;;
        --act) use_act=1 ;;
        -h | --help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "local_ci.sh: unknown option '$arg' (try --help)" >&2; exit 2 ;;
    esac
done
if [ "$use_act" -eq 1 ]; then
    if ! command -v act >/dev/null || ! docker info >/dev/null 2>&1; then
        echo "local_ci.sh: --act needs act and a running Docker engine; without --act the clone runs here" >&2
        exit 2
    fi
    exec act
fi
if [ -n "$(git status --porcelain --untracked-files=no)" ]; then
    echo "local_ci.sh: note: uncommitted changes are not tested (the clone holds $(git rev-parse --short HEAD))" >&2
fi
clone="$(mktemp -d)/simulators"
hogs=()
cleanup() {
    for pid in "${hogs[@]}"; do kill "$pid" 2>/dev/null || true; done
    rm -rf "$(dirname "$clone")"
}
trap cleanup EXIT
git clone --quiet "$PWD" "$clone"
if [ "$load" -eq 1 ]; then
    for _ in 1 2; do python3 -c 'while True: pass' & hogs+=("$!"); done
fi
started=$SECONDS
status=0
(cd "$clone" && CI=true bash .ci/run) || status=$?
echo "local_ci.sh: CI exited $status after $((SECONDS - started)) s in a fresh clone of $(git rev-parse --short HEAD)"
exit "$status"
