"""Building blocks for writing the source notebooks in ``solutions/`` from Python.

Every cell gets the nbgrader metadata it needs (schema version 3), so a script that assembles a
sprint from these helpers produces a notebook that ``nbgrader generate_assignment`` accepts as is.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
LANGUAGE_INFO = {"name": "python", "version": "3.11"}


def _meta(grade_id: str, *, grade=False, solution=False, locked=False, points=None) -> dict:
    meta = {
        "grade": grade,
        "grade_id": grade_id,
        "locked": locked,
        "schema_version": 3,
        "solution": solution,
        "task": False,
    }
    if points is not None:
        meta["points"] = points
    return {"nbgrader": meta}


def md(text: str):
    """A markdown cell (prose, equations, headings)."""
    return new_markdown_cell(text.strip("\n"))


def code(text: str):
    """An ordinary code cell: demos, plots, experiments. Not graded."""
    return new_code_cell(text.strip("\n"))


def answer(text: str, grade_id: str):
    """The student's answer cell; the solution sits between ### BEGIN/END SOLUTION markers."""
    return new_code_cell(text.strip("\n"), metadata=_meta(grade_id, solution=True))


def visible_check(text: str, grade_id: str):
    """A read-only cell of visible sanity checks right below an answer cell."""
    return new_code_cell(text.strip("\n"), metadata=_meta(grade_id, locked=True))


def hidden_check(problem: str, points: int, answer_name: str | None = None):
    """The autograded cell of a problem: calls the hidden check on the student's answer."""
    source = (
        f"# Hidden tests for `{problem}` run here when your notebook is graded.\n"
        "### BEGIN HIDDEN TESTS\n"
        "from grader.checks import check\n"
        f'check("{problem}", {answer_name or problem})\n'
        "### END HIDDEN TESTS"
    )
    return new_code_cell(source, metadata=_meta(f"test_{problem}", grade=True, locked=True, points=points))


def points_table(rows: list[tuple[int, str, int]]) -> str:
    """The markdown points table for a notebook header: rows of (number, title, points)."""
    lines = ["| Problem | Title | Points |", "|---|---|---|"]
    lines += [f"| {n} | {title} | {points} |" for n, title, points in rows]
    lines.append(f"| | **Total** | **{sum(p for _, _, p in rows)}** |")
    return "\n".join(lines)


def notebook(cells) -> nbformat.NotebookNode:
    nb = new_notebook(cells=list(cells))
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    nb.metadata["language_info"] = dict(LANGUAGE_INFO)
    for i, cell in enumerate(nb.cells):  # stable ids keep the generated release free of churn
        cell["id"] = f"cell-{i:03d}"
    return nb


def write(nb, path: str | Path) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.validate(nb)
    nbformat.write(nb, str(path))
