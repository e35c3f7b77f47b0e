"""Hidden checks, one module per sprint, and the ``check`` entry point the notebooks call.

A sprint ``NN_topic`` has its module ``grader.checks.topic`` with a list ``PROBLEMS``. The hidden test
cell of a problem only says ``check("problem_name", the_function)``.

This ``check`` runs the whole check in one process (the self-check, the tests, a notebook run by
hand). While a notebook is graded, its kernel imports ``grader/sandbox/client.py`` under this name
instead: the same call, answered by the grader's judge outside the sandbox.
"""

from __future__ import annotations

import importlib
from functools import cache

from .framework import CheckFailed, Problem, Verdict, run_check, run_value_check

SPRINTS = (
    "01_rnn_forward",
    "02_rnn_backward",
    "03_lstm_forward",
    "04_lstm_backward",
    "05_parameter_counting",
    "06_gradient_clipping",
    "07_keras_comparison",
    "08_char_rnn",
    "09_training_and_inspecting",
    "10_numpy_char_lstm",
)


def sprint_module_name(sprint: str) -> str:
    return "grader.checks." + sprint.split("_", 1)[1]


@cache
def problems_of(sprint: str) -> tuple[Problem, ...]:
    """The graded problems of one sprint, in notebook order ([] for a sprint not written yet)."""
    try:
        module = importlib.import_module(sprint_module_name(sprint))
    except ModuleNotFoundError as exc:
        if exc.name == sprint_module_name(sprint):
            return ()
        raise
    return tuple(module.PROBLEMS)


@cache
def all_problems() -> dict[str, Problem]:
    problems = {}
    for sprint in SPRINTS:
        for problem in problems_of(sprint):
            if problem.name in problems:
                raise ValueError(f"two problems are named {problem.name!r}")
            problems[problem.name] = problem
    return problems


def get_problem(name: str) -> Problem:
    try:
        return all_problems()[name]
    except KeyError:
        raise KeyError(f"no hidden check is named {name!r}") from None


def verify(name: str, answer, seed: int | None = None) -> Verdict:
    """Run the hidden check ``name`` on ``answer`` (a function, or a value for value problems)."""
    problem = get_problem(name)
    if problem.kind == "value":
        return run_value_check(problem, answer)
    return run_check(problem, answer, seed)


def check(name: str, answer, seed: int | None = None) -> None:
    """Hidden-test entry point: print a pass line, or raise CheckFailed with the specific message."""
    verdict = verify(name, answer, seed)
    if not verdict.passed:
        raise CheckFailed(verdict.message) from None
    print(verdict.message)


__all__ = ["CheckFailed", "Problem", "SPRINTS", "all_problems", "check", "get_problem",
           "problems_of", "verify"]
