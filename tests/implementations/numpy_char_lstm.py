"""Implementations of sprint 10_numpy_char_lstm problems, written the way students write them.

``WRONG[problem][description]`` is ``(function, fragment)``: the check's message must contain the
fragment, so that it names the mistake. ``CORRECT`` holds other correct ways to write each function.
The LSTM these use is the course's (sprint 03/04 contract), written here once.
"""

import numpy as np

# ---------------------------------------------------------------- the LSTM of sprints 03 and 04


def _sigmoid(z):
    return 1 / (1 + np.exp(-np.clip(z, -500, 500)))


def lstm_forward(x, h0, c0, W, U, b):
    """x (N, T, D), h0 and c0 (N, H) -> h, c (N, T, H), plus the gates (N, T, 4H) for the backward pass."""
    N, T, _ = x.shape
    H = h0.shape[1]
    h, c, gates = np.zeros((N, T, H)), np.zeros((N, T, H)), np.zeros((N, T, 4 * H))
    h_t, c_t = h0, c0
    for t in range(T):
        a = x[:, t] @ W + h_t @ U + b  # (N, 4H)
        i, f, g, o = _sigmoid(a[:, :H]), _sigmoid(a[:, H:2 * H]), np.tanh(a[:, 2 * H:3 * H]), _sigmoid(a[:, 3 * H:])
        c_t = f * c_t + i * g
        h_t = o * np.tanh(c_t)
        h[:, t], c[:, t], gates[:, t] = h_t, c_t, np.hstack([i, f, g, o])
    return h, c, gates


def lstm_backward(dh, x, h0, c0, W, U, b):
    """dh (N, T, H) -> dx, dh0, dc0, dW, dU, db."""
    h, c, gates = lstm_forward(x, h0, c0, W, U, b)
    N, T, H = h.shape
    dx, dW, dU, db = np.zeros_like(x), np.zeros_like(W), np.zeros_like(U), np.zeros_like(b)
    dh_next, dc_next = np.zeros((N, H)), np.zeros((N, H))
    for t in reversed(range(T)):
        i, f, g, o = np.split(gates[:, t], 4, axis=1)
        c_prev = c0 if t == 0 else c[:, t - 1]
        h_prev = h0 if t == 0 else h[:, t - 1]
        d_h = dh[:, t] + dh_next
        tc = np.tanh(c[:, t])
        d_c = dc_next + d_h * o * (1 - tc**2)
        da = np.hstack([d_c * g * i * (1 - i), d_c * c_prev * f * (1 - f), d_c * i * (1 - g**2),
                        d_h * tc * o * (1 - o)])
        dx[:, t] = da @ W.T
        dW += x[:, t].T @ da
        dU += h_prev.T @ da
        db += da.sum(axis=0)
        dh_next, dc_next = da @ U.T, d_c * f
    return dx, dh_next, dc_next, dW, dU, db


# ---------------------------------------------------------------- embedding_forward


def embed_fancy(ids, W_embed):
    return np.asarray(W_embed, dtype=np.float64)[ids]


def embed_take(ids, W_embed):
    return np.take(np.asarray(W_embed), ids, axis=0).astype(np.float64)


def embed_one_hot(ids, W_embed):
    W_embed = np.asarray(W_embed, dtype=np.float64)
    one_hot = np.eye(W_embed.shape[0])[ids]  # (N, T, V)
    return one_hot @ W_embed


def embed_float32(ids, W_embed):
    return W_embed[ids]  # keeps float32


def embed_time_major(ids, W_embed):
    return np.asarray(W_embed, dtype=np.float64)[ids.T]  # (T, N, D)


def embed_one_based(ids, W_embed):
    return np.asarray(W_embed, dtype=np.float64)[ids - 1]  # as if ids counted from 1


def embed_flat(ids, W_embed):
    return np.asarray(W_embed, dtype=np.float64)[ids.reshape(-1)]  # (N*T, D)


def embed_loop_float32_table(ids, W_embed):
    out = np.zeros(ids.shape + (W_embed.shape[1],), dtype=W_embed.dtype)
    for n in range(ids.shape[0]):
        for t in range(ids.shape[1]):
            out[n, t] = W_embed[ids[n, t]]
    return out


# ---------------------------------------------------------------- embedding_backward


def embed_back_fancy_add(dx, ids, vocab_size):
    dW = np.zeros((vocab_size, dx.shape[-1]))
    dW[ids] += dx
    return dW


def embed_back_max_id(dx, ids, vocab_size):
    dW = np.zeros((ids.max() + 1, dx.shape[-1]))
    np.add.at(dW, ids, np.asarray(dx, dtype=np.float64))
    return dW


def embed_back_mean(dx, ids, vocab_size):
    dW = np.zeros((vocab_size, dx.shape[-1]))
    np.add.at(dW, ids.reshape(-1), np.asarray(dx, dtype=np.float64).reshape(-1, dx.shape[-1]))
    return dW / ids.size


def embed_back_float32(dx, ids, vocab_size):
    dW = np.zeros((vocab_size, dx.shape[-1]), dtype=dx.dtype)
    np.add.at(dW, ids, dx)
    return dW


def embed_back_per_position(dx, ids, vocab_size):
    return np.array(dx, dtype=np.float64).reshape(-1, dx.shape[-1])


def embed_back_add_at(dx, ids, vocab_size):
    dW = np.zeros((vocab_size, dx.shape[-1]))
    np.add.at(dW, ids, dx)
    return dW


def embed_back_loop(dx, ids, vocab_size):
    dW = np.zeros((vocab_size, dx.shape[-1]))
    for n in range(ids.shape[0]):
        for t in range(ids.shape[1]):
            dW[ids[n, t]] += dx[n, t]
    return dW


def embed_back_bincount(dx, ids, vocab_size):
    flat = ids.reshape(-1)
    rows = np.asarray(dx, dtype=np.float64).reshape(len(flat), -1)
    return np.stack([np.bincount(flat, weights=rows[:, d], minlength=vocab_size) for d in range(rows.shape[1])],
                    axis=1)


# ---------------------------------------------------------------- temporal_softmax_loss


def _prepared(scores, y, mask):
    scores = np.asarray(scores, dtype=np.float64)
    N, T, V = scores.shape
    mask = np.ones((N, T), dtype=bool) if mask is None else np.asarray(mask, dtype=bool)
    return scores, N, T, V, mask


def tsl_cs231n(scores, y, mask=None):
    scores, N, T, V, mask = _prepared(scores, y, mask)
    flat = scores.reshape(N * T, V)
    y_flat, m_flat = y.reshape(N * T), mask.reshape(N * T)
    probs = np.exp(flat - flat.max(axis=1, keepdims=True))
    probs /= probs.sum(axis=1, keepdims=True)
    log_z = np.log(np.exp(flat - flat.max(axis=1, keepdims=True)).sum(axis=1)) + flat.max(axis=1)
    count = m_flat.sum()
    loss = np.sum(m_flat * (log_z - flat[np.arange(N * T), y_flat])) / count
    dx = probs.copy()
    dx[np.arange(N * T), y_flat] -= 1
    dx *= m_flat[:, None] / count
    return float(loss), dx.reshape(N, T, V)


def tsl_take_along(scores, y, mask=None):
    scores, N, T, V, mask = _prepared(scores, y, mask)
    m = scores.max(axis=-1, keepdims=True)
    log_p = scores - m - np.log(np.sum(np.exp(scores - m), axis=-1, keepdims=True))
    picked = np.take_along_axis(log_p, y[..., None], axis=-1)[..., 0]
    loss = -picked[mask].mean()
    grad = np.exp(log_p) - (np.arange(V) == y[..., None])
    grad = np.where(mask[..., None], grad, 0.0) / mask.sum()
    return float(loss), grad


def tsl_summed(scores, y, mask=None):
    scores, N, T, V, mask = _prepared(scores, y, mask)
    loss, d = tsl_take_along(scores, y, mask)
    return loss * mask.sum(), d * mask.sum()


def tsl_mask_ignored_in_mean(scores, y, mask=None):
    scores, N, T, V, mask = _prepared(scores, y, mask)
    m = scores.max(axis=-1, keepdims=True)
    log_p = scores - m - np.log(np.sum(np.exp(scores - m), axis=-1, keepdims=True))
    picked = np.take_along_axis(log_p, y[..., None], axis=-1)[..., 0]
    loss = -np.sum(picked * mask) / (N * T)
    grad = (np.exp(log_p) - (np.arange(V) == y[..., None])) * mask[..., None] / (N * T)
    return float(loss), grad


def tsl_dscores_not_divided(scores, y, mask=None):
    loss, d = tsl_take_along(scores, y, mask)
    count = np.asarray(mask).sum() if mask is not None else np.shape(y)[0] * np.shape(y)[1]
    return loss, d * count


def tsl_no_shift(scores, y, mask=None):
    scores, N, T, V, mask = _prepared(scores, y, mask)
    e = np.exp(scores)  # overflows at 1000
    p = e / e.sum(axis=-1, keepdims=True)
    picked = np.take_along_axis(p, y[..., None], axis=-1)[..., 0]
    loss = -np.sum(np.log(picked) * mask) / mask.sum()
    grad = (p - (np.arange(V) == y[..., None])) * mask[..., None] / mask.sum()
    return float(loss), grad


def tsl_log_of_probs(scores, y, mask=None):
    """Shifted, but the log of the probability: log(0) for a target at -1000 next to +1000."""
    scores, N, T, V, mask = _prepared(scores, y, mask)
    e = np.exp(scores - scores.max(axis=-1, keepdims=True))
    p = e / e.sum(axis=-1, keepdims=True)
    picked = np.take_along_axis(p, y[..., None], axis=-1)[..., 0]
    loss = -np.sum(np.log(picked) * mask) / mask.sum()
    grad = (p - (np.arange(V) == y[..., None])) * mask[..., None] / mask.sum()
    return float(loss), grad


def tsl_numpy_scalar_float32(scores, y, mask=None):
    loss, d = tsl_take_along(scores, y, mask)
    return np.float32(loss), d


def tsl_mask_not_zeroing(scores, y, mask=None):
    """Averaged over the masked positions, but dscores left non-zero where the mask is False."""
    scores, N, T, V, mask = _prepared(scores, y, mask)
    loss, _ = tsl_take_along(scores, y, mask)
    m = scores.max(axis=-1, keepdims=True)
    p = np.exp(scores - m) / np.sum(np.exp(scores - m), axis=-1, keepdims=True)
    return loss, (p - (np.arange(V) == y[..., None])) / mask.sum()


# ---------------------------------------------------------------- stateful_batches


def _cut_chunks(ids, batch_size, seq_len, S, K):
    """K chunks of seq_len from each of batch_size streams of length S, one window at a time."""
    X = np.zeros((K, batch_size, seq_len), dtype=np.int64)
    Y = np.zeros((K, batch_size, seq_len), dtype=np.int64)
    for k in range(K):
        for n in range(batch_size):
            start = n * S + k * seq_len
            X[k, n] = ids[start:start + seq_len]
            Y[k, n] = ids[start + 1:start + seq_len + 1]
    return X, Y


def sb_loop(ids, batch_size, seq_len):
    S = len(ids) // batch_size
    return _cut_chunks(ids, batch_size, seq_len, S, max((S - 1) // seq_len, 0))


def sb_reshape(ids, batch_size, seq_len):
    S = len(ids) // batch_size
    K = max((S - 1) // seq_len, 0)
    streams = np.asarray(ids)[: S * batch_size].reshape(batch_size, S)
    X = streams[:, : K * seq_len].reshape(batch_size, K, seq_len).swapaxes(0, 1).copy()
    Y = streams[:, 1: K * seq_len + 1].reshape(batch_size, K, seq_len).swapaxes(0, 1).copy()
    return X, Y


def sb_views(ids, batch_size, seq_len):
    """Right values, but X and Y are views of the caller's ids."""
    S = len(ids) // batch_size
    K = max((S - 1) // seq_len, 0)
    streams = ids[: S * batch_size].reshape(batch_size, S)
    X = np.lib.stride_tricks.as_strided(streams, (K, batch_size, seq_len),
                                        (seq_len * streams.strides[1], streams.strides[0], streams.strides[1]),
                                        writeable=True)
    Y = np.lib.stride_tricks.as_strided(streams[:, 1:], (K, batch_size, seq_len),
                                        (seq_len * streams.strides[1], streams.strides[0], streams.strides[1]),
                                        writeable=True)
    return X, Y


def sb_across_rows(ids, batch_size, seq_len):
    S = len(ids) // batch_size
    K = max((S - 1) // seq_len, 0)
    X = np.zeros((K, batch_size, seq_len), dtype=np.int64)
    Y = np.zeros((K, batch_size, seq_len), dtype=np.int64)
    for k in range(K):
        for n in range(batch_size):
            start = (k * batch_size + n) * seq_len
            X[k, n] = ids[start:start + seq_len]
            Y[k, n] = ids[start + 1:start + seq_len + 1]
    return X, Y


def sb_not_shifted(ids, batch_size, seq_len):
    X, _ = sb_loop(ids, batch_size, seq_len)
    return X, X.copy()


def sb_remainder_kept(ids, batch_size, seq_len):
    """Streams of ceil(L / batch_size) characters: the remainder is not dropped."""
    S = -(-len(ids) // batch_size)
    K = max((S - 1) // seq_len, 0)
    X = np.zeros((K, batch_size, seq_len), dtype=np.int64)
    Y = np.zeros((K, batch_size, seq_len), dtype=np.int64)
    padded = np.concatenate([ids, np.zeros(S * batch_size - len(ids), dtype=np.int64)])
    for k in range(K):
        for n in range(batch_size):
            start = n * S + k * seq_len
            X[k, n] = padded[start:start + seq_len]
            Y[k, n] = padded[start + 1:start + seq_len + 1]
    return X, Y


def sb_k_too_many(ids, batch_size, seq_len):
    """K = S // seq_len: one chunk too many when S is a multiple of seq_len (Y runs into the next stream)."""
    S = len(ids) // batch_size
    padded = np.concatenate([ids, np.zeros(batch_size * seq_len + 1, dtype=np.int64)])
    return _cut_chunks(padded, batch_size, seq_len, S, S // seq_len)


def sb_k_too_few(ids, batch_size, seq_len):
    X, Y = sb_loop(ids, batch_size, seq_len)
    return X[:-1].copy(), Y[:-1].copy()


def sb_float(ids, batch_size, seq_len):
    X, Y = sb_loop(ids, batch_size, seq_len)
    return X.astype(np.float64), Y.astype(np.float64)


# ---------------------------------------------------------------- char_lstm_loss


def _loss_and_grads(params, X, Y, h0, c0, *, total=False, first_state=False, h0_grads=False, drop_key=None,
                    in_place=False, float32=False, lossy_embedding=False, zero_states=False, unshifted=False,
                    numpy_float32_loss=False):
    p = params if in_place else {k: np.asarray(v, dtype=np.float64) for k, v in params.items()}
    if in_place:
        for key in p:
            p[key] = np.asarray(p[key], dtype=np.float64)
    if zero_states:
        h0, c0 = np.zeros_like(h0), np.zeros_like(c0)
    h0, c0 = np.asarray(h0, dtype=np.float64), np.asarray(c0, dtype=np.float64)
    N, T = X.shape
    x = p["W_embed"][X]  # (N, T, D)
    h, c, _ = lstm_forward(x, h0, c0, p["W"], p["U"], p["b"])
    scores = h @ p["W_out"] + p["b_out"]  # (N, T, V)
    loss, dscores = tsl_take_along(scores, X if unshifted else Y)
    if total:
        loss, dscores = loss * N * T, dscores * N * T
    grads = {"W_out": np.einsum("nth,ntv->hv", h, dscores), "b_out": dscores.sum(axis=(0, 1))}
    dx, dh0, dc0, grads["W"], grads["U"], grads["b"] = lstm_backward(dscores @ p["W_out"].T, x, h0, c0,
                                                                      p["W"], p["U"], p["b"])
    backward = embed_back_fancy_add if lossy_embedding else embed_back_add_at
    grads["W_embed"] = backward(dx, X, p["W_embed"].shape[0])
    if h0_grads:
        grads["h0"], grads["c0"] = dh0, dc0
    if drop_key:
        del grads[drop_key]
    if float32:
        grads = {k: g.astype(np.float32) for k, g in grads.items()}
    hT, cT = (h[:, 0], c[:, 0]) if first_state else (h[:, -1], c[:, -1])
    if numpy_float32_loss:
        loss = np.float32(loss)
    return loss, grads, hT.copy(), cT.copy()


def cll_plain(params, X, Y, h0, c0):
    return _loss_and_grads(params, X, Y, h0, c0)


def cll_reshaped_dense(params, X, Y, h0, c0):
    """The dense layer on (N*T, H) rows, and the embedding's gradient by a one-hot product."""
    p = {k: np.array(v, dtype=np.float64) for k, v in params.items()}
    N, T = X.shape
    V, D = p["W_embed"].shape
    x = embed_one_hot(X, p["W_embed"])
    h, c, _ = lstm_forward(x, np.asarray(h0, np.float64), np.asarray(c0, np.float64), p["W"], p["U"], p["b"])
    H = h.shape[2]
    rows = h.reshape(N * T, H)
    loss, dscores = tsl_cs231n((rows @ p["W_out"] + p["b_out"]).reshape(N, T, V), Y)
    d_rows = dscores.reshape(N * T, V)
    dx, _, _, dW, dU, db = lstm_backward((d_rows @ p["W_out"].T).reshape(N, T, H), x, np.asarray(h0, np.float64),
                                         np.asarray(c0, np.float64), p["W"], p["U"], p["b"])
    one_hot = np.eye(V)[X.reshape(-1)]  # (N*T, V)
    grads = {"W_embed": one_hot.T @ dx.reshape(N * T, D), "W": dW, "U": dU, "b": db,
             "W_out": rows.T @ d_rows, "b_out": d_rows.sum(axis=0)}
    return loss, grads, h[:, T - 1].copy(), c[:, T - 1].copy()


WRONG = {
    "embedding_forward": {
        "float32 kept": (embed_float32, "float64"),
        "time-major result": (embed_time_major, "shape"),
        "flattened positions": (embed_flat, "shape"),
        "a loop into a float32 array": (embed_loop_float32_table, "float64"),
        "ids counted from 1": (embed_one_based, "wrong values"),
    },
    "embedding_backward": {
        "dW[ids] += dx": (embed_back_fancy_add, "np.add.at"),
        "rows up to the largest id": (embed_back_max_id, "shape"),
        "averaged": (embed_back_mean, "averaged"),
        "float32 kept": (embed_back_float32, "float64"),
        "one row per position": (embed_back_per_position, "one row per id"),
    },
    "temporal_softmax_loss": {
        "summed": (tsl_summed, "summed"),
        "masked sum over N*T": (tsl_mask_ignored_in_mean, "divided by N*T"),
        "dscores not divided": (tsl_dscores_not_divided, "not divided"),
        "no max shift": (tsl_no_shift, "numerically stable"),
        "log of the probabilities": (tsl_log_of_probs, "numerically stable"),
        "loss a float32 scalar": (tsl_numpy_scalar_float32, "Python float"),
        "masked positions not zeroed": (tsl_mask_not_zeroing, "masked"),
    },
    "stateful_batches": {
        "chunks across rows": (sb_across_rows, "streams"),
        "Y not shifted": (sb_not_shifted, "shifted by one"),
        "remainder kept": (sb_remainder_kept, "remainder is not dropped"),
        "K one too many": (sb_k_too_many, "One chunk too many"),
        "K one too few": (sb_k_too_few, "One chunk too few"),
        "views of ids": (sb_views, "view"),
        "float arrays": (sb_float, "integers"),
    },
    "char_lstm_loss": {
        "loss summed": (lambda *a: _loss_and_grads(*a, total=True), "summed"),
        "hT of the first step": (lambda *a: _loss_and_grads(*a, first_state=True), "first step"),
        "gradients for h0 and c0": (lambda *a: _loss_and_grads(*a, h0_grads=True), "no gradient flows into them"),
        "a key missing": (lambda *a: _loss_and_grads(*a, drop_key="b_out"), "missing: b_out"),
        "params changed": (lambda *a: _loss_and_grads(*a, in_place=True), "changed its input params"),
        "float32 gradients": (lambda *a: _loss_and_grads(*a, float32=True), "float64"),
        "embedding gradient loses repeats": (lambda *a: _loss_and_grads(*a, lossy_embedding=True), "np.add.at"),
        "zero initial states": (lambda *a: _loss_and_grads(*a, zero_states=True), "starts from zeros"),
        "targets not shifted": (lambda *a: _loss_and_grads(*a, unshifted=True), "targets are X"),
        "loss a float32 scalar": (lambda *a: _loss_and_grads(*a, numpy_float32_loss=True), "Python float"),
    },
}

CORRECT = {
    "embedding_forward": {"fancy indexing": embed_fancy, "np.take": embed_take, "one-hot product": embed_one_hot},
    "embedding_backward": {"np.add.at": embed_back_add_at, "a loop": embed_back_loop,
                           "np.bincount": embed_back_bincount},
    "temporal_softmax_loss": {"flattened, as in CS231n": tsl_cs231n, "take_along_axis": tsl_take_along},
    "stateful_batches": {"a loop": sb_loop, "reshape and copy": sb_reshape},
    "char_lstm_loss": {"cached gates": cll_plain, "rows of (N*T, H) and a one-hot product": cll_reshaped_dense},
}
