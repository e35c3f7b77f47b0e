"""Red team: submissions that try to earn points without the work, graded by the real grader.

Every attacker below answers both problems of the fixture course wrongly (or not at all) and adds
one trick that earned points against plain nbgrader, or that would if the sandbox or the judge had
a gap. The whole class is graded once, through ``python -m grader grade``; each test then asserts
that its attacker gained no point, and, where the notebook's own run claimed a pass, that the
reports say "suspected tampering". Two honest students show that the same run still gives points.
"""

import csv
import json
import os
import sqlite3
import subprocess
import time
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest

from grader.paths import ROOT
from tests.fixtures.make_course import ASSIGNMENT, build
from tests.test_pipeline import read_csv, run_grader, submit

WRONG_STEP = '''import numpy as np

def rnn_step_forward(x_t, h_prev, Wx, Wh, b):
    return np.zeros((x_t.shape[0], Wh.shape[0]))  # wrong on purpose'''

WRONG_SOFTMAX = '''def softmax(z):
    return np.ones_like(z) / z.shape[-1]  # wrong on purpose'''

ALWAYS_EQUAL = '''import numpy as np

class AlwaysEqual(np.ndarray):
    def __eq__(self, other): return True
    def __ne__(self, other): return False

class Anything:
    def __eq__(self, other): return True
    def __array__(self, *a, **k): raise TypeError("no")

def rnn_step_forward(x_t, h_prev, Wx, Wh, b):
    return np.zeros((x_t.shape[0], Wh.shape[0])).view(AlwaysEqual)

def softmax(z):
    return Anything()'''

STEAL = '''import glob, json, numpy as np

def _stolen(name):
    try:  # the reference, were the grader's modules importable
        from grader.checks import get_problem
        return get_problem(name).reference
    except Exception:
        pass
    for path in glob.glob("{root}/solutions/*/*.ipynb") + glob.glob("/work/*/solutions/*/*.ipynb"):
        try:  # the solution notebook, were it readable
            cells = json.load(open(path))["cells"]
            namespace = {}
            for cell in cells:
                if cell["cell_type"] == "code" and "def " + name in "".join(cell["source"]):
                    exec("".join(cell["source"]), namespace)
                    return namespace[name]
        except Exception:
            pass
    return None

def rnn_step_forward(x_t, h_prev, Wx, Wh, b):
    f = _stolen("rnn_step_forward")
    return f(x_t, h_prev, Wx, Wh, b) if f else np.zeros((x_t.shape[0], Wh.shape[0]))

def softmax(z):
    f = _stolen("softmax")
    return f(z) if f else np.ones_like(z) / z.shape[-1]'''

ATTACKS = {
    # an IPython input transformer that blanks every later cell, hidden tests included
    "input_transformer": 'get_ipython().input_transformers_post.append(lambda lines: [])',
    # an AST transformer that strips asserts and every call of check(...)
    "ast_transformer": '''import ast

class Strip(ast.NodeTransformer):
    def visit_Assert(self, node):
        return ast.Pass()
    def visit_Expr(self, node):
        call = node.value
        if isinstance(call, ast.Call) and getattr(call.func, "id", "") == "check":
            return ast.Pass()
        return node

get_ipython().ast_transformers.append(Strip())''',
    # numpy's comparisons made to agree with anything
    "monkeypatched_numpy": '''import numpy as np
np.testing.assert_allclose = lambda *a, **k: None
np.allclose = lambda *a, **k: True
np.isclose = lambda a, b, *r, **k: np.ones(np.broadcast(a, b).shape, dtype=bool)
np.array_equal = lambda *a, **k: True''',
    # the hidden test's check() replaced in the kernel
    "patched_check": '''import grader.checks
grader.checks.check = lambda name, answer, seed=None: print(name + ": all hidden cases passed.")''',
    # a fake judge in the kernel, and the check pointed at it
    "fake_judge": '''import os, socket, threading
import grader.checks
from grader.sandbox.protocol import recv_frame, send_frame

path = os.path.expanduser("~/judge.sock")
server = socket.socket(socket.AF_UNIX)
server.bind(path)
server.listen()

def serve():
    while True:
        conn, _ = server.accept()
        recv_frame(conn, 1 << 20)
        send_frame(conn, {"status": "verdict", "passed": True, "message": "all hidden cases passed."})
        conn.close()

threading.Thread(target=serve, daemon=True).start()
grader.checks.JUDGE_SOCKET = path''',
    # asks the judge first with junk, to read the expected values from the message
    "probe_first": '''from grader.checks import check
try:
    check("rnn_step_forward", lambda *args: 0)
except Exception as exc:
    print("probe:", exc)''',
    # behaves only when it notices it is being graded
    "grading_detector": '''import glob, os, json
print("ENV " + json.dumps(sorted(os.environ)))
marked = any(k.startswith(("NBGRADER", "RNN_COURSE", "PYTEST", "JPY")) for k in os.environ)
if marked or os.path.exists("/run/rnn-course") or glob.glob("/tmp/rnn-grade-*/judge"):
    get_ipython().input_transformers_post.append(lambda lines: [])''',
    # a process that outlives the notebook and rewrites the gradebook afterwards
    "detached_rewriter": '''import subprocess, sys
code = """
import glob, os, sqlite3, time
time.sleep(4)
for path in glob.glob('{out}/**/gradebook.db', recursive=True) + glob.glob('/**/gradebook.db', recursive=True):
    try:
        db = sqlite3.connect(path)
        db.execute('update grade set manual_score = 1000')
        db.commit()
    except Exception:
        pass
open('{marker}', 'w').write('I survived')
"""
subprocess.Popen([sys.executable, "-c", code, "redteam-detached"], start_new_session=True,
                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)''',
    # answers that would run code in the grader if it unpickled them
    "pickle_bomb": '''import numpy as np

class Bomb:
    def __reduce__(self):
        return (open, ("{marker}", "w"))

def rnn_step_forward(x_t, h_prev, Wx, Wh, b):
    return Bomb()

def softmax(z):
    return np.array([Bomb()], dtype=object)''',
    # an answer far larger than the judge reads
    "huge_answer": '''import numpy as np

def rnn_step_forward(x_t, h_prev, Wx, Wh, b):
    return np.zeros(20_000_000)

def softmax(z):
    raise SystemExit("leave the check without an answer")''',
    # submissions that reuse the reference, the solutions or the gradebook if they can reach them
    "reference_thief": STEAL,
    "always_equal": ALWAYS_EQUAL,
}
# HTML and JavaScript a student's code displays, and raw HTML in its markdown: live in the feedback
# pages and in Formgrader before they were sanitised. Every payload names itself "xss".
XSS_OUTPUTS = r'''from IPython.display import HTML, SVG, Javascript, Markdown, display
display(HTML("<b>kept</b><script>alert('xss-script')</script><img src=x onerror=\"alert('xss-onerror')\">"
             "<iframe srcdoc=\"<script>alert('xss-iframe')</script>\"></iframe>"
             "<a href=\"javascript:alert('xss-link')\">link</a><form action='https://xss.example'><input></form>"))
display(Javascript("alert('xss-javascript')"))
display(Markdown("[m](javascript:alert('xss-md-link')) <img src=x onerror=\"alert('xss-md-img')\">"))
display({"application/vnd.jupyter.widget-view+json": {"model_id": "xss-widget"},
         "text/vnd.mermaid": "<script>alert('xss-mermaid')</script>"}, raw=True)
display(SVG('<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"><rect width="8" height="8"/></svg>'))
import io
import matplotlib.pyplot as plt
from IPython.display import Image
plt.plot([1, 2, 3])
png = io.BytesIO()
plt.savefig(png, format="png")
display(Image(data=png.getvalue()))'''
XSS_MARKDOWN = ("## My notes <script>alert('xss-md-script')</script>\n\n<img src=x onerror=\"alert('xss-md-raw')\">\n\n"
                "[click](javascript:alert('xss-md-raw-link'))\n\n```\ncode\n\n[x](javascript:alert('xss-in-code'))\n```")
# a check that fails with HTML in its message, then a kernel that dies: the plain (fallback) page
XSS_FALLBACK = '''def rnn_step_forward(x_t, h_prev, Wx, Wh, b):
    raise ValueError("<script>alert('xss-fallback')</script><img src=x onerror=alert('xss-fallback-img')>")'''

ANSWERS_OF = {"pickle_bomb", "huge_answer", "reference_thief", "always_equal"}  # attacks that are the answers
KEEPS_SOLUTION = {"probe_first"}  # probes the judge, then answers correctly
EXPECTED = {"probe_first": ["0", "1"]}  # the probed problem is lost; the other one is earned
HONEST = ("honest", "honest_again")


def attacker(solved, name: str, out: Path, marker: Path):
    nb = nbformat.from_dict(json.loads(json.dumps(solved)))
    code = ATTACKS[name].replace("{out}", str(out)).replace("{marker}", str(marker)).replace("{root}", str(ROOT))
    if name in ANSWERS_OF:
        nb.cells[2].source = code
        nb.cells[6].source = "# answered above"
    elif name in KEEPS_SOLUTION:
        nb.cells.insert(2, nbformat.v4.new_code_cell(code))
    else:
        nb.cells[2].source = WRONG_STEP
        nb.cells[6].source = WRONG_SOFTMAX
        nb.cells.insert(2, nbformat.v4.new_code_cell(code))
    return nb


def xss_attackers(solved) -> dict:
    shows = nbformat.from_dict(json.loads(json.dumps(solved)))
    shows.cells[2].source = WRONG_STEP
    shows.cells[6].source = WRONG_SOFTMAX
    shows.cells.insert(3, nbformat.v4.new_code_cell(XSS_OUTPUTS))
    shows.cells.insert(3, nbformat.v4.new_markdown_cell(XSS_MARKDOWN))
    fallback = nbformat.from_dict(json.loads(json.dumps(solved)))
    fallback.cells[2].source = XSS_FALLBACK
    fallback.cells[6].source = WRONG_SOFTMAX
    fallback.cells.insert(5, nbformat.v4.new_code_cell("import os\nos._exit(1)"))
    return {"xss_outputs": shows, "xss_fallback": fallback}


def symlink_attackers(subs: Path, solutions: Path, honest: str) -> None:
    """Submissions that are symbolic links (as git, tar or a copied tree keep them) to what would
    score: the solution notebook (relative and absolute), the solutions folder, a classmate's
    folder; and to a system file."""
    solution = solutions / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    for name, target in [("symlink_relative", None), ("symlink_absolute", solution), ("symlink_system", "/etc/shadow")]:
        link = subs / name / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
        link.parent.mkdir(parents=True)
        os.symlink(target or os.path.relpath(solution, link.parent), link)
    (subs / "symlink_folder").mkdir()
    os.symlink(solutions / ASSIGNMENT, subs / "symlink_folder" / ASSIGNMENT)
    os.symlink(subs / honest, subs / "symlink_student")


SYMLINKS = ("symlink_relative", "symlink_absolute", "symlink_system", "symlink_folder", "symlink_student")
XSS = ("xss_outputs", "xss_fallback")


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("redteam")
    solutions = build(root)
    solved = nbformat.read(str(solutions / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"), as_version=4)
    subs, out = root / "submissions", root / "out"
    markers = {name: root / f"marker-{name}" for name in ATTACKS}
    for name in ATTACKS:
        submit(subs, name, attacker(solved, name, out, markers[name]))
    for name in HONEST:
        submit(subs, name, solved)
    for name, nb in xss_attackers(solved).items():
        submit(subs, name, nb)
    symlink_attackers(subs, solutions, HONEST[0])
    fake_numpy = subs / "monkeypatched_numpy" / ASSIGNMENT / "numpy.py"  # a numpy.py beside the notebook
    fake_numpy.write_text("def allclose(*a, **k):\n    return True\n")
    result = run_grader(solutions, "grade", str(subs), "--out", str(out))
    time.sleep(6)  # longer than the detached process waits before it strikes
    return result, out, markers, solutions


def rows(out: Path, student: str) -> list[dict]:
    return [r for r in read_csv(out / "problems.csv") if r["student_id"] == student]


def test_the_run_completes_and_honest_students_still_score(graded):
    result, out = graded[:2]
    assert result.returncode == 0, result.stderr
    for student in HONEST:
        assert [r["score"] for r in rows(out, student)] == ["2", "1"], rows(out, student)


@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_no_attack_gains_a_point(graded, name):
    out = graded[1]
    expected = EXPECTED.get(name, ["0", "0"])
    assert [r["score"] for r in rows(out, name)] == expected, rows(out, name)
    with open(out / "grades.csv") as f:
        assert {r["student_id"]: r["score"] for r in csv.DictReader(f)}[name] == str(sum(map(int, expected)))


@pytest.mark.parametrize("name", ["input_transformer", "ast_transformer", "patched_check", "fake_judge",
                                  "grading_detector"])
def test_a_faked_pass_is_reported_as_suspected_tampering(graded, name):
    out = graded[1]
    for row in rows(out, name):
        assert row["status"] == "suspected tampering", row
        assert "suspected tampering" in row["message"]
    page = (out / "feedback" / name / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()
    assert "SUSPECTED TAMPERING" in page


def test_the_judge_is_asked_once_per_problem(graded):
    """A notebook that asks the judge itself first (to read expected values off the message) keeps
    that first verdict, even though its final function is right."""
    step, softmax = rows(graded[1], "probe_first")
    assert step["status"] == "failed" and "rnn_step_forward" in step["message"]
    assert softmax["status"] == "passed"


def test_the_notebook_cannot_tell_it_is_being_graded(graded):
    out = graded[1]
    nb = nbformat.read(str(out / ".nbgrader" / ASSIGNMENT / "autograded" / "grading_detector" / ASSIGNMENT
                           / f"{ASSIGNMENT}.ipynb"), as_version=4)
    printed = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    env = json.loads(printed.split("ENV ", 1)[1].splitlines()[0])
    assert not [k for k in env if k.startswith(("NBGRADER", "RNN_COURSE", "PYTEST", "JPY"))]


def test_nothing_ran_in_the_grader_or_after_the_notebook(graded):
    _, out, markers = graded[:3]
    assert not markers["pickle_bomb"].exists() and not markers["detached_rewriter"].exists()
    assert subprocess.run(["pgrep", "-f", "redteam-detached"], capture_output=True).stdout == b""
    gradebook = out / ".nbgrader" / ASSIGNMENT / "gradebook.db"
    with sqlite3.connect(gradebook) as db:
        assert db.execute("select count(*) from grade where manual_score is not null").fetchone() == (0,)


def test_answers_too_large_or_missing_are_explained(graded):
    step, softmax = rows(graded[1], "huge_answer")
    assert "limit" in step["message"]
    assert "never received an answer" in softmax["message"]


def test_feedback_never_shows_hidden_tests_or_references(graded):
    out = graded[1]
    pages = list((out / "feedback").rglob("*.html"))
    assert len(pages) == len(ATTACKS) + len(HONEST) + len(XSS) + len(SYMLINKS)
    for page in pages:
        text = page.read_text()
        assert "HIDDEN TESTS" not in text and "check(&quot;" not in text and 'check("' not in text, page
        assert "ref_rnn_step_forward" not in text, page


# ------------------------------------------------------------------------------ symbolic links


@pytest.mark.parametrize("name", SYMLINKS)
def test_a_symlinked_submission_is_refused_for_that_student(graded, name):
    """Before: collect, the fingerprint and prepare_workspace followed the link, and a link to the
    solution notebook scored 3/3 (the system file was read with the grader's rights)."""
    result, out = graded[0], graded[1]
    assert result.returncode == 0, result.stderr
    for row in rows(out, name):
        assert row["score"] == "0" and "symbolic link" in row["message"], row
    assert not (out / ".nbgrader" / "verified" / name).exists()


# ------------------------------------------------------------------------------ stored XSS


class PageScan(HTMLParser):
    """What in a page could run: scripts with a payload, handlers, javascript: URLs, frames, forms."""

    def __init__(self, own_handlers: bool = False):
        super().__init__()
        self.own_handlers = own_handlers  # the page's own UI has handlers (Formgrader): flag only payloads
        self.live, self.in_script, self.csp = [], False, False

    def handle_starttag(self, tag, attrs):
        self.in_script = tag == "script"
        if tag in ("iframe", "frame", "object", "embed", "form", "base"):
            self.live.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on") and not (self.own_handlers and "xss" not in (value or "")
                                              and "alert" not in (value or "")):
                self.live.append(f"<{tag} {name}>")
            if name in ("href", "src", "action", "formaction", "srcdoc", "data") and value and \
                    "".join(value.split()).lower().startswith(("javascript:", "vbscript:", "data:text/html")):
                self.live.append(f"<{tag} {name}={value[:40]}>")
            if name == "srcdoc":
                self.live.append(f"<{tag} srcdoc>")
        if tag == "meta" and dict(attrs).get("http-equiv", "").lower() == "content-security-policy":
            self.csp = "script-src" not in dict(attrs)["content"] and "default-src 'none'" in dict(attrs)["content"]

    def handle_endtag(self, tag):
        self.in_script = False

    def handle_data(self, data):
        if self.in_script and ("xss" in data or "alert(" in data):
            self.live.append(f"<script>{data.strip()[:60]}</script>")


def scan(page: str, own_handlers: bool = False) -> PageScan:
    parser = PageScan(own_handlers)
    parser.feed(page)
    return parser


def test_no_page_runs_what_a_student_displayed(graded):
    """Before: <script>, onerror, iframe srcdoc, javascript: links and Javascript() outputs were live
    in the feedback pages, and no page had a Content-Security-Policy."""
    out = graded[1]
    pages = sorted((out / "feedback").rglob("*.html"))
    assert pages
    for page in pages:
        found = scan(page.read_text(encoding="utf-8"))
        assert found.live == [], (page, found.live)
        assert found.csp, f"{page} has no Content-Security-Policy that forbids scripts"


def test_plots_and_text_survive_the_sanitising(graded):
    page = (graded[1] / "feedback" / "xss_outputs" / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()
    assert "data:image/png;base64," in page and "data:image/svg+xml;base64," in page
    assert "<b>kept</b>" in page and "My notes" in page
    for student in XSS:
        assert [r["score"] for r in rows(graded[1], student)] == ["0", "0"]


def test_the_fallback_page_escapes_the_message(graded):
    out = graded[1]
    page = (out / "feedback" / "xss_fallback" / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()
    assert "notice broken" in page and "xss-fallback" in page  # the page for a submission that broke
    assert scan(page).live == [] and scan(page).csp


def test_formgrader_renders_the_notebook_sanitised(graded):
    """Formgrader renders the autograded notebook with the course's nbgrader_config.py, through
    nbgrader's own formgrade template (as its server extension does). Before: the student's markdown
    and outputs were live HTML there, in the instructor's Jupyter session."""
    from nbconvert.exporters import HTMLExporter
    from nbgrader.server_extensions.formgrader import handlers
    from traitlets.config import Config
    from traitlets.config.loader import PyFileConfigLoader

    config = Config(PyFileConfigLoader("nbgrader_config.py", path=str(ROOT)).load_config())
    config.HTMLExporter.template_name = "formgrade"  # as FormgradeExtension.build_extra_config
    config.HTMLExporter.extra_template_basedirs = [handlers.template_path]
    notebook = graded[1] / ".nbgrader" / ASSIGNMENT / "autograded" / "xss_outputs" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    resources = {"assignment_id": ASSIGNMENT, "notebook_id": ASSIGNMENT, "submission_id": "1", "index": 0, "total": 1,
                 "base_url": "", "student": "xss_outputs", "last_name": None, "first_name": None,
                 "notebook_path": str(notebook)}  # what formgrader's SubmissionHandler passes
    page, _ = HTMLExporter(config=config).from_filename(str(notebook), resources=resources)
    assert "My notes" in page and "data:image/png;base64," in page
    assert scan(page, own_handlers=True).live == []
