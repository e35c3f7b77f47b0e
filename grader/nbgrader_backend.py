"""The grading worker: real nbgrader steps, each notebook's kernel in a sandbox, and the judge.

A workspace is an nbgrader course root holding only instructor data: its gradebook, the submitted,
autograded and feedback trees, and a release built from ``solutions/``. The sources are read from
the checkout and never written.

Run as a worker process (``python -m grader.nbgrader_backend JOB.json``), it builds the assignment
and then, for each student in turn:

1. starts the judge and a sandbox, and lets nbgrader autograde the notebook with the kernel inside
   the sandbox (a watchdog kills the sandbox when the whole notebook runs too long);
2. scores every problem from the judge's record only, and compares that with what the notebook
   itself reported (nbgrader's score of the hidden-test cell): a disagreement is reported as
   suspected tampering;
3. writes the verified scores into the gradebook, and generates feedback in which every hidden-test
   cell shows the verdict instead of its code;
4. writes the student's result atomically into the results folder, feedback included, and prints
   one line, so that a grading run killed half-way can resume where it stopped.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

from traitlets.config import Config

from .paths import SOLUTIONS

PASSED = "passed"
RESULT_PREFIX = "@@grader-result "  # marks the worker's result lines among log output

# the status of one problem, as problems.csv and the feedback report it
VERIFIED, FAILED, NOT_RUN, TAMPERING = "passed", "failed", "not run", "suspected tampering"


@dataclass
class Job:
    """What a worker grades: written by the grading run as JSON, read by the worker."""

    workspace: str
    assignment: str
    notebook: str  # the notebook's file name without .ipynb
    results: str  # folder of the per-student result files
    secret_file: str
    students: list
    unsafe: bool = False
    limits: dict | None = None


def nbgrader_config(root: Path, source: Path = SOLUTIONS, release: Path | None = None,
                    cell_timeout: int = 120) -> Config:
    """nbgrader configuration for a course root ``root`` whose sources are ``source``."""
    from nbgrader.converters import Autograde
    from nbgrader.preprocessors import Execute, SaveAutoGrades

    from .nbgrader_ext import ShowVerdicts, StderrIsNotFailure
    from .sandbox.kernel import SandboxedExecute
    from .visible_split import sanitize_steps

    c = Config()
    c.CourseDirectory.course_id = "rnn-course"
    c.CourseDirectory.root = str(root)
    c.CourseDirectory.source_directory = str(source)
    c.CourseDirectory.release_directory = str(release or root / "release")
    c.CourseDirectory.db_url = f"sqlite:///{root / 'gradebook.db'}"
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
    c.GenerateFeedback.preprocessors = [ShowVerdicts, *_feedback_steps()]
    return c


def _feedback_steps() -> list:
    from nbgrader.converters import GenerateFeedback

    return list(GenerateFeedback.class_traits()["preprocessors"].default())


def make_api(config: Config):
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

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
                          "message": message}
    return rows


def mark_verdicts(notebook_path: Path, rows: dict) -> None:
    """Put each problem's verdict into its grade cell's metadata, for the feedback (ShowVerdicts)."""
    import nbformat

    nb = nbformat.read(str(notebook_path), as_version=4)
    for cell in nb.cells:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if grade_id in rows:
            cell.metadata["rnn_course"] = {k: rows[grade_id][k] for k in ("status", "message")}
    nbformat.write(nb, str(notebook_path))


# ------------------------------------------------------------------------------ one student


def grade_student(api, job: Job, student_id: str, graded: list, secret: bytes) -> dict:
    """Autograde one submission in a sandbox, verify it with the judge, write its feedback."""
    import nbformat

    from .checks import get_problem
    from .sandbox import Limits, Sandbox
    from .sandbox.judge import Judge, seed_for
    from .sandbox.kernel import activate

    root, assignment_id, notebook_id = Path(job.workspace), job.assignment, job.notebook
    result = {"student_id": student_id, "assignment": assignment_id, "ok": False, "problems": {}, "error": ""}
    limits = Limits(**(job.limits or {}))
    problems = {}
    for grade_id, _ in graded:
        name = grade_id.removeprefix("test_")
        problems[name] = get_problem(name)

    sandbox = Sandbox(limits=limits, isolated=not job.unsafe)
    activate(sandbox)
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
        activate(None)
        sandbox.remove()

    notebook_path = root / "autograded" / student_id / assignment_id / f"{notebook_id}.ipynb"
    in_notebook, cell_errors = None, {}
    if autograded["success"]:
        in_notebook = notebook_scores(api, assignment_id, student_id, notebook_id)
        cell_errors = cell_messages(nbformat.read(str(notebook_path), as_version=4))
    else:
        why = out_of_memory_message(limits) if out_of_memory else short_error(autograded)
        result["error"] = "nbgrader could not run the notebook to the end: " + why
        print(f"{student_id}: nbgrader autograde failed:\n{autograded.get('log') or ''}\n"
              f"{autograded.get('error') or ''}", file=sys.stderr, flush=True)  # the worker's log
        if notebook_path.exists():
            cell_errors = cell_messages(nbformat.read(str(notebook_path), as_version=4))
    result["problems"] = problem_rows(graded, verdicts, in_notebook, cell_errors, result["error"])

    if autograded["success"]:
        save_verified_scores(api, assignment_id, student_id, notebook_id,
                             {g: row["score"] for g, row in result["problems"].items()})
        mark_verdicts(notebook_path, result["problems"])
        feedback = api.generate_feedback(assignment_id, student_id, force=True)
        if feedback["success"]:
            pages = sorted((root / "feedback" / student_id / assignment_id).glob("*.html"))
            result["feedback"] = {page.name: page.read_text(encoding="utf-8") for page in pages}
        else:
            result["feedback_error"] = short_error(feedback)
    result["ok"] = True
    return result


def out_of_memory_message(limits) -> str:
    return (f"the notebook's processes used more than {limits.notebook_memory_bytes / 2**30:g} GiB of memory "
            "together, and the kernel was stopped")


def log_memory(student_id: str, sandbox) -> None:
    """The notebook's peak memory, in the worker's log: what an instructor needs to set the limit."""
    peak = sandbox.cgroup.peak_memory() if sandbox.cgroup else None
    if peak is not None:
        print(f"{student_id}: peak memory {peak / 2**20:.0f} MiB", file=sys.stderr, flush=True)


def write_result(results: Path, result: dict, fingerprint: str) -> None:
    """Atomically: a result file is either complete or absent."""
    result = {**result, "fingerprint": fingerprint}
    target = results / f"{result['student_id']}.json"
    partial = target.with_suffix(".partial")
    partial.write_text(json.dumps(result))
    os.replace(partial, target)


def die_with_parent() -> None:
    """Linux: this worker gets SIGKILL when the grading run that started it dies (no stray graders)."""
    import ctypes
    import signal

    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() == 1:  # the parent died before prctl
        raise SystemExit(1)


def main(argv: list[str]) -> int:
    from .grading import graded_problems

    die_with_parent()
    job = Job(**json.loads(Path(argv[0]).read_text()))
    root = Path(job.workspace)
    os.chdir(root)  # nbgrader resolves some paths against the working directory
    secret = Path(job.secret_file).read_bytes()
    limits = job.limits or {}
    api = make_api(nbgrader_config(root, cell_timeout=limits.get("cell_seconds", 120)))
    built = api.generate_assignment(job.assignment, force=True, create=True)
    if not built["success"]:
        fatal = {"fatal": "could not build the assignment: " + short_error(built)}
        print(RESULT_PREFIX + json.dumps(fatal), flush=True)
        return 1
    graded = graded_problems(job.assignment)
    results = Path(job.results)
    for student_id, fingerprint in job.students:
        try:
            line = grade_student(api, job, student_id, graded, secret)
        except Exception as exc:  # one submission must never stop the others
            line = {"student_id": student_id, "assignment": job.assignment, "ok": False, "problems": {},
                    "error": f"grading failed: {type(exc).__name__}: {exc}"}
        write_result(results, line, fingerprint)
        print(RESULT_PREFIX + json.dumps({k: line[k] for k in ("student_id", "assignment", "ok", "problems")}),
              flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
