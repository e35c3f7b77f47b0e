"""Strict marker and points checks: each malformed source is reported with a clear message."""

from pathlib import Path

import nbformat
import pytest

from grader.authoring import answer, code, hidden_check, md, notebook, points_table, write
from grader.lint import lint_source

GOOD_ANSWER = "def f(x):\n    ### BEGIN SOLUTION\n    return x\n    ### END SOLUTION"


def source(tmp_path: Path, cells, table=((1, "One", 2),)) -> Path:
    header = md("# T\n\n" + points_table(list(table)))
    headings = [md(f"## Problem {n} — {title} ({p} points)") for n, title, p in table]
    nb = notebook([header, *headings, *cells])
    path = tmp_path / "nb.ipynb"
    write(nb, path)
    return path


def test_a_clean_notebook_has_no_errors(tmp_path):
    assert lint_source(source(tmp_path, [answer(GOOD_ANSWER, "a"), hidden_check("softmax", 2)])) == []


@pytest.mark.parametrize("text, expected", [
    ("### BEGIN SOLUTION\nx = 1", "is never closed"),
    ("x = 1\n### END SOLUTION", "without a matching ### BEGIN SOLUTION"),
    ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION", "markers cannot nest"),
    ("### BEGIN SOLUTION\n### BEGIN HIDDEN TESTS\n### END HIDDEN TESTS\n### END SOLUTION",
     "markers cannot nest"),
    ("### BEGIN SOLUTION\nx = 1\n### END HIDDEN TESTS", "closes the ### BEGIN SOLUTION region"),
    ("### BEGIN SOLUTON\nx = 1", "unknown marker"),
])
def test_malformed_solution_markers_are_reported(tmp_path, text, expected):
    errors = lint_source(source(tmp_path, [answer(text, "a"), hidden_check("softmax", 2)]))
    assert any(expected in e for e in errors), errors
    assert all("cell" in e and "nb.ipynb" in e for e in errors)


def test_solution_markers_outside_a_solution_cell(tmp_path):
    errors = lint_source(source(tmp_path, [code(GOOD_ANSWER), hidden_check("softmax", 2)]))
    assert any("not marked as a solution cell" in e for e in errors)


def test_hidden_tests_outside_a_graded_cell(tmp_path):
    cell = code("### BEGIN HIDDEN TESTS\nassert True\n### END HIDDEN TESTS")
    errors = lint_source(source(tmp_path, [cell, hidden_check("softmax", 2)]))
    assert any("not an autograded code cell" in e for e in errors)


def test_graded_cell_without_hidden_check(tmp_path):
    cell = hidden_check("softmax", 2)
    cell.source = 'from grader.checks import check\ncheck("softmax", softmax)'
    errors = lint_source(source(tmp_path, [cell]))
    assert any("inside hidden-test markers" in e for e in errors)


def test_graded_cell_with_code_after_its_hidden_tests(tmp_path):
    cell = hidden_check("softmax", 2)
    cell.source = 'x = 1\n' + cell.source + '\nexpect_array("p", softmax(x), (1,))'
    errors = lint_source(source(tmp_path, [cell]))
    assert any("code after ### END HIDDEN TESTS" in e for e in errors)
    cell.source = 'x = 1\n' + hidden_check("softmax", 2).source  # a visible check before them is fine
    assert lint_source(source(tmp_path, [cell])) == []


def test_graded_cell_calling_another_problems_check(tmp_path):
    cell = hidden_check("softmax", 2)
    cell.source = cell.source.replace('check("softmax"', 'check("rnn_forward"')
    errors = lint_source(source(tmp_path, [cell]))
    assert any('should call check("softmax"' in e for e in errors)


def test_duplicate_grade_ids(tmp_path):
    cells = [answer(GOOD_ANSWER, "a"), answer(GOOD_ANSWER, "a"), hidden_check("softmax", 2)]
    assert any("is also used by cell" in e for e in lint_source(source(tmp_path, cells)))


def test_points_table_must_match_the_metadata(tmp_path):
    errors = lint_source(source(tmp_path, [hidden_check("softmax", 3)]))
    assert any("points table says [2]" in e for e in errors)
    assert any("problem headings say [2]" in e for e in errors)


def test_outputs_are_reported(tmp_path):
    path = source(tmp_path, [answer(GOOD_ANSWER, "a"), hidden_check("softmax", 2)])
    nb = nbformat.read(str(path), as_version=4)
    nb.cells[-1].outputs = [nbformat.v4.new_output("stream", name="stdout", text="hi")]
    nbformat.write(nb, str(path))
    assert any("has outputs" in e for e in lint_source(path))


def test_unreadable_notebook(tmp_path):
    path = tmp_path / "broken.ipynb"
    path.write_text("{ not json")
    assert "cannot be read" in lint_source(path)[0]
