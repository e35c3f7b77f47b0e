"""The grading worker: real nbgrader steps, each notebook's kernel in a sandbox, and the judge.

A workspace is an nbgrader course root holding only instructor data: its gradebook, the submitted,
autograded and feedback trees, and a release built from ``solutions/``. The sources are read from
the checkout and never written.

Run as a worker process (``python -m grader.nbgrader_backend ROOT``), it reads one task per line on
stdin (:class:`grader.scheduling.task.Task`: one notebook, of any assignment), sets up a workspace
``ROOT/<assignment>`` once per assignment (its release, built from the source the task carries, and
its gradebook; worker processes on one machine share it, the build under a file lock) and, for each
notebook:

1. starts the judge and a sandbox, and lets nbgrader autograde the notebook with the kernel inside
   the sandbox (a watchdog kills the sandbox when the whole notebook runs too long);
2. scores every problem from the judge's record only, and compares that with what the notebook
   itself reported (nbgrader's score of the hidden-test cell): a disagreement is reported as
   suspected tampering;
3. writes the verified scores into the gradebook, and generates feedback in which every hidden-test
   cell shows the verdict instead of its code;
4. prints the student's result, feedback included, as one line on stdout; the grading run writes it
   atomically into the results folder, so that a run killed half-way can resume where it stopped.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import signal
import sys
import threading
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

from traitlets.config import Config

from .nbgrader_startup import skip_iri_grammars
from .paths import SOLUTIONS
from .sanitize import clean_text
from .scheduling.task import Task, failed_result, grader_version
from .scheduling.worker import RESULT_PREFIX

PASSED = "passed"

# the status of one problem, as problems.csv and the feedback report it
VERIFIED, FAILED, NOT_RUN, TAMPERING = "passed", "failed", "not run", "suspected tampering"


@dataclass
class Job:
    """The assignment a worker grades a notebook of, in which workspace, under which limits."""

    workspace: str
    assignment: str
    notebook: str  # the notebook's file name without .ipynb
    unsafe: bool = False
    limits: dict | None = None


def nbgrader_config(root: Path, source: Path = SOLUTIONS, release: Path | None = None,
                    cell_timeout: int = 120) -> Config:
    """nbgrader configuration for a course root ``root`` whose sources are ``source``."""
    from nbgrader.converters import Autograde
    from nbgrader.preprocessors import Execute, SaveAutoGrades

    from .nbgrader_ext import MathToMathML, ShowVerdicts, StderrIsNotFailure
    from .sandbox.kernel import SandboxedExecute
    from .visible_split import sanitize_steps

    c = Config()
    c.CourseDirectory.course_id = "rnn-course"
    c.CourseDirectory.root = str(root)
    c.CourseDirectory.source_directory = str(source)
    c.CourseDirectory.release_directory = str(release or root / "release")
    # worker processes that share a workspace wait for each other's writes instead of failing
    c.CourseDirectory.db_url = f"sqlite:///{root / 'gradebook.db'}?timeout=120"
    # Order matters: the kernel runs in the sandbox; stderr is relabelled after execution and
    # before the scores are saved.
    steps = list(Autograde.class_traits()["autograde_preprocessors"].default())
    steps[steps.index(Execute)] = SandboxedExecute
    steps.insert(steps.index(SaveAutoGrades), StderrIsNotFailure)
    c.Autograde.autograde_preprocessors = steps
    c.Autograde.sanitize_preprocessors = sanitize_steps()  # grade cells' visible checks run apart
    c.SandboxedExecute.timeout = cell_timeout  # nbgrader's Execute always allows errors: it goes on after one
    c.SandboxedExecute.interrupt_on_timeout = True
    # After a cell's reply, its queued output may take a while to drain (a notebook that floods its
    # output); missing the tail of it must not fail the whole notebook, as nbgrader's default does.
    c.SandboxedExecute.iopub_timeout = 10
    c.SandboxedExecute.raise_on_iopub_timeout = False
    # Feedback: verdicts instead of hidden tests, maths as MathML, the course's page (grader/templates)
    # The feedback shows what student code displayed: sanitised last, rendered without scripts
    from .feedback_render import SanitizeNotebook, exporter_config

    c.GenerateFeedback.preprocessors = [ShowVerdicts, MathToMathML, *_feedback_steps(), SanitizeNotebook]
    c.HTMLExporter.extra_template_basedirs = feedback_template_dirs()
    exporter_config(c)
    return c


def feedback_template_dirs() -> list[str]:
    """Template folders: the course's ``feedback`` first (nbgrader's API always renders the template
    of that name), then nbgrader's own (its formgrader's templates)."""
    import nbgrader

    nbgrader_templates = Path(nbgrader.__file__).parent / "server_extensions" / "formgrader" / "templates"
    return [str(Path(__file__).parent / "templates"), str(nbgrader_templates)]


def _feedback_steps() -> list:
    from nbgrader.converters import GenerateFeedback

    return list(GenerateFeedback.class_traits()["preprocessors"].default())


def make_api(config: Config):
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    from .nbgrader_startup import read_schema_revision_in_process

    read_schema_revision_in_process()  # a new gradebook without an `alembic` process
    return NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)


KERNEL_DIED = ("the kernel died while the notebook ran (os._exit, a crash, out of memory, or the notebook "
               "ran longer than the grader allows and was stopped)")
KNOWN_FAILURES = {  # text in nbgrader's log -> what it means for the student
    "DeadKernelError": KERNEL_DIED,
    "Kernel died": KERNEL_DIED,
    "CellTimeoutError": "a cell ran longer than the grader allows and was stopped",
    "NotJSONError": "the notebook is not valid JSON",
}


def short_error(result: dict) -> str:
    """What went wrong in a failed nbgrader step, in one line."""
    text = (result.get("log") or "") + "\n" + (result.get("error") or "")
    for marker, meaning in KNOWN_FAILURES.items():
        if marker in text:
            return meaning
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    interesting = [line for line in lines if "Error" in line and "Please see" not in line]
    return (interesting or lines or ["unknown error"])[-1][:500]


def cell_messages(nb) -> dict[str, str]:
    """Per grade cell of an autograded notebook: 'passed' or the error the cell raised."""
    messages = {}
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if not meta.get("grade") or cell.cell_type != "code":
            continue
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        if errors:
            ename, evalue = errors[-1].get("ename", "Error"), errors[-1].get("evalue", "")
            messages[meta["grade_id"]] = evalue if ename == "CheckFailed" else f"{ename}: {evalue}"
        else:
            messages[meta["grade_id"]] = PASSED
    return messages


def notebook_scores(api, assignment_id: str, student_id: str, notebook_id: str) -> dict[str, tuple]:
    """grade_id -> (score, max_score), as the notebook's own run earned them in the gradebook."""
    scores = {}
    with api.gradebook as gb:
        submission = gb.find_submission_notebook(notebook_id, assignment_id, student_id)
        for grade in submission.grades:
            scores[grade.name] = (float(grade.auto_score or 0), float(grade.max_score))
    return scores


def save_verified_scores(api, assignment_id: str, student_id: str, notebook_id: str, scores: dict) -> None:
    """Overwrite nbgrader's scores with the verified ones, so the gradebook and feedback agree."""
    with api.gradebook as gb:
        submission = gb.find_submission_notebook(notebook_id, assignment_id, student_id)
        for grade in submission.grades:
            if grade.name in scores:
                grade.auto_score = scores[grade.name]
        gb.db.commit()


# ------------------------------------------------------------------------------ verdicts


def problem_rows(graded: list[tuple[str, float]], verdicts: dict, in_notebook: dict | None,
                 cell_errors: dict, error: str) -> dict[str, dict]:
    """One row per graded cell: points only from the judge's record, compared with the notebook's run.

    ``in_notebook`` is None when nbgrader could not finish the notebook (then there is nothing to
    compare with); ``cell_errors`` holds each grade cell's error in the notebook, if it raised.
    """
    rows = {}
    for grade_id, points in graded:
        name = grade_id.removeprefix("test_")
        verdict = verdicts.get(name)
        passed = verdict is not None and verdict.passed
        if verdict is not None:
            status, message = (VERIFIED if passed else FAILED), verdict.message
        else:
            status = NOT_RUN
            reason = cell_errors.get(grade_id)
            message = (f"the hidden check of {name} never ran"
                       + (f": {reason}" if reason and reason != PASSED else f" ({error})" if error else "."))
        if in_notebook is not None and grade_id in in_notebook:
            earned, maximum = in_notebook[grade_id]
            notebook_passed = maximum > 0 and earned >= maximum
            if notebook_passed != passed:
                status = TAMPERING
                said = "passed" if notebook_passed else "failed"
                message = (f"suspected tampering: the notebook reported this check as {said}, but the "
                           f"grader's own verification says: {message}")
        rows[grade_id] = {"score": points if passed else 0.0, "max_score": points, "status": status,
                          "message": clean_text(message)}
    return rows


def mark_verdicts(notebook_path: Path, rows: dict, assignment_id: str) -> None:
    """Put each problem's verdict and title into its grade cell's metadata, for the feedback (ShowVerdicts)."""
    import nbformat

    from .titles import problem_title

    nb = nbformat.read(str(notebook_path), as_version=4)
    for cell in nb.cells:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if grade_id in rows:
            cell.metadata["rnn_course"] = {k: rows[grade_id][k] for k in ("status", "message")}
            cell.metadata["rnn_course"]["title"] = problem_title(assignment_id, grade_id.removeprefix("test_"))
    nbformat.write(nb, str(notebook_path))


# ------------------------------------------------------------------------------ one student


def grade_student(api, job: Job, student_id: str, graded: list, secret: bytes) -> dict:
    """Autograde one submission in a sandbox, verify it with the judge, write its feedback."""
    import nbformat

    from .checks import get_problem
    from .feedback_render import read_pages, render_feedback
    from .sandbox import Limits, Sandbox
    from .sandbox.judge import Judge, seed_for
    from .sandbox.kernel import RUNNING_CELL, activate

    root, assignment_id, notebook_id = Path(job.workspace), job.assignment, job.notebook
    result = {"student_id": student_id, "assignment": assignment_id, "ok": False, "problems": {}, "error": ""}
    limits = Limits(**(job.limits or {}))
    problems = {}
    for grade_id, _ in graded:
        name = grade_id.removeprefix("test_")
        problems[name] = get_problem(name)

    sandbox = Sandbox(limits=limits, isolated=not job.unsafe)
    activate(sandbox)  # at once: a signal from here on removes it (remove_sandbox_and_exit)
    RUNNING_CELL.clear()
    watchdog = threading.Timer(limits.notebook_seconds, sandbox.kill)
    judge = Judge(sandbox.judge_socket, problems, lambda name: seed_for(secret, student_id, assignment_id, name),
                  answer_timeout=limits.cell_seconds + 30, give=sandbox.give)
    try:
        with judge:
            watchdog.start()
            try:
                autograded = api.autograde(assignment_id, student_id, force=True, create=True)
            finally:
                watchdog.cancel()
                watchdog.join()  # if it fired, its kill must be over before the next sandbox starts
                sandbox.kill()  # nothing the notebook started outlives its grading
        verdicts = dict(judge.verdicts)
        out_of_memory = sandbox.ran_out_of_memory()
        log_memory(student_id, sandbox)
    finally:
        sandbox.remove()  # still the active one: a signal meanwhile has the handler finish the removal
        activate(None)

    notebook_path = root / "autograded" / student_id / assignment_id / f"{notebook_id}.ipynb"
    in_notebook, cell_errors = None, {}
    if autograded["success"]:
        in_notebook = notebook_scores(api, assignment_id, student_id, notebook_id)
        cell_errors = cell_messages(nbformat.read(str(notebook_path), as_version=4))
    else:
        why = out_of_memory_message(limits) if out_of_memory else short_error(autograded)
        result["error"] = clean_text("nbgrader could not run the notebook to the end: " + why
                                     + running_cell_note(why))
        print(f"{student_id}: nbgrader autograde failed:\n{autograded.get('log') or ''}\n"
              f"{autograded.get('error') or ''}", file=sys.stderr, flush=True)  # the worker's log
        if notebook_path.exists():
            cell_errors = cell_messages(nbformat.read(str(notebook_path), as_version=4))
    result["problems"] = problem_rows(graded, verdicts, in_notebook, cell_errors, result["error"])

    if autograded["success"]:
        save_verified_scores(api, assignment_id, student_id, notebook_id,
                             {g: row["score"] for g, row in result["problems"].items()})
        mark_verdicts(notebook_path, result["problems"], assignment_id)
        # in a child process with memory and time limits: a page costs the worker a bounded amount
        failed = render_feedback(api, assignment_id, student_id, limits)
        if not failed:
            result["feedback"] = read_pages(root / "feedback" / student_id / assignment_id)
        else:
            result["feedback_error"] = clean_text(failed)
            print(f"{student_id}: no feedback page: {failed}", file=sys.stderr, flush=True)
    result["ok"] = True
    return result


STOPPED_IN_A_CELL = (KERNEL_DIED, KNOWN_FAILURES["CellTimeoutError"], "memory")


def running_cell_note(why: str) -> str:
    """Which cell was running when the kernel died or was stopped: the student's place to look."""
    from .sandbox.kernel import RUNNING_CELL
    from .sanitize import clean_text

    if "index" not in RUNNING_CELL or not any(reason in why for reason in STOPPED_IN_A_CELL):
        return ""
    lines = [line for line in RUNNING_CELL["source"].splitlines() if line.strip()]
    first = clean_text(lines[0].strip(), limit=120) if lines else "(an empty cell)"
    return f"; it stopped in cell {RUNNING_CELL['index'] + 1} of the notebook, which starts: {first}"


def out_of_memory_message(limits) -> str:
    return (f"the notebook's processes used more than {limits.notebook_memory_bytes / 2**30:g} GiB of memory "
            "together, and the kernel was stopped")


def log_memory(student_id: str, sandbox) -> None:
    """The notebook's peak memory, in the worker's log: what an instructor needs to set the limit."""
    peak = sandbox.cgroup.peak_memory() if sandbox.cgroup else None
    if peak is not None:
        print(f"{student_id}: peak memory {peak / 2**20:.0f} MiB", file=sys.stderr, flush=True)


def die_with_parent() -> None:
    """Linux: this worker gets SIGTERM when the grading run that started it dies (no stray graders),
    and on SIGTERM (or SIGHUP, SIGINT) it removes the sandbox it is grading in, then exits."""
    import ctypes

    for name in ("SIGTERM", "SIGHUP", "SIGINT"):
        signal.signal(getattr(signal, name), remove_sandbox_and_exit)
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() == 1:  # the parent died before prctl
        raise SystemExit(1)


def remove_sandbox_and_exit(signum, frame) -> None:
    """Signal handler: the kernel, its processes, control group and folders go; then the worker.

    Once is enough: a second signal (the grading run's death, then a hang-up) would run this again in
    the middle of its own clean-up and wait forever for a lock the first run holds.
    """
    for name in ("SIGTERM", "SIGHUP", "SIGINT"):
        signal.signal(getattr(signal, name), signal.SIG_IGN)
    from .feedback_render import rendering
    from .sandbox import kernel

    for child in list(rendering):
        with contextlib.suppress(OSError):
            os.kill(child, signal.SIGKILL)
    sandbox = kernel._active
    try:
        if sandbox is not None:
            sandbox.remove()
    finally:
        os._exit(128 + signum)


class SetupFailed(RuntimeError):
    """The assignment's release could not be built: no notebook of it can be graded."""


@contextlib.contextmanager
def file_lock(path: Path):
    """Held by one process at a time (the worker processes that share a workspace)."""
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@dataclass
class Workspace:
    """A worker's nbgrader state for one assignment: set up once, used for each of its notebooks."""

    root: Path
    api: object
    graded: list  # (grade_id, points) of the source's graded cells


def set_up(root: Path, task: Task) -> Workspace:
    """``root/<assignment>``: the source the task carries, its release and gradebook (built once)."""
    from .feedback_render import warm_up
    from .grading import graded_problems

    workspace = root / task.assignment
    source = workspace / "source"
    limits = task.limits or {}
    config = nbgrader_config(workspace, source=source, cell_timeout=limits.get("cell_seconds", 120))
    workspace.mkdir(parents=True, exist_ok=True)
    built = workspace / f".built-{hashlib.sha256(task.source).hexdigest()[:16]}"
    with file_lock(workspace / ".setup.lock"):
        if not built.exists():
            notebook = source / task.assignment / f"{task.notebook_name}.ipynb"
            notebook.parent.mkdir(parents=True, exist_ok=True)
            notebook.write_bytes(task.source)
            os.chdir(workspace)  # nbgrader resolves some paths against the working directory
            result = make_api(config).generate_assignment(task.assignment, force=True, create=True)
            if not result["success"]:
                raise SetupFailed(short_error(result))
            built.touch()
    try:
        warm_up(workspace / "release" / task.assignment / f"{task.notebook_name}.ipynb", task.assignment, config)
    except Exception:  # noqa: BLE001 - only a head start for the feedback pages: grade without it
        traceback.print_exc()  # the worker's log
    return Workspace(workspace, make_api(config), graded_problems(task.assignment, source))


def grade_task(workspaces: dict, root: Path, task: Task) -> dict:
    """Grade one notebook in this worker's workspace of its assignment."""
    key = (task.assignment, hashlib.sha256(task.source).hexdigest(), (task.limits or {}).get("cell_seconds"))
    setup = 0.0
    if key not in workspaces:
        started = time.monotonic()
        workspaces[key] = set_up(root, task)
        setup = time.monotonic() - started
    workspace = workspaces[key]
    submitted = workspace.root / "submitted" / task.student_id / task.assignment
    shutil.rmtree(submitted, ignore_errors=True)
    submitted.mkdir(parents=True)
    (submitted / f"{task.notebook_name}.ipynb").write_bytes(task.notebook)
    os.chdir(workspace.root)  # nbgrader resolves some paths against the working directory
    job = Job(str(workspace.root), task.assignment, task.notebook_name, unsafe=task.unsafe, limits=task.limits)
    result = grade_student(workspace.api, job, task.student_id, workspace.graded, task.secret)
    return {**result, "setup_seconds": setup}  # the worker's set-up for this assignment, if it came first


def serve(root: Path, tasks, replies) -> None:
    """Grade each task read from ``tasks`` (JSON lines) and print its result on ``replies``."""
    workspaces: dict = {}
    for line in tasks:
        task = Task.from_json(line)
        print(f"grading {task.name}", file=sys.stderr, flush=True)  # the worker's log
        if task.grader != grader_version():
            reply = {"fatal": f"this worker's grader ({grader_version()}) is not the one that sent the "
                              f"notebooks ({task.grader}): install the same version of the course everywhere"}
        else:
            started = time.monotonic()
            try:
                reply = grade_task(workspaces, root, task)
            except SetupFailed as exc:
                reply = {"fatal": f"{task.assignment}: could not build the assignment: {exc}"}
            except Exception as exc:  # one submission must never stop the others
                traceback.print_exc()  # the worker's log
                reply = failed_result(task, clean_text(f"grading failed: {type(exc).__name__}: {exc}"))
            reply["seconds"] = round(time.monotonic() - started, 2)  # for the class report's slowest notebooks
        print(RESULT_PREFIX + json.dumps(reply), file=replies, flush=True)


def main(argv: list[str]) -> int:
    die_with_parent()
    skip_iri_grammars()
    root = Path(argv[0])
    root.mkdir(parents=True, exist_ok=True)
    replies = os.fdopen(os.dup(sys.stdout.fileno()), "w")  # results only: anything else printed goes
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # to stdout's usual place, the log
    serve(root, sys.stdin, replies)
    sys.stderr.flush()
    os._exit(0)  # every notebook's sandbox is gone already; skip seconds of interpreter teardown


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
