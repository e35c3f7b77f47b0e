"""A real JupyterLab on 127.0.0.1, driven by headless Chromium through Selenium, for browser tests.

``start_lab(root)`` starts JupyterLab on a free port with its own token, serving ``root`` (a temporary
folder of notebooks) with a student's settings (``student/jupyter``) and nothing from the user's
own Jupyter configuration. ``Browser`` wraps a headless Chromium with the few steps a test needs:
open a notebook, use the menus and the toolbar, read cells and dialogs, save screenshots.
JupyterLab draws only the cells near the viewport: ``cell_text`` scrolls a cell into view first.

Typical use (see tests/test_browser.py)::

    lab = start_lab(root)
    browser = Browser(screenshots=tmp_path / "screenshots")
    try:
        browser.open_notebook(lab, "01_rnn_forward/01_rnn_forward.ipynb")
        browser.menu("Run", "Run All Cells")
        ...
    finally:
        browser.quit()
        lab.stop()
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from grader.paths import ROOT

STUDENT_SETTINGS = ROOT / "student" / "jupyter"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
CHROMEDRIVER = shutil.which("chromedriver")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--window-size=1400,1000"]


def require_chromium() -> None:
    """Skip the calling test when this machine has no Chromium (``.ci/run`` installs it)."""
    if not (CHROMIUM and CHROMEDRIVER):
        pytest.skip("no Chromium and chromedriver here (Debian: apt-get install chromium chromium-driver)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Lab:
    """A running JupyterLab server."""

    url: str
    token: str
    root: Path
    process: subprocess.Popen
    log: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_lab(root: Path, timeout: float = 90) -> Lab:
    """JupyterLab serving ``root``, as a student's environment configures it, ready to use."""
    port, token = free_port(), secrets.token_hex(16)
    state = root.parent / f"{root.name}-jupyter"  # the server's own settings, workspaces and runtime
    env = {k: v for k, v in os.environ.items() if not k.startswith("JUPYTER")}
    env |= {
        "JUPYTER_CONFIG_DIR": str(state / "config"),
        "JUPYTER_CONFIG_PATH": str(STUDENT_SETTINGS),
        "JUPYTER_RUNTIME_DIR": str(state / "runtime"),
        "JUPYTERLAB_SETTINGS_DIR": str(state / "settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(state / "workspaces"),
        "PYTHONPATH": str(ROOT),  # the kernels import this checkout's helpers
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")]),
    }
    log = state / "lab.log"
    news = state / "settings" / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    news.parent.mkdir(parents=True, exist_ok=True)
    news.write_text('{"fetchNews": "false"}\n')  # no "official Jupyter news?" pop-up over the screenshots
    command = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1",
               f"--ServerApp.port={port}", "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
               f"--ServerApp.root_dir={root}", "--LabApp.expose_app_in_browser=True"]
    if os.geteuid() == 0:  # CI runs as root
        command.append("--allow-root")
    with open(log, "wb") as out:
        process = subprocess.Popen(command, cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT)
    lab = Lab(f"http://127.0.0.1:{port}", token, root, process, log)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"JupyterLab exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{lab.url}/api/status?token={token}", timeout=2) as reply:
                if reply.status == 200:
                    return lab
        except OSError:
            time.sleep(0.5)
    lab.stop()
    raise RuntimeError(f"JupyterLab did not answer within {timeout} s:\n{log.read_text()[-3000:]}")


class Browser:
    """Headless Chromium on a JupyterLab page."""

    def __init__(self, screenshots: Path, profile: Path):
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service

        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for flag in [*CHROMIUM_FLAGS, f"--user-data-dir={profile}"]:
            options.add_argument(flag)
        self.driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
        self.screenshots = screenshots
        screenshots.mkdir(parents=True, exist_ok=True)

    def quit(self) -> None:
        self.driver.quit()

    def js(self, script: str, *args):
        return self.driver.execute_script(script, *args)

    def wait(self, condition, timeout: float = 60, what: str = "the page"):
        """Poll ``condition()`` until it returns something true; return that."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = condition()
            if value:
                return value
            time.sleep(0.25)
        self.screenshot("timeout")
        raise TimeoutError(f"waited {timeout} s for {what}")

    def screenshot(self, name: str) -> Path:
        path = self.screenshots / f"{name}.png"
        self.driver.save_screenshot(str(path))
        return path

    def open_notebook(self, lab: Lab, path: str) -> None:
        """Open a notebook and wait until its kernel is idle."""
        self.driver.get(f"{lab.url}/lab/tree/{path}?token={lab.token}")
        self.wait(lambda: self.js("return !!(window.jupyterapp && window.jupyterapp.shell.currentWidget"
                                  " && window.jupyterapp.shell.currentWidget.sessionContext);"),
                  what="JupyterLab and the notebook")
        self.wait(lambda: self.js("const s = window.jupyterapp.shell.currentWidget.sessionContext;"
                                  "return s.session && s.session.kernel && s.kernelDisplayStatus === 'idle';"),
                  what="an idle kernel")

    def menu(self, *labels: str) -> None:
        """Click through the menu bar: ``menu("Run", "Run All Cells")``."""
        from selenium.webdriver.common.by import By

        def shown(css, label):  # drawn with a size: a menu still opening has none
            return [e for e in self.driver.find_elements(By.CSS_SELECTOR, css)
                    if e.text.split("\n")[0] == label and e.is_displayed() and e.size["width"] > 0]

        self.wait(lambda: shown(".lm-MenuBar-item", labels[0]), what=f"the {labels[0]} menu")[0].click()
        for label in labels[1:]:
            self.wait(lambda lab=label: shown(".lm-Menu-content .lm-Menu-item", lab),
                      what=f"the menu item {label}")[0].click()

    def click(self, css: str) -> None:
        from selenium.webdriver.common.by import By

        visible = lambda: [e for e in self.driver.find_elements(By.CSS_SELECTOR, css)  # noqa: E731
                           if e.is_displayed() and e.size["width"] > 0]  # not the one of a hidden tab
        self.wait(visible, what=css)[0].click()

    def kernel_idle(self) -> bool:
        return self.js("const s = window.jupyterapp.shell.currentWidget.sessionContext;"
                       "return s.kernelDisplayStatus === 'idle';")

    def settled(self, quiet: float = 1.5) -> bool:
        """The kernel is idle and stays idle for ``quiet`` seconds (Run All sends cells one by one)."""
        if not self.kernel_idle():
            return False
        time.sleep(quiet)
        return self.kernel_idle()

    def cell_sources(self) -> list[str]:
        return self.js("return window.jupyterapp.shell.currentWidget.content.widgets"
                       ".map(c => c.model.sharedModel.getSource());")

    def set_source(self, index: int, text: str) -> None:
        """Replace a cell's text, as typing it would (the notebook becomes dirty)."""
        self.js("window.jupyterapp.shell.currentWidget.content.widgets[arguments[0]]"
                ".model.sharedModel.setSource(arguments[1]);", index, text)

    def scroll_to(self, index: int) -> None:
        self.js("const nb = window.jupyterapp.shell.currentWidget.content;"
                "nb.activeCellIndex = arguments[0]; nb.scrollToItem(arguments[0], 'start');", index)

    def cell_text(self, index: int) -> str:
        """The rendered text of a cell's outputs (scrolled into view first)."""
        self.scroll_to(index)
        return self.js("const cell = window.jupyterapp.shell.currentWidget.content.widgets[arguments[0]];"
                       "const area = cell.node.querySelector('.jp-OutputArea');"
                       "return area ? area.textContent : '';", index)

    def cell_images(self, index: int) -> list[int]:
        """Widths of the images a cell's outputs show, each fully loaded; the first is scrolled into view."""
        self.scroll_to(index)
        return self.js("const cell = window.jupyterapp.shell.currentWidget.content.widgets[arguments[0]];"
                       "const images = [...cell.node.querySelectorAll('.jp-OutputArea img')].filter(i => i.complete);"
                       "if (images.length) images[0].scrollIntoView({block: 'center'});"
                       "return images.map(i => i.naturalWidth);", index)

    def markdown_images(self, index: int) -> list[int]:
        """Widths of the images a rendered markdown cell shows, each fully loaded (0: a broken image)."""
        self.scroll_to(index)
        return self.js("const cell = window.jupyterapp.shell.currentWidget.content.widgets[arguments[0]];"
                       "const images = [...cell.node.querySelectorAll('.jp-RenderedMarkdown img')];"
                       "return images.every(i => i.complete) ? images.map(i => i.naturalWidth) : [];", index)

    def dialog_text(self, timeout: float = 180) -> str:
        """The text of the dialog JupyterLab shows next (waits for it)."""
        return self.wait(lambda: self.js("const d = document.querySelector('.jp-Dialog-content');"
                                         "return d ? d.textContent : '';"), timeout, "a dialog")

    def close_dialog(self) -> None:
        self.click(".jp-Dialog-footer button")
        self.wait(lambda: not self.js("return !!document.querySelector('.jp-Dialog');"), what="the dialog to close")

    def plugins(self, *ids: str) -> dict[str, bool]:
        """Whether each JupyterLab plugin is registered (a disabled plugin is not)."""
        return {i: self.js("return window.jupyterapp.hasPlugin(arguments[0]);", i) for i in ids}


def lab_log(lab: Lab) -> str:
    return lab.log.read_text(errors="replace")[-5000:] if lab.log.exists() else ""
