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
