"""The self-check: run one notebook in a real kernel, then its hidden checks, and report per problem.

The notebook is executed top to bottom like the autograder does (a failing cell does not stop the
rest); then one extra cell runs ``verify`` on every graded problem in the kernel's namespace and
prints the verdicts as JSON, which this process reads back.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path

import nbformat

from .grading import problem_name, worker_env

REPORT_PREFIX = "@@self-check "
CELL_TIMEOUT_S = 300


@dataclass
class ProblemVerdict:
    problem: str
    points: float
    passed: bool
    message: str


def report_in_kernel(problem_names: list[str], namespace: dict) -> None:
    """Runs inside the kernel: verify each problem's answer from ``namespace`` and print JSON."""
    from grader.checks import get_problem, verify

    verdicts = {}
    for name in problem_names:
        try:
            problem = get_problem(name)
        except KeyError as exc:
            verdicts[name] = {"passed": False, "message": str(exc)}
            continue
        if problem.answer_name not in namespace:
            verdicts[name] = {"passed": False, "message": f"{problem.answer_name} is not defined: "
                              "run the cell that defines it (did it raise an error?)."}
            continue
        verdict = verify(name, namespace[problem.answer_name])
        verdicts[name] = {"passed": verdict.passed, "message": verdict.message}
    print(REPORT_PREFIX + json.dumps(verdicts))


def graded_cells(nb) -> list[tuple[str, float]]:
    cells = [c.metadata.get("nbgrader", {}) for c in nb.cells if c.cell_type == "code"]
    return [(problem_name(m["grade_id"]), float(m.get("points", 0))) for m in cells if m.get("grade")]


def self_check(path: Path, timeout: int = CELL_TIMEOUT_S) -> list[ProblemVerdict]:
    from nbclient import NotebookClient

    path = Path(path)
    nb = nbformat.read(str(path), as_version=4)
    problems = graded_cells(nb)
    if not problems:
        raise ValueError(f"{path} has no graded problems: is it a course notebook?")
    names = [name for name, _ in problems]
    nb.cells.append(nbformat.v4.new_code_cell(
        f"from grader.selfcheck import report_in_kernel\nreport_in_kernel({names!r}, globals())"))
    client = NotebookClient(nb, timeout=timeout, allow_errors=True, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent.resolve())}})
    # The kernel must be this environment's Python. Its own process log (not the notebook's
    # output, which the kernel captures) is start-up chatter that would only confuse a student.
    client.execute(env=worker_env(), stderr=subprocess.DEVNULL)
    verdicts = {}
    for output in nb.cells[-1].get("outputs", []):
        for line in output.get("text", "").splitlines():
            if line.startswith(REPORT_PREFIX):
                verdicts = json.loads(line[len(REPORT_PREFIX):])
    if not verdicts:
        raise RuntimeError("the notebook's kernel did not report the checks (did it crash?)")
    return [ProblemVerdict(name, points, verdicts[name]["passed"], verdicts[name]["message"])
            for name, points in problems]


def format_verdicts(path: Path, verdicts: list[ProblemVerdict]) -> str:
    earned = sum(v.points for v in verdicts if v.passed)
    total = sum(v.points for v in verdicts)
    lines = [f"Self-check of {path}: {earned:g}/{total:g} points", ""]
    for v in verdicts:
        mark = "PASS" if v.passed else "FAIL"
        lines.append(f"  {mark}  {v.problem} ({v.points:g} pt)")
        if not v.passed:
            lines.append(f"        {v.message}")
    return "\n".join(lines)


def as_json(path: Path, verdicts: list[ProblemVerdict]) -> str:
    return json.dumps({"notebook": str(path), "problems": [asdict(v) for v in verdicts]}, indent=2)
