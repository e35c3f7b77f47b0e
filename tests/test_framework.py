"""The check framework itself: messages coarse to fine, mutation, exceptions, the check() entry."""

import numpy as np
import pytest

from grader.checks import CheckFailed, check, get_problem, verify
from grader.checks.framework import Case, call_student, compare_array, compare_output, compare_scalar
from grader.visible import VisibleCheckFailed, expect_array, expect_equal, expect_scalar

EXPECTED = np.arange(6.0).reshape(2, 3)


@pytest.mark.parametrize("got, fragment", [
    ([[0, 1, 2], [3, 4, 5]], "should be a numpy array"),
    (np.arange(6).reshape(2, 3), "should be a floating-point array"),
    (EXPECTED.astype(np.float32), "work in float64"),
    (EXPECTED.T, "has shape (3, 2); expected (2, 3)"),
    (np.full((2, 3), np.nan), "contains NaN or inf"),
    (EXPECTED + 0.5, "wrong values"),
])
def test_compare_array_reports_coarse_to_fine(got, fragment):
    message = compare_array("h", got, EXPECTED, np.dtype(np.float64))
    assert fragment in message


def test_compare_array_accepts_float32_within_tolerance_for_float32_cases():
    got = (EXPECTED + 1e-6).astype(np.float32)
    assert compare_array("h", got, EXPECTED, np.dtype(np.float32)) is None
    assert compare_array("h", EXPECTED + 1e-3, EXPECTED, np.dtype(np.float32)) is not None


def test_compare_output_checks_tuple_structure():
    expected = (EXPECTED, EXPECTED)
    assert "tuple of 2 items" in compare_output(("a", "b"), [EXPECTED, EXPECTED], expected, np.float64)
    assert "returned 1" in compare_output(("a", "b"), (EXPECTED,), expected, np.float64)
    assert "b has shape" in compare_output(("a", "b"), (EXPECTED, EXPECTED.T), expected, np.float64)


def test_compare_scalar():
    assert compare_scalar("e", 1.0, 1.0, np.float64) is None
    assert "should be a number" in compare_scalar("e", "1.0", 1.0, np.float64)
    assert "should be a number" in compare_scalar("e", True, 1.0, np.float64)


def test_call_student_reports_mutation_and_exceptions():
    case = Case((np.ones(3), np.zeros(2)))

    def mutate(a, b):
        a[0] = 5
        return a

    outcome = call_student(mutate, case, ("x", "y"))
    assert outcome.mutated == ["x"] and case.args[0][0] == 1  # the case itself is untouched
    outcome = call_student(lambda a, b: 1 / 0, case)
    assert outcome.error_type == "ZeroDivisionError"


def test_object_claiming_equality_is_not_accepted():
    class AlwaysEqual:
        def __eq__(self, other):
            return True

    assert not verify("rnn_step_forward", lambda *args: AlwaysEqual(), seed=1).passed


def test_check_raises_with_the_message_and_prints_on_success(capsys):
    with pytest.raises(CheckFailed, match="not implemented yet"):
        check("rnn_step_forward", lambda *a: (_ for _ in ()).throw(NotImplementedError()))
    check("rnn_step_forward", get_problem("rnn_step_forward").reference)
    assert "hidden cases passed" in capsys.readouterr().out


def test_fresh_random_inputs_on_every_run():
    problem = get_problem("rnn_step_forward")
    first = problem.generate(np.random.default_rng(1))
    second = problem.generate(np.random.default_rng(2))
    assert not np.array_equal(first[0].args[0], second[0].args[0])
    shapes = [c.args[0].shape[0] for c in first]
    assert 1 in shapes  # N = 1 is always among the cases
    assert {c.dtype for c in first} == {np.dtype(np.float32), np.dtype(np.float64)}


def test_unknown_problem_name():
    with pytest.raises(KeyError, match="no hidden check is named"):
        verify("no_such_problem", print)


def test_visible_helpers():
    expect_array("h", EXPECTED, (2, 3), EXPECTED)
    with pytest.raises(VisibleCheckFailed, match="shape"):
        expect_array("h", EXPECTED, (3, 2))
    with pytest.raises(VisibleCheckFailed, match="Hint: look at Wh"):
        expect_array("h", EXPECTED + 1, (2, 3), EXPECTED, hint="look at Wh")
    expect_scalar("e", 0.5, 0.5)
    with pytest.raises(VisibleCheckFailed):
        expect_scalar("e", 0.6, 0.5)
    expect_equal("shape", (None, 4), (None, 4))
    with pytest.raises(VisibleCheckFailed):
        expect_equal("shape", [None, 4], (None, 4))


def test_expect_count():
    from grader.visible import expect_count

    expect_count("params", 8320, 8320)
    expect_count("params", np.int64(8320), 8320)
    with pytest.raises(VisibleCheckFailed, match="should be an int"):
        expect_count("params", 8320.0, 8320)
    with pytest.raises(VisibleCheckFailed, match="expected 8,320"):
        expect_count("params", 8321, 8320)
