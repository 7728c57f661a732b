# Two commands on a fresh machine: `make run` and `make test`.
VENV    := .venv
PYTHON  := $(VENV)/bin/python
FLASK   := FLASK_APP=wsgi $(VENV)/bin/flask
STAMP   := $(VENV)/.installed
DEMO_RESPONSES ?= 600

.PHONY: run test install format bench bench-weighting clean

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PYTHON) -m pip install --quiet --upgrade pip
	$(PYTHON) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: install
	mkdir -p instance
	$(FLASK) db upgrade
	$(FLASK) demo --responses $(DEMO_RESPONSES)
	@echo "Serving on http://127.0.0.1:5000 (Ctrl-C to stop)"
	$(FLASK) run --host 127.0.0.1 --port 5000

test: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	# P-34: no medium or high finding from bandit in the shipped code.
	$(VENV)/bin/bandit --quiet --recursive survey_app analysis config.py wsgi.py --severity-level medium
	$(VENV)/bin/pytest

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: install
	$(PYTHON) benchmarks/bench_journey.py
	$(PYTHON) benchmarks/bench_submit.py
	$(PYTHON) benchmarks/bench_monitor.py
	$(PYTHON) benchmarks/bench_results.py
	$(PYTHON) benchmarks/fault_drill.py

# Peers (balance, weightipy, ipfn) pin their own numpy/pandas: they get a venv of their own.
.venv-bench/.installed: pyproject.toml
	python3 -m venv .venv-bench
	.venv-bench/bin/python -m pip install --quiet --upgrade pip
	.venv-bench/bin/python -m pip install --quiet -e . balance weightipy ipfn
	touch .venv-bench/.installed

bench-weighting: .venv-bench/.installed
	.venv-bench/bin/python benchmarks/bench_weighting.py

clean:
	rm -rf $(VENV) .venv-bench instance .pytest_cache
