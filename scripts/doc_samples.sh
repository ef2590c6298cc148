#!/usr/bin/env bash
# Make the report samples doc/reports.rst shows (doc/_static/samples/sample_*.png): a run, a
# batch and a TempCo sweep reported by mfg-ctl as a user would, page 1 of each PDF rendered by
# pdftoppm, and the batch's HTML page as Chromium shows it.
#
#   scripts/doc_samples.sh            (from the repository root, after `make run` or `make test`)
#
# Needs poppler-utils (pdftoppm) and Debian's chromium. The samples are pictures for a reader,
# not golden files: the tests check the reports themselves.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
ctl="$root/.venv/bin/mfg-ctl"
out="$root/doc/_static/samples"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export MFG_CTL_DB="$work/runs.db" XDG_CONFIG_HOME="$work/config"
unset MFG_CTL_SETTINGS
cd "$root"

"$ctl" run plans/station_bringup.yaml --sn SN0001 --station-id ST1 --stage EVT \
    --operator ana --pdf "$work/run.pdf" > /dev/null
"$ctl" batch --plan plans/dut_functional.yaml --batch-id B001 --station-id ST1 --stage EVT \
    --sns "$(seq -s, -f 'SN%04g' 1 20)" --parallel 4 --dut-profile factory-flaky --seed 7 \
    --operator ana --artifacts "$work/runs" --html "$work/batch.html" --pdf "$work/batch.pdf" \
    > /dev/null || true  # a failing unit is part of the sample
"$ctl" tempco --pdf "$work/tempco.pdf" > /dev/null || true

for name in run batch tempco; do
    pdftoppm -png -r 60 -f 1 -l 1 -singlefile "$work/$name.pdf" "$out/sample_${name}_pdf"
done
chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1100,1400 \
    --screenshot="$out/sample_batch_html.png" "file://$work/batch.html" 2> /dev/null
ls -l "$out"/sample_*.png
