"""Rendering a student's feedback page safely: sanitised, and at a bounded cost to the grader.

The feedback page shows what the student's code displayed, and the student's markdown; nbconvert
renders both as live HTML by default. :class:`SanitizeNotebook` runs :func:`grader.sanitize.sanitize_notebook`
as the last step before the page is rendered (and in Formgrader, through the course's
``nbgrader_config.py``); :func:`with_csp` adds a Content-Security-Policy that forbids every script.

Rendering runs in the trusted worker, outside the sandbox, on input a student controls: a markdown
cell of a pathological pattern can take minutes and gigabytes. :func:`render_feedback` therefore
runs nbgrader's ``generate_feedback`` in a forked child with a memory limit (address space beyond
the worker's own) and a CPU and wall-clock limit (:class:`grader.sandbox.Limits`); over them, the
student gets the plain page (:func:`grader.reports.fallback_feedback`) with the same scores.
"""

from __future__ import annotations

import contextlib
import os
import re
import resource
import signal
import time
from pathlib import Path

import jinja2
import jinja2.meta
from nbconvert.exporters import HTMLExporter, TemplateExporter
from nbconvert.filters.highlight import Highlight2HTML
from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter
from nbconvert.preprocessors import Preprocessor

from .sandbox import Limits
from .sanitize import assignment_of, course_images, sanitize_notebook, with_csp

MEMORY_ERROR = 3  # the child's exit code when it ran out of its memory
rendering: set[int] = set()  # the child rendering now, for the worker's clean-up on a signal


class SanitizeNotebook(Preprocessor):
    """nbconvert step: the notebook as :func:`grader.sanitize.sanitize_notebook` leaves it, showing the
    course's diagrams of its assignment (read from the course, never from the submission)."""

    enabled = True

    def preprocess(self, nb, resources):
        assignment = assignment_of(resources or {})
        sanitize_notebook(nb, course_images(assignment) if assignment else {})
        return nb, resources


_IMG_WITHOUT_ALT = re.compile(r"<img\b(?![^>]*\balt=)", re.I)
NO_ALT_TEXT = "No description has been provided for this image"  # nbconvert's words


class CompiledTemplates(jinja2.BytecodeCache):
    """Templates compiled once in this process, and so in every renderer it forks after that."""

    def __init__(self):
        self.compiled: dict[str, bytes] = {}

    def load_bytecode(self, bucket) -> None:
        if bucket.key in self.compiled:
            bucket.bytecode_from_string(self.compiled[bucket.key])

    def dump_bytecode(self, bucket) -> None:
        self.compiled[bucket.key] = bucket.bytecode_to_string()


COMPILED_TEMPLATES = CompiledTemplates()


class FeedbackExporter(HTMLExporter):
    """nbconvert's HTML exporter, giving pictures without a description their alt text by pattern, with
    its templates compiled once per process.

    ``HTMLExporter`` parses every finished page with BeautifulSoup to add that text (and tab stops to
    JupyterLab's cell classes, which the course's classic-based page does not use): a third of the time
    a feedback page takes. The template's output is well-formed, so a pattern on ``<img`` tags does the
    same. And each exporter compiles its templates again, a tenth of a page's time: jinja's bytecode
    cache keeps them (keyed by name and checked against the source).
    """

    def _create_environment(self):
        environment = super()._create_environment()
        environment.bytecode_cache = COMPILED_TEMPLATES
        return environment

    def compile_templates(self) -> int:
        """Compile this exporter's template and every template it extends, imports or includes."""
        # the filters a page registers for itself must exist before its templates compile
        self.register_filter("highlight_code", Highlight2HTML(pygments_lexer="python", parent=self))
        self.register_filter("filter_data_type", WidgetsDataTypeFilter(notebook_metadata={}, parent=self,
                                                                       resources={}))
        environment, todo, seen = self.environment, [self.template.name], set()
        while todo:
            name = todo.pop()
            if name is None or name in seen:
                continue
            seen.add(name)
            source, _, _ = environment.loader.get_source(environment, name)
            environment.get_template(name)  # compiled, and kept in COMPILED_TEMPLATES
            todo.extend(jinja2.meta.find_referenced_templates(environment.parse(source)))
        return len(seen)

    def from_notebook_node(self, nb, resources=None, **kw):
        langinfo = nb.metadata.get("language_info", {})
        lexer = langinfo.get("pygments_lexer", langinfo.get("name", None))
        self.register_filter("highlight_code", self.filters.get(
            "highlight_code", Highlight2HTML(pygments_lexer=lexer, parent=self)))
        resources = self._init_resources(resources)
        self.register_filter("filter_data_type", WidgetsDataTypeFilter(
            notebook_metadata=self._nb_metadata, parent=self, resources=resources))
        page, resources = TemplateExporter.from_notebook_node(self, nb, resources, **kw)
        return _IMG_WITHOUT_ALT.sub(f'<img alt="{NO_ALT_TEXT}"', page), resources


def exporter_config(c) -> None:
    """The HTMLExporter settings for pages showing student work (feedback, Formgrader).

    nbconvert's own sanitising (``sanitize_html``) is turned on, with the grader's rules in place of
    its default ``clean_html`` filter, so that plots and tables survive and scripts do not.
    """
    c.GenerateFeedback.exporter_class = FeedbackExporter
    c.HTMLExporter.sanitize_html = True
    c.HTMLExporter.filters = {"clean_html": "grader.sanitize.sanitize_html"}


def warm_up(release_notebook: Path, assignment_id: str, config=None) -> None:
    """Prepare the worker for the pages of one assignment, before it forks the first renderer.

    The course's own notebook (trusted) goes through the steps of a page that depend only on a cell's
    text: its maths to MathML, its markdown to safe HTML. Both are remembered, and the release's
    markdown recurs in every submission: each forked child then finds those cells done, and the modules
    they need imported. With the worker's ``config``, the page's templates are compiled too.
    """
    import nbformat

    from .nbgrader_ext import MathToMathML

    nb = nbformat.read(str(release_notebook), as_version=4)
    nb, _ = MathToMathML().preprocess(nb, {})
    sanitize_notebook(nb, course_images(assignment_id))
    if config is not None:
        FeedbackExporter(config=config, template_name="feedback").compile_templates()


def virtual_memory() -> int:
    """This process's address space in bytes (VmSize)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


def limit_this_process(limits: Limits) -> None:
    """In the child: at most ``feedback_memory_bytes`` more than the worker had, and the CPU limit."""
    memory = virtual_memory() + limits.feedback_memory_bytes
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (limits.feedback_seconds, limits.feedback_seconds + 5))


def render_feedback(api, assignment_id: str, student_id: str, limits: Limits) -> str:
    """Run nbgrader's generate_feedback for one student in a limited child; '' or why it failed."""
    try:
        read_end, write_end = os.pipe()
        pid = os.fork()
    except OSError as exc:
        return f"the feedback page could not be rendered ({exc.strerror})"
    if pid == 0:  # the child: render, report, and leave without running the worker's clean-up
        code = 2
        try:
            os.close(read_end)
            for stop in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):  # not the worker's clean-up
                signal.signal(stop, signal.SIG_DFL)
            limit_this_process(limits)
            result = api.generate_feedback(assignment_id, student_id, force=True)
            code = 0 if result["success"] else 1
            if not result["success"]:
                from .nbgrader_backend import short_error

                os.write(write_end, short_error(result).encode("utf-8", "replace")[:2000])
        except MemoryError:
            code = MEMORY_ERROR
        except BaseException:  # noqa: BLE001 - the parent reports it
            code = 2
        finally:
            os._exit(code)
    os.close(write_end)
    rendering.add(pid)
    try:
        status = wait_for(pid, limits.feedback_seconds)
        with os.fdopen(read_end, "rb") as pipe:
            said = pipe.read(4000).decode("utf-8", "replace")
    finally:
        rendering.discard(pid)
        with contextlib.suppress(OSError):
            os.close(read_end)
    if status is None or (os.WIFSIGNALED(status) and os.WTERMSIG(status) in (signal.SIGXCPU, signal.SIGKILL)):
        return f"rendering the feedback page took longer than the {limits.feedback_seconds} s the grader allows"
    code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else -1
    if code == 0:
        return ""
    if code == MEMORY_ERROR:
        return (f"rendering the feedback page needed more than the {limits.feedback_memory_bytes / 2**30:g} GiB "
                "of memory the grader allows")
    return said or f"rendering the feedback page failed (exit status {code})"


def wait_for(pid: int, seconds: float) -> int | None:
    """The child's wait status; None when it ran out of time (it is then killed)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return status
        time.sleep(0.05)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    return None


def read_pages(folder: Path) -> dict[str, str]:
    """The rendered pages of one student, each with the Content-Security-Policy."""
    return {page.name: with_csp(page.read_text(encoding="utf-8", errors="replace"))
            for page in sorted(folder.glob("*.html"))}
