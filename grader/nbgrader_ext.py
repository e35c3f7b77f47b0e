"""Small extensions to nbgrader's autograde and feedback pipelines."""

import functools
import html
import re

import nbformat
from nbgrader.preprocessors import NbGraderPreprocessor
from nbgrader.utils import is_grade

from .verdicts import verdict_html


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

    The worker puts each verdict and the problem's title into the cell's metadata (``rnn_course``)
    before the feedback is generated; the cell's own outputs (which the notebook could have faked)
    are replaced by it: an HTML box for the page and the same text as plain text. The page's title
    and Content-Security-Policy go into the resources for the course's feedback template.
    """

    def preprocess(self, nb, resources):
        from .sanitize import CSP_META
        from .titles import assignment_title

        assignment = resources.get("nbgrader", {}).get("assignment", "")
        resources["rnn_course"] = {"title": html.escape(assignment_title(assignment) if assignment else ""),
                                   "csp_meta": CSP_META}
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell, resources, cell_index):
        if cell.cell_type == "code" and is_grade(cell):
            verdict = cell.metadata.get("rnn_course", {"status": "not run", "message": "no verdict was recorded"})
            title = verdict.get("title") or cell.metadata["nbgrader"].get("grade_id", "")
            cell.source = HIDDEN_NOTE
            text = f"{verdict['status'].upper()}: {title}: {verdict['message']}\n"
            cell.outputs = [nbformat.v4.new_output("display_data", data={
                "text/html": verdict_html(title, verdict["status"], verdict["message"]),
                "text/plain": text})]
        return cell, resources


# Maths in markdown: $...$ and $$...$$ (not inside `code`), converted to MathML, which browsers
# render natively: the page needs no MathJax, no script and no network.
_CODE = re.compile(r"(```.*?```|~~~.*?~~~|`[^`\n]*`)", re.S)
_MATH = re.compile(r"(?<![\\$])\$\$(.+?)\$\$|(?<![\\$])\$(?!\s)([^$\n]+?)(?<!\s)\$(?!\d)", re.S)
_TEXT = re.compile(r">([^<]+)<")


def latex_to_mathml(latex: str, display: bool) -> str | None:
    """MathML for ``latex``, or None when it cannot be converted (the text then stays as it is)."""
    from latex2mathml.converter import convert

    try:
        mathml = convert(latex, display="block" if display else "inline")
    except Exception:  # latex2mathml raises many kinds of errors on input it does not know
        return None
    mathml = re.sub(r"\s(href|xlink:href|src)=\"[^\"]*\"", "", mathml)  # MathML needs no links
    mathml = mathml.replace(' xmlns="http://www.w3.org/1998/Math/MathML"', "")  # implied in HTML
    # markdown must not read _ or * between the tags as emphasis
    return _TEXT.sub(lambda m: ">" + m.group(1).replace("_", "&#95;").replace("*", "&#42;") + "<", mathml)


@functools.lru_cache(maxsize=1024)  # the release's cells recur in every submission (see feedback_render.warm_up)
def markdown_maths_to_mathml(source: str) -> str:
    def replace(match):
        display = match.group(1) is not None
        mathml = latex_to_mathml(match.group(1) if display else match.group(2), display)
        if mathml is None:
            return match.group(0)
        return f"\n\n<div class=\"math-display\">{mathml}</div>\n\n" if display else mathml

    pieces = _CODE.split(source)  # odd pieces are code: left alone
    return "".join(p if i % 2 else _MATH.sub(replace, p) for i, p in enumerate(pieces))


class MathToMathML(NbGraderPreprocessor):
    """Markdown cells' LaTeX maths as MathML, for feedback pages that render it offline and script-free."""

    def preprocess_cell(self, cell, resources, cell_index):
        if cell.cell_type == "markdown" and "$" in cell.source:
            cell.source = markdown_maths_to_mathml(cell.source)
        return cell, resources
