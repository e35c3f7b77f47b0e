"""While grading, a grade cell's visible check runs in a cell of its own, apart from its hidden tests."""

import nbformat
from nbgrader.preprocessors import NbGraderPreprocessor
from nbgrader.utils import is_grade

from .lint import BEGIN_HIDDEN


def split_visible_part(source: str) -> tuple[str, str]:
    """A grade cell's source as (visible check, hidden part).

    The hidden part starts at the comment lines right above ``### BEGIN HIDDEN TESTS``; everything
    before them is the problem's visible check ("" when the cell has none).
    """
    lines = source.splitlines()
    if BEGIN_HIDDEN not in (line.strip() for line in lines):
        return "", source
    start = [line.strip() for line in lines].index(BEGIN_HIDDEN)
    while start > 0 and lines[start - 1].lstrip().startswith("#"):
        start -= 1
    return "\n".join(lines[:start]).strip("\n"), "\n".join(lines[start:])


class SplitVisibleChecks(NbGraderPreprocessor):
    """While grading, run a grade cell's visible check in a cell of its own, just above it.

    In the notebooks, each autograded cell holds the problem's visible check and then its hidden
    tests, so that Validate (which scores grade cells) fails exactly the problems whose visible
    checks fail. When grading, the points come from the hidden tests alone: this step, placed after
    nbgrader's OverwriteCells (which restores the instructor's source of every grade cell), moves
    the visible check into an ungraded cell. The grade cell then runs only ``check(...)``, and
    nbgrader's score of it is what the judge's verdict is compared with.
    """

    def preprocess(self, nb, resources):
        cells = []
        for cell in nb.cells:
            graded = cell.cell_type == "code" and is_grade(cell)
            visible, hidden = split_visible_part(cell.source) if graded else ("", "")
            if visible:
                cells.append(nbformat.v4.new_code_cell(visible, id=f"{cell.get('id', 'cell')}-visible"[:64]))
                cell.source = hidden
            cells.append(cell)
        nb.cells = cells
        return nb, resources


def sanitize_steps() -> list:
    """nbgrader's steps before a submission runs, with the visible checks split off the grade cells."""
    from nbgrader.converters import Autograde
    from nbgrader.preprocessors import OverwriteCells

    steps = list(Autograde.class_traits()["sanitize_preprocessors"].default())
    steps.insert(steps.index(OverwriteCells) + 1, SplitVisibleChecks)
    return steps
