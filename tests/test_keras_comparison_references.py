"""The references of sprint 07_keras_comparison against real Keras layers and the course's tables.

The weight converters are checked end to end: weights go into a Keras layer through the reference,
and the numpy forward passes of sprints 01 and 03 (their own references) must then reproduce the
layer's outputs within float32 tolerance; weights read back out of a layer must equal what went in.
The model builders must reproduce the parameter tables of the lecture.
"""

import dataclasses
import os

import numpy as np
import pytest

from grader.checks import keras_comparison as kc
from grader.checks import lstm_forward as lf
from grader.checks import rnn_forward as rf
from grader.checks.framework import call_student, run_check
from grader.wire import InputView, describe_model, pack, unpack

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import keras  # noqa: E402  (after the log level is set)

layers = keras.layers
RTOL32, ATOL32 = 1e-4, 2e-5

KINDS = {
    "simple_rnn": (layers.SimpleRNN, kc.ref_keras_simple_rnn_weights, kc.ref_numpy_weights_from_keras_simple_rnn,
                   lambda x, h0, w: rf.ref_rnn_forward(x, h0, *w)),
    "lstm": (layers.LSTM, kc.ref_keras_lstm_weights, kc.ref_numpy_weights_from_keras_lstm,
             lambda x, h0, w: lf.ref_lstm_forward(x, h0, np.zeros_like(h0), *w)[0]),
    "gru": (layers.GRU, kc.ref_keras_gru_weights, kc.ref_numpy_weights_from_keras_gru,
            lambda x, h0, w: lf.ref_gru_forward(x, h0, *w)),
}


def random_weights(kind, D, H, seed):
    rng = np.random.default_rng(seed)
    return kc.numpy_weights(rng, kind, D, H)


# ---------------------------------------------------------------- numpy -> Keras -> numpy


@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("D, H", [(3, 5), (4, 2), (1, 1)])
def test_keras_layer_with_converted_weights_matches_the_numpy_forward_pass(kind, D, H):
    make, to_keras, _, forward = KINDS[kind]
    weights = [0.5 * w for w in random_weights(kind, D, H, seed=D * 10 + H)]  # keep tanh out of saturation
    layer = make(H, return_sequences=True)
    layer.build((None, None, D))
    layer.set_weights(to_keras(*weights))
    x = np.random.default_rng(1).normal(size=(4, 6, D)).astype(np.float32)
    ours = forward(x.astype(np.float64), np.zeros((4, H)), weights)
    np.testing.assert_allclose(np.asarray(layer(x)), ours, rtol=RTOL32, atol=ATOL32)


@pytest.mark.parametrize("kind", list(KINDS))
def test_weights_read_back_equal_the_weights_written(kind):
    make, to_keras, from_keras, _ = KINDS[kind]
    weights = random_weights(kind, 3, 4, seed=2)
    layer = make(4)
    layer.build((None, None, 3))
    layer.set_weights(to_keras(*weights))
    back = from_keras(layer)
    assert isinstance(back, tuple) and len(back) == 3
    for got, want in zip(back, weights):
        assert isinstance(got, np.ndarray) and got.shape == want.shape
        np.testing.assert_allclose(got, want, rtol=1e-6)  # float32 storage of float64 numbers


@pytest.mark.parametrize("kind", list(KINDS))
def test_from_keras_reads_by_name_and_keeps_float64(kind):
    make, _, from_keras, _ = KINDS[kind]
    layer = make(2, dtype="float64")
    layer.build((None, None, 5))
    rng = np.random.default_rng(3)
    layer.set_weights([rng.normal(size=w.shape) for w in layer.get_weights()])
    got = from_keras(layer)
    for g, w in zip(got, layer.get_weights()):
        assert g.dtype == np.float64
        np.testing.assert_array_equal(g, w)
    assert got[0].shape == (5, kc.BLOCKS[kind] * 2) and got[1].shape == (2, kc.BLOCKS[kind] * 2)


@pytest.mark.parametrize("kind", list(KINDS))
def test_to_keras_returns_float64_copies(kind):
    _, to_keras, _, _ = KINDS[kind]
    weights = [w.astype(np.float32) for w in random_weights(kind, 2, 3, seed=4)]
    out = to_keras(*weights)
    assert isinstance(out, list) and len(out) == 3
    for o, w in zip(out, weights):
        assert o.dtype == np.float64 and o.shape == w.shape and not np.shares_memory(o, w)
        np.testing.assert_array_equal(o, w)


def test_expected_shapes_are_keras_shapes():
    """The shapes the checks demand are the shapes Keras creates (so set_weights accepts them)."""
    for kind, (make, _, _, _) in KINDS.items():
        layer = make(3)
        layer.build((None, None, 2))
        ours = [w.shape for w in random_weights(kind, 2, 3, seed=0)]
        assert ours == [w.shape for w in layer.get_weights()], kind


# ---------------------------------------------------------------- cases through the wire


def test_an_answer_that_is_an_input_comes_back_as_an_input_view():
    a, b = np.arange(3.0), np.ones((2, 2))
    reply = unpack(pack([a[1:], a.copy(), b], inputs=(a, b)), limit=2**20)
    assert isinstance(reply[0], InputView) and isinstance(reply[2], InputView)
    assert not isinstance(reply[1], InputView)


def test_a_function_that_changes_the_layer_is_reported():
    problem = kc.PROBLEMS[3]
    case = problem.generate(np.random.default_rng(0))[0]

    def zero_the_bias(layer):
        W, U, b = layer.get_weights()
        layer.set_weights([W, U, np.zeros_like(b)])
        return W, U, b

    assert call_student(zero_the_bias, case, ("layer",)).mutated == ["layer"]
    assert call_student(lambda layer: tuple(layer.get_weights()), case, ("layer",)).mutated == []


def test_to_keras_check_catches_aliasing_on_every_case():
    problem = kc.PROBLEMS[2]
    assert problem.name == "keras_lstm_weights"
    cases = problem.generate(np.random.default_rng(0))
    assert len(cases) == 6 and {c.dtype for c in cases} == {np.dtype(np.float32), np.dtype(np.float64)}
    for case in cases:
        for returned, fails in [(lambda *w: list(w), True), (lambda *w: [np.array(a) for a in w], False)]:
            verdict = run_check(problem_with_cases(problem, [case]), returned)
            assert verdict.passed is not fails, verdict.message
            if fails:
                assert "not a copy" in verdict.message


def test_from_keras_cases_are_real_layers_of_several_kinds():
    problem = kc.PROBLEMS[3]
    assert problem.name == "numpy_weights_from_keras_lstm"
    cases = problem.generate(np.random.default_rng(1))
    assert 4 <= len(cases) <= 6
    built = [case.args[0].build() for case in cases]
    assert all(isinstance(layer, layers.LSTM) for layer in built)
    shapes = {layer.get_weights()[0].shape for layer in built}
    assert (4, 16) in shapes and (3, 8) in shapes  # D = H and D != H
    assert any(case.dtype == np.float64 for case in cases)
    biases = [layer.get_weights()[2] for layer in built]
    assert all(np.abs(b).max() > 0.1 and not np.allclose(b, b[0]) for b in biases)  # random, not zeros/ones


def problem_with_cases(problem, cases):
    return dataclasses.replace(problem, generate=lambda rng: cases)


# ---------------------------------------------------------------- the model builders


def per_layer_counts(model):
    return [layer.count_params() for layer in model.layers if layer.count_params()]


def test_imdb_lstm_reproduces_the_table():
    model = kc.ref_build_imdb_lstm()
    assert model.built and model.count_params() == 328_353
    assert per_layer_counts(model) == [320_000, 8_320, 33]
    assert model.output_shape == (None, 1)


def test_stacked_lstm_reproduces_the_table():
    model = kc.ref_build_stacked_lstm()
    assert model.count_params() == 20_223_927
    assert per_layer_counts(model) == [20_000_050, 91_648, 131_584, 645]
    assert model.output_shape == (None, 5)


def test_bidirectional_lstm_reproduces_the_table():
    model = kc.ref_build_bidirectional_lstm()
    assert model.count_params() == 336_705
    assert per_layer_counts(model) == [320_000, 16_640, 65]


def test_the_models_run_on_token_ids():
    ids = np.random.default_rng(0).integers(0, 10_000, (3, 7))
    for build, width in [(kc.ref_build_imdb_lstm, 1), (kc.ref_build_bidirectional_lstm, 1),
                         (kc.ref_build_stacked_lstm, 5)]:
        out = np.asarray(build()(ids))
        assert out.shape == (3, width)
    probabilities = np.asarray(kc.ref_build_imdb_lstm()(ids))
    assert np.all((probabilities > 0) & (probabilities < 1))


def test_model_spec_ignores_dropout_and_merges_activation_layers():
    model = keras.Sequential([keras.Input((None,)), layers.Embedding(50, 4), layers.LSTM(3, return_sequences=True),
                              layers.Dropout(0.5), layers.LSTM(2), layers.Dense(1), layers.Activation("sigmoid")])
    spec = describe_model(model)
    assert [s["type"] for s in spec.layers] == ["Embedding", "LSTM", "LSTM", "Dense"]
    assert spec.layers[-1]["activation"] == "sigmoid" and spec.layers[1]["return_sequences"] is True
    assert spec.count == model.count_params() and spec.output == (1,)


def test_mistake_descriptions_have_the_counts_keras_gives():
    """The hint descriptions carry counts written out by hand: Keras must agree with them."""
    built = {
        "build_imdb_lstm": [keras.Sequential([keras.Input((None,)), layers.Embedding(10000, 32), layers.GRU(32),
                                              layers.Dense(1, activation="sigmoid")])],
        "build_bidirectional_lstm": [keras.Sequential([
            keras.Input((None,)), layers.Embedding(10000, 32), layers.Bidirectional(layers.LSTM(32), merge_mode="sum"),
            layers.Dense(1, activation="sigmoid")])],
    }
    for name, models in built.items():
        problem = next(p for p in kc.PROBLEMS if p.name == name)
        specs = [m() for m in problem.mistakes.values()]
        for model in models:
            spec = describe_model(model)
            assert any(spec == s for s in specs), (name, spec)
    stacked = next(p for p in kc.PROBLEMS if p.name == "build_stacked_lstm")
    counts = sorted(m().count for m in stacked.mistakes.values())
    assert counts == [20_223_927 - 50, 20_223_927]


def test_an_rnn_wrapping_a_cell_is_compared_as_the_layer_of_that_cell():
    import keras

    model = keras.Sequential([keras.Input((None, 3)), keras.layers.RNN(keras.layers.LSTMCell(4),
                                                                       return_sequences=True)])
    (spec,) = describe_model(model).layers
    assert spec == {"type": "RNN", "cell": "LSTMCell", "return_sequences": True, "units": 4}
    assert kc.as_plain_layer(spec) == {"type": "LSTM", "units": 4, "return_sequences": True}
    stacked = {"type": "RNN", "cell": "StackedRNNCells", "return_sequences": False}
    assert kc.as_plain_layer(stacked) == stacked  # no single equivalent layer


# ---------------------------------------------------------------- PyTorch's LSTM layout


def torch_lstm_forward(x, weight_ih, weight_hh, bias_ih, bias_hh):
    """PyTorch's LSTM as its documentation writes it, one sample at a time with column vectors:
    (i, f, g, o) = chunks of W_ih x + b_ih + W_hh h + b_hh, from h_0 = c_0 = 0. Returns (N, T, H)."""
    N, T, _ = x.shape
    H = weight_hh.shape[1]
    out = np.zeros((N, T, H))
    for n in range(N):
        h, c = np.zeros(H), np.zeros(H)
        for t in range(T):
            a = weight_ih @ x[n, t] + bias_ih + weight_hh @ h + bias_hh  # (4H,)
            i, f, g, o = np.split(a, 4)
            i, f, o = (1 / (1 + np.exp(-v)) for v in (i, f, o))
            c = f * c + i * np.tanh(g)
            h = o * np.tanh(c)
            out[n, t] = h
    return out


@pytest.mark.parametrize("D, H", [(3, 5), (4, 4), (1, 2)])
def test_pytorch_weights_converted_by_the_reference_make_keras_compute_pytorchs_lstm(D, H):
    rng = np.random.default_rng(D * 10 + H)
    torch_arrays = [0.5 * a for a in kc.torch_lstm_weights(rng, D, H)]
    layer = layers.LSTM(H, return_sequences=True)
    layer.build((None, None, D))
    layer.set_weights(list(kc.ref_lstm_weights_from_pytorch(*torch_arrays)))
    x = rng.normal(size=(3, 7, D)).astype(np.float32)
    np.testing.assert_allclose(np.asarray(layer(x)), torch_lstm_forward(x.astype(np.float64), *torch_arrays),
                               rtol=RTOL32, atol=ATOL32)


def test_pytorch_reference_differs_from_each_mistake_on_every_case():
    """Every hint names a result that differs from the right one on at least one hidden case."""
    cases = kc.torch_cases(np.random.default_rng(0))
    for hint, mistake in kc.TORCH_MISTAKES.items():
        differs = False
        for case in cases:
            want, got = kc.ref_lstm_weights_from_pytorch(*case.args), mistake(*case.args)
            differs |= any(np.shape(g) != np.shape(w) or not np.allclose(g, w) for g, w in zip(got, want))
        assert differs, hint


# ---------------------------------------------------------------- GRU with reset_after=False


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_gru_reset_before_reference_matches_keras_on_every_hidden_case(seed):
    for case in kc.gru_before_cases(np.random.default_rng(seed)):
        x, h0, W, U, b = case.args
        H = h0.shape[1]
        layer = layers.GRU(H, reset_after=False, return_sequences=True)
        layer.build((None, None, x.shape[2]))
        layer.set_weights([W, U, b])
        theirs = layer(x.astype(np.float32), initial_state=[h0.astype(np.float32)])
        np.testing.assert_allclose(np.asarray(theirs), kc.ref_gru_reset_before_forward(*case.args),
                                   rtol=RTOL32, atol=ATOL32, err_msg=case.label)


def test_gru_reset_after_mistake_is_keras_default_layer():
    """The "reset applied after the product" hint really is reset_after=True (with a zero recurrent bias)."""
    x, h0, W, U, b = kc.gru_before_cases(np.random.default_rng(3))[0].args
    after = kc.GRU_BEFORE_MISTAKES[next(h for h in kc.GRU_BEFORE_MISTAKES if h.startswith("the reset gate "
                                                                                        "multiplies the product"))]
    np.testing.assert_allclose(after(x, h0, W, U, b), lf.ref_gru_forward(x, h0, W, U, np.stack([b, 0 * b])),
                               rtol=1e-10, atol=1e-12)
