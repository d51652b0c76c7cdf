# Two commands on a fresh machine with Python 3.11+: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test check lint typecheck bench bench-quick clean schemas corpus regenerate

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is required")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $(STAMP)

DEMO_LOG := sqlite:///var/demo-evaluations.sqlite3
DEMO_DOSSIER := var/demo-dossier.sqlite3

demo: $(STAMP)
	$(BIN)/safety-rules check rules/
	$(BIN)/safety-rules coverage
	$(BIN)/safety-rules assess examples/enterprises/*.yaml --as-of 2017-09-05
	$(BIN)/safety-rules assess examples/enterprises/*.yaml --as-of 2024-06-01
	@echo "== the same mine on the last day of 98号 and the first of 88号 (key personnel becomes a major hazard)"
	$(BIN)/safety-rules assess examples/enterprises/linyi-underground-iron-mine.yaml --as-of 2022-08-31 --format markdown
	$(BIN)/safety-rules assess examples/enterprises/linyi-underground-iron-mine.yaml --as-of 2022-09-01 --format markdown
	@echo "== a hazardous-chemicals warehouse the day before and the day 危险化学品安全法 takes effect"
	$(BIN)/safety-rules assess examples/enterprises/linyi-hazchem-warehouse.yaml --as-of 2026-04-30
	$(BIN)/safety-rules assess examples/enterprises/linyi-hazchem-warehouse.yaml --as-of 2026-05-01
	$(BIN)/safety-rules questions examples/enterprises/linyi-ammonia-cold-store.yaml --as-of 2024-06-01
	$(BIN)/safety-rules explain ammonia.quick-freezer-room --as-of 2022-01-01
	@echo "== a revision: the 2022 exits spacing threshold from 30 m to 50 m; what it changes, and for whom"
	@rm -rf var/demo-revision && mkdir -p var && cp -R rules var/demo-revision
	@sed -i.orig 's/mine_exit_spacing_m < 30/mine_exit_spacing_m < 50/' var/demo-revision/mining/underground-safety-exits.yaml
	@grep -q 'mine_exit_spacing_m < 50' var/demo-revision/mining/underground-safety-exits.yaml
	$(BIN)/safety-rules diff rules var/demo-revision
	$(BIN)/safety-rules impact rules var/demo-revision
	@rm -f var/demo-evaluations.sqlite3*
	$(BIN)/safety-rules experts evaluate --file examples/cases/evaluations.yaml --log $(DEMO_LOG)
	$(BIN)/safety-rules experts outcomes --file examples/cases/outcomes.yaml --log $(DEMO_LOG)
	$(BIN)/safety-rules experts scores --log $(DEMO_LOG) --as-of 2017-09-04
	$(BIN)/safety-rules experts match examples/cases/cases.yaml --history examples/cases/history.yaml --log $(DEMO_LOG) --as-of 2017-09-04 --record --by demo
	$(BIN)/safety-rules experts assignments --log $(DEMO_LOG)
	$(BIN)/safety-rules experts verify-log --log $(DEMO_LOG)
	$(BIN)/safety-rules plan examples/campaigns/linyi-2017-09.yaml --ics var/linyi-2017-09.ics
	$(BIN)/safety-rules checklist --industry dust --as-of 2024-06-01 --region 371302 -f xlsx -o var/checklist-dust.xlsx
	@rm -rf var/demo-dossier.sqlite3*
	$(BIN)/safety-rules dossier record examples/dossier/campaigns.jsonl --evidence examples/dossier/evidence --db $(DEMO_DOSSIER)
	$(BIN)/safety-rules dossier verify --db $(DEMO_DOSSIER)
	$(BIN)/safety-rules report 2024-09 --compare 2024-06 --as-of 2025-06-30 --db $(DEMO_DOSSIER)
	$(BIN)/safety-rules report 2024-09 --compare 2024-06 --as-of 2025-06-30 --db $(DEMO_DOSSIER) --format html --output var/report-2024-09.html
	$(BIN)/safety-rules dossier due --as-of 2024-10-08 --within 3 --db $(DEMO_DOSSIER)
	$(BIN)/safety-rules dossier warnings --as-of 2024-12-31 --db $(DEMO_DOSSIER)
	@echo "== the October 2024 re-inspection campaign, its priorities from the dossier (open major hazards, re-inspections due)"
	$(BIN)/safety-rules plan examples/campaigns/linyi-2024-10-recheck.yaml --dossier $(DEMO_DOSSIER) --as-of 2024-10-08

test: $(STAMP) lint
	$(BIN)/safety-rules check rules/ --mutants
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/pip install --quiet -e '.[bench]'
	$(BIN)/python benchmarks/engine.py
	$(BIN)/python benchmarks/matching.py
	$(BIN)/python benchmarks/events.py
	$(BIN)/python benchmarks/planning.py

bench-quick: $(STAMP)
	$(BIN)/pip install --quiet -e '.[bench]'
	$(BIN)/python benchmarks/engine.py --quick
	$(BIN)/python benchmarks/matching.py --quick
	$(BIN)/python benchmarks/events.py --quick
	$(BIN)/python benchmarks/planning.py --quick

# after rules/ changes (a merge that adds lineages, facts or documents): schemas and the modeline
# of new rule files, the reference corpus, and the problem-code table, in one step
regenerate: schemas corpus
	SAFETY_RULES_REGENERATE=1 $(BIN)/python -m pytest -q -p no:cacheprovider tests/shared/test_codes.py

schemas: $(STAMP)
	$(BIN)/safety-rules schema --write schemas --rules rules

corpus: $(STAMP)
	$(BIN)/python tests/corpus/generate.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .hypothesis build src/*.egg-info
