"""The references of sprint 10 against TensorFlow and Keras, numerical gradients and the contract's formulas.

Tolerances: float64 throughout, so agreement with TensorFlow is to 1e-9 or better (the same
operations in another order), and with centred differences (step 1e-6) to 1e-6 relative.
"""

import numpy as np
import pytest

from grader.checks import numpy_char_lstm as ncl
from grader.checks import verify
from tests.implementations import numpy_char_lstm as impl
from tests.numerics import numerical_gradient

# ---------------------------------------------------------------- embedding


def test_embedding_forward_and_backward_match_tf_gather():
    import tensorflow as tf

    rng = np.random.default_rng(0)
    V, D = 7, 4
    ids = rng.integers(0, V - 2, size=(5, 6))  # repeated ids, and rows 5 and 6 never used
    ids[0, :3] = 2  # id 2 three times in a row
    table = tf.Variable(rng.normal(size=(V, D)))
    dx = rng.normal(size=(5, 6, D))
    with tf.GradientTape() as tape:
        x = tf.gather(table, ids)  # (N, T, D)
        scalar = tf.reduce_sum(x * dx)  # its gradient on x is dx
    np.testing.assert_array_equal(ncl.ref_embedding_forward(ids, table.numpy()), x.numpy())
    expected = tf.convert_to_tensor(tape.gradient(scalar, table)).numpy()  # IndexedSlices, summed
    np.testing.assert_allclose(ncl.ref_embedding_backward(dx, ids, V), expected, rtol=1e-12, atol=1e-12)
    assert np.all(expected[5:] == 0)


def test_embedding_results_are_float64_new_arrays():
    table = np.arange(6, dtype=np.float32).reshape(3, 2)
    ids = np.array([[0, 0, 2]])
    x = ncl.ref_embedding_forward(ids, table)
    assert x.dtype == np.float64 and not np.shares_memory(x, table)
    dW = ncl.ref_embedding_backward(np.ones((1, 3, 2), dtype=np.float32), ids, 3)
    assert dW.dtype == np.float64
    np.testing.assert_array_equal(dW, [[2, 2], [0, 0], [1, 1]])


# ---------------------------------------------------------------- temporal_softmax_loss


@pytest.mark.parametrize("kind", ["no mask", "mask", "logits of +-1000"])
def test_temporal_softmax_loss_matches_tf_sparse_cross_entropy(kind):
    import tensorflow as tf

    rng = np.random.default_rng(1)
    N, T, V = 3, 5, 6
    scores = rng.normal(0, 2, size=(N, T, V))
    y = rng.integers(0, V, size=(N, T))
    mask = None
    if kind == "mask":
        mask = rng.random((N, T)) < 0.5
        mask[0, 0] = True
    if kind == "logits of +-1000":
        scores[..., 0], scores[..., 1] = 1000.0, -1000.0
        y[:, :2] = 1  # targets at -1000: a cross-entropy of about 2000 there
    weight = np.ones((N, T)) if mask is None else mask.astype(np.float64)
    variable = tf.Variable(scores)
    with tf.GradientTape() as tape:
        per_position = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=variable)  # (N, T)
        loss = tf.reduce_sum(per_position * weight) / weight.sum()
    expected_grad = tape.gradient(loss, variable).numpy()
    got_loss, got_grad = ncl.ref_temporal_softmax_loss(scores, y, mask)
    assert type(got_loss) is float
    np.testing.assert_allclose(got_loss, float(loss), rtol=1e-12)
    np.testing.assert_allclose(got_grad, expected_grad, rtol=1e-9, atol=1e-14)
    if mask is not None:
        assert np.all(got_grad[~mask] == 0)


def test_temporal_softmax_gradient_matches_numerical_gradient():
    rng = np.random.default_rng(2)
    scores = rng.normal(size=(2, 3, 4))
    y = rng.integers(0, 4, size=(2, 3))
    mask = np.array([[True, False, True], [True, True, False]])
    _, grad = ncl.ref_temporal_softmax_loss(scores, y, mask)
    numeric = numerical_gradient(lambda: ncl.ref_temporal_softmax_loss(scores, y, mask)[0], scores)
    np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-9)


# ---------------------------------------------------------------- stateful_batches


def contract_batches(ids, batch_size, seq_len):
    """The contract's sentence, one index at a time."""
    S = len(ids) // batch_size
    K = (S - 1) // seq_len if S > 0 else 0
    X = np.zeros((K, batch_size, seq_len), dtype=np.int64)
    Y = np.zeros((K, batch_size, seq_len), dtype=np.int64)
    for k in range(K):
        for n in range(batch_size):
            for j in range(seq_len):
                X[k, n, j] = ids[n * S + k * seq_len + j]
                Y[k, n, j] = ids[n * S + k * seq_len + j + 1]
    return X, Y


@pytest.mark.parametrize("L, batch_size, seq_len", [(103, 4, 5), (84, 4, 5), (80, 4, 5), (37, 1, 6), (19, 3, 7),
                                                    (3, 4, 2), (250, 6, 3), (64, 8, 1)])
def test_stateful_batches_follow_the_contract(L, batch_size, seq_len):
    ids = np.random.default_rng(L).integers(0, 50, size=L)
    X, Y = ncl.ref_stateful_batches(ids, batch_size, seq_len)
    X_expected, Y_expected = contract_batches(ids, batch_size, seq_len)
    np.testing.assert_array_equal(X, X_expected)
    np.testing.assert_array_equal(Y, Y_expected)
    assert X.shape == Y.shape == X_expected.shape and X.dtype.kind == "i"
    assert not np.shares_memory(X, ids) and not np.shares_memory(Y, ids)
    if len(X) > 1:  # row n of chunk k + 1 continues row n of chunk k
        np.testing.assert_array_equal(X[1:, :, 0], Y[:-1, :, -1])


# ---------------------------------------------------------------- char_lstm_loss


def random_problem(seed, N=2, T=4, V=6, D=3, H=4):
    rng = np.random.default_rng(seed)
    params = ncl.init_params(rng, V, D, H, np.float64)
    X, Y = rng.integers(0, V, size=(N, T)), rng.integers(0, V, size=(N, T))
    X[0, :2] = 1  # a repeated character
    return params, X, Y, rng.uniform(-0.9, 0.9, (N, H)), rng.normal(size=(N, H))


def test_char_lstm_loss_matches_keras():
    import tensorflow as tf
    from keras import layers

    params, X, Y, h0, c0 = random_problem(3)
    V, D = params["W_embed"].shape
    H = params["U"].shape[0]
    embedding = layers.Embedding(V, D, dtype="float64")
    lstm = layers.LSTM(H, return_sequences=True, return_state=True, dtype="float64")
    dense = layers.Dense(V, dtype="float64")
    embedding.build((None, None))
    lstm.build((None, None, D))
    dense.build((None, None, H))
    embedding.set_weights([params["W_embed"]])
    lstm.set_weights([params["W"], params["U"], params["b"]])
    dense.set_weights([params["W_out"], params["b_out"]])
    variables = {"W_embed": embedding.embeddings, "W": lstm.cell.kernel, "U": lstm.cell.recurrent_kernel,
                 "b": lstm.cell.bias, "W_out": dense.kernel, "b_out": dense.bias}
    with tf.GradientTape() as tape:
        h, hT, cT = lstm(embedding(X), initial_state=[tf.constant(h0), tf.constant(c0)])
        scores = dense(h)  # (N, T, V)
        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=Y, logits=scores))
    expected = tape.gradient(loss, list(variables.values()))
    got_loss, grads, got_hT, got_cT = ncl.ref_char_lstm_loss(params, X, Y, h0, c0)
    np.testing.assert_allclose(got_loss, float(loss), rtol=1e-10)
    for key, grad in zip(variables, expected):
        np.testing.assert_allclose(grads[key], tf.convert_to_tensor(grad).numpy(), rtol=1e-8, atol=1e-12,
                                   err_msg=key)
    np.testing.assert_allclose(got_hT, hT.numpy(), rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(got_cT, cT.numpy(), rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("seed", [4, 5])
def test_char_lstm_gradients_match_numerical_gradients(seed):
    params, X, Y, h0, c0 = random_problem(seed, N=2, T=3, V=5, D=2, H=3)
    _, grads, _, _ = ncl.ref_char_lstm_loss(params, X, Y, h0, c0)
    assert list(grads) == list(ncl.PARAM_KEYS)
    for key in ncl.PARAM_KEYS:
        numeric = numerical_gradient(lambda: ncl.ref_char_lstm_loss(params, X, Y, h0, c0)[0], params[key])
        np.testing.assert_allclose(grads[key], numeric, rtol=1e-6, atol=1e-9, err_msg=key)


def test_char_lstm_loss_leaves_its_arguments_alone_and_returns_float64():
    params, X, Y, h0, c0 = random_problem(6)
    params32 = {k: v.astype(np.float32) for k, v in params.items()}
    copies = {k: v.copy() for k, v in params32.items()}
    loss, grads, hT, cT = ncl.ref_char_lstm_loss(params32, X, Y, h0.astype(np.float32), c0.astype(np.float32))
    assert type(loss) is float
    assert all(g.dtype == np.float64 for g in grads.values()) and hT.dtype == cT.dtype == np.float64
    assert all(np.array_equal(params32[k], copies[k]) and params32[k].dtype == np.float32 for k in params32)


def test_a_change_to_the_params_dict_is_reported():
    """The framework's mutation check sees a dict of arrays: a value cast or changed in place."""
    verdict = verify("char_lstm_loss", impl.WRONG["char_lstm_loss"]["params changed"][0], seed=11)
    assert not verdict.passed and "changed its input params" in verdict.message
