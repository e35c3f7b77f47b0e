"""Debian's headless Chromium, driven directly: a screenshot and the rendered DOM of a local page.

Tests that need it call :func:`require_chromium`, which skips with the reason when no Chromium is
installed. Each call gets a fresh profile, and everything that could reach a network is off.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars"]


def require_chromium() -> None:
    if not Path(CHROMIUM).exists():
        pytest.skip("no Chromium at /usr/bin/chromium (Debian: apt-get install chromium)")


def _run(page: Path, *args: str) -> subprocess.CompletedProcess:
    with tempfile.TemporaryDirectory(prefix="chromium-") as profile:
        return subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args, Path(page).resolve().as_uri()],
                              capture_output=True, text=True, timeout=120)


def screenshot(page: Path, png: Path, width: int = 900, height: int = 1400) -> Path:
    """A PNG of ``page`` as a ``width`` × ``height`` window shows it."""
    result = _run(page, f"--screenshot={png}", f"--window-size={width},{height}")
    assert png.exists(), f"Chromium wrote no screenshot: {result.stderr[-2000:]}"
    return png


def dump_dom(page: Path) -> str:
    """The DOM of ``page`` after Chromium loaded and laid it out, as HTML."""
    result = _run(page, "--dump-dom")
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout
