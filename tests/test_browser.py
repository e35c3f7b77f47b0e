"""A student's path through JupyterLab in a real browser (headless Chromium, tests/browser.py).

Open sprint 01: its diagram loads. Run All: it stops at problem 1 with its NotImplementedError. Validate the untouched
notebook: the dialog lists the failing problems. Put in the answers of problems 1 and 2, run all
again: the ticks of their visible checks and the plot that uses them. Validate a solved copy:
Success. The student's JupyterLab has no instructor tools. Screenshots of each step are saved in
the test's temporary folder (``screenshots/``).
"""

import shutil

import nbformat
import pytest

from examples.build_sample_class import answers, filled
from grader.paths import NOTEBOOKS
from tests.browser import Browser, lab_log, require_chromium, start_lab

SPRINT = "01_rnn_forward"
NOTEBOOK = f"{SPRINT}/{SPRINT}.ipynb"


@pytest.fixture(scope="module")
def session(tmp_path_factory):
    require_chromium()
    tmp = tmp_path_factory.mktemp("browser")
    root = tmp / "course"
    shutil.copytree(NOTEBOOKS / SPRINT, root / SPRINT)
    (root / "solved").mkdir()
    nbformat.write(filled(SPRINT), str(root / "solved" / f"{SPRINT}.ipynb"))
    lab = start_lab(root)
    browser = Browser(screenshots=tmp / "screenshots", profile=tmp / "chromium-profile")
    try:
        yield browser, lab
    finally:
        browser.quit()
        lab.stop()
        print(f"screenshots in {tmp / 'screenshots'}")


def index_of(sources, text, start=0):
    return next(i for i, s in enumerate(sources) if i >= start and text in s)


def run_all(browser, until, what):
    """Run → Run All Cells; wait until ``until()`` shows the expected result and the kernel settles."""
    browser.menu("Run", "Run All Cells")
    found = browser.wait(until, timeout=240, what=what)
    browser.wait(browser.settled, timeout=240, what="Run All to finish")
    return found


def test_a_students_path_through_sprint_01(session):
    browser, lab = session
    browser.open_notebook(lab, NOTEBOOK)
    assert browser.plugins("@jupyter/nbgrader:formgrader", "@jupyter/nbgrader:create-assignment",
                           "@jupyter/nbgrader:course-list", "@jupyter/nbgrader:assignment-list",
                           "@jupyter/nbgrader:validate-assignment") == {
        "@jupyter/nbgrader:formgrader": False, "@jupyter/nbgrader:create-assignment": False,
        "@jupyter/nbgrader:course-list": False, "@jupyter/nbgrader:assignment-list": False,
        "@jupyter/nbgrader:validate-assignment": True}, "a student sees Validate and no instructor tools"
    browser.screenshot("01-opened")

    sources = browser.cell_sources()
    diagram = index_of(sources, "](diagrams/rnn_unrolled.svg)")
    widths = browser.wait(lambda: browser.markdown_images(diagram), timeout=30, what="the diagram")
    assert widths[0] > 300, f"the diagram does not load: naturalWidth {widths}"
    browser.screenshot("01-diagram")
    problem_1 = index_of(sources, "# Hidden tests for `rnn_step_forward`")
    problem_2 = index_of(sources, "# Hidden tests for `rnn_forward`")
    plot = index_of(sources, "plt.show()", problem_2)

    text = run_all(browser, lambda: browser.cell_text(problem_1), "the output of problem 1")
    assert "NotImplementedError" in text, text
    browser.screenshot("02-run-all-stops-at-problem-1")
    assert browser.cell_text(problem_2) == "", "Run All stops at the first unsolved problem"

    browser.click(".validate-button")
    report = browser.dialog_text()
    browser.screenshot("03-validate-untouched")
    assert "Success" not in report, report
    for problem in ("rnn_step_forward", "rnn_forward", "softmax", "rnn_output_shape"):
        assert f"# Hidden tests for `{problem}`" in report, f"{problem} missing from:\n{report}"
    assert "NotImplementedError" in report
    browser.close_dialog()

    solved = answers(SPRINT)
    for grade_id in ("answer_rnn_step_forward", "answer_rnn_forward"):
        index = index_of(sources, f"def {grade_id.removeprefix('answer_')}(")
        browser.set_source(index, solved[grade_id])
    run_all(browser, lambda: "✓" in browser.cell_text(problem_2), "the ticks of problem 2")
    text = browser.cell_text(problem_1)
    assert "✓ h_next" in text and "Error" not in text, text
    browser.screenshot("04-problem-1-solved")
    assert "✓ h" in browser.cell_text(problem_2)
    widths = browser.wait(lambda: browser.cell_images(plot), timeout=30, what="the plot image")
    assert widths[0] > 300, widths
    browser.screenshot("05-plot")

    browser.open_notebook(lab, f"solved/{SPRINT}.ipynb")
    browser.click(".validate-button")
    report = browser.dialog_text()
    browser.screenshot("06-validate-solved")
    assert "Success! Your notebook passes all the tests." in report, report + lab_log(lab)
    browser.close_dialog()
