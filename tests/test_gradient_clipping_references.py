"""The references of sprint 06_gradient_clipping against TensorFlow's clipping ops and Keras optimizers.

Every case the hidden checks can draw (zero gradients, norms exactly at the threshold, far below and
far above it, 0-d to 3-D arrays, float32 and float64) is also run through TensorFlow here.
"""

import copy
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402

from grader.checks import gradient_clipping as gc  # noqa: E402
from grader.checks.framework import call_student  # noqa: E402

SEEDS = (0, 1, 2)


def tolerance(dtype):
    return dict(rtol=1e-12, atol=1e-14) if np.dtype(dtype) == np.float64 else dict(rtol=2e-6, atol=1e-7)


def tf_tensor(a):
    a = np.asarray(a)
    return tf.constant(a, dtype=tf.float64 if a.dtype == np.float64 else tf.float32)


def cases(problem_name, seed):
    problem = next(p for p in gc.PROBLEMS if p.name == problem_name)
    return problem.generate(np.random.default_rng(seed))


# ---------------------------------------------------------------- against tf, on every hidden case


@pytest.mark.parametrize("seed", SEEDS)
def test_clip_by_value_matches_tf(seed):
    for case in cases("clip_by_value", seed):
        grads, v = case.args
        ours = gc.ref_clip_by_value(grads, v)
        assert isinstance(ours, list) and len(ours) == len(grads)
        for o, g in zip(ours, grads):
            expected = tf.clip_by_value(tf_tensor(g), -v, v).numpy()
            np.testing.assert_allclose(o, expected, **tolerance(g.dtype), err_msg=case.label)


@pytest.mark.parametrize("seed", SEEDS)
def test_clip_by_norm_matches_tf(seed):
    for case in cases("clip_by_norm", seed):
        grad, c = case.args
        expected = tf.clip_by_norm(tf_tensor(grad), c).numpy()
        np.testing.assert_allclose(gc.ref_clip_by_norm(grad, c), expected, **tolerance(grad.dtype),
                                   err_msg=case.label)


@pytest.mark.parametrize("seed", SEEDS)
def test_global_norm_matches_tf(seed):
    for case in cases("global_norm", seed):
        (grads,) = case.args
        expected = float(tf.linalg.global_norm([tf_tensor(g) for g in grads]).numpy())
        np.testing.assert_allclose(gc.ref_global_norm(grads), expected, **tolerance(case.dtype), err_msg=case.label)


@pytest.mark.parametrize("seed", SEEDS)
def test_clip_by_global_norm_matches_tf(seed):
    for case in cases("clip_by_global_norm", seed):
        grads, c = case.args
        if not grads:  # the empty list: test_references_agree_with_tensorflow_on_the_edge_cases
            continue
        dtype = grads[0].dtype
        if any(g.dtype != dtype for g in grads):  # tf wants one dtype per list
            continue
        tf_clipped, tf_norm = tf.clip_by_global_norm([tf_tensor(g) for g in grads], c)
        clipped, norm = gc.ref_clip_by_global_norm(grads, c)
        assert isinstance(clipped, list)
        np.testing.assert_allclose(norm, float(tf_norm.numpy()), **tolerance(dtype), err_msg=case.label)
        for o, t in zip(clipped, tf_clipped):
            np.testing.assert_allclose(o, t.numpy(), **tolerance(dtype), err_msg=case.label)


# ---------------------------------------------------------------- the edge cases, by name


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_zero_gradients_stay_zero_like_tf(dtype):
    zeros = [np.zeros((3, 2), dtype), np.zeros(4, dtype), np.zeros((), dtype)]
    for z in zeros:
        out = gc.ref_clip_by_norm(z, 1.0)
        assert np.all(np.isfinite(out)) and not np.any(out)
        np.testing.assert_array_equal(out, tf.clip_by_norm(tf_tensor(z), 1.0).numpy())
    clipped, norm = gc.ref_clip_by_global_norm(zeros, 1.0)
    tf_clipped, tf_norm = tf.clip_by_global_norm([tf_tensor(z) for z in zeros], 1.0)
    assert norm == 0.0 == float(tf_norm.numpy())
    for o, t in zip(clipped, tf_clipped):
        assert np.all(np.isfinite(o)) and not np.any(o)
        np.testing.assert_array_equal(o, t.numpy())


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_norm_exactly_at_the_threshold_leaves_the_gradient_unchanged(dtype):
    rng = np.random.default_rng(3)
    grads = [rng.normal(size=(4, 3)).astype(dtype), rng.normal(size=5).astype(dtype)]
    at = gc.l2(grads)
    clipped, norm = gc.ref_clip_by_global_norm(grads, at)
    tf_clipped, tf_norm = tf.clip_by_global_norm([tf_tensor(g) for g in grads], at)
    np.testing.assert_allclose(norm, float(tf_norm.numpy()), **tolerance(dtype))
    for o, g, t in zip(clipped, grads, tf_clipped):
        np.testing.assert_array_equal(o, g.astype(np.float64))
        np.testing.assert_allclose(o, t.numpy(), **tolerance(dtype))
    single = gc.l2(grads[:1])
    np.testing.assert_array_equal(gc.ref_clip_by_norm(grads[0], single), grads[0].astype(np.float64))
    np.testing.assert_allclose(gc.ref_clip_by_norm(grads[0], single),
                               tf.clip_by_norm(tf_tensor(grads[0]), single).numpy(), **tolerance(dtype))


def test_the_direction_preserving_rule_on_a_3_4_5_triangle():
    # Δw ← Δw · Δmax / |Δw|: (3, 4) has length 5, so with Δmax = 1 it becomes (0.6, 0.8)
    np.testing.assert_allclose(gc.ref_clip_by_norm(np.array([3.0, 4.0]), 1.0), [0.6, 0.8], rtol=1e-15)
    np.testing.assert_allclose(gc.ref_clip_by_value([np.array([3.0, 4.0])], 1.0)[0], [1.0, 1.0])
    clipped, norm = gc.ref_clip_by_global_norm([np.array([3.0]), np.array([[4.0]])], 2.5)
    assert norm == 5.0
    np.testing.assert_allclose(np.concatenate([c.ravel() for c in clipped]), [1.5, 2.0], rtol=1e-15)


def test_clipping_by_norm_keeps_the_direction_and_sets_the_length():
    rng = np.random.default_rng(4)
    grads = [rng.normal(size=(3, 4)), rng.normal(size=(2, 2, 2)), np.array(2.5)]
    flat = np.concatenate([g.ravel() for g in grads])
    clipped, norm = gc.ref_clip_by_global_norm(grads, 0.1 * gc.l2(grads))
    flat_clipped = np.concatenate([c.ravel() for c in clipped])
    assert gc.l2(clipped) == pytest.approx(0.1 * norm, rel=1e-12)
    cosine = flat @ flat_clipped / (np.linalg.norm(flat) * np.linalg.norm(flat_clipped))
    assert cosine == pytest.approx(1.0, abs=1e-12)
    per_tensor = np.concatenate([gc.ref_clip_by_norm(g, 0.1 * norm).ravel() for g in grads])
    per_tensor_cosine = flat @ per_tensor / (np.linalg.norm(flat) * np.linalg.norm(per_tensor))
    assert per_tensor_cosine < 0.99  # clipping tensor by tensor turns the overall direction


def test_references_never_mutate_and_return_new_float64_arrays():
    rng = np.random.default_rng(5)
    grads = [rng.normal(0, 5, (3, 2)).astype(np.float32), rng.normal(0, 5, 4), np.array(-7.0)]
    before = copy.deepcopy(grads)
    outputs = [
        gc.ref_clip_by_value(grads, 1.0),
        [gc.ref_clip_by_norm(g, 1.0) for g in grads],
        gc.ref_clip_by_global_norm(grads, 1.0)[0],
    ]
    gc.ref_global_norm(grads)
    for b, g in zip(before, grads):
        np.testing.assert_array_equal(b, g)
    for out in outputs:
        assert isinstance(out, list)
        for o, g in zip(out, grads):
            assert isinstance(o, np.ndarray) and o.dtype == np.float64 and o.shape == g.shape
            assert not np.shares_memory(o, g)
    assert type(gc.ref_global_norm(grads)) is float


# ---------------------------------------------------------------- mutation of the caller's list


@pytest.mark.parametrize("name, changes", [
    ("clean", False), ("scales_in_place", True), ("replaces_an_item", True), ("appends", True)])
def test_changes_to_the_callers_list_are_reported(name, changes):
    funcs = {
        "clean": lambda grads: [g * 2 for g in grads],
        "scales_in_place": lambda grads: grads[1].__imul__(2),
        "replaces_an_item": lambda grads: grads.__setitem__(0, grads[0] * 1.0),
        "appends": lambda grads: grads.append(np.zeros(1)),
    }
    case = gc.list_case([np.ones((2, 2)), np.arange(3.0)], np.float64, "two gradients")
    outcome = call_student(funcs[name], case, ("grads",))
    assert (outcome.mutated == ["grads"]) is changes


# ---------------------------------------------------------------- Keras optimizers use the same rules


@pytest.mark.parametrize("option, reference", [
    ("clipvalue", lambda grads, c: gc.ref_clip_by_value(grads, c)),
    ("clipnorm", lambda grads, c: [gc.ref_clip_by_norm(g, c) for g in grads]),
    ("global_clipnorm", lambda grads, c: gc.ref_clip_by_global_norm(grads, c)[0]),
])
def test_keras_sgd_clipping_options_match_the_references(option, reference):
    import keras

    rng = np.random.default_rng(6)
    values = [rng.normal(size=(3, 4)), rng.normal(size=4)]
    grads = [rng.normal(0, 3, (3, 4)), rng.normal(0, 0.2, 4)]  # one large, one small gradient
    variables = [keras.Variable(v.astype(np.float32)) for v in values]
    optimizer = keras.optimizers.SGD(learning_rate=1.0, **{option: 1.0})
    optimizer.apply_gradients(zip([g.astype(np.float32) for g in grads], variables))
    steps = [v - np.asarray(var.numpy(), np.float64) for v, var in zip(values, variables)]
    for step, expected in zip(steps, reference([g.astype(np.float32) for g in grads], 1.0)):
        np.testing.assert_allclose(step, expected, rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------- the edges of the contract, against TensorFlow


@pytest.mark.parametrize("seed", range(3))
def test_references_agree_with_tensorflow_on_the_edge_cases(seed):
    import tensorflow as tf

    rng = np.random.default_rng(seed)
    for case in gc.norm_cases(rng):
        grad, clip_norm = case.args
        expected = tf.clip_by_norm(tf.constant(grad.astype(np.float64)), clip_norm).numpy()
        size = max(float(np.max(np.abs(expected))), 1e-300)
        np.testing.assert_allclose(gc.ref_clip_by_norm(grad, clip_norm) / size, expected / size,
                                   rtol=1e-6, atol=1e-9, err_msg=case.label)
    for case in gc.global_norm_cases(rng):
        (grads,) = case.args
        tf_norm = float(tf.linalg.global_norm([tf.constant(np.asarray(g, np.float64)) for g in grads]).numpy())
        assert gc.ref_global_norm(grads) == pytest.approx(tf_norm, rel=1e-6, abs=0), case.label
    for case in gc.global_clip_cases(rng):
        grads, clip_norm = case.args
        tf_list, tf_norm = tf.clip_by_global_norm([tf.constant(np.asarray(g, np.float64)) for g in grads], clip_norm)
        ours, norm = gc.ref_clip_by_global_norm(grads, clip_norm)
        assert norm == pytest.approx(float(tf_norm.numpy()), rel=1e-6, abs=0), case.label
        assert len(ours) == len(tf_list)
        for o, t in zip(ours, tf_list):
            size = max(float(np.max(np.abs(t.numpy()))) if t.numpy().size else 1.0, 1e-300)
            np.testing.assert_allclose(o / size, t.numpy() / size, rtol=1e-6, atol=1e-9, err_msg=case.label)


def test_the_edge_cases_are_drawn():
    rng = np.random.default_rng(0)
    labels = [c.label for c in gc.norm_cases(rng) + gc.global_norm_cases(rng) + gc.global_clip_cases(rng)]
    assert sum(gc.TINY in label for label in labels) >= 3
    assert sum("an empty list" in label for label in labels) == 2
    assert any("exactly clip_norm" in label for label in labels)


def test_tiny_results_are_compared_relative_to_their_size():
    expected = np.full(3, 1e-16)
    assert gc.compare_values("g", expected * 1.0000001, expected, np.dtype(np.float64)) is None
    assert "wrong values" in gc.compare_values("g", expected * 1e-6, expected, np.dtype(np.float64))
    assert gc.compare_norm("n", 3e-16, 1e-16, np.dtype(np.float64)) is not None
