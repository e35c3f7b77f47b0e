"""A problem's verdict as students see it: a box that wraps, with the check's hint set apart.

Used by nbgrader's feedback (:class:`grader.nbgrader_ext.ShowVerdicts`) and by the grader's own
page for a submission nbgrader could not finish (:func:`grader.reports.fallback_feedback`), so that
both look the same. Light on purpose: no nbgrader import.
"""

from __future__ import annotations

import html
import re

from .sanitize import clean_text


def split_hint(message: str) -> tuple[str, str]:
    """(the verdict's message, the named mistake after "Hint:", or '')."""
    head, sep, hint = message.partition("Hint:")
    if not sep:
        return message.strip(), ""
    tail = re.search(r"\s*\[case \d+ of \d+[^\]]*\]\s*$", hint)
    if tail:  # the case number belongs to the message, not to the hint
        head, hint = head.rstrip() + " " + tail.group(0).strip(), hint[:tail.start()]
    return head.strip(), hint.strip()


def verdict_html(title: str, status: str, message: str, score: float | None = None,
                 points: float | None = None) -> str:
    """A problem's verdict as a box that wraps, with its hint set apart; every text escaped."""
    text, hint = split_hint(clean_text(message))
    points_text = f" — {score:g} / {points:g}" if score is not None and points is not None else ""
    parts = [f'<div class="verdict {html.escape(status.replace(" ", "-"))}">',
             f'<div class="verdict-head"><span class="badge">{html.escape(status.upper())}</span>'
             f"{html.escape(title)}{points_text}</div>"]
    if text and text != status:
        parts.append(f'<p class="message">{html.escape(text)}</p>')
    if hint:
        parts.append(f'<p class="hint"><strong>Hint:</strong> {html.escape(hint)}</p>')
    return "".join(parts) + "</div>"
