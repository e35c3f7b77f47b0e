"""The feedback page's own exporter and the worker's head start, against nbconvert's way."""

import base64
import copy

import nbformat
from nbconvert.exporters import HTMLExporter
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output
from traitlets.config import Config

from grader.feedback_render import NO_ALT_TEXT, FeedbackExporter, warm_up
from grader.nbgrader_ext import markdown_maths_to_mathml
from grader.paths import NOTEBOOKS
from grader.sanitize import _markdown_as_html, course_images, sanitize_notebook

PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\0" * 16).decode()


def notebook():
    picture = new_output("display_data", data={"image/png": PNG, "text/plain": "<Figure>"})
    return new_notebook(cells=[new_markdown_cell("Some *text* and $x_t$."),
                               new_code_cell("plot()", outputs=[picture])],
                        metadata={"language_info": {"name": "python"}})


def test_pictures_without_a_description_get_nbconverts_alt_text():
    page, _ = FeedbackExporter(config=Config(), template_name="classic").from_notebook_node(notebook())
    nbconvert_page, _ = HTMLExporter(config=Config(), template_name="classic").from_notebook_node(notebook())
    assert f'alt="{NO_ALT_TEXT}"' in page and NO_ALT_TEXT in nbconvert_page
    assert page.count("<img") == nbconvert_page.count("<img") == page.count("alt=")
    assert "plot" in page and "image/png" in page


def test_a_described_picture_keeps_its_description():
    nb = notebook()
    nb.cells[0].source = '<img src="data:image/png;base64,AAAA" alt="the loss curve">'
    page, _ = FeedbackExporter(config=Config(), template_name="classic").from_notebook_node(nb)
    assert 'alt="the loss curve"' in page and page.count("alt=") == page.count("<img")


def test_the_head_start_gives_the_pages_the_same_cells():
    assignment = "01_rnn_forward"
    release = NOTEBOOKS / assignment / f"{assignment}.ipynb"
    _markdown_as_html.cache_clear()
    markdown_maths_to_mathml.cache_clear()
    cold = nbformat.read(str(release), as_version=4)
    for cell in cold.cells:
        if cell.cell_type == "markdown":
            cell.source = markdown_maths_to_mathml(cell.source)
    sanitize_notebook(cold, course_images(assignment))
    _markdown_as_html.cache_clear()
    markdown_maths_to_mathml.cache_clear()

    warm_up(release, assignment)
    assert _markdown_as_html.cache_info().currsize > 10  # the release's markdown is remembered
    warm = nbformat.read(str(release), as_version=4)
    for cell in warm.cells:
        if cell.cell_type == "markdown":
            cell.source = markdown_maths_to_mathml(cell.source)
    hits = _markdown_as_html.cache_info().hits
    sanitize_notebook(warm, course_images(assignment))
    assert _markdown_as_html.cache_info().hits > hits
    assert [c.source for c in warm.cells] == [c.source for c in cold.cells]


def test_templates_compiled_once_render_the_same_page():
    from grader.feedback_render import COMPILED_TEMPLATES

    COMPILED_TEMPLATES.compiled.clear()
    nb = notebook()
    first, _ = FeedbackExporter(config=Config(), template_name="classic").from_notebook_node(copy.deepcopy(nb))
    assert COMPILED_TEMPLATES.compiled  # kept for the next exporter
    kept = dict(COMPILED_TEMPLATES.compiled)
    exporter = FeedbackExporter(config=Config(), template_name="classic")
    assert exporter.compile_templates() >= 3  # index, base and what they import
    assert COMPILED_TEMPLATES.compiled == kept  # nothing compiled again
    second, _ = exporter.from_notebook_node(copy.deepcopy(nb))
    assert second == first
