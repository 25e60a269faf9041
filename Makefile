# ThemeGraph: `make demo` builds the worked example on the embedded store; `make test` runs the tests.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install demo test neo4j neo4j-stop bench docs clean accuracy

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/themegraph demo --out demo

test: $(STAMP)
	$(BIN)/pytest -q

neo4j:
	bash neo4j/start.sh

neo4j-stop:
	bash neo4j/stop.sh

# citation accuracy on the real-manuscript corpus (tests/data/citations/manifest.yaml; texts outside git)
accuracy: $(STAMP)
	$(BIN)/python -m bench.citation_accuracy
	$(BIN)/pytest -q -p no:cacheprovider bench/test_citation_corpus.py

bench: $(STAMP)
	$(BIN)/python -m bench $(if $(SIZE),--size $(SIZE),)

docs: $(STAMP)
	$(BIN)/python docs/generate_queries.py
	$(BIN)/python docs/generate_cli.py

clean:
	rm -rf $(VENV) demo themegraph.db themegraph.db.* .pytest_cache
