# The two commands a newcomer needs: `make serve` and `make test` (see README.md).
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: serve test model evaluate bench clean

# A stamp per requirements file, so a changed pin reinstalls and an unchanged one costs nothing.
$(VENV)/.runtime: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	touch $@

$(VENV)/.dev: requirements-dev.txt $(VENV)/.runtime
	$(PY) -m pip install -q -r requirements-dev.txt
	touch $@

serve: $(VENV)/.runtime
	$(PY) -m flask --app service init-db --first-moderator
	$(VENV)/bin/gunicorn --config service/gunicorn_conf.py --bind $(HOST):$(PORT) 'service:create_app()'

# One pytest worker per core (pytest-xdist): each has its own PostgreSQL schema, SQLite files and
# ports, and the suite takes about half as long on two cores. PYTEST_WORKERS=0 runs it in one.
PYTEST_WORKERS ?= auto
test: $(VENV)/.dev
	bash scripts/install-browser.sh
	bash scripts/install-wordpress.sh
	$(PY) -m pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

# Rebuild the shipped default model from ../shared/data (the command its card records), on the
# public corpora alone. The dev requirements: the abuse head's prior is read from
# alt-profanity-check at training time.
model: $(VENV)/.dev
	$(PY) -m model.train --data ../shared/data --no-decisions --promote

evaluate: $(VENV)/.dev
	$(PY) -m model.evaluate --data ../shared/data --out model/report

clean:
	rm -rf $(VENV) instance .pytest_cache
