# The README's two commands: `make run` and `make test`. Everything else is a helper.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
# Installed-dependency stamps: reinstall when pyproject.toml changes.
STAMP_RUN := $(VENV)/.stamp-run
STAMP_DEV := $(VENV)/.stamp-dev
PIP_FLAGS ?= --quiet --disable-pip-version-check
# The batch `make run` tests and reports on (one name per invocation).
DEMO_BATCH := demo-$(shell date +%Y%m%d-%H%M%S)

.PHONY: run test lint unit docs bench bench-regress clean system-deps

$(PY):
	$(PYTHON) -m venv $(VENV)

$(STAMP_RUN): pyproject.toml | $(PY)
	$(PY) -m pip install $(PIP_FLAGS) -e '.[reports,web]'
	touch $@

$(STAMP_DEV): pyproject.toml | $(PY)
	$(PY) -m pip install $(PIP_FLAGS) -e '.[dev]'
	touch $@ $(STAMP_RUN)

## run: the two halves: a dut simulator session, then the station bring-up plan through mfg-ctl
run: $(STAMP_RUN)
	@echo "== simulators: start the dut, query it, show telemetry, inject a fault, stop it"
	$(PY) examples/dut_session.py
	@echo
	@echo "== mfg-ctl: the 11-step station bring-up against simulated instruments"
	$(BIN)/mfg-ctl run plans/station_bringup.yaml
	@echo
	@echo "== mfg-ctl: a batch of six simulated units, four at a time; its run folder goes under runs/"
	$(BIN)/mfg-ctl batch --plan plans/dut_functional.yaml --batch-id $(DEMO_BATCH) \
		--station-id ST1 --stage EVT --sns SN0001,SN0002,SN0003,SN0004,SN0005,SN0006 \
		--parallel 4 --dut-profile factory-flaky --seed 7
	@echo
	@echo "== mfg-ctl: the batch's qualification report as HTML and PDF (doc/reports.rst)"
	$(BIN)/mfg-ctl report --batch-id $(DEMO_BATCH) --html runs/$(DEMO_BATCH).html \
		--pdf runs/$(DEMO_BATCH).pdf > /dev/null
	@echo "wrote runs/$(DEMO_BATCH).html and runs/$(DEMO_BATCH).pdf"
	@echo
	@echo "== next: the same runs in a browser: $(BIN)/mfg-ctl serve-web, then open http://127.0.0.1:5050/ (doc/web.rst)"

## test: lint, the suite with the coverage gate, the docs with their doctests and examples
test: system-deps $(STAMP_DEV)
	$(MAKE) lint
	$(MAKE) unit
	$(MAKE) docs

# CI machines start bare: netcat is what the user guide's examples use, Pango and a font what
# WeasyPrint draws PDF reports with, poppler-utils (pdftotext, pdftoppm) what the tests read them with,
# chromium the browser the web UI's tests drive (tests/controller/web/browser; Playwright downloads none).
SYSTEM_PACKAGES := netcat-openbsd libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core poppler-utils \
	chromium
system-deps:
	@if [ -n "$$CI" ] && ! dpkg -s $(SYSTEM_PACKAGES) >/dev/null 2>&1; then \
		apt-get update -qq && apt-get install -y -qq $(SYSTEM_PACKAGES) >/dev/null; fi

lint: $(STAMP_DEV)
	$(BIN)/prospector --profile-path . --profile .prospector.yaml
	$(BIN)/lint-imports --no-cache  # the layers of doc/architecture.rst (.importlinter)

unit: $(STAMP_DEV)
	rm -f .coverage .coverage.*
	$(BIN)/coverage run -m pytest -q -n 2 --ignore=tests/docs  # both cores; own ports and dirs
	$(BIN)/coverage combine -q
	$(BIN)/coverage report --fail-under=95

docs: $(STAMP_DEV)
	$(BIN)/sphinx-build -W --keep-going -q -b html doc doc/_build/html
	$(BIN)/sphinx-build -W --keep-going -q -b doctest doc doc/_build/doctest
	@tail -n 4 doc/_build/doctest/output.txt
	$(BIN)/python -m pytest -q -n 2 tests/docs  # every README and page example, run as shown

## bench: speed and server CPU per request against baselines measured in the same run (results in bench/out/)
bench: $(STAMP_DEV)
	$(PY) bench/framework_bench.py
	$(PY) bench/modbus_bench.py
	$(PY) bench/cycle_bench.py
	$(PY) bench/batch_scale.py
	$(PY) bench/trends_speed.py
	$(PY) bench/web_sse.py
	$(PY) bench/web_history.py
	$(PY) bench/line_load.py

## bench-regress: fail when a server's CPU per request, over the bare socketserver's in this run, passes its limit
bench-regress: $(STAMP_DEV)
	$(PY) bench/regress.py

clean:
	rm -rf $(VENV) doc/_build .coverage .coverage.* build *.egg-info bench/out
