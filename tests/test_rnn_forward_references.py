"""The references of sprint 01_rnn_forward, tested on their own.

Against explicit element-by-element formulas, the curriculum's published numbers, a real Keras
SimpleRNN, and the properties a softmax must have. The generators are tested for the corner cases
the hidden checks rely on.
"""

import math
import os

import numpy as np
import pytest

from grader.checks import rnn_forward as rf

RNG = np.random.default_rng(2024)


def import_keras():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # quieter TensorFlow start-up
    import keras

    return keras


def random_rnn(N=3, T=4, D=2, H=5, rng=RNG):
    x = rng.normal(size=(N, T, D))
    h0 = rng.uniform(-1, 1, (N, H))
    return (x, h0, *rf.rnn_weights(rng, D, H))


# ---------------------------------------------------------------- rnn_step_forward


def test_step_matches_the_formula_written_out_element_by_element():
    x, h_prev, Wx, Wh, b = random_rnn(N=2, T=1, D=3, H=4)
    x_t = x[:, 0]
    got = rf.ref_rnn_step_forward(x_t, h_prev, Wx, Wh, b)
    N, D = x_t.shape
    H = Wh.shape[0]
    for n in range(N):
        for j in range(H):
            a = b[j] + sum(x_t[n, d] * Wx[d, j] for d in range(D))
            a += sum(h_prev[n, k] * Wh[k, j] for k in range(H))
            assert got[n, j] == pytest.approx(math.tanh(a), rel=1e-12, abs=1e-14)


def test_step_accepts_float32_and_returns_float64_without_mutating():
    args = tuple(a.astype(np.float32) for a in random_rnn(N=2, T=1, D=3, H=4)[1:])
    x_t = RNG.normal(size=(2, 3)).astype(np.float32)
    copies = [a.copy() for a in (x_t, *args)]
    h = rf.ref_rnn_step_forward(x_t, *args)
    assert h.dtype == np.float64 and h.shape == (2, 4)
    for before, after in zip(copies, (x_t, *args), strict=True):
        assert np.array_equal(before, after)


# ---------------------------------------------------------------- rnn_forward


def test_forward_is_the_step_applied_in_sequence():
    x, h0, Wx, Wh, b = random_rnn(N=3, T=5, D=2, H=4)
    h = rf.ref_rnn_forward(x, h0, Wx, Wh, b)
    assert h.shape == (3, 5, 4)
    h_t = h0
    for t in range(5):
        h_t = rf.ref_rnn_step_forward(x[:, t], h_t, Wx, Wh, b)
        np.testing.assert_allclose(h[:, t], h_t, rtol=0, atol=1e-15)


def test_forward_with_one_step_is_one_step():
    x, h0, Wx, Wh, b = random_rnn(N=2, T=1, D=3, H=2)
    np.testing.assert_allclose(rf.ref_rnn_forward(x, h0, Wx, Wh, b)[:, 0],
                               rf.ref_rnn_step_forward(x[:, 0], h0, Wx, Wh, b))


def test_forward_treats_batch_rows_independently():
    x, h0, Wx, Wh, b = random_rnn(N=4, T=3, D=2, H=3)
    h = rf.ref_rnn_forward(x, h0, Wx, Wh, b)
    for n in range(4):
        np.testing.assert_allclose(rf.ref_rnn_forward(x[n:n + 1], h0[n:n + 1], Wx, Wh, b)[0], h[n])


def test_forward_matches_keras_simple_rnn():
    keras = import_keras()
    x, h0, Wx, Wh, b = random_rnn(N=3, T=6, D=2, H=5)
    layer = keras.layers.SimpleRNN(5, return_sequences=True)
    layer.build((None, 6, 2))
    layer.set_weights([Wx.astype(np.float32), Wh.astype(np.float32), b.astype(np.float32)])
    out = np.asarray(layer(x.astype(np.float32), initial_state=[h0.astype(np.float32)]))
    np.testing.assert_allclose(rf.ref_rnn_forward(x, h0, Wx, Wh, b), out, rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------- small arrays


def test_small_array_experiment_gives_the_curriculum_values():
    expected = np.array([[0.79494228, 0.81839002, 0.83939649, 0.85584174]])
    got = rf.ref_small_array_experiment()
    assert got.shape == (1, 4) and got.dtype == np.float64
    np.testing.assert_allclose(got, expected, rtol=0, atol=5e-9)


def test_small_arrays_are_the_curriculum_arrays():
    x, h0, Wx, Wh, b = rf.small_arrays()
    assert x.shape == (1, 3, 2) and h0.shape == (1, 4) and Wx.shape == (2, 4) and Wh.shape == (4, 4)
    assert x[0, 2, 1] == 0.04 and Wh[3, 3] == 0.10 and np.all(b == 1) and np.all(h0 == 0)


# ---------------------------------------------------------------- softmax


def test_softmax_known_values():
    np.testing.assert_allclose(rf.ref_softmax(np.array([0.0, math.log(2.0)])), [1 / 3, 2 / 3])
    np.testing.assert_allclose(rf.ref_softmax(np.zeros((2, 4))), np.full((2, 4), 0.25))
    np.testing.assert_allclose(rf.ref_softmax(np.array([[5.0]])), [[1.0]])


@pytest.mark.parametrize("shape", [(6,), (4, 3), (2, 3, 5)])
def test_softmax_is_exp_normalised_over_the_last_axis(shape):
    z = RNG.normal(0, 2, shape)
    p = rf.ref_softmax(z)
    assert p.shape == shape
    e = np.exp(z)
    np.testing.assert_allclose(p, e / e.sum(axis=-1, keepdims=True), rtol=1e-12)
    np.testing.assert_allclose(p.sum(axis=-1), 1.0, rtol=1e-12)


def test_softmax_is_stable_for_huge_and_tiny_rows_in_one_batch():
    base = RNG.normal(0, 2, (3, 4))
    z = base + np.array([[1000.0], [-1000.0], [0.0]])
    with np.errstate(all="raise"):  # no overflow, no 0/0
        p = rf.ref_softmax(z)
    reference = rf.ref_softmax(base)  # a softmax does not change when a row is shifted
    np.testing.assert_allclose(p, reference, rtol=1e-9)


def test_softmax_accepts_float32_and_does_not_mutate():
    z = RNG.normal(0, 2, (3, 4)).astype(np.float32)
    before = z.copy()
    p = rf.ref_softmax(z)
    assert p.dtype == np.float64 and np.array_equal(z, before)


def test_softmax_cases_contain_what_the_checks_rely_on():
    cases = rf.softmax_cases(np.random.default_rng(5))
    ndims = {c.args[0].ndim for c in cases}
    assert ndims == {1, 2, 3}
    assert {c.dtype for c in cases} == {np.dtype(np.float32), np.dtype(np.float64)}
    mixed = [c.args[0] for c in cases if "rows near +1000 and -1000" in c.label]
    assert len(mixed) >= 2
    for z in mixed:  # each row lies entirely near one level, so one global shift breaks a row
        rows = z.reshape(-1, z.shape[-1])
        assert (rows.max(axis=1) - rows.min(axis=1)).max() < 100
    (within,) = [c.args[0] for c in cases if "rows mixing" in c.label]
    spread = within.max(axis=1) - within.min(axis=1)
    assert spread.min() > 750  # a shift by the row's minimum overflows np.exp in every row
    (masked,) = [c.args[0] for c in cases if "-inf" in c.label]
    assert np.isneginf(masked).any(axis=1).all()
    p = rf.ref_softmax(masked)
    assert np.all(p[np.isneginf(masked)] == 0) and np.allclose(p.sum(axis=1), 1)


# ---------------------------------------------------------------- rnn_classifier_forward


def test_classifier_is_softmax_of_the_last_state_written_out():
    x, h0, Wx, Wh, b = random_rnn(N=3, T=4, D=2, H=3)
    Wy, by = RNG.normal(size=(3, 5)), RNG.normal(size=5)
    probs = rf.ref_rnn_classifier_forward(x, h0, Wx, Wh, b, Wy, by)
    assert probs.shape == (3, 5)
    h_t = h0
    for t in range(4):
        h_t = np.tanh(x[:, t] @ Wx + h_t @ Wh + b)
    for n in range(3):
        logits = h_t[n] @ Wy + by
        e = np.exp(logits)
        np.testing.assert_allclose(probs[n], e / e.sum(), rtol=1e-12)


def test_classifier_matches_keras_simple_rnn_and_dense_softmax():
    keras = import_keras()
    x, _, Wx, Wh, b = random_rnn(N=2, T=5, D=3, H=4)
    Wy, by = RNG.normal(size=(4, 3)), RNG.normal(size=3)
    model = keras.Sequential([keras.Input((5, 3)), keras.layers.SimpleRNN(4),
                              keras.layers.Dense(3, activation="softmax")])
    model.layers[0].set_weights([w.astype(np.float32) for w in (Wx, Wh, b)])
    model.layers[1].set_weights([Wy.astype(np.float32), by.astype(np.float32)])
    expected = np.asarray(model(x.astype(np.float32)))
    got = rf.ref_rnn_classifier_forward(x, np.zeros((2, 4)), Wx, Wh, b, Wy, by)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


def test_classifier_large_logit_case_would_overflow_a_naive_softmax():
    case = rf.classifier_cases(np.random.default_rng(9))[-2]
    x, h0, Wx, Wh, b, Wy, by = case.args
    logits = rf.ref_rnn_forward(x, h0, Wx, Wh, b)[:, -1] @ Wy + by
    assert logits.min() > 710  # np.exp overflows above about 709.78
    assert np.all(np.isfinite(rf.ref_rnn_classifier_forward(*case.args)))


@pytest.mark.parametrize("seed", range(5))
def test_classifier_case_with_logits_hundreds_apart_breaks_every_shortcut_shift(seed):
    case = rf.classifier_cases(np.random.default_rng(seed))[-1]
    x, h0, Wx, Wh, b, Wy, by = case.args
    logits = rf.ref_rnn_forward(x, h0, Wx, Wh, b)[:, -1] @ Wy + by  # (3, 3)
    assert np.any(logits.max(axis=1) - logits.min(axis=1) > 710)  # a minimum shift overflows in some row
    assert np.any(logits.max(axis=1) - logits.mean(axis=1) > 710)  # mean shift overflows in some row
    assert np.any(logits.max() - logits.max(axis=1) > 750)  # a batch-wide shift underflows a whole row
    assert np.all(np.isfinite(rf.ref_rnn_classifier_forward(*case.args)))


# ---------------------------------------------------------------- rnn_output_shape


SETTINGS = [(None, 10, 3, 16, True), (None, 10, 3, 16, False), (4, 7, 5, 2, True), (1, 1, 8, 8, False),
            (None, None, 6, 3, True)]


@pytest.mark.parametrize("setting", SETTINGS)
def test_output_shape_matches_keras(setting):
    keras = import_keras()
    batch, seq, feat, units, seqs = setting
    layer = keras.layers.SimpleRNN(units, return_sequences=seqs)
    keras_shape = tuple(layer.compute_output_shape((batch, seq, feat)))
    assert rf.ref_rnn_output_shape(*setting) == keras_shape
    inp = keras.Input(shape=(seq, feat), batch_size=batch)
    assert tuple(layer(inp).shape) == keras_shape


def test_output_shape_compare_is_strict_about_types():
    case = rf.output_shape_cases(np.random.default_rng(0))[0]
    assert rf.compare_shape_tuple((32, 10, 16), (32, 10, 16), case) is None
    assert "list" in rf.compare_shape_tuple([32, 10, 16], (32, 10, 16), case)
    assert "int64" in rf.compare_shape_tuple((np.int64(32), 10, 16), (32, 10, 16), case)
    assert "None" in rf.compare_shape_tuple((-1, 16), (None, 16), case)
    assert rf.compare_shape_tuple((32, 16), (32, 10, 16), case) is not None
    assert rf.compare_shape_tuple((True, 10, 16), (1, 10, 16), case) is not None


# ---------------------------------------------------------------- generators


@pytest.mark.parametrize("generate", [rf.step_cases, rf.sequence_cases, rf.classifier_cases])
def test_array_cases_cover_the_corners(generate):
    cases = generate(np.random.default_rng(3))
    assert 6 <= len(cases) <= 10
    assert {c.dtype for c in cases} == {np.dtype(np.float32), np.dtype(np.float64)}
    for c in cases:  # the arrays really carry the dtype the tolerance is chosen for
        assert all(a.dtype == c.dtype for a in c.args if isinstance(a, np.ndarray))
    first = [c.args[0] for c in cases]
    assert any(a.shape[0] == 1 for a in first)  # N = 1
    Wx = [c.args[2] for c in cases]
    assert any(w.shape[0] != w.shape[1] for w in Wx)  # D != H
    if first[0].ndim == 3:
        assert any(a.shape[1] == 1 for a in first) and any(a.shape[1] > 1 for a in first)  # T = 1 and T > 1


def test_output_shape_cases_cover_both_modes_and_unknown_batch():
    cases = rf.output_shape_cases(np.random.default_rng(3))
    assert {c.args[4] for c in cases} == {True, False}
    assert any(c.args[0] is None for c in cases) and any(c.args[0] is not None for c in cases)
    assert all(c.args[2] != c.args[3] for c in cases)  # n_features never equals units


@pytest.mark.parametrize("problem", rf.PROBLEMS, ids=lambda p: p.name)
def test_every_mistake_differs_from_the_reference_on_some_case(problem):
    cases = problem.generate(np.random.default_rng(4))
    compare = problem.compare or (lambda got, exp, c: rf.compare_array("out", got, exp, c.dtype))
    for hint, mistake in problem.mistakes.items():
        differs = False
        for case in cases:
            try:
                with np.errstate(all="ignore"):
                    wrong = mistake(*case.args)
            except Exception:
                differs = True
                break
            if compare(wrong, problem.expected(case), case) is not None:
                differs = True
                break
        assert differs, hint
