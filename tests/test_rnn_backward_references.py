"""The references of sprint 02_rnn_backward against numerical gradients, Keras and known values."""

import copy

import numpy as np
import pytest

from grader.checks import rnn_backward as rb
from grader.checks.framework import compare_output
from tests.numerics import numerical_gradient

SHAPES = [(1, 1, 3, 2), (2, 4, 3, 5), (3, 6, 2, 2)]  # (N, T, D, H)




def assert_close(got, expected, rtol=1e-6, atol=1e-8):
    np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol)


def random_rnn(rng, N, T, D, H, radius=0.9):
    x = rng.normal(size=(N, T, D))
    h0 = rng.uniform(-0.5, 0.5, (N, H))
    Wx, Wh, b = rb.rnn_weights(rng, D, H, radius)
    return x, h0, Wx, Wh, b


# ---------------------------------------------------------------- backward passes


@pytest.mark.parametrize("N, T, D, H", SHAPES)
def test_step_backward_matches_numerical_gradient(N, T, D, H):
    rng = np.random.default_rng(N * 100 + D * 10 + H)
    x_t, h_prev = rng.normal(size=(N, D)), rng.uniform(-0.9, 0.9, (N, H))
    Wx, Wh, b = rb.rnn_weights(rng, D, H)
    dh_next = rng.normal(size=(N, H))
    loss = lambda: np.sum(dh_next * np.tanh(x_t @ Wx + h_prev @ Wh + b))
    h_next = np.tanh(x_t @ Wx + h_prev @ Wh + b)
    grads = rb.ref_rnn_step_backward(dh_next, x_t, h_prev, h_next, Wx, Wh)
    for got, var in zip(grads, (x_t, h_prev, Wx, Wh, b)):
        assert got.shape == var.shape
        assert_close(got, numerical_gradient(loss, var))


@pytest.mark.parametrize("N, T, D, H", SHAPES)
def test_rnn_backward_matches_numerical_gradient(N, T, D, H):
    rng = np.random.default_rng(7 + N * T)
    x, h0, Wx, Wh, b = random_rnn(rng, N, T, D, H, radius=1.2)
    dh = rng.normal(size=(N, T, H))
    loss = lambda: np.sum(dh * rb.forward_states(x, h0, Wx, Wh, b))
    grads = rb.ref_rnn_backward(dh, x, h0, rb.forward_states(x, h0, Wx, Wh, b), Wx, Wh)
    for got, var in zip(grads, (x, h0, Wx, Wh, b)):
        assert got.shape == var.shape
        assert_close(got, numerical_gradient(loss, var))


def test_rnn_backward_matches_keras_simple_rnn():
    import keras
    import tensorflow as tf

    rng = np.random.default_rng(3)
    N, T, D, H = 2, 5, 3, 4
    x, h0, Wx, Wh, b = random_rnn(rng, N, T, D, H, radius=1.1)
    dh = rng.normal(size=(N, T, H))
    layer = keras.layers.SimpleRNN(H, return_sequences=True, dtype="float64")
    layer.build((N, T, D))
    layer.set_weights([Wx, Wh, b])
    xv, h0v = tf.Variable(x), tf.Variable(h0)
    with tf.GradientTape() as tape:
        h = layer(xv, initial_state=[h0v])
        loss = tf.reduce_sum(tf.constant(dh) * h)
    dx, dh0, dWx, dWh, db = (g.numpy() for g in tape.gradient(loss, [xv, h0v, *layer.trainable_weights]))
    ours = rb.ref_rnn_backward(dh, x, h0, h.numpy(), Wx, Wh)
    for got, expected in zip(ours, (dx, dh0, dWx, dWh, db)):
        assert_close(got, expected, rtol=1e-9, atol=1e-12)


def test_references_accept_float32_return_float64_and_leave_inputs_alone():
    rng = np.random.default_rng(11)
    x, h0, Wx, Wh, b = random_rnn(rng, 2, 4, 3, 2)
    h = rb.forward_states(x, h0, Wx, Wh, b)
    dh = rng.normal(size=h.shape)
    args = tuple(a.astype(np.float32) for a in (dh, x, h0, h, Wx, Wh))
    before = copy.deepcopy(args)
    for out in (*rb.ref_rnn_backward(*args), *rb.ref_rnn_backward_windowed(*args, 2),
                rb.ref_gradient_norm_through_time(args[5], args[3], args[0][:, -1])):
        assert out.dtype == np.float64
    for a, c in zip(args, before):
        assert np.array_equal(a, c)
    full64 = rb.ref_rnn_backward(*(a.astype(np.float64) for a in args))
    for got, expected in zip(rb.ref_rnn_backward(*args), full64):
        assert_close(got, expected, rtol=1e-12, atol=1e-14)


# ---------------------------------------------------------------- numerical_gradient, relative_error


@pytest.mark.parametrize("eps", [1e-5, 1e-2, 0.1])
def test_numerical_gradient_of_a_cubic_is_exactly_3x2_plus_eps2(eps):
    # ((x + e)**3 - (x - e)**3) / (2 e) = 3 x**2 + e**2: the eps dependence, visible and exact
    rng = np.random.default_rng(5)
    x, w = rng.uniform(-2, 2, (3, 4)), rng.normal(size=(3, 4))
    x_before = x.copy()
    grad = rb.ref_numerical_gradient(lambda: np.sum(w * x**3), x, eps=eps)
    assert grad.shape == x.shape and grad.dtype == np.float64
    assert_close(grad, w * (3 * x**2 + eps**2), rtol=1e-6 if eps < 1e-3 else 1e-9, atol=1e-8)
    assert np.array_equal(x, x_before)  # restored exactly


def test_numerical_gradient_default_eps_and_three_dimensions():
    rng = np.random.default_rng(6)
    x = rng.normal(size=(2, 3, 2))
    grad = rb.ref_numerical_gradient(lambda: np.sum(np.exp(x)) + np.sum(x) ** 2, x)
    assert_close(grad, np.exp(x) + 2 * np.sum(x), rtol=1e-8)


def test_relative_error_known_values():
    assert rb.ref_relative_error(np.zeros((2, 2)), np.zeros((2, 2))) == 0.0
    assert rb.ref_relative_error(np.array([1.0]), np.array([3.0])) == pytest.approx(0.5)
    assert rb.ref_relative_error(np.array([1.0, -1.0]), np.array([1.0, 1.0])) == pytest.approx(1.0)
    assert rb.ref_relative_error(np.zeros(3), np.array([0.0, 2.0, -1.0])) == pytest.approx(1.0)
    assert rb.ref_relative_error(np.array([1e-9]), np.array([0.0])) == pytest.approx(0.1)  # the 1e-8 floor
    a = np.array([[100.0, 1.0], [0.0, 0.0]])
    b = np.array([[101.0, 1.001], [0.0, 0.0]])
    assert rb.ref_relative_error(a, b) == pytest.approx(1 / 201)
    assert rb.ref_relative_error(b, a) == rb.ref_relative_error(a, b)
    assert type(rb.ref_relative_error(a, b)) is float


# ---------------------------------------------------------------- gradient_norm_through_time


def test_gradient_norms_equal_backward_from_each_state():
    """dL/dh_t is the dh0 of a backward pass over the rest of the sequence, started at h_t."""
    rng = np.random.default_rng(9)
    N, T, D, H = 3, 6, 2, 4
    x, h0, Wx, Wh, b = random_rnn(rng, N, T, D, H, radius=1.3)
    h = rb.forward_states(x, h0, Wx, Wh, b)
    dh_last = rng.normal(size=(N, H))
    norms = rb.ref_gradient_norm_through_time(Wh, h, dh_last)
    assert norms.shape == (T,)
    for t in range(T):
        rest = np.zeros((N, T - 1 - t, H))
        if t < T - 1:
            rest[:, -1] = dh_last
            dh_t = rb.ref_rnn_backward(rest, x[:, t + 1:], h[:, t], h[:, t + 1:], Wx, Wh)[1]
        else:
            dh_t = dh_last
        # and numerically: L(h_t) = sum(dh_last * last state of the forward pass started at h_t)
        start = h[:, t].copy()
        loss = lambda: np.sum(dh_last * (rb.forward_states(x[:, t + 1:], start, Wx, Wh, b)[:, -1]
                                         if t < T - 1 else start))
        assert_close(numerical_gradient(loss, start), dh_t)
        assert norms[t] == pytest.approx(np.linalg.norm(dh_t), rel=1e-10)


@pytest.mark.parametrize("radius", [0.5, 1.0, 1.7])
def test_gradient_norms_in_the_linear_regime_scale_as_radius_to_the_power_k(radius):
    # with h = 0 the tanh derivative is 1, and an orthogonal Wh scaled by r multiplies every norm by r
    rng = np.random.default_rng(2)
    H, T = 5, 8
    Q, _ = np.linalg.qr(rng.normal(size=(H, H)))
    dh_last = rng.normal(size=(3, H))
    norms = rb.ref_gradient_norm_through_time(radius * Q, np.zeros((3, T, H)), dh_last)
    k = np.arange(T)[::-1]
    assert_close(norms, np.linalg.norm(dh_last) * radius**k, rtol=1e-10)


# ---------------------------------------------------------------- rnn_backward_windowed


@pytest.mark.parametrize("T, window", [(1, 1), (4, 4), (5, 9)])
def test_windowed_equals_full_bptt_when_the_window_covers_the_sequence(T, window):
    rng = np.random.default_rng(T + window)
    x, h0, Wx, Wh, b = random_rnn(rng, 2, T, 3, 4)
    h = rb.forward_states(x, h0, Wx, Wh, b)
    dh = rng.normal(size=h.shape)
    dx, _, dWx, dWh, db = rb.ref_rnn_backward(dh, x, h0, h, Wx, Wh)
    for got, expected in zip(rb.ref_rnn_backward_windowed(dh, x, h0, h, Wx, Wh, window), (dx, dWx, dWh, db)):
        assert_close(got, expected, rtol=1e-12, atol=1e-14)


def test_windowed_with_window_one_is_a_sum_of_single_steps():
    rng = np.random.default_rng(4)
    N, T, D, H = 2, 5, 3, 2
    x, h0, Wx, Wh, b = random_rnn(rng, N, T, D, H)
    h = rb.forward_states(x, h0, Wx, Wh, b)
    dh = rng.normal(size=h.shape)
    steps = [rb.ref_rnn_step_backward(dh[:, t], x[:, t], h[:, t - 1] if t else h0, h[:, t], Wx, Wh)
             for t in range(T)]
    dx, dWx, dWh, db = rb.ref_rnn_backward_windowed(dh, x, h0, h, Wx, Wh, 1)
    assert_close(dx, np.stack([s[0] for s in steps], axis=1))
    for got, k in ((dWx, 2), (dWh, 3), (db, 4)):
        assert_close(got, sum(s[k] for s in steps))


@pytest.mark.parametrize("T, window", [(7, 3), (6, 2), (8, 5)])
def test_windowed_matches_numerical_gradient_of_a_detached_forward_pass(T, window):
    """Recompute the forward pass with the state at each window start frozen (detached)."""
    rng = np.random.default_rng(T * window)
    N, D, H = 2, 2, 3
    x, h0, Wx, Wh, b = random_rnn(rng, N, T, D, H, radius=1.2)
    h = rb.forward_states(x, h0, Wx, Wh, b)
    dh = rng.normal(size=h.shape)

    def detached_loss():
        total = 0.0
        for s in range(0, T, window):
            start = h0 if s == 0 else h[:, s - 1]  # a constant: the real state, no gradient through it
            states = rb.forward_states(x[:, s:s + window], start, Wx, Wh, b)
            total += np.sum(dh[:, s:s + window] * states)
        return total

    grads = rb.ref_rnn_backward_windowed(dh, x, h0, h, Wx, Wh, window)
    for got, var in zip(grads, (x, Wx, Wh, b)):
        assert_close(got, numerical_gradient(detached_loss, var))
    full = rb.ref_rnn_backward(dh, x, h0, h, Wx, Wh)
    assert not np.allclose(grads[2], full[3])  # truncation does change dWh here


# ---------------------------------------------------------------- the hidden checks themselves


def test_cases_cover_the_corner_shapes_and_both_dtypes():
    rng = np.random.default_rng(0)
    for problem in rb.PROBLEMS:
        cases = problem.generate(rng)
        assert 6 <= len(cases) <= 10, problem.name
        assert {c.dtype for c in cases} == {np.dtype(np.float64), np.dtype(np.float32)}, problem.name
    seq = rb.sequence_cases(rng)
    assert any(c.args[1].shape[0] == 1 for c in seq) and any(c.args[1].shape[1] == 1 for c in seq)
    assert any(c.args[1].shape[2] != c.args[2].shape[1] for c in seq)  # D != H
    windows = [(c.args[1].shape[1], c.args[6]) for c in rb.windowed_cases(rng)]
    assert (1, 1) in windows or any(w == 1 for _, w in windows)
    assert any(w >= T for T, w in windows) and any(T % w and w < T for T, w in windows)
    grads = rb.numerical_gradient_cases(rng)
    assert {c.args[1].ndim for c in grads} == {1, 2, 3}
    assert any("eps" in c.kwargs for c in grads) and any("eps" not in c.kwargs for c in grads)
    zeros = [c for c in rb.relative_error_cases(rng) if not np.any(c.args[0]) and not np.any(c.args[1])]
    assert zeros


def test_copying_a_case_keeps_f_reading_the_copied_x():
    f, x = rb.numerical_gradient_cases(np.random.default_rng(1))[0].args
    f2, x2 = copy.deepcopy((f, x))
    assert f2.x is x2 and x2 is not x
    before = f2()
    x2 += 0.1
    assert f2() != before and f() == before


def test_every_mistake_hint_differs_from_the_reference_somewhere():
    for problem in rb.PROBLEMS:
        cases = problem.generate(np.random.default_rng(0))
        for hint, mistake in problem.mistakes.items():
            differs = False
            for case in cases:
                wrong = mistake(*copy.deepcopy(case.args), **copy.deepcopy(case.kwargs))
                if compare_output(problem.output_names, wrong, problem.expected(case), case.dtype):
                    differs = True
                    break
            assert differs, f"{problem.name}: {hint}"
