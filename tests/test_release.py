"""The student release: generated from solutions/ without drift, and with no solution inside."""

import json
import re

import nbformat
import pytest

from grader.lint import lint_source
from grader.paths import NOTEBOOKS, assignment_ids, source_notebook
from grader.release import release

ASSIGNMENTS = assignment_ids()


def test_the_foundation_sprints_exist():
    assert {"01_rnn_forward", "02_rnn_backward"} <= set(ASSIGNMENTS)


def released(assignment_id):
    return NOTEBOOKS / assignment_id / f"{assignment_id}.ipynb"


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory):
    dest = tmp_path_factory.mktemp("release")
    release(dest=dest)
    return dest


@pytest.mark.parametrize("assignment_id", ASSIGNMENTS)
def test_notebooks_equal_a_fresh_release(regenerated, assignment_id):
    fresh = json.loads((regenerated / assignment_id / f"{assignment_id}.ipynb").read_text())
    committed = json.loads(released(assignment_id).read_text())
    assert committed == fresh, "notebooks/ is out of date: run `make release` and commit it"


@pytest.mark.parametrize("assignment_id", ASSIGNMENTS)
def test_other_files_equal_a_fresh_release(regenerated, assignment_id):
    """The files a notebook shows (its diagrams) are released with it, as they are in solutions/."""
    def others(folder):
        return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
                if p.is_file() and p.suffix != ".ipynb"}

    fresh, committed = others(regenerated / assignment_id), others(NOTEBOOKS / assignment_id)
    assert committed == fresh, "notebooks/ is out of date: run `make release` and commit it"
    assert set(fresh) == set(others(source_notebook(assignment_id).parent))


def test_no_stray_release_folders():
    assert sorted(p.name for p in NOTEBOOKS.iterdir() if p.is_dir()) == ASSIGNMENTS


@pytest.mark.parametrize("assignment_id", ASSIGNMENTS)
def test_source_notebooks_are_clean(assignment_id):
    assert lint_source(source_notebook(assignment_id)) == []


def solution_lines(assignment_id):
    """Every substantive line of every solution region and hidden test of the source."""
    nb = nbformat.read(str(source_notebook(assignment_id)), as_version=4)
    lines = []
    for cell in nb.cells:
        inside = False
        for line in cell.source.splitlines():
            stripped = line.strip()
            if re.match(r"### BEGIN (SOLUTION|HIDDEN TESTS)", stripped):
                inside = True
            elif re.match(r"### END (SOLUTION|HIDDEN TESTS)", stripped):
                inside = False
            elif inside and len(stripped) > 12 and not stripped.startswith("#"):
                lines.append(stripped)
    return lines


@pytest.mark.parametrize("assignment_id", ASSIGNMENTS)
def test_release_contains_no_solution_or_hidden_test(assignment_id):
    nb = nbformat.read(str(released(assignment_id)), as_version=4)
    code = "\n".join(c.source for c in nb.cells)
    for marker in ("BEGIN SOLUTION", "END SOLUTION", "HIDDEN TESTS", "check("):
        assert marker not in code
    answer_cells = "\n".join(c.source for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution"))
    leaked = [line for line in solution_lines(assignment_id) if line in answer_cells]
    assert not leaked, f"solution lines in the student release: {leaked[:3]}"


@pytest.mark.parametrize("assignment_id", ASSIGNMENTS)
def test_release_has_no_outputs(assignment_id):
    nb = nbformat.read(str(released(assignment_id)), as_version=4)
    assert not any(c.get("outputs") or c.get("execution_count") for c in nb.cells if c.cell_type == "code")
