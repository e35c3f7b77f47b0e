"""The references of sprint 09 against Keras and TensorFlow, and against the contract's formulas.

Also: every wrong implementation of tests/implementations/training_and_inspecting.py loses the points
with a message that names its mistake (HINTS), not only a message that says it is wrong.
"""

import math
import warnings

import numpy as np
import pytest

from grader.checks import training_and_inspecting as ti
from grader.checks import verify
from tests.implementations import training_and_inspecting as impl

# ---------------------------------------------------------------- softsign


def test_softsign_matches_keras_and_its_gradient():
    import keras
    import tensorflow as tf

    z = np.random.default_rng(0).normal(0, 4, size=(5, 7))
    for dtype in (np.float32, np.float64):
        x = z.astype(dtype)
        expected = np.asarray(keras.activations.softsign(x))
        np.testing.assert_allclose(ti.ref_softsign(x), expected, rtol=1e-6 if dtype == np.float64 else 1e-6)
        variable = tf.Variable(x)
        with tf.GradientTape() as tape:
            y = tf.reduce_sum(tf.nn.softsign(variable))
        np.testing.assert_allclose(ti.ref_softsign_derivative(x), tape.gradient(y, variable).numpy(), rtol=1e-6)


def test_softsign_and_derivative_warn_for_no_finite_input():
    z = np.array([0.0, -0.0, 1e-300, -1e155, 1e200, -1.7e308, 1.7e308])
    with warnings.catch_warnings(), np.errstate(all="raise", under="ignore"):
        warnings.simplefilter("error")
        s, d = ti.ref_softsign(z), ti.ref_softsign_derivative(z)
        d32 = ti.ref_softsign_derivative(np.array([3e38, -1e20], dtype=np.float32))
    np.testing.assert_allclose(s, [0, 0, 1e-300, -1, 1, -1, 1])
    assert d[0] == 1 and np.all(d[3:] < 1e-300) and np.all(d32 < 1e-39)
    assert s.dtype == np.float64 and d32.dtype == np.float32


# ---------------------------------------------------------------- initialisers


@pytest.mark.parametrize("shape", ti.GLOROT_SHAPES)
def test_keras_glorot_uniform_passes_the_distribution_test(shape):
    import keras

    sample = np.asarray(keras.initializers.GlorotUniform(seed=3)(shape), dtype=np.float64)
    assert ti.glorot_distribution(sample, shape, True) is None
    assert abs(np.max(np.abs(sample)) - ti.glorot_limit(shape)) < 1e-3 * ti.glorot_limit(shape)
    ours = ti.ref_glorot_uniform(shape, np.random.default_rng(3))
    assert ti.glorot_distribution(ours, shape, True) is None
    assert abs(ours.var() - sample.var()) < 0.05 * sample.var()  # both l**2 / 3


def test_glorot_test_rejects_the_normal_variant_from_keras():
    import keras

    shape = (100, 120)
    sample = np.asarray(keras.initializers.GlorotNormal(seed=1)(shape), dtype=np.float64)
    assert ti.glorot_distribution(sample, shape, True) is not None


@pytest.mark.parametrize("shape", ti.ORTHOGONAL_SHAPES + [(4, 6), (7, 3)])
def test_keras_orthogonal_passes_the_orthogonality_and_sign_tests(shape):
    import keras

    stats = []
    for seed in range(3):
        sample = np.asarray(keras.initializers.Orthogonal(seed=seed)(shape), dtype=np.float64)
        assert ti.orthogonal_distribution(sample, shape, True) is None
        ours = ti.ref_orthogonal(shape, np.random.default_rng(seed))
        assert ours.shape == sample.shape and ti.orthogonal_distribution(ours, shape, True) is None
        stats.append(ti.sign_statistic(sample, shape))
    assert ti.sign_message(stats) is None


def test_sign_statistic_separates_folded_from_unfolded_qr():
    """Over 8 draws of the three large shapes: the folded QR stays far inside the limit, numpy's raw QR far out."""
    rng = np.random.default_rng(5)
    folded, raw = [], []
    for _ in range(8):
        stats_folded, stats_raw = [], []
        for shape in ti.ORTHOGONAL_SHAPES:
            stats_folded.append(ti.sign_statistic(ti.ref_orthogonal(shape, rng), shape))
            stats_raw.append(ti.sign_statistic(impl.orthogonal_no_signs(shape, rng), shape))
        folded.append(sum(stats_folded) / math.sqrt(3))
        raw.append(sum(stats_raw) / math.sqrt(3))
    assert max(abs(s) for s in folded) < ti.SIGN_LIMIT / 2
    assert max(raw) < -ti.SIGN_LIMIT * 1.3


# ---------------------------------------------------------------- optimisers


def _keras_trajectory(optimizer, w0, grads):
    import keras

    variable = keras.Variable(w0.astype(np.float32))
    path = []
    for g in grads:
        optimizer.apply([g.astype(np.float32)], [variable])
        path.append(np.asarray(variable, dtype=np.float64))
    return path


def _steps(rng, n=12, shape=(3, 4)):
    return rng.normal(0, 1, shape), [rng.normal(0, rng.uniform(0.05, 2), shape) for _ in range(n)]


def test_adagrad_step_follows_keras():
    import keras

    w, grads = _steps(np.random.default_rng(1))
    for lr, eps in [(0.1, 1e-7), (0.5, 0.3)]:
        expected = _keras_trajectory(keras.optimizers.Adagrad(lr, initial_accumulator_value=0.1, epsilon=eps), w, grads)
        ours, acc = w, np.full(w.shape, 0.1)  # Keras starts the accumulator at 0.1
        for g, keras_w in zip(grads, expected):
            ours, acc = ti.ref_adagrad_step(ours, g, acc, lr, epsilon=eps)
            np.testing.assert_allclose(ours, keras_w, rtol=2e-5, atol=2e-6)


def test_rmsprop_step_follows_keras():
    import keras

    w, grads = _steps(np.random.default_rng(2))
    for lr, rho, eps in [(0.01, 0.9, 1e-7), (0.05, 0.7, 0.2)]:
        expected = _keras_trajectory(keras.optimizers.RMSprop(lr, rho=rho, epsilon=eps), w, grads)
        ours, velocity = w, np.zeros(w.shape)
        for g, keras_w in zip(grads, expected):
            ours, velocity = ti.ref_rmsprop_step(ours, g, velocity, lr, rho=rho, epsilon=eps)
            np.testing.assert_allclose(ours, keras_w, rtol=2e-5, atol=2e-6)


def test_adam_step_follows_keras():
    import keras

    w, grads = _steps(np.random.default_rng(3), n=15)
    for lr, b1, b2, eps in [(0.01, 0.9, 0.999, 1e-7), (0.1, 0.8, 0.95, 0.5)]:
        expected = _keras_trajectory(keras.optimizers.Adam(lr, beta_1=b1, beta_2=b2, epsilon=eps), w, grads)
        ours, m, v = w, np.zeros(w.shape), np.zeros(w.shape)
        for t, (g, keras_w) in enumerate(zip(grads, expected), start=1):
            ours, m, v = ti.ref_adam_step(ours, g, m, v, t, lr, beta_1=b1, beta_2=b2, epsilon=eps)
            np.testing.assert_allclose(ours, keras_w, rtol=2e-5, atol=2e-6)


# ---------------------------------------------------------------- early stopping


class _Recorder:
    """Just enough of a model for keras.callbacks.EarlyStopping: weights that record their epoch."""

    def __init__(self):
        import keras

        self.model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
        self.model.stop_training = False


def _keras_early_stopping(losses, patience, min_delta):
    import keras

    holder = _Recorder()
    callback = keras.callbacks.EarlyStopping(monitor="val_loss", patience=patience, min_delta=min_delta,
                                             restore_best_weights=True)
    callback.set_model(holder.model)
    callback.on_train_begin()
    last = len(losses) - 1
    for epoch, loss in enumerate(losses):
        holder.model.set_weights([np.full((1, 1), float(epoch)), np.zeros(1)])  # the weights say their epoch
        callback.on_epoch_end(epoch, {"val_loss": loss})
        if holder.model.stop_training:
            last = epoch
            break
    callback.on_train_end()
    best = int(holder.model.get_weights()[0][0, 0])  # the epoch whose weights were restored
    return last, best


def test_early_stopping_decides_like_keras_callback():
    rng = np.random.default_rng(11)
    situations = [(list(c.args[0]), c.args[1], c.kwargs.get("min_delta", 0.0))
                  for c in ti.early_stopping_cases(rng)]
    for _ in range(25):
        n = int(rng.integers(1, 30))
        situations.append((list(ti._losses(rng, n)), int(rng.integers(0, 6)), float(rng.choice([0.0, 0.015, 0.035]))))
    for losses, patience, min_delta in situations:
        keras_decision = _keras_early_stopping(losses, patience, min_delta)
        assert ti.ref_early_stopping(losses, patience, min_delta) == keras_decision, (losses, patience, min_delta)


# ---------------------------------------------------------------- correlation


def test_correlation_matches_corrcoef_and_the_zero_rule():
    rng = np.random.default_rng(4)
    h = np.tanh(rng.normal(size=(40, 6)))
    feature = rng.normal(size=40)
    h[:, 3] = 0.1  # constant: exactly 0
    r = ti.ref_unit_feature_correlation(h, feature)
    for j in (0, 1, 2, 4, 5):
        assert r[j] == pytest.approx(np.corrcoef(h[:, j], feature)[0, 1], rel=1e-12)
    assert r[3] == 0.0
    assert np.array_equal(ti.ref_unit_feature_correlation(h, np.full(40, 0.1)), np.zeros(6))
    np.testing.assert_allclose(ti.ref_unit_feature_correlation(np.stack([feature, -3 * feature], 1), feature), [1, -1])


# ---------------------------------------------------------------- the pretrained classifier


def test_pretrained_classifier_reference_is_frozen_and_trains_only_lstm_and_dense():
    import keras

    matrix = np.random.default_rng(6).normal(size=(20, 4)).astype(np.float32)
    model = ti.ref_build_pretrained_classifier(matrix, 5, 3)
    total, trainable = ti._classifier_expected(20, 4, 5, 3)
    assert model.count_params() == total
    assert sum(int(np.prod(w.shape)) for w in model.trainable_weights) == trainable
    model.compile(optimizer=keras.optimizers.Adam(0.1), loss="sparse_categorical_crossentropy")
    x = np.random.default_rng(7).integers(0, 20, size=(8, 9))
    model.fit(x, np.arange(8) % 3, epochs=2, verbose=0)
    np.testing.assert_array_equal(model.layers[1].get_weights()[0], matrix)  # untouched by training
    assert model.predict(x[:2, :4], verbose=0).shape == (2, 3)  # any sequence length


# ---------------------------------------------------------------- hints


def _wrong():
    for problem, impls in impl.WRONG.items():
        for description, func in impls.items():
            yield pytest.param(problem, description, func, id=f"{problem}: {description}")


@pytest.mark.parametrize("problem, description, func", list(_wrong()))
def test_wrong_implementation_is_told_its_mistake(problem, description, func):
    verdict = verify(problem, func, seed=5)
    assert not verdict.passed
    assert impl.HINTS[problem][description] in verdict.message, verdict.message
