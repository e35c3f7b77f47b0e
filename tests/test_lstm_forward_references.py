"""The references of sprint 03_lstm_forward against Keras, hand-computed scalar cells and limits."""

import math
import os
import warnings

import numpy as np
import pytest

from grader.checks import lstm_forward as lf

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import keras  # noqa: E402  (after the log level is set)

RTOL32, ATOL32 = 1e-4, 2e-5  # float32 tolerance against Keras


def msig(v):
    return 1 / (1 + math.exp(-v))


# ---------------------------------------------------------------- sigmoid


def test_sigmoid_has_no_warning_and_saturates_exactly():
    z = np.array([-1000.0, -745.0, -710.0, 710.0, 745.0, 1000.0])
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
        warnings.simplefilter("error")
        s = lf.ref_sigmoid(z)
        s32 = lf.ref_sigmoid(z.astype(np.float32))
    assert s[-1] == 1.0 and s[0] == 0.0
    assert np.all((s >= 0) & (s <= 1))
    np.testing.assert_array_equal(s32, s)


def test_sigmoid_matches_the_definition_and_keeps_tiny_values():
    z = np.linspace(-30, 30, 121)
    expected = np.array([msig(v) for v in z])
    np.testing.assert_allclose(lf.ref_sigmoid(z), expected, rtol=1e-13, atol=0)
    # far in the left tail sigma(z) = e^z / (1 + e^z) ~ e^z: the stable formula keeps the relative accuracy
    tail = np.array([-50.0, -300.0, -700.0])
    np.testing.assert_allclose(lf.ref_sigmoid(tail), np.exp(tail), rtol=1e-12)
    assert lf.ref_sigmoid(np.array([0.0]))[0] == 0.5


def test_sigmoid_symmetry_and_input_kept():
    z = np.random.default_rng(0).normal(0, 20, (4, 5)).astype(np.float32)
    before = z.copy()
    s = lf.ref_sigmoid(z)
    assert s.dtype == np.float64
    np.testing.assert_allclose(lf.ref_sigmoid(-z), 1 - s, atol=1e-15)
    np.testing.assert_array_equal(z, before)


def test_strict_fp_catches_warning_formulas_only():
    from grader.checks import verify

    def naive(z):
        return 1 / (1 + np.exp(-z))

    def both_branches(z):
        return np.where(z >= 0, 1 / (1 + np.exp(-z)), np.exp(z) / (1 + np.exp(z)))

    def converted_first(z):
        z = np.asarray(z, dtype=np.float64)
        return 1 / (1 + np.exp(-z))

    def stable(z):
        e = np.exp(-np.abs(z))
        return np.where(z >= 0, 1 / (1 + e), e / (1 + e))

    for wrong in (naive, both_branches, converted_first):
        verdict = verify("sigmoid", wrong, seed=3)
        assert not verdict.passed and "not numerically stable" in verdict.message
    assert verify("sigmoid", stable, seed=3).passed


def test_sigmoid_cases_always_contain_both_extremes():
    for seed in range(5):
        cases = lf.sigmoid_cases(np.random.default_rng(seed))
        assert {c.dtype for c in cases} == {np.dtype(np.float32), np.dtype(np.float64)}
        big = [c for c in cases if np.size(c.args[0]) > 1]
        assert any(type(c.args[0]) is float for c in cases) and any(np.ndim(c.args[0]) == 0 for c in cases)
        assert all({-1000.0, 1000.0} <= set(c.args[0].ravel().tolist()) for c in big)


# ---------------------------------------------------------------- LSTM


def scalar_lstm(x, h, c, W, U, b):
    """One-unit, one-feature LSTM step with math only: W, U, b are 4-vectors (i, f, g, o)."""
    i, f, o = (msig(x * W[k] + h * U[k] + b[k]) for k in (0, 1, 3))
    g = math.tanh(x * W[2] + h * U[2] + b[2])
    c_new = f * c + i * g
    return o * math.tanh(c_new), c_new


def test_lstm_step_equals_a_hand_computed_scalar_cell():
    rng = np.random.default_rng(1)
    for _ in range(20):
        x, h, c = rng.normal(size=3)
        W, U, b = rng.normal(size=(3, 4))
        h_new, c_new = lf.ref_lstm_step_forward(np.array([[x]]), np.array([[h]]), np.array([[c]]),
                                                W[None, :], U[None, :], b)
        eh, ec = scalar_lstm(x, h, c, W, U, b)
        assert h_new[0, 0] == pytest.approx(eh, rel=1e-12)
        assert c_new[0, 0] == pytest.approx(ec, rel=1e-12)


def test_lstm_gates_at_zero_and_one():
    rng = np.random.default_rng(2)
    N, D, H = 3, 4, 2
    x_t, h_prev, c_prev = rng.normal(size=(N, D)), rng.normal(size=(N, H)), rng.normal(size=(N, H))
    W, U, b = rng.normal(size=(D, 4 * H)), rng.normal(size=(H, 4 * H)), np.zeros(4 * H)
    keep = b.copy()
    keep[:H], keep[H:2 * H], keep[3 * H:] = -60, 60, 60  # write nothing, forget nothing, output all
    h, c = lf.ref_lstm_step_forward(x_t, h_prev, c_prev, W, U, keep)
    np.testing.assert_allclose(c, c_prev, atol=1e-12)
    np.testing.assert_allclose(h, np.tanh(c_prev), atol=1e-12)
    overwrite = b.copy()
    overwrite[:H], overwrite[H:2 * H] = 60, -60  # write all, forget all
    _, c = lf.ref_lstm_step_forward(x_t, h_prev, c_prev, W, U, overwrite)
    np.testing.assert_allclose(c, np.tanh(x_t @ W[:, 2 * H:3 * H] + h_prev @ U[:, 2 * H:3 * H]), atol=1e-12)


def test_lstm_forward_is_the_step_repeated():
    rng = np.random.default_rng(3)
    N, T, D, H = 2, 6, 3, 4
    x, h0, c0 = rng.normal(size=(N, T, D)), rng.normal(size=(N, H)), rng.normal(size=(N, H))
    W, U, b = lf.lstm_weights(rng, D, H)
    h, c = lf.ref_lstm_forward(x, h0, c0, W, U, b)
    assert h.shape == c.shape == (N, T, H)
    h_t, c_t = h0, c0
    for t in range(T):
        h_t, c_t = lf.ref_lstm_step_forward(x[:, t], h_t, c_t, W, U, b)
        np.testing.assert_allclose(h[:, t], h_t, rtol=1e-14)
        np.testing.assert_allclose(c[:, t], c_t, rtol=1e-14)


def test_gate_roles_are_the_step_split_into_parts():
    rng = np.random.default_rng(4)
    N, D, H = 3, 2, 5
    x_t, h_prev, c_prev = rng.normal(size=(N, D)), rng.normal(size=(N, H)), rng.normal(size=(N, H))
    W, U, b = lf.lstm_weights(rng, D, H)
    roles = lf.ref_lstm_gate_roles(x_t, h_prev, c_prev, W, U, b)
    assert tuple(roles) == lf.ROLE_KEYS
    h, c = lf.ref_lstm_step_forward(x_t, h_prev, c_prev, W, U, b)
    np.testing.assert_allclose(roles["remember"], c, rtol=1e-14)
    np.testing.assert_allclose(roles["use"], h, rtol=1e-14)
    np.testing.assert_allclose(roles["remember"], roles["learn"] + roles["forget"], rtol=1e-14)
    # |forget| <= |c_prev| (f in (0, 1)) and |learn| < 1 (i in (0, 1), g in (-1, 1))
    assert np.all(np.abs(roles["forget"]) <= np.abs(c_prev)) and np.all(np.abs(roles["learn"]) < 1)


# ---------------------------------------------------------------- GRU


def scalar_gru(x, h, W, U, b):
    z = msig(x * W[0] + b[0, 0] + h * U[0] + b[1, 0])
    r = msig(x * W[1] + b[0, 1] + h * U[1] + b[1, 1])
    cand = math.tanh(x * W[2] + b[0, 2] + r * (h * U[2] + b[1, 2]))
    return z * h + (1 - z) * cand


def test_gru_step_equals_a_hand_computed_scalar_cell():
    rng = np.random.default_rng(5)
    for _ in range(20):
        x, h = rng.normal(size=2)
        W, U = rng.normal(size=(2, 3))
        b = rng.normal(size=(2, 3))
        got = lf.ref_gru_step_forward(np.array([[x]]), np.array([[h]]), W[None, :], U[None, :], b)
        assert got[0, 0] == pytest.approx(scalar_gru(x, h, W, U, b), rel=1e-12)


def test_gru_update_gate_limits():
    rng = np.random.default_rng(6)
    N, D, H = 2, 3, 4
    x_t, h_prev = rng.normal(size=(N, D)), rng.uniform(-1, 1, (N, H))
    W, U, b = lf.gru_weights(rng, D, H)
    b_keep = b.copy()
    b_keep[0, :H] = 60  # z = 1: the state is copied
    np.testing.assert_allclose(lf.ref_gru_step_forward(x_t, h_prev, W, U, b_keep), h_prev, atol=1e-12)
    b_new = b.copy()
    b_new[0, :H], b_new[0, H:2 * H] = -60, -60  # z = 0 and r = 0: only the input decides
    np.testing.assert_allclose(lf.ref_gru_step_forward(x_t, h_prev, W, U, b_new),
                               np.tanh(x_t @ W[:, 2 * H:] + b[0, 2 * H:]), atol=1e-12)


def test_gru_forward_is_the_step_repeated():
    rng = np.random.default_rng(7)
    N, T, D, H = 3, 5, 2, 3
    x, h0 = rng.normal(size=(N, T, D)), rng.normal(size=(N, H))
    W, U, b = lf.gru_weights(rng, D, H)
    h = lf.ref_gru_forward(x, h0, W, U, b)
    h_t = h0
    for t in range(T):
        h_t = lf.ref_gru_step_forward(x[:, t], h_t, W, U, b)
        np.testing.assert_allclose(h[:, t], h_t, rtol=1e-14)


# ---------------------------------------------------------------- peephole LSTM


def test_peephole_reduces_to_lstm_without_peepholes():
    rng = np.random.default_rng(8)
    N, D, H = 3, 4, 2
    x_t, h_prev, c_prev = rng.normal(size=(N, D)), rng.normal(size=(N, H)), rng.normal(size=(N, H))
    W, U, b = lf.lstm_weights(rng, D, H)
    got = lf.ref_peephole_lstm_step_forward(x_t, h_prev, c_prev, W, U, b, np.zeros((3, H)))
    want = lf.ref_lstm_step_forward(x_t, h_prev, c_prev, W, U, b)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-14)


def test_peephole_equals_a_hand_computed_scalar_cell():
    rng = np.random.default_rng(9)
    for _ in range(20):
        x, h, c = rng.normal(size=3)
        W, U, b = rng.normal(size=(3, 4))
        p = rng.normal(size=3)
        i = msig(x * W[0] + h * U[0] + b[0] + p[0] * c)
        f = msig(x * W[1] + h * U[1] + b[1] + p[1] * c)
        c_new = f * c + i * math.tanh(x * W[2] + h * U[2] + b[2])
        h_new = msig(x * W[3] + h * U[3] + b[3] + p[2] * c_new) * math.tanh(c_new)
        got_h, got_c = lf.ref_peephole_lstm_step_forward(
            np.array([[x]]), np.array([[h]]), np.array([[c]]), W[None, :], U[None, :], b, p[:, None])
        assert got_c[0, 0] == pytest.approx(c_new, rel=1e-12)
        assert got_h[0, 0] == pytest.approx(h_new, rel=1e-12)


def test_output_peephole_changes_h_but_not_c():
    rng = np.random.default_rng(10)
    N, D, H = 2, 3, 4
    args = (rng.normal(size=(N, D)), rng.normal(size=(N, H)), rng.normal(size=(N, H)), *lf.lstm_weights(rng, D, H))
    P = rng.normal(size=(3, H))
    P2 = P.copy()
    P2[2] += 1.0
    (h1, c1), (h2, c2) = lf.ref_peephole_lstm_step_forward(*args, P), lf.ref_peephole_lstm_step_forward(*args, P2)
    np.testing.assert_array_equal(c1, c2)
    assert np.max(np.abs(h1 - h2)) > 1e-3


# ---------------------------------------------------------------- all references: dtype and inputs


CASES = {
    "lstm_step_forward": lf.lstm_step_cases,
    "lstm_forward": lf.lstm_seq_cases,
    "lstm_gate_roles": lf.lstm_step_cases,
    "gru_step_forward": lf.gru_step_cases,
    "gru_forward": lf.gru_seq_cases,
    "peephole_lstm_step_forward": lf.peephole_cases,
}


@pytest.mark.parametrize("name", list(CASES))
def test_references_give_float64_and_leave_inputs_alone(name):
    reference = {p.name: p.reference for p in lf.PROBLEMS}[name]
    cases = CASES[name](np.random.default_rng(11))
    assert any(c.dtype == np.float32 for c in cases) and any(c.dtype == np.float64 for c in cases)
    assert any(c.args[0].shape[0] == 1 for c in cases)  # N = 1
    for case in cases:
        before = [a.copy() for a in case.args]
        out = reference(*case.args)
        values = out.values() if isinstance(out, dict) else (out if isinstance(out, tuple) else (out,))
        assert all(v.dtype == np.float64 and np.all(np.isfinite(v)) for v in values)
        for a, b in zip(case.args, before):
            np.testing.assert_array_equal(a, b)


# ---------------------------------------------------------------- Keras


def keras_shapes():
    rng = np.random.default_rng(2024)
    fixed = [(1, 1, 1, 1), (1, 1, 3, 2), (2, 1, 1, 4), (1, 7, 2, 3), (4, 3, 5, 5)]
    drawn = [tuple(int(v) for v in rng.integers([1, 1, 1, 1], [6, 12, 8, 9])) for _ in range(19)]
    return fixed + drawn


def keras_data(seed, N, T, D, H, gates, bias_shape):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(N, T, D)).astype(np.float32)
    h0 = rng.uniform(-1, 1, (N, H)).astype(np.float32)
    c0 = rng.normal(size=(N, H)).astype(np.float32)
    W = rng.normal(0, 1 / np.sqrt(D), (D, gates * H)).astype(np.float32)
    U = rng.normal(0, 1 / np.sqrt(H), (H, gates * H)).astype(np.float32)
    b = rng.normal(0, 0.5, bias_shape).astype(np.float32)
    return x, h0, c0, W, U, b


@pytest.mark.parametrize("shape", keras_shapes(), ids=lambda s: "N{}-T{}-D{}-H{}".format(*s))
def test_lstm_reference_matches_keras(shape):
    N, T, D, H = shape
    x, h0, c0, W, U, b = keras_data(sum(shape), N, T, D, H, 4, 4 * H)
    layer = keras.layers.LSTM(H, return_sequences=True, return_state=True)
    layer.build((N, T, D))
    layer.set_weights([W, U, b])
    seq, h_last, c_last = (np.asarray(v) for v in layer(x, initial_state=[h0, c0]))
    h, c = lf.ref_lstm_forward(x, h0, c0, W, U, b)
    np.testing.assert_allclose(h, seq, rtol=RTOL32, atol=ATOL32)
    np.testing.assert_allclose(h[:, -1], h_last, rtol=RTOL32, atol=ATOL32)
    np.testing.assert_allclose(c[:, -1], c_last, rtol=RTOL32, atol=ATOL32)


@pytest.mark.parametrize("shape", keras_shapes(), ids=lambda s: "N{}-T{}-D{}-H{}".format(*s))
def test_gru_reference_matches_keras(shape):
    N, T, D, H = shape
    x, h0, _, W, U, b = keras_data(sum(shape) + 1, N, T, D, H, 3, (2, 3 * H))
    layer = keras.layers.GRU(H, return_sequences=True)  # reset_after=True is the default
    layer.build((N, T, D))
    assert [w.shape for w in layer.get_weights()] == [W.shape, U.shape, b.shape]
    layer.set_weights([W, U, b])
    seq = np.asarray(layer(x, initial_state=[h0]))
    np.testing.assert_allclose(lf.ref_gru_forward(x, h0, W, U, b), seq, rtol=RTOL32, atol=ATOL32)
