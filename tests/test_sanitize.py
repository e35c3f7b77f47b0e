"""grader/sanitize.py on its own: text that can always be stored, HTML and notebooks that cannot run code.

The graded classes in test_redteam.py check the pages end to end; these tests pin each rule, fast.
"""

import nbformat
from nbconvert.exporters import HTMLExporter
from traitlets.config import Config

from grader.feedback_render import SanitizeNotebook, exporter_config
from grader.sanitize import CSP_META, clean_text, markdown_as_html, sanitize_html, sanitize_notebook, with_csp
from tests.test_redteam import scan

PAYLOADS = ("<script>alert('xss')</script>", "<img src=x onerror=\"alert('xss')\">",
            "<iframe srcdoc=\"<script>alert('xss')</script>\"></iframe>", "<a href=\"javascript:alert('xss')\">a</a>",
            "<a href=\" JaVaScRiPt:alert('xss')\">b</a>", "<form action=x><button formaction=x>c</button></form>",
            "<svg onload=\"alert('xss')\"></svg>", "<object data=\"javascript:alert('xss')\"></object>")


def test_clean_text_can_always_be_written_and_is_capped():
    text = clean_text("a \ud800 b \x00\x1b[31m c\r\n" + "x" * 5000)
    text.encode("utf-8")
    assert text.startswith("a \N{REPLACEMENT CHARACTER} b \N{REPLACEMENT CHARACTER}\N{REPLACEMENT CHARACTER}[31m c\r\n")
    assert len(text) < 2100 and "more characters not shown" in text


def test_sanitize_html_keeps_markup_and_drops_code():
    for payload in PAYLOADS:
        assert scan(sanitize_html(payload)).live == [], payload
    kept = sanitize_html("<table><tr><td><b>1</b></td></tr></table><img src=\"data:image/png;base64,AAAA\">")
    assert "<b>1</b>" in kept and 'src="data:image/png;base64,AAAA"' in kept


def test_markdown_renders_safely_even_when_read_as_markdown_again():
    """nbconvert's templates render markdown cells with markdown2html, which makes [x](javascript:...)
    a live link: the sanitised HTML must render as itself, blank lines in code blocks included."""
    from nbconvert.filters.markdown import markdown2html

    source = "# T\n\n[x](javascript:alert('xss'))\n\n```\ncode\n\n[y](javascript:alert('xss'))\n```\n" + PAYLOADS[1]
    once = markdown_as_html(source)
    assert scan(once).live == [] and scan(markdown2html(once)).live == []
    assert markdown2html(once).strip() == once


def notebook_with_everything():
    nb = nbformat.v4.new_notebook()
    state = {"state": {"x": "<script>alert('xss')</script>"}}
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": state}
    outputs = [
        nbformat.v4.new_output("display_data", data={"text/html": "".join(PAYLOADS) + "<b>kept</b>"}),
        nbformat.v4.new_output("display_data", data={"application/javascript": "alert('xss')"}),
        nbformat.v4.new_output("display_data", data={"text/markdown": "[m](javascript:alert('xss'))"}),
        nbformat.v4.new_output("display_data", data={"application/vnd.jupyter.widget-view+json": {"model_id": "x"}}),
        nbformat.v4.new_output("display_data", data={"text/vnd.mermaid": "<script>alert('xss')</script>"}),
        nbformat.v4.new_output("display_data", data={"image/png": "iVBORw0KGgo="},
                               metadata={"image/png": {"width": "1\" onload=\"alert('xss')"}}),
        nbformat.v4.new_output("error", ename="E", evalue="<script>alert('xss')</script>", traceback=["\ud800"]),
    ]
    nb.cells = [nbformat.v4.new_markdown_cell("".join(PAYLOADS)), nbformat.v4.new_raw_cell(PAYLOADS[0]),
                nbformat.v4.new_code_cell("x", outputs=outputs)]
    nb.cells[1].metadata["raw_mimetype"] = "text/html"
    nb.cells[0].metadata["tags"] = ["\"><script>alert('xss')</script>"]
    return nb


def test_a_sanitised_notebook_renders_without_live_code():
    nb = notebook_with_everything()
    sanitize_notebook(nb)
    assert "widgets" not in nb.metadata
    assert [list(o.get("data", {})) for o in nb.cells[2].outputs] == [["text/html"], ["text/html"], ["image/png"], []]
    config = Config()
    exporter_config(config)
    config.HTMLExporter.preprocessors = [SanitizeNotebook]
    page, _ = HTMLExporter(config=config).from_notebook_node(notebook_with_everything())
    assert "<b>kept</b>" in page and "data:image/png;base64,iVBORw0KGgo=" in page
    assert scan(page).live == []


def test_csp_is_added_once_to_the_head():
    page = with_csp("<html><head><title>t</title></head><body></body></html>")
    assert page.index(CSP_META) < page.index("<title>") and with_csp(page) == page
    assert scan(page).csp


def test_maths_as_mathml_survive_and_carry_nothing_live():
    from latex2mathml.converter import convert

    maths = convert(r"h_t = \tanh(x_t W_x + h_{t-1} W_h + b)")
    kept = sanitize_html(f"<p>{maths}</p>")
    assert "<math" in kept and "<msub><mi>h</mi><mi>t</mi></msub>" in kept
    hostile = sanitize_html('<math xmlns="http://evil"><mi href="javascript:alert(1)" onclick="x()">a</mi>'
                            '<annotation-xml encoding="text/html"><img src=x onerror="alert(2)"></annotation-xml>'
                            "</math>")
    assert "javascript:" not in hostile and "onclick" not in hostile and "onerror" not in hostile
    assert "<annotation-xml" not in hostile and "http://evil" not in hostile
