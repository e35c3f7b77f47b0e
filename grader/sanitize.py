"""Making text and HTML that came from a student's code safe to store and to show.

Anything a submission produced (an exception's message, printed output, HTML it displayed, its
markdown) is untrusted: it may hold lone surrogates or control characters that break a CSV or a
UTF-8 file, be megabytes long, or carry scripts that would run in the instructor's browser.

- :func:`clean_text` before storing or reporting any text from student code;
- :func:`sanitize_html` before putting student HTML into a page;
- :data:`CSP` in every page the grader writes, as a second wall: no script runs there.
"""

from __future__ import annotations

import re

import bleach
from bleach.css_sanitizer import CSSSanitizer

MESSAGE_CHARS = 2000  # longest message from student code kept in a report

# C0 controls but tab and newline, DEL and C1 controls: they garble terminals and CSV viewers
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")

# What a notebook's output may keep: text, tables, images (plots), maths; no script, style sheet,
# iframe, form, object or event handler.
ALLOWED_TAGS = frozenset({
    "a", "abbr", "b", "blockquote", "br", "caption", "code", "col", "colgroup", "dd", "del", "details",
    "div", "dl", "dt", "em", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i",
    "img", "ins", "kbd", "li", "ol", "p", "pre", "q", "s", "samp", "small", "span", "strong", "sub",
    "summary", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul", "var",
})
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


def clean_text(text: object, limit: int = MESSAGE_CHARS) -> str:
    """``text`` as valid UTF-8 without control characters, at most ``limit`` characters long."""
    if not isinstance(text, str):
        text = str(text)
    # lone surrogates (e.g. '\\ud800') cannot be encoded: replace them, and any other bad code point
    text = text.encode("utf-8", "replace").decode("utf-8", "replace")
    text = _CONTROL.sub("\N{REPLACEMENT CHARACTER}", text)
    if len(text) > limit:
        cut = len(text) - limit
        text = text[:limit] + f" … [{cut:,} more characters not shown]"
    return text


def _keep_attribute(tag: str, name: str, value: str) -> bool:
    if name not in ALLOWED_ATTRIBUTES.get(tag, []) + ALLOWED_ATTRIBUTES["*"]:
        return False
    if tag == "img" and name == "src":
        return bool(_SAFE_DATA_IMAGE.match(value))  # an embedded picture; never a remote fetch
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
    return bleach.clean(fragment, tags=ALLOWED_TAGS, attributes=_keep_attribute, protocols=ALLOWED_PROTOCOLS,
                        css_sanitizer=_CSS, strip=False, strip_comments=True)
