"""Every graded problem: typical wrong implementations lose the points, other correct ones earn them.

The checks are called directly, in-process, with several fresh seeds: a wrong implementation must
fail on every seed (so the hidden cases catch it reliably), a correct one must pass on every seed.
A wrong implementation given as ``(function, fragment)`` must also be named: its message must
contain ``fragment`` (a piece of the hint, or of the translated exception) on every seed.
"""

import importlib
import re

import pytest

from grader.checks import SPRINTS, all_problems, get_problem, problems_of, sprint_module_name, verify

SEEDS = (1, 2, 3)
MIN_WRONG, MIN_CORRECT = 5, 2


def module_of(sprint):
    return importlib.import_module("tests.implementations." + sprint_module_name(sprint).rsplit(".", 1)[1])


def implementations(kind):
    for sprint in SPRINTS:
        if not problems_of(sprint):
            continue
        for problem, impls in getattr(module_of(sprint), kind).items():
            for description, entry in impls.items():
                func, fragment = entry if isinstance(entry, tuple) else (entry, None)
                params = (problem, func) if kind == "CORRECT" else (problem, func, fragment)
                yield pytest.param(*params, id=f"{problem}: {description}")


def answer_of(problem_name, func):
    return func() if get_problem(problem_name).kind == "value" else func


@pytest.mark.parametrize("problem_name, func, fragment", list(implementations("WRONG")))
def test_wrong_implementation_loses_the_points(problem_name, func, fragment):
    for seed in SEEDS:
        verdict = verify(problem_name, answer_of(problem_name, func), seed=seed)
        assert not verdict.passed, f"seed {seed}: a wrong implementation passed"
        assert verdict.message
        assert not re.search(r"seed \d|case \d+ of \d+", verdict.message)  # cases named in the student's terms
        if fragment:
            assert fragment in verdict.message, f"seed {seed}: the mistake is not named"


@pytest.mark.parametrize("problem_name, func", list(implementations("CORRECT")))
def test_correct_implementation_earns_the_points(problem_name, func):
    for seed in SEEDS:
        verdict = verify(problem_name, answer_of(problem_name, func), seed=seed)
        assert verdict.passed, verdict.message


@pytest.mark.parametrize("problem_name", list(all_problems()))
def test_reference_passes_its_own_check(problem_name):
    problem = get_problem(problem_name)
    answer = problem.reference() if problem.kind == "value" else problem.reference
    assert verify(problem_name, answer, seed=7).passed


@pytest.mark.parametrize("problem_name", list(all_problems()))
def test_every_problem_has_enough_implementations(problem_name):
    module = module_of(get_problem(problem_name).sprint)
    assert len(module.WRONG.get(problem_name, {})) >= MIN_WRONG
    assert len(module.CORRECT.get(problem_name, {})) >= MIN_CORRECT
