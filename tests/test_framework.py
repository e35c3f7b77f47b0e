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


# ---------------------------------------------------------------- views, aliasing, messages


def test_layouts_pass_equal_values_in_non_contiguous_memory():
    from grader.checks.framework import as_layout

    a = np.arange(12.0).reshape(3, 4)
    for layout in ("transposed", "strided"):
        view = as_layout(a, layout)
        assert np.array_equal(view, a) and view.dtype == a.dtype and not view.flags.c_contiguous
        assert view.base is not None  # a view of a larger or transposed buffer
    ids = np.arange(5)
    assert np.array_equal(as_layout(ids, "strided"), ids)
    assert as_layout(np.array(2.0), "strided").shape == ()  # 0-d arrays are passed unchanged
    grads = as_layout([a, np.ones(3)], "strided")
    assert isinstance(grads, list) and all(not g.flags.c_contiguous for g in grads)


def test_every_function_problem_gets_view_cases():
    from grader.checks import all_problems

    for problem in all_problems().values():
        if problem.kind != "function" or not problem.views:
            continue
        cases = problem.cases(np.random.default_rng(0))
        layouts = {c.layout for c in cases}
        has_arrays = any(isinstance(a, (np.ndarray, list)) for c in cases for a in c.args)
        if has_arrays:
            assert {"transposed", "strided"} <= layouts, problem.name
            assert any("non-contiguous" in c.label for c in cases)


def test_writing_through_ravel_into_a_view_is_an_in_place_change():
    case = Case((np.arange(6.0).reshape(2, 3),), layout="strided")

    def writes_through_reshape(z):
        z.reshape(z.shape)[...] = 0  # a shape-preserving reshape is a view, even of a view
        return np.ones(3)

    assert call_student(writes_through_reshape, case, ("z",)).mutated == ["z"]
    assert call_student(lambda z: z.ravel() * 1.0, case, ("z",)).mutated == []


@pytest.mark.parametrize("returned, shared", [
    (lambda g, c: g, True),
    (lambda g, c: g.T, True),
    (lambda g, c: np.asarray(g).reshape(-1), True),
    (lambda g, c: [g[0]], True),
    (lambda g, c: g.copy(), False),
    (lambda g, c: np.lib.stride_tricks.sliding_window_view(g, 1, axis=0), False),  # read-only: harmless
])
def test_results_sharing_memory_with_an_argument_are_reported(returned, shared):
    outcome = call_student(returned, Case((np.arange(4.0).reshape(2, 2), 1.0)), ("grad", "clip_norm"))
    assert (outcome.aliased == ["grad"]) is shared


def test_returning_the_callers_list_is_aliasing():
    outcome = call_student(lambda grads: grads, Case(([np.ones(2)],)), ("grads",))
    assert outcome.aliased == ["grads"]


def test_aliasing_and_layout_travel_through_the_wire_and_fail_the_check():
    verdict = verify("clip_by_norm", lambda grad, clip_norm: grad, seed=4)
    assert not verdict.passed and "not a copy" in verdict.message


def test_messages_name_the_case_without_the_seed():
    verdict = verify("rnn_step_forward", lambda x, h, Wx, Wh, b: np.tanh(x @ Wx + h @ Wh), seed=11)
    assert not verdict.passed and "seed" not in verdict.message
    assert "hidden case: N=" in verdict.message
    assert verdict.seed == 11 and verdict.case == 1  # for an instructor: Session(problem, 11).cases[0]


def test_raw_exceptions_are_translated():
    from grader.checks.framework import explain_error

    case = Case(())
    assert "return_sequences=True" in explain_error(
        "ValueError: Input 0 of layer 'lstm_1' is incompatible with the layer: expected ndim=3, found ndim=2.", case)
    assert "transposed" in explain_error("ValueError: matmul: Input operand 1 has a mismatch in its core "
                                         "dimension 0", case)
    assert "np.asarray" in explain_error("TypeError: 'float' object is not subscriptable", case)
    assert "problem's own" in explain_error("ZeroDivisionError: x", case, {"ZeroDivision": "problem's own"})
    assert explain_error("RuntimeError: something else", case) == ""


def test_a_scalar_counts_as_the_expected_0d_array():
    expected = np.array(0.5)
    assert compare_array("s", 0.5, expected, np.dtype(np.float64)) is None
    assert compare_array("s", np.float64(0.5), expected, np.dtype(np.float64)) is None
    assert "shape (1,)" in compare_array("s", np.array([0.5]), expected, np.dtype(np.float64))
