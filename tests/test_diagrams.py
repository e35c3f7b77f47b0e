"""The course's diagrams: drawn by grader/diagrams.py, committed, shown by the notebooks, and handed out.

Each test is fast (drawing all five diagrams takes a few seconds); none runs a notebook.
"""

import base64
import re
import subprocess
import zipfile

import nbformat
import pytest
from nbconvert.exporters import HTMLExporter
from traitlets.config import Config

from grader import diagrams
from grader.feedback_render import SanitizeNotebook, exporter_config
from grader.lint import image_errors, image_references, lint_source
from grader.paths import NOTEBOOKS, ROOT, SOLUTIONS
from grader.sanitize import course_images, sanitize_html, svg_data_url
from grader.student_dist import NAME, build
from tests.test_redteam import scan

SPRINTS = sorted({sprint for sprint, _ in diagrams.DIAGRAMS})


def committed_files() -> set[str]:
    listed = subprocess.run(["git", "ls-files", "solutions", "notebooks"], cwd=ROOT, capture_output=True, text=True)
    if listed.returncode != 0:
        pytest.skip("not a git checkout: cannot tell committed files from others")
    return set(listed.stdout.splitlines())


def shown_images(folder):
    """(notebook, image path relative to the checkout) for every picture a markdown cell shows."""
    found = []
    for path in sorted(folder.glob("*/*.ipynb")):
        nb = nbformat.read(str(path), as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "markdown":
                found += [(path, (path.parent / target).resolve().relative_to(ROOT))
                          for _, target in image_references(cell.source)]
    return found


@pytest.mark.parametrize("folder", [SOLUTIONS, NOTEBOOKS], ids=["solutions", "notebooks"])
def test_every_image_a_notebook_shows_is_a_committed_file(folder):
    committed = committed_files()
    shown = shown_images(folder)
    assert len(shown) >= len(diagrams.DIAGRAMS), "every diagram is shown by its notebook"
    missing = [f"{nb.name}: {image}" for nb, image in shown
               if str(image) not in committed or not (ROOT / image).is_file()]
    assert not missing, f"images that are not committed files: {missing}"


def test_every_diagram_is_shown_by_its_sprint():
    shown = {(nb.parent.name, image.name) for nb, image in shown_images(SOLUTIONS)}
    for sprint, name in diagrams.DIAGRAMS:
        assert (sprint, f"{name}.svg") in shown, f"{sprint} does not show {name}.svg"


def test_the_committed_diagrams_are_what_the_script_draws(tmp_path):
    """Redrawn byte for byte: run `make diagrams` (python -m grader.diagrams) after changing the script."""
    for path in diagrams.write_all(tmp_path):
        relative = path.relative_to(tmp_path)
        committed = SOLUTIONS / relative
        assert committed.is_file(), f"{relative} is not in solutions/: run `make diagrams`"
        assert committed.read_bytes() == path.read_bytes(), f"{relative} is out of date: run `make diagrams`"
    drawn = {f"{sprint}/diagrams/{name}.svg" for sprint, name in diagrams.DIAGRAMS}
    stray = {str(p.relative_to(SOLUTIONS)) for p in SOLUTIONS.glob("*/diagrams/*")} - drawn
    assert not stray, f"files in a diagrams folder that the script does not draw: {stray}"


def test_drawing_is_byte_stable():
    draw = diagrams.DIAGRAMS[("01_rnn_forward", "rnn_unrolled")]
    first, second = diagrams.svg(draw), diagrams.svg(draw)
    assert first == second and b"<dc:date>" not in first


@pytest.mark.parametrize("sprint", SPRINTS)
def test_the_release_holds_the_diagrams(sprint):
    """nbgrader copies a sprint's other files with its notebook (tests/test_release.py compares a fresh release)."""
    source = sorted(p.name for p in (SOLUTIONS / sprint / "diagrams").glob("*.svg"))
    released = sorted(p.name for p in (NOTEBOOKS / sprint / "diagrams").glob("*.svg"))
    assert source and released == source
    for name in source:
        assert (NOTEBOOKS / sprint / "diagrams" / name).read_bytes() == \
            (SOLUTIONS / sprint / "diagrams" / name).read_bytes(), f"notebooks/{sprint}/diagrams/{name}: make release"


def test_the_student_zip_holds_the_diagrams(tmp_path):
    with zipfile.ZipFile(build(tmp_path)) as archive:
        for sprint, name in diagrams.DIAGRAMS:
            inside = f"{NAME}/notebooks/{sprint}/diagrams/{name}.svg"
            assert archive.read(inside) == (NOTEBOOKS / sprint / "diagrams" / f"{name}.svg").read_bytes()


def lint_with(tmp_path, markdown: str) -> list[str]:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(markdown)])
    return image_errors(nb, tmp_path)


def test_lint_rejects_missing_remote_outside_and_undescribed_images(tmp_path):
    (tmp_path / "diagrams").mkdir()
    (tmp_path / "diagrams" / "cell.svg").write_text("<svg/>")
    (tmp_path.parent / "elsewhere.svg").write_text("<svg/>")
    assert lint_with(tmp_path, "![An LSTM cell with its gates](diagrams/cell.svg)") == []
    cases = {
        "![An LSTM cell with its gates](diagrams/missing.svg)": "no such file",
        "![An LSTM cell with its gates](https://example.org/cell.svg)": "relative path",
        "![An LSTM cell with its gates](/etc/cell.svg)": "relative path",
        "![An LSTM cell with its gates](../elsewhere.svg)": "outside the sprint's folder",
        "![cell](diagrams/cell.svg)": "alt text",
        '<img src="diagrams/gone.svg" alt="a cell">': "no such file",
    }
    for markdown, expected in cases.items():
        errors = lint_with(tmp_path, markdown)
        assert any(expected in e for e in errors), (markdown, errors)


def test_the_release_refuses_a_notebook_whose_diagram_is_missing(tmp_path):
    sprint = tmp_path / "01_x"
    sprint.mkdir()
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("![The RNN, unrolled](diagrams/rnn.svg)")])
    nbformat.write(nb, str(sprint / "01_x.ipynb"))
    assert any("no such file" in e for e in lint_source(sprint / "01_x.ipynb"))


HOSTILE_SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert("xss")</script></svg>'


def test_only_harmless_svg_is_inlined():
    assert svg_data_url(HOSTILE_SVG) is None
    assert svg_data_url(b'<svg><image href="https://example.org/x.png"/></svg>') is None
    assert svg_data_url((SOLUTIONS / "01_rnn_forward/diagrams/rnn_unrolled.svg").read_bytes())
    assert course_images("../solutions") == {} and course_images("05_parameter_counting") == {}


def feedback_page(markdown: str, resources: dict) -> str:
    config = Config()
    exporter_config(config)
    config.HTMLExporter.preprocessors = [SanitizeNotebook]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(markdown)])
    page, _ = HTMLExporter(config=config).from_notebook_node(nb, resources=resources)
    return page


def test_feedback_shows_the_course_diagram_and_no_svg_of_the_student():
    """The page shows the course's own file, read from the course, as a data: picture (the pages' CSP
    allows img-src data:); a student's SVG, inline or named, is dropped."""
    student_svg = "data:image/svg+xml;base64," + base64.b64encode(HOSTILE_SVG).decode()
    markdown = ("![The RNN, unrolled over three steps](diagrams/rnn_unrolled.svg)\n\n"
                f"![my own picture, inlined]({student_svg})\n\n![a file of mine](diagrams/mine.svg)")
    page = feedback_page(markdown, {"nbgrader": {"assignment": "01_rnn_forward"}})
    course = course_images("01_rnn_forward")["diagrams/rnn_unrolled.svg"]
    sources = re.findall(r'<img[^>]*\bsrc="([^"]*)"', page)
    assert sources == [course], [s[:60] for s in sources]
    assert scan(page).live == []
    # another sprint's page does not resolve this sprint's names; the picture is simply left out
    other = feedback_page(markdown, {"metadata": {"path": "/x/autograded/ann/02_rnn_backward"}})
    assert re.findall(r'<img[^>]*\bsrc="([^"]*)"', other) == []


def test_the_sanitiser_keeps_a_course_diagram_on_a_second_pass():
    course = course_images("03_lstm_forward")["diagrams/lstm_cell.svg"]
    html = f'<p><img alt="an LSTM cell" src="{course}"></p>'
    assert sanitize_html(html) == html  # nbconvert's clean_html runs over the rendered markdown again
    assert "src=" not in sanitize_html(f'<img src="{course[:-8]}AAAAAAAA">')  # a look-alike is not the file
