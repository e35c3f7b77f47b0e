"""The references of sprint 05_parameter_counting, tested against Keras and against the course's tables.

Every counting reference is compared with ``count_params()`` of the real Keras layer on 200
random sizes. Layers are built alone with ``layer.build(shape)`` (no models) and with zero
initialisers, which keeps the whole file to about 25 s on two cores.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from grader.checks import parameter_counting as pc  # noqa: E402

layers = keras.layers

COMBINATIONS = 200  # (input_dim, units) pairs per layer type, the EDGES included
BIDIRECTIONAL_COMBINATIONS = 200  # per wrapped layer type
EDGES = [(1, 1), (1, 64), (64, 1), (3, 7), (7, 3)]
ZERO = {"kernel_initializer": "zeros", "recurrent_initializer": "zeros"}  # the count does not depend on it


def sizes(seed: int, n: int = COMBINATIONS) -> list[tuple[int, int]]:
    rng = np.random.default_rng(seed)
    drawn = [tuple(int(v) for v in rng.integers(1, 129, 2)) for _ in range(n - len(EDGES))]
    return EDGES + drawn


def keras_count(layer, input_shape) -> int:
    layer.build(input_shape)
    return layer.count_params()


RECURRENT = {
    "SimpleRNN": (lambda H: layers.SimpleRNN(H, **ZERO), lambda D, H: pc.ref_simple_rnn_params(D, H)),
    "LSTM": (lambda H: layers.LSTM(H, **ZERO), lambda D, H: pc.ref_lstm_params(D, H)),
    "GRU reset_after=True": (
        lambda H: layers.GRU(H, reset_after=True, **ZERO),
        lambda D, H: pc.ref_gru_params(D, H, reset_after=True),
    ),
    "GRU reset_after=False": (
        lambda H: layers.GRU(H, reset_after=False, **ZERO),
        lambda D, H: pc.ref_gru_params(D, H, reset_after=False),
    ),
}


def mismatches(pairs, make, count, input_shape) -> list[str]:
    wrong = []
    for D, H in pairs:
        got, expected = keras_count(make(H), input_shape(D)), count(D, H)
        if got != expected:
            wrong.append(f"D={D}, H={H}: Keras {got}, reference {expected}")
    return wrong


# ---------------------------------------------------------------- against Keras


@pytest.mark.parametrize("kind", list(RECURRENT))
def test_recurrent_references_match_keras(kind):
    make, count = RECURRENT[kind]
    wrong = mismatches(sizes(len(kind)), make, count, lambda D: (None, None, D))
    assert not wrong, wrong[:5]


@pytest.mark.parametrize("kind", list(RECURRENT))
def test_bidirectional_reference_matches_keras(kind):
    make, count = RECURRENT[kind]
    merge_modes = ("concat", "sum", "mul", "ave")  # the merge has no weights of its own
    rng = np.random.default_rng(100 + len(kind))
    wrong = []
    for D, H in sizes(200 + len(kind), BIDIRECTIONAL_COMBINATIONS):
        mode = merge_modes[int(rng.integers(len(merge_modes)))]
        got = keras_count(layers.Bidirectional(make(H), merge_mode=mode), (None, None, D))
        expected = pc.ref_bidirectional_params(count(D, H))
        if got != expected:
            wrong.append(f"D={D}, H={H}, merge_mode={mode}: Keras {got}, reference {expected}")
    assert not wrong, wrong[:5]


@pytest.mark.parametrize("use_bias", [True, False])
def test_dense_reference_matches_keras(use_bias):
    wrong = mismatches(
        sizes(300 + use_bias),
        lambda H: layers.Dense(H, use_bias=use_bias, kernel_initializer="zeros"),
        lambda D, H: pc.ref_dense_params(D, H, use_bias=use_bias),
        lambda D: (None, D),
    )
    assert not wrong, wrong[:5]


def test_dense_reference_default_has_a_bias():
    assert pc.ref_dense_params(6, 4) == keras_count(layers.Dense(4), (None, 6)) == 28


def test_gru_reference_default_is_reset_after():
    assert pc.ref_gru_params(5, 3) == keras_count(layers.GRU(3), (None, None, 5)) == 3 * (3 * 8 + 2 * 3)


def test_embedding_reference_matches_keras():
    rng = np.random.default_rng(400)
    pairs = EDGES + [(int(rng.integers(1, 5000)), int(rng.integers(1, 129))) for _ in range(COMBINATIONS - len(EDGES))]
    wrong = []
    for V, E in pairs:
        got = keras_count(layers.Embedding(V, E, embeddings_initializer="zeros"), (None, 5))
        if got != pc.ref_embedding_params(V, E):
            wrong.append(f"input_dim={V}, output_dim={E}: Keras {got}, reference {pc.ref_embedding_params(V, E)}")
    assert not wrong, wrong[:5]


def test_references_on_a_whole_keras_model():
    """The IMDB model of the course, built as a Keras model, against the sum of the references."""
    model = keras.Sequential(
        [keras.Input((500,)), layers.Embedding(10000, 32), layers.LSTM(32), layers.Dense(1)]
    )
    expected = pc.ref_embedding_params(10000, 32) + pc.ref_lstm_params(32, 32) + pc.ref_dense_params(32, 1)
    assert model.count_params() == expected == 328_353


# ---------------------------------------------------------------- the course's tables


def test_imdb_lstm_table():
    assert pc.ref_lstm_params(32, 32) == 8320 == 4 * 2080  # 2080 = 32 * (32 + 32) + 32
    assert pc.ref_embedding_params(10000, 32) == 320_000
    assert pc.ref_dense_params(32, 1) == 33
    total = pc.ref_embedding_params(10000, 32) + pc.ref_lstm_params(32, 32) + pc.ref_dense_params(32, 1)
    assert total == 328_353


def test_imdb_bidirectional_table():
    bi = pc.ref_bidirectional_params(pc.ref_lstm_params(32, 32))
    assert bi == 16_640
    assert pc.ref_dense_params(64, 1) == 65
    assert pc.ref_embedding_params(10000, 32) + bi + pc.ref_dense_params(64, 1) == 336_705


def test_glove_stacked_lstm_table():
    first, second = pc.ref_lstm_params(50, 128), pc.ref_lstm_params(128, 128)
    assert (first, second) == (91_648, 131_584)
    assert pc.ref_embedding_params(400_001, 50) == 20_000_050
    assert pc.ref_dense_params(128, 5) == 645
    assert pc.ref_embedding_params(400_001, 50) + first + second + pc.ref_dense_params(128, 5) == 20_223_927


def test_references_return_python_ints():
    values = [pc.ref_simple_rnn_params(3, 4), pc.ref_lstm_params(3, 4), pc.ref_gru_params(3, 4, False),
              pc.ref_embedding_params(3, 4), pc.ref_dense_params(3, 4, False),
              pc.ref_bidirectional_params(np.int64(10))]
    assert all(type(v) is int for v in values)


# ---------------------------------------------------------------- the hidden-case generators


@pytest.mark.parametrize("generate", [pc.recurrent_cases, pc.gru_cases, pc.dense_cases])
def test_size_generators_cover_the_corners(generate):
    for seed in range(5):
        cases = generate(np.random.default_rng(seed))
        pairs = [c.args[:2] for c in cases]
        assert (1, 1) in pairs and any(D != H for D, H in pairs)
        assert 6 <= len(cases) <= 10


@pytest.mark.parametrize("generate, flag", [(pc.gru_cases, "reset_after"), (pc.dense_cases, "use_bias")])
def test_flag_generators_use_every_form_of_the_flag(generate, flag):
    cases = generate(np.random.default_rng(0))
    named = {c.kwargs[flag] for c in cases if flag in c.kwargs}
    positional = {c.args[2] for c in cases if len(c.args) == 3}
    default = [c for c in cases if len(c.args) == 2 and not c.kwargs]
    assert named == {True, False} and positional == {True, False} and default
    assert cases[0].kwargs == {flag: True}  # the first case states the flag (see FLAG_MODES)


def test_count_comparison_accepts_integers_only():
    assert pc.compare_count(12, 12, None) is None
    assert pc.compare_count(np.int64(12), 12, None) is None
    assert pc.compare_count(np.array(12), 12, None) is None
    for bad in (12.0, np.float64(12), "12", True, [12]):
        assert pc.compare_count(bad, 12, None) is not None, bad
    assert "expected 13" in pc.compare_count(12, 13, None)


def test_label_comparison():
    assert pc.compare_label("good fit", "good fit", None) is None
    for bad in ("Good fit", "good_fit", "overfit", 1, None):
        assert pc.compare_label(bad, "good fit", None) is not None, bad
    assert "expected 'underfitting'" in pc.compare_label("good fit", "underfitting", None)


# ---------------------------------------------------------------- diagnose_fit


def test_diagnose_fit_on_the_rule_of_thumb_cases():
    b = 0.69  # about ln 2: a binary classifier that has learnt nothing
    # training loss much lower than validation loss: overfitting
    assert pc.ref_diagnose_fit([1.0, 0.5, 0.2, 0.05], [1.0, 0.7, 0.6, 0.6], b) == "overfitting"
    # validation loss turning back up: overfitting even though the last values are close
    assert pc.ref_diagnose_fit([1.0, 0.5, 0.35, 0.3], [1.0, 0.4, 0.25, 0.3], b) == "overfitting"
    # both about equal and still near the baseline: underfitting
    assert pc.ref_diagnose_fit([0.7, 0.68, 0.66, 0.65], [0.7, 0.69, 0.67, 0.66], b) == "underfitting"
    # both about equal and far below the baseline: good fit
    assert pc.ref_diagnose_fit([0.7, 0.4, 0.25, 0.2], [0.7, 0.4, 0.26, 0.22], b) == "good fit"
    # a single epoch at the baseline has not learnt anything yet
    assert pc.ref_diagnose_fit([0.7], [0.7], b) == "underfitting"


def test_a_model_that_learns_within_one_epoch_is_a_good_fit():
    # The first epoch already took the loss from 0.69 to 0.15: later epochs cannot halve it again,
    # but the model fits well. Measured against the first epoch it would read as underfitting.
    train, val = [0.16, 0.12, 0.1, 0.09], [0.15, 0.12, 0.1, 0.095]
    assert pc.ref_diagnose_fit(train, val, 0.69) == "good fit"
    assert pc.fit_first_epoch_as_baseline(np.array(train), np.array(val), 0.69) == "underfitting"


def test_diagnose_fit_thresholds():
    val = [2.0, 0.5]  # never rose
    assert pc.ref_diagnose_fit([2.0, 0.5 / 1.25], val, 2.0) == "overfitting"  # 25 % gap
    assert pc.ref_diagnose_fit([2.0, 0.5 / 1.15], val, 2.0) == "good fit"  # 15 % gap
    assert pc.ref_diagnose_fit([2.0, 0.5], [2.0, 0.4, 0.4 * 1.12], 2.0) == "overfitting"  # 12 % rise
    assert pc.ref_diagnose_fit([2.0, 0.5], [2.0, 0.4, 0.4 * 1.08], 2.0) == "good fit"  # 8 % rise
    assert pc.ref_diagnose_fit([2.0, 1.1], [2.0, 1.1], 2.0) == "underfitting"  # 55 % of the baseline
    assert pc.ref_diagnose_fit([2.0, 0.9], [2.0, 0.9], 2.0) == "good fit"  # 45 % of the baseline
    assert pc.ref_diagnose_fit([5.0, 0.9], [5.0, 0.9], 1.6) == "underfitting"  # 56 %, though v0 fell 5-fold


def test_diagnose_fit_accepts_lists_and_arrays_without_changing_them():
    train = np.array([1.0, 0.5, 0.2], dtype=np.float32)
    val = np.array([1.0, 0.6, 0.7], dtype=np.float32)
    before = (train.copy(), val.copy())
    assert pc.ref_diagnose_fit(train, val, 1.0) == pc.ref_diagnose_fit(list(train), list(val), 1.0) == "overfitting"
    assert np.array_equal(train, before[0]) and np.array_equal(val, before[1])


FAMILY_DIAGNOSIS = {
    "good fit": "good fit",
    "overfitting: gap": "overfitting",
    "overfitting: rise": "overfitting",
    "underfitting": "underfitting",
    "underfitting after a poor start": "underfitting",
    "good fit after one fast epoch": "good fit",
    "overfitting while still high": "overfitting",
    "overfitting on a tiny scale": "overfitting",
    "good fit on a large scale": "good fit",
    "good fit with a small rise": "good fit",
    "good fit with dropout": "good fit",
    "one epoch": "underfitting",
}


def test_synthetic_curves_match_their_family_and_keep_clear_of_every_threshold():
    """Each hidden case must be unambiguous: its family's diagnosis, and ratios 2 % or more from every
    threshold, so that a correct implementation in float32 or with reordered arithmetic agrees."""
    for seed in range(300):
        for family, case in zip(pc.FAMILIES, pc.fit_cases(np.random.default_rng(seed))):
            train = np.asarray(case.args[0], np.float64)
            val = np.asarray(case.args[1], np.float64)
            baseline = float(case.args[2])
            assert len(train) == len(val) >= 1 and np.all(train > 0) and np.all(val > 0) and baseline > 0
            expected = FAMILY_DIAGNOSIS[family]
            assert pc.ref_diagnose_fit(*case.args) == expected, (seed, family)
            t, v = train[-1], val[-1]
            for ratio, threshold in ((v / t, pc.GAP), (v / val.min(), pc.RISE), (v / baseline, pc.HALF)):
                assert abs(ratio / threshold - 1) >= 0.02, (seed, family, ratio, threshold)


def test_the_first_epoch_rule_disagrees_on_every_draw():
    """The families built against the earlier rule (first epoch as the yardstick) catch it every time."""
    for seed in range(100):
        cases = dict(zip(pc.FAMILIES, pc.fit_cases(np.random.default_rng(seed))))
        for family in ("underfitting after a poor start", "good fit after one fast epoch"):
            args = [np.asarray(a, np.float64) for a in cases[family].args]
            assert pc.fit_first_epoch_as_baseline(*args) != pc.ref_diagnose_fit(*args), (seed, family)


def test_diagnose_fit_does_not_depend_on_the_scale_of_the_loss():
    rng = np.random.default_rng(1)
    for case in pc.fit_cases(rng):
        scale = float(rng.uniform(0.01, 100))
        train, val = (np.asarray(a, np.float64) for a in case.args[:2])
        baseline = float(case.args[2])
        assert pc.ref_diagnose_fit(train * scale, val * scale, baseline * scale) == pc.ref_diagnose_fit(
            train, val, baseline)
