"""What grading skips of nbgrader's start-up: the `alembic` process for a new gradebook, the IRI grammars."""

import os
import subprocess
import sys
from pathlib import Path

from nbgrader.api import Gradebook, _temp_alembic_ini
from sqlalchemy import text

from grader.nbgrader_startup import alembic_head, read_schema_revision_in_process
from grader.paths import ROOT, source_notebook

VENV_BIN = Path(sys.executable).parent


def test_the_revision_read_in_process_is_the_one_the_alembic_command_prints():
    with _temp_alembic_ini("sqlite:////tmp/gradebook.db") as ini:  # as nbgrader runs it
        printed = subprocess.check_output([str(VENV_BIN / "alembic"), "-c", ini, "heads"], text=True)
    assert printed.split()[0] == alembic_head()


def test_a_new_gradebook_is_stamped_without_an_alembic_process(tmp_path, monkeypatch):
    read_schema_revision_in_process()
    monkeypatch.setenv("PATH", str(tmp_path))  # no `alembic` command to be found
    with Gradebook(f"sqlite:///{tmp_path / 'gradebook.db'}") as gradebook:
        stamped = gradebook.db.execute(text("SELECT version_num FROM alembic_version")).scalar()
    assert stamped == alembic_head()


def test_notebooks_still_validate_without_the_iri_grammars():
    script = ("import sys\n"
              "from grader.nbgrader_startup import skip_iri_grammars\n"
              "skip_iri_grammars()\n"
              "import nbformat, nbgrader.apps\n"
              f"nbformat.validate(nbformat.read({str(source_notebook('01_rnn_forward'))!r}, as_version=4))\n"
              "bad = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell('1')])\n"
              "del bad.cells[0]['source']\n"
              "try:\n"
              "    nbformat.validate(bad)\n"
              "except nbformat.validator.NotebookValidationError:\n"
              "    pass\n"
              "else:\n"
              "    sys.exit('an invalid notebook validated')\n"
              "sys.exit('lark' in sys.modules)\n")
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True,
                          env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert done.returncode == 0, done.stderr[-2000:]
