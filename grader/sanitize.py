"""Making text and HTML that came from a student's code safe to store and to show.

Anything a submission produced (an exception's message, printed output, HTML it displayed, its
markdown) is untrusted: it may hold lone surrogates or control characters that break a CSV or a
UTF-8 file, be megabytes long, or carry scripts that would run in the instructor's browser.

- :func:`clean_text` before storing or reporting any text from student code;
- :func:`sanitize_html` before putting student HTML into a page;
- :func:`sanitize_notebook` before rendering a notebook a student's code ran in (feedback,
  Formgrader): the same rules for its markdown, outputs and metadata;
- :data:`CSP` in every page the grader writes (:func:`with_csp`), as a second wall: no script runs there.

The course's own diagrams (``solutions/<sprint>/diagrams/*.svg``) are the one exception to "no SVG from
a notebook": a markdown cell that names one (``diagrams/lstm_cell.svg``) shows it in the page as a
``data:`` picture, read from the course's files, never from the submission (:func:`course_images`).
"""

from __future__ import annotations

import base64
import functools
import re
from pathlib import Path

import bleach
from bleach.css_sanitizer import CSSSanitizer

MESSAGE_CHARS = 2000  # longest message from student code kept in a report

# C0 controls but tab, newline and carriage return, DEL and C1 controls: they garble terminals and CSV viewers
_SURROGATE = re.compile("[\ud800-\udfff]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")

# What a notebook's output may keep: text, tables, images (plots), maths; no script, style sheet,
# iframe, form, object or event handler.
ALLOWED_TAGS = frozenset({
    "a", "abbr", "b", "blockquote", "br", "caption", "code", "col", "colgroup", "dd", "del", "details",
    "div", "dl", "dt", "em", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i",
    "img", "ins", "kbd", "li", "ol", "p", "pre", "q", "s", "samp", "small", "span", "strong", "sub",
    "summary", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul", "var",
})
# Presentation MathML, which the feedback pages use for maths (rendered by the browser, no script).
# Not annotation-xml, semantics or maction: they can carry HTML or behaviour.
MATHML_TAGS = frozenset({
    "math", "menclose", "merror", "mfrac", "mi", "mn", "mo", "mover", "mpadded", "mphantom", "mroot",
    "mrow", "ms", "mspace", "msqrt", "mstyle", "msub", "msubsup", "msup", "mtable", "mtd", "mtext", "mtr",
    "munder", "munderover",
})
MATHML_ATTRIBUTES = [
    "accent", "accentunder", "columnalign", "columnspan", "depth", "display", "displaystyle", "fence", "form",
    "height", "largeop", "linethickness", "lspace", "mathvariant", "maxsize", "minsize", "movablelimits",
    "notation", "rowalign", "rowspan", "rspace", "scriptlevel", "separator", "stretchy", "symmetric", "width",
    "xmlns",
]
MATHML_NAMESPACE = "http://www.w3.org/1998/Math/MathML"
ALLOWED_ATTRIBUTES = {
    "*": ["class", "title", "style", "align"],
    "a": ["href", "title"],
    "img": ["src", "alt", "width", "height"],
    "td": ["colspan", "rowspan"],
    "th": ["colspan", "rowspan", "scope"],
}
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto", "data"})
_SAFE_DATA_IMAGE = re.compile(r"^data:image/(png|jpeg|gif|webp);base64,[A-Za-z0-9+/=\s]*$", re.I)

# Pages the grader writes allow no script at all; images only from data: URLs (embedded plots).
CSP = ("default-src 'none'; img-src data:; style-src 'unsafe-inline'; font-src data:; "
       "base-uri 'none'; form-action 'none'")
CSP_META = f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'


# What an SVG shown as a picture must not contain, even though an <img> never runs it and the CSP forbids
# scripts: a course diagram holding any of these is not inlined.
_SVG_ACTIVE = re.compile(r"<script|<foreignObject|<iframe|\son[a-z]+\s*=|javascript:|"
                         r"(?:href|src)\s*=\s*[\"'](?!#)", re.I)
_IMG_SRC = re.compile(r'(<img\b[^>]*?\bsrc=")([^"]*)(")', re.I)


def svg_data_url(svg: bytes) -> str | None:
    """An SVG file as a ``data:`` URL for an <img>, or None when it holds anything active or external."""
    text = svg.decode("utf-8", "replace")
    if "<svg" not in text or _SVG_ACTIVE.search(text):
        return None
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")


@functools.lru_cache(maxsize=None)
def course_images(assignment_id: str) -> dict[str, str]:
    """The diagrams of one sprint of the course: ``"diagrams/<name>.svg"`` -> its ``data:`` URL.

    Read from the course's source folder; an unknown assignment id has none (an id is never a path).
    """
    from .paths import SOLUTIONS, assignment_ids

    try:
        if assignment_id not in assignment_ids(SOLUTIONS):
            return {}
    except OSError:  # no course source here: nothing to show
        return {}
    images = {}
    for path in sorted((SOLUTIONS / assignment_id / "diagrams").glob("*.svg")):
        url = svg_data_url(path.read_bytes())
        if url:
            images[f"diagrams/{path.name}"] = url
    return images


@functools.lru_cache(maxsize=None)
def _course_image_urls() -> frozenset[str]:
    from .paths import SOLUTIONS, assignment_ids

    try:
        assignments = assignment_ids(SOLUTIONS)
    except OSError:
        return frozenset()
    return frozenset(url for a in assignments for url in course_images(a).values())


def assignment_of(resources: dict) -> str | None:
    """The assignment an nbconvert run renders: nbgrader says so, else the notebook's folder is named after it."""
    named = (resources.get("nbgrader") or {}).get("assignment")
    folder = (resources.get("metadata") or {}).get("path")
    return named or (Path(folder).name if folder else None)


def clean_text(text: object, limit: int = MESSAGE_CHARS) -> str:
    """``text`` as valid UTF-8 without control characters, at most ``limit`` characters long."""
    if not isinstance(text, str):
        text = str(text)
    # lone surrogates (e.g. '\\ud800') cannot be encoded as UTF-8 (a str holds no valid pair)
    text = _SURROGATE.sub("\N{REPLACEMENT CHARACTER}", text)
    text = _CONTROL.sub("\N{REPLACEMENT CHARACTER}", text)
    if len(text) > limit:
        cut = len(text) - limit
        text = text[:limit] + f" … [{cut:,} more characters not shown]"
    return text


def _keep_attribute(tag: str, name: str, value: str) -> bool:
    if tag in MATHML_TAGS:
        return name in MATHML_ATTRIBUTES and (name != "xmlns" or value == MATHML_NAMESPACE)
    if name not in ALLOWED_ATTRIBUTES.get(tag, []) + ALLOWED_ATTRIBUTES["*"]:
        return False
    if tag == "img" and name == "src":  # an embedded picture or a course diagram; never a remote fetch
        return bool(_SAFE_DATA_IMAGE.match(value)) or value in _course_image_urls()
    if tag == "a" and name == "href":
        return not value.strip().lower().startswith("data:")
    return True


_CSS = CSSSanitizer(allowed_css_properties=[
    "color", "background-color", "font-weight", "font-style", "text-align", "text-decoration",
    "border", "border-collapse", "padding", "margin", "width", "height", "max-width",
])


def sanitize_html(fragment: str) -> str:
    """``fragment`` with only harmless markup left: no script, handler, frame, form or javascript: URL.

    Disallowed tags are removed together with their text when they hold code (script, style) and
    escaped otherwise, so nothing a student wrote disappears silently.
    """
    fragment = clean_text(fragment, limit=10**9)
    fragment = re.sub(r"<(script|style)\b[^>]*>.*?</\1\s*>", "", fragment, flags=re.I | re.S)
    return bleach.clean(fragment, tags=ALLOWED_TAGS | MATHML_TAGS, attributes=_keep_attribute,
                        protocols=ALLOWED_PROTOCOLS,
                        css_sanitizer=_CSS, strip=False, strip_comments=True)


def with_csp(page: str) -> str:
    """A whole HTML page with :data:`CSP_META` as the first element of its head (added once)."""
    if CSP_META in page:
        return page
    head = re.search(r"<head\b[^>]*>", page, flags=re.I)
    if head is None:
        return CSP_META + page
    return page[:head.end()] + CSP_META + page[head.end():]


# ------------------------------------------------------------------------------ notebooks

# Output data a feedback page may show. Text and LaTeX are escaped by nbconvert's templates; PNG and
# JPEG are embedded as data: URLs; SVG is embedded as an <img> (a picture: its scripts never run).
# Everything else (JavaScript, widgets, Mermaid, unknown types) is dropped.
_KEPT_OUTPUT_DATA = frozenset({"text/plain", "text/latex", "image/png", "image/jpeg", "image/svg+xml"})
_KEPT_OUTPUT_METADATA = frozenset({"width", "height", "needs_background", "unconfined"})
_BASE64 = re.compile(r"^[A-Za-z0-9+/=\s]*$")
_CELL_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_KEPT_NOTEBOOK_METADATA = ("kernelspec", "language_info", "nbgrader")


def markdown_as_html(source: str, images: dict[str, str] | None = None) -> str:
    """:func:`_markdown_as_html`, remembered: the release's markdown recurs in every submission."""
    return _markdown_as_html(source, tuple(sorted((images or {}).items())))


@functools.lru_cache(maxsize=1024)
def _markdown_as_html(source: str, images: tuple[tuple[str, str], ...]) -> str:
    """Markdown rendered to safe HTML, in a form that renders as itself when read as markdown again.

    nbconvert's templates run markdown through ``markdown2html``, which keeps raw HTML and turns
    ``[x](javascript:...)`` into a live link. So the markdown is rendered here, sanitised, and put in
    one ``<div>`` on one line (newlines as ``&#10;``): a markdown renderer passes such an HTML block
    through unchanged, whatever text it holds. A picture whose address is a key of ``images`` (a course
    diagram, :func:`course_images`) is shown from that ``data:`` URL.
    """
    from nbconvert.filters.markdown import markdown2html

    html = markdown2html(clean_text(source, limit=10**9))
    if images:
        urls = dict(images)
        html = _IMG_SRC.sub(lambda m: m[1] + urls.get(m[2], m[2]) + m[3], html)
    rendered = sanitize_html(html)
    return '<div class="sanitized-markdown">' + rendered.replace("\r", "").replace("\n", "&#10;") + "</div>"


def _valid_text(text: object) -> str:
    """Text as valid UTF-8, terminal colours kept (nbconvert turns them into escaped HTML)."""
    text = text if isinstance(text, str) else "".join(map(str, text)) if isinstance(text, list) else str(text)
    return _SURROGATE.sub("\N{REPLACEMENT CHARACTER}", text)


def _sanitize_output(output: dict) -> dict | None:
    kind = output.get("output_type")
    if kind == "stream":
        output["name"] = "stderr" if output.get("name") == "stderr" else "stdout"
        output["text"] = _valid_text(output.get("text", ""))
        return output
    if kind == "error":
        output["ename"] = clean_text(output.get("ename", ""), limit=200)
        output["evalue"] = clean_text(output.get("evalue", ""), limit=MESSAGE_CHARS)
        traceback = output.get("traceback")
        output["traceback"] = [_valid_text(line) for line in traceback] if isinstance(traceback, list) else []
        return output
    if kind not in ("display_data", "execute_result"):
        return None
    data = dict(output.get("data") or {})
    kept = {}
    for mime, value in data.items():
        if isinstance(value, list):
            value = "".join(str(v) for v in value)
        if not isinstance(value, str):
            continue
        if mime == "text/html":
            kept[mime] = sanitize_html(value)
        elif mime == "text/markdown":
            kept["text/html"] = markdown_as_html(value)
        elif mime in ("image/png", "image/jpeg"):
            if _BASE64.match(value):
                kept[mime] = value
        elif mime in _KEPT_OUTPUT_DATA:
            kept[mime] = clean_text(value, limit=10**9)
    if "text/html" in kept:  # one rich form is enough; keep the plain one only if nothing else is left
        kept.pop("text/markdown", None)
    output["data"] = kept
    metadata = output.get("metadata") or {}
    output["metadata"] = {
        mime: {k: v for k, v in value.items() if k in _KEPT_OUTPUT_METADATA and isinstance(v, (int, float, str))
               and re.fullmatch(r"[\w.-]{0,20}", str(v))}
        for mime, value in metadata.items() if mime in kept and isinstance(value, dict)
    }
    if kind == "execute_result":
        count = output.get("execution_count")
        output["execution_count"] = count if type(count) is int else None
    return output if kept else None


def sanitize_notebook(nb, images: dict[str, str] | None = None) -> None:
    """Make a notebook that student code ran in safe to render as HTML, in place.

    Markdown and raw cells become sanitised HTML; outputs keep text, errors and images (PNG, JPEG,
    SVG as a picture) and sanitised HTML; JavaScript, widgets and unknown output types are dropped;
    cell ids, tags, prompts and notebook metadata that a template might print are reduced to what is
    known to be harmless. ``images`` are the course diagrams the markdown may show
    (:func:`course_images`); any other picture a markdown cell names is dropped.
    """
    from nbformat import from_dict

    nb.metadata = type(nb.metadata)({k: v for k, v in nb.metadata.items() if k in _KEPT_NOTEBOOK_METADATA})
    for index, cell in enumerate(nb.cells):
        if "id" in cell and not (isinstance(cell["id"], str) and _CELL_ID.match(cell["id"])):
            cell["id"] = f"cell-{index}"
        cell.metadata = type(cell.metadata)({k: v for k, v in cell.metadata.items()
                                             if k in ("nbgrader", "rnn_course", "deletable", "editable")})
        cell.pop("attachments", None)
        if cell.cell_type == "markdown":
            cell.source = markdown_as_html(cell.source, images)
        elif cell.cell_type == "raw":
            cell.source = sanitize_html(cell.source)
        elif cell.cell_type == "code":
            count = cell.get("execution_count")
            cell["execution_count"] = count if type(count) is int else None
            outputs = [_sanitize_output(dict(output)) for output in cell.get("outputs", [])
                       if isinstance(output, dict)]
            cell.outputs = [from_dict(output) for output in outputs if output is not None]
    return nb
