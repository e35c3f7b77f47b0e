# One entry point for every task. The first two are all a newcomer needs:
#   make grade   set up .venv, build the student release, grade the sample class
#   make test    set up .venv if needed, run the whole test suite

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(CURDIR)/$(VENV)/bin
STAMP  := $(VENV)/.installed
# nbgrader starts kernels with `python` and creates gradebooks with `alembic`: use the venv's.
RUN    := PATH="$(BIN):$$PATH" $(BIN)/python
JOBS   ?= 2
RUNS   ?= 3

.PHONY: env grade sandbox release diagrams demo test lint lab student formgrader bench bench-verify bench-scale bench-long-run sample-class constraints clean

env: $(STAMP)

$(STAMP): requirements.txt constraints.txt pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Python 3.11 is required, found " + sys.version.split()[0]'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --disable-pip-version-check -q -r requirements.txt -c constraints.txt
	$(BIN)/pip install --disable-pip-version-check -q --no-build-isolation --no-deps -e .
	touch $(STAMP)

release: env
	$(RUN) -m grader release

# Redraw the course's diagrams (grader/diagrams.py) into solutions/<sprint>/diagrams/, then `make release`.
diagrams: env
	$(RUN) -m grader.diagrams

demo: env
	$(RUN) -m grader demo --jobs $(JOBS)

grade: sandbox release demo

# The grader runs every student notebook in a bubblewrap sandbox and refuses to grade without one.
# Install it when this machine can (as root, or with sudo that needs no password); otherwise stop
# with the one command to run.
sandbox:
	@command -v bwrap >/dev/null 2>&1 || { \
	  if command -v apt-get >/dev/null 2>&1; then install="apt-get install -y bubblewrap"; \
	  elif command -v dnf >/dev/null 2>&1; then install="dnf install -y bubblewrap"; \
	  else install=""; fi; \
	  if [ -n "$$install" ] && [ "$$(id -u)" = 0 ]; then \
	    echo "Installing bubblewrap (the grader's sandbox): $$install"; \
	    { [ "$${install%% *}" != apt-get ] || apt-get update -qq; } && $$install; \
	  elif [ -n "$$install" ] && command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then \
	    echo "Installing bubblewrap (the grader's sandbox): sudo $$install"; \
	    { [ "$${install%% *}" != apt-get ] || sudo -n apt-get update -qq; } && sudo -n $$install; \
	  else \
	    echo "The grader runs student code in a bubblewrap sandbox, and bubblewrap is not installed." >&2; \
	    echo "Run this, then make grade again:  sudo $${install:-apt-get install -y bubblewrap}" >&2; \
	    exit 1; \
	  fi; }

test: env
	$(RUN) -m ruff check grader tests examples bench data
	$(RUN) -m pytest -n $(JOBS) --dist loadscope -q

lint: env
	$(RUN) -m grader lint
	$(RUN) -m ruff check grader tests examples bench data

# JupyterLab on notebooks/ as a student sees it (student/jupyter: Validate, no instructor tools).
lab: env
	JUPYTER_CONFIG_PATH="$(CURDIR)/student/jupyter" PATH="$(BIN):$$PATH" $(BIN)/jupyter lab --ServerApp.root_dir=notebooks \
	  $(if $(filter 0,$(shell id -u)),--allow-root)

# The student distribution: dist/rnn-course-student.zip (notebooks, helpers, settings, no answers).
student: env
	$(RUN) -m grader.student_dist $(if $(UP_TO),--up-to $(UP_TO))

# nbgrader's Formgrader on a graded folder (default: the sample class of `make grade`), with the course's
# nbgrader_config.py: every graded submission with its verified scores, autograded notebook and feedback.
OUT ?= workspace/demo
formgrader: env
	@test -f "$(OUT)/gradebook.db" || { echo "No gradebook in $(OUT): grade a class first (make grade, or python -m grader grade SUBMISSIONS --out $(OUT))"; exit 2; }
	@echo "Formgrader: open the URL below, then Nbgrader > Formgrader (or add /formgrader to it)"
	RNN_COURSE_OUT="$(abspath $(OUT))" PATH="$(BIN):$$PATH" $(BIN)/jupyter lab --no-browser \
	  --ServerApp.root_dir="$(abspath $(OUT))" $(if $(filter 0,$(shell id -u)),--allow-root)

bench: env
	$(RUN) bench/bench.py --runs $(RUNS)
	$(RUN) bench/verification.py

# Plain nbgrader autograde against sandboxed, verified grading of the sample class (about 10 min).
bench-verify: env
	$(RUN) bench/verification.py

# One assignment for a class of 16: --jobs 1, --jobs 2, plain nbgrader, a local Dask cluster, two rounds (about 22 min).
bench-scale: env
	$(RUN) bench/scale.py

# Sprint 08 with LONG_RUN = True: training time, best validation perplexity (target below 5), samples (about 5 min).
bench-long-run: env
	$(RUN) bench/long_run.py

# Regenerate examples/submissions from solutions/ and notebooks/ (golden files: only on purpose).
sample-class: env
	$(RUN) examples/build_sample_class.py

constraints: env
	( sed -n '1,2p' constraints.txt; $(BIN)/pip freeze --exclude-editable | sed 's/^tensorflow_cpu==/tensorflow-cpu==/' ) > constraints.new && mv constraints.new constraints.txt

clean:
	rm -rf workspace .pytest_cache
