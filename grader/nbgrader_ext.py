"""Small extensions to nbgrader's autograde and feedback pipelines."""

import nbformat
from nbgrader.preprocessors import NbGraderPreprocessor
from nbgrader.utils import is_grade


class StderrIsNotFailure(NbGraderPreprocessor):
    """Relabel stderr output of grade cells as stdout, before nbgrader scores them.

    nbgrader scores a grade cell 0 when it wrote anything to stderr. TensorFlow writes log lines
    to stderr from background threads, and they land in whichever cell is running; a correct
    answer must not lose its points to them. A failed check raises, which is what decides the
    score. The text stays visible in the feedback.
    """

    def preprocess_cell(self, cell, resources, cell_index):
        stderr_is_not_failure(cell)
        return cell, resources


def stderr_is_not_failure(cell) -> None:
    """Relabel a grade cell's stderr as stdout."""
    if cell.cell_type == "code" and is_grade(cell):
        for output in cell.outputs:
            if output.output_type == "stream" and output.name == "stderr":
                output.name = "stdout"


def validate_with_stderr_allowed() -> None:
    """Make nbgrader's Validate (toolbar button and ``nbgrader validate``) run StderrIsNotFailure.

    The Validator's steps (CheckCellMetadata, ClearOutput, Execute) are a fixed list, not a
    setting, and Execute's per-cell hook is taken by nbgrader itself: the student's nbgrader
    settings call this to append the step to that list's default.
    """
    from nbgrader.validator import Validator

    steps = Validator.class_traits()["preprocessors"]
    if StderrIsNotFailure not in steps.default():
        steps.default_args = ([*steps.default(), StderrIsNotFailure],)  # what a new Validator starts with


HIDDEN_NOTE = "# The hidden tests of this problem ran here. What the grader found:"


class ShowVerdicts(NbGraderPreprocessor):
    """In the feedback, a grade cell shows the grader's verdict, never its hidden test code.

    The worker puts each verdict into the cell's metadata (``rnn_course``) before the feedback is
    generated; the cell's own outputs (which the notebook could have faked) are replaced by it.
    """

    def preprocess_cell(self, cell, resources, cell_index):
        if cell.cell_type == "code" and is_grade(cell):
            verdict = cell.metadata.get("rnn_course", {"status": "not run", "message": "no verdict was recorded"})
            cell.source = HIDDEN_NOTE
            text = f"{verdict['status'].upper()}: {verdict['message']}\n"
            cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=text)]
        return cell, resources


BEGIN_HIDDEN = "### BEGIN HIDDEN TESTS"


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
