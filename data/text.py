"""Real text without a download: the Python standard library's own source code.

Every Python installation carries a few megabytes of carefully written code, comments and docstrings
in its standard library. ``stdlib_corpus`` reads a slice of it from the running interpreter, which
makes a character-level language model trainable anywhere, offline.

The corpus is deterministic for the same arguments and the same interpreter: the files are put in an
order given by a hash of their path and the seed (no random number generator involved), and read
one after the other until ``max_chars`` characters are collected. Another Python version ships other
sources, so the text differs between versions.
"""

from __future__ import annotations

import hashlib
import os
import re
import sysconfig
from pathlib import Path

# Folders left out: third-party packages, test suites (long runs of odd literals), the IDLE
# application, and generated tables (codecs, the pydoc topic texts).
EXCLUDED_DIRS = frozenset({
    "site-packages", "dist-packages", "__pycache__", "test", "tests", "idle_test", "idlelib",
    "encodings", "pydoc_data", "turtledemo",
})
SEPARATOR = "\n\n"
INNER_SPACES = re.compile(r"(?<=\S) {2,}")  # two or more spaces after a character that is not whitespace


def stdlib_root() -> Path:
    """The folder of the running interpreter's standard library."""
    return Path(sysconfig.get_paths()["stdlib"])


def stdlib_files(root: str | Path | None = None) -> list[Path]:
    """Every ``*.py`` file under ``root`` (the standard library by default), sorted by relative path,
    without the folders in ``EXCLUDED_DIRS``."""
    root = Path(root) if root is not None else stdlib_root()
    files = []
    for folder, subfolders, names in os.walk(root):
        subfolders[:] = [d for d in subfolders if d not in EXCLUDED_DIRS]  # prune: never enter them
        files += [Path(folder, name) for name in names if name.endswith(".py")]
    return sorted(files, key=lambda p: p.relative_to(root).as_posix())


def _order_key(seed: int, relative: str) -> str:
    return hashlib.sha256(f"{seed}:{relative}".encode()).hexdigest()


def stdlib_corpus(max_chars: int | None = 200_000, seed: int = 0, *, max_file_chars: int = 5_000,
                  ascii_only: bool = True, root: str | Path | None = None) -> str:
    """A slice of the standard library's source code as one string.

    Arguments:
        max_chars      -- int or None: length of the returned text (shorter only if the library is
                          smaller); None reads every file
        seed           -- int: chooses the order of the files, hence which files make up the slice
        max_file_chars -- int: at most this many characters from the start of each file (cut at the
                          end of a line), so that a slice mixes many modules instead of a few long ones
        ascii_only     -- bool: skip files with non-ASCII characters (a vocabulary of at most 128)
        root           -- folder to read instead of the standard library (for tests)

    Returns:
        str -- the files' texts (newlines normalised to "\\n"), separated by blank lines
    """
    if max_chars is not None and max_chars < 1:
        raise ValueError(f"max_chars must be a positive int or None, got {max_chars!r}")
    if max_file_chars < 1:
        raise ValueError(f"max_file_chars must be positive, got {max_file_chars!r}")
    root = Path(root) if root is not None else stdlib_root()
    files = stdlib_files(root)
    files.sort(key=lambda p: _order_key(seed, p.relative_to(root).as_posix()))
    parts, total = [], 0
    for path in files:
        try:
            text = path.read_text(encoding="utf-8")  # universal newlines: "\r\n" becomes "\n"
        except (UnicodeDecodeError, OSError):
            continue
        text = text.strip("\n")
        if not text or (ascii_only and not text.isascii()):
            continue
        if len(text) > max_file_chars:  # cut at the end of a line when there is one
            cut = text.rfind("\n", 0, max_file_chars + 1)
            text = text[:cut] if cut > 0 else text[:max_file_chars]
        parts.append(text)
        total += len(text) + len(SEPARATOR)
        if max_chars is not None and total >= max_chars:
            break
    corpus = SEPARATOR.join(parts)
    return corpus if max_chars is None else corpus[:max_chars]


def split_text(text: str, val_fraction: float = 0.1) -> tuple[str, str]:
    """Split ``text`` into (train, validation): the validation part is the last ``val_fraction`` of
    the characters, moved to start at the beginning of a line when a line break is close by."""
    if not 0 < val_fraction < 1:
        raise ValueError(f"val_fraction must be strictly between 0 and 1, got {val_fraction!r}")
    cut = int(round(len(text) * (1 - val_fraction)))
    newline = text.rfind("\n", max(0, cut - 200), cut)
    if newline != -1:
        cut = newline + 1
    return text[:cut], text[cut:]


def compact_whitespace(text: str, indent_width: int = 4, max_step: int | None = 1) -> str:
    """``text`` with its indentation written as tabs, no two spaces in a row, and no sudden deep indent.

    A character model that reads Python source spends a large share of its predictions on spaces, and
    counting them is hard for it: after a few spaces, "another space" is always a likely guess, and a
    model sampled at a low temperature can keep writing spaces for hundreds of characters. With one
    tab per level of indentation and single spaces elsewhere, the structure stays and the counting is
    short. A continuation line aligned far to the right (under an opening bracket, say) would still
    make a long run of tabs whose end the model cannot foresee, so by default no line goes more than
    one level deeper than the line above it: a hanging indent, as a code formatter writes it.

    Arguments:
        text         -- str, lines of Python source (indented with spaces)
        indent_width -- int: this many leading spaces make one level, one tab
        max_step     -- int or None: a line is at most this many levels deeper than the last line that
                        is not blank (the first line: than level 0); None keeps every level

    Returns:
        str -- every line's leading run of ``n`` spaces and tabs replaced by ``n // indent_width`` tabs
               (a remainder of fewer spaces, as on continuation lines aligned under a bracket, is
               dropped; a tab already there counts as one level), and every later run of spaces
               replaced by one space, and levels capped by ``max_step``; spaces and tabs at the end
               of a line are removed, so a blank line is empty.
               ``str.expandtabs(indent_width)`` shows it indented with spaces.
    """
    if indent_width < 1:
        raise ValueError(f"indent_width must be positive, got {indent_width!r}")
    if max_step is not None and max_step < 1:
        raise ValueError(f"max_step must be a positive int or None, got {max_step!r}")
    lines, previous = [], 0  # previous: the level of the last line that is not blank
    for line in text.split("\n"):
        body = line.lstrip(" \t")
        indent = line[: len(line) - len(body)]
        body = body.rstrip(" \t")
        levels = indent.count("\t") + indent.count(" ") // indent_width
        if not body:
            levels = 0
        elif max_step is not None:
            levels = previous = min(levels, previous + max_step)
        lines.append("\t" * levels + INNER_SPACES.sub(" ", body))
    return "\n".join(lines)
