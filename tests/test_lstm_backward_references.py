"""The references of sprint 04_lstm_backward against numerical gradients, each other, and TensorFlow."""

import numpy as np
import pytest

from grader.checks import lstm_backward as lb
from tests.numerics import numerical_gradient

SHAPES = [(1, 1, 3, 2), (2, 3, 1, 4), (3, 4, 5, 5), (2, 6, 4, 3)]  # (N, T, D, H)




def assert_close_to_numerical(analytic, numeric, name):
    err = np.max(np.abs(analytic - numeric)) / max(1e-8, np.max(np.abs(analytic) + np.abs(numeric)))
    assert err < 1e-7, f"{name}: relative error {err:.2e}"


def random_sequence(rng, N, T, D, H):
    dh, x = rng.normal(size=(N, T, H)), rng.normal(size=(N, T, D))
    h0, c0 = rng.uniform(-1, 1, (N, H)), rng.normal(size=(N, H))
    return dh, x, h0, c0, *lb.lstm_weights(rng, D, H)


def step_forward(x_t, h_prev, c_prev, W, U, b):
    h, c = lb.ref_lstm_forward(x_t[:, None], h_prev, c_prev, W, U, b)
    return h[:, 0], c[:, 0]


@pytest.mark.parametrize("N, T, D, H", SHAPES)
def test_step_backward_matches_numerical_gradients(N, T, D, H):
    rng = np.random.default_rng(N * 100 + D * 10 + H)
    dh_next, dc_next = rng.normal(size=(N, H)), rng.normal(size=(N, H))
    x_t, h_prev, c_prev = rng.normal(size=(N, D)), rng.uniform(-1, 1, (N, H)), rng.normal(size=(N, H))
    W, U, b = lb.lstm_weights(rng, D, H)
    inputs = {"x_t": x_t, "h_prev": h_prev, "c_prev": c_prev, "W": W, "U": U, "b": b}

    def loss():
        h_next, c_next = step_forward(x_t, h_prev, c_prev, W, U, b)
        return np.sum(h_next * dh_next) + np.sum(c_next * dc_next)

    grads = lb.ref_lstm_step_backward(dh_next, dc_next, x_t, h_prev, c_prev, W, U, b)
    for name, grad in zip(("x_t", "h_prev", "c_prev", "W", "U", "b"), grads):
        assert grad.shape == inputs[name].shape
        assert_close_to_numerical(grad, numerical_gradient(loss, inputs[name]), name)


def lstm_outputs_from_preactivations(z, c_prev):
    """h_next and c_next of one step from its pre-activations z (N, 4H), blocks i, f, g, o."""
    zi, zf, zg, zo = np.split(z, 4, axis=1)
    c_next = lb.sigmoid(zf) * c_prev + lb.sigmoid(zi) * np.tanh(zg)
    return lb.sigmoid(zo) * np.tanh(c_next), c_next


@pytest.mark.parametrize("N, T, D, H", SHAPES)
def test_gate_gradients_match_numerical_gradients_on_the_preactivations(N, T, D, H):
    rng = np.random.default_rng(3000 + N * 100 + D * 10 + H)
    dh_next, dc_next = rng.normal(size=(N, H)), rng.normal(size=(N, H))
    x_t, h_prev, c_prev = rng.normal(size=(N, D)), rng.uniform(-1, 1, (N, H)), rng.normal(size=(N, H))
    W, U, b = lb.lstm_weights(rng, D, H)
    z = x_t @ W + h_prev @ U + b

    def loss():
        h_next, c_next = lstm_outputs_from_preactivations(z, c_prev)
        return np.sum(h_next * dh_next) + np.sum(c_next * dc_next)

    dz = lb.ref_lstm_gate_gradients(dh_next, dc_next, x_t, h_prev, c_prev, W, U, b)
    assert dz.shape == (N, 4 * H)
    assert_close_to_numerical(dz, numerical_gradient(loss, z), "dz")


def test_gate_gradients_give_the_step_references_parameter_gradients():
    """dz contracted with the step's inputs is the step reference's dW, dU, db, dx_t and dh_prev."""
    rng = np.random.default_rng(13)
    N, D, H = 4, 3, 5
    dh_next, dc_next = rng.normal(size=(N, H)), rng.normal(size=(N, H))
    x_t, h_prev, c_prev = rng.normal(size=(N, D)), rng.uniform(-1, 1, (N, H)), rng.normal(size=(N, H))
    W, U, b = lb.lstm_weights(rng, D, H)
    dz = lb.ref_lstm_gate_gradients(dh_next, dc_next, x_t, h_prev, c_prev, W, U, b)
    dx_t, dh_prev, _, dW, dU, db = lb.ref_lstm_step_backward(dh_next, dc_next, x_t, h_prev, c_prev, W, U, b)
    for got, want in [(dz @ W.T, dx_t), (dz @ U.T, dh_prev), (x_t.T @ dz, dW), (h_prev.T @ dz, dU),
                      (dz.sum(axis=0), db)]:
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-13)


def test_block_comparison_names_exactly_the_blocks_that_differ():
    rng = np.random.default_rng(14)
    expected = rng.normal(size=(3, 8))  # H = 2
    case = type("Case", (), {"dtype": np.float64})()
    assert lb.compare_gate_blocks(expected.copy(), expected, case) is None
    wrong = expected.copy()
    wrong[:, 2:4] += 0.5  # the forget-gate block
    message = lb.compare_gate_blocks(wrong, expected, case)
    assert "the forget gate f (columns H:2H)" in message and "the blocks i, g, o are right" in message
    wrong[:, 6:] *= -1  # and the output gate
    message = lb.compare_gate_blocks(wrong, expected, case)
    assert "2 of its four blocks" in message and "output gate o" in message and "input gate" not in message
    assert "has shape (3, 6)" in lb.compare_gate_blocks(expected[:, :6], expected, case)


@pytest.mark.parametrize("N, T, D, H", SHAPES)
def test_sequence_backward_matches_numerical_gradients(N, T, D, H):
    rng = np.random.default_rng(1000 + N * 100 + T * 10 + H)
    dh, x, h0, c0, W, U, b = random_sequence(rng, N, T, D, H)
    inputs = {"x": x, "h0": h0, "c0": c0, "W": W, "U": U, "b": b}

    def loss():
        return np.sum(lb.ref_lstm_forward(x, h0, c0, W, U, b)[0] * dh)

    grads = lb.ref_lstm_backward(dh, x, h0, c0, W, U, b)
    for name, grad in zip(("x", "h0", "c0", "W", "U", "b"), grads):
        assert grad.shape == inputs[name].shape
        assert_close_to_numerical(grad, numerical_gradient(loss, inputs[name]), name)


@pytest.mark.parametrize("N, T, D, H", SHAPES)
def test_sequence_backward_equals_the_sum_of_its_steps(N, T, D, H):
    rng = np.random.default_rng(2000 + N * 100 + T * 10 + H)
    dh, x, h0, c0, W, U, b = random_sequence(rng, N, T, D, H)
    h, c = lb.ref_lstm_forward(x, h0, c0, W, U, b)
    dx = np.zeros_like(x)
    dW, dU, db = np.zeros_like(W), np.zeros_like(U), np.zeros_like(b)
    dh_prev, dc_prev = np.zeros_like(h0), np.zeros_like(c0)
    for t in range(T - 1, -1, -1):
        h_prev = h[:, t - 1] if t else h0
        c_prev = c[:, t - 1] if t else c0
        dx[:, t], dh_prev, dc_prev, dW_t, dU_t, db_t = lb.ref_lstm_step_backward(
            dh[:, t] + dh_prev, dc_prev, x[:, t], h_prev, c_prev, W, U, b
        )
        dW, dU, db = dW + dW_t, dU + dU_t, db + db_t
    for got, want in zip(lb.ref_lstm_backward(dh, x, h0, c0, W, U, b), (dx, dh_prev, dc_prev, dW, dU, db)):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


def test_single_step_sequence_is_one_step_without_incoming_cell_gradient():
    rng = np.random.default_rng(5)
    dh, x, h0, c0, W, U, b = random_sequence(rng, 3, 1, 4, 2)
    seq = lb.ref_lstm_backward(dh, x, h0, c0, W, U, b)
    step = lb.ref_lstm_step_backward(dh[:, 0], np.zeros_like(c0), x[:, 0], h0, c0, W, U, b)
    np.testing.assert_allclose(seq[0][:, 0], step[0], rtol=1e-12)
    for got, want in zip(seq[1:], step[1:]):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)


def test_zero_upstream_gradient_gives_zero_gradients():
    rng = np.random.default_rng(6)
    dh, x, h0, c0, W, U, b = random_sequence(rng, 2, 4, 3, 3)
    for grad in lb.ref_lstm_backward(np.zeros_like(dh), x, h0, c0, W, U, b):
        assert not np.any(grad)


def test_cell_gradient_through_a_step_without_dh_is_scaled_by_the_forget_gate():
    rng = np.random.default_rng(7)
    N, D, H = 3, 2, 4
    x_t, h_prev, c_prev = rng.normal(size=(N, D)), rng.uniform(-1, 1, (N, H)), rng.normal(size=(N, H))
    W, U, b = lb.lstm_weights(rng, D, H)
    dc_next = rng.normal(size=(N, H))
    f = 1 / (1 + np.exp(-(x_t @ W[:, H:2 * H] + h_prev @ U[:, H:2 * H] + b[H:2 * H])))
    dc_prev = lb.ref_lstm_step_backward(np.zeros((N, H)), dc_next, x_t, h_prev, c_prev, W, U, b)[2]
    np.testing.assert_allclose(dc_prev, dc_next * f, rtol=1e-12)


def test_a_shut_output_gate_blocks_every_gradient():
    """With o = 0 every hidden state is 0 whatever the inputs, so sum(h * dh) has zero gradient."""
    rng = np.random.default_rng(8)
    dh, x, h0, c0, W, U, b = random_sequence(rng, 2, 5, 3, 2)
    b[3 * 2:] = -1e3  # output gate pre-activation hugely negative
    for grad in lb.ref_lstm_backward(dh, x, h0, c0, W, U, b):
        np.testing.assert_allclose(grad, 0, atol=1e-300)


def test_float32_inputs_give_float64_gradients_and_are_not_mutated():
    rng = np.random.default_rng(9)
    args = tuple(a.astype(np.float32) for a in random_sequence(rng, 2, 3, 2, 4))
    before = [a.copy() for a in args]
    grads = lb.ref_lstm_backward(*args)
    assert all(g.dtype == np.float64 for g in grads)
    for a, b in zip(args, before):
        np.testing.assert_array_equal(a, b)
    step_args = (args[0][:, 0], args[0][:, 1], args[1][:, 0], args[2], args[3], *args[4:])
    assert all(g.dtype == np.float64 for g in lb.ref_lstm_step_backward(*step_args))


def test_sigmoid_has_no_overflow_and_is_symmetric():
    z = np.array([-1000.0, -30.0, -1.0, 0.0, 2.5, 1000.0])
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        s = lb.sigmoid(z)
    np.testing.assert_allclose(s + lb.sigmoid(-z), 1.0, rtol=1e-15)
    np.testing.assert_allclose(s[1:-1], 1 / (1 + np.exp(-z[1:-1])), rtol=1e-14)


@pytest.mark.parametrize("problem", lb.PROBLEMS, ids=lambda p: p.name)
def test_every_mistake_differs_from_the_reference(problem):
    """A hint is only useful if the mistake it names actually changes the result."""
    cases = problem.generate(np.random.default_rng(11))
    for hint, mistake in problem.mistakes.items():
        differs = False
        for case in cases:
            want, got = problem.reference(*case.args), mistake(*case.args)
            differs |= any(g.shape != w.shape or not np.allclose(g, w, rtol=1e-4) for g, w in zip(got, want))
        assert differs, hint


def test_against_tensorflow_autodiff_through_keras_lstm():
    """Same weights in keras.layers.LSTM; tf.GradientTape of sum(h * dh) gives the same gradients."""
    import keras
    import tensorflow as tf

    rng = np.random.default_rng(12)
    for N, T, D, H in [(2, 5, 3, 4), (1, 7, 4, 2), (3, 1, 2, 3)]:
        dh, x, h0, c0, W, U, b = random_sequence(rng, N, T, D, H)
        layer = keras.layers.LSTM(H, return_sequences=True)
        layer.build((N, T, D))
        layer.set_weights([W.astype(np.float32), U.astype(np.float32), b.astype(np.float32)])
        x_tf, h0_tf, c0_tf = (tf.constant(a, tf.float32) for a in (x, h0, c0))
        with tf.GradientTape() as tape:
            tape.watch([x_tf, h0_tf, c0_tf])
            h = layer(x_tf, initial_state=[h0_tf, c0_tf])
            loss = tf.reduce_sum(h * tf.constant(dh, tf.float32))
        np.testing.assert_allclose(h.numpy(), lb.ref_lstm_forward(x, h0, c0, W, U, b)[0], rtol=1e-4, atol=1e-5)
        kernel, recurrent, bias = layer.trainable_variables
        tf_grads = tape.gradient(loss, [x_tf, h0_tf, c0_tf, kernel, recurrent, bias])
        ours = lb.ref_lstm_backward(dh, x, h0, c0, W, U, b)
        for name, got, want in zip(("dx", "dh0", "dc0", "dW", "dU", "db"), tf_grads, ours):
            scale = max(1.0, np.max(np.abs(want)))
            np.testing.assert_allclose(np.asarray(got), want, rtol=2e-4, atol=2e-5 * scale, err_msg=name)
