"""Hidden checks for sprint 10_numpy_char_lstm: references, input generators and typical mistakes.

Shape letters: N sequences (streams), T time steps (characters per chunk), V characters in the
vocabulary, D embedding size, H LSTM cells, K chunks, L characters of text.

The references are written here on their own: the embedding gradient with ``np.add.at``, the loss
with a log-sum-exp, the batches by reshaping the text into streams, and the LSTM of ``char_lstm_loss``
with the gates kept from the forward pass (the notebook's LSTM recomputes them in its backward pass).
``tests/test_numpy_char_lstm_references.py`` compares them with TensorFlow and numerical gradients.

Every float result must be float64, for float32 inputs too; the loss a Python float (numpy's float64
is one). Cases with float32 inputs are compared with the float32 tolerance, since a student may work
in float32 and cast at the end.
"""

from __future__ import annotations

import numpy as np

from .framework import FLOAT_TOL, Case, Problem, compare_array, describe_type

SPRINT = "10_numpy_char_lstm"
PARAM_KEYS = ("W_embed", "W", "U", "b", "W_out", "b_out")


# ================================================================ references


def ref_embedding_forward(ids, W_embed):
    table = np.asarray(W_embed, dtype=np.float64)  # (V, D)
    return np.take(table, np.asarray(ids, dtype=np.int64), axis=0)  # (N, T, D), a new array


def ref_embedding_backward(dx, ids, vocab_size):
    dx = np.asarray(dx, dtype=np.float64)  # (N, T, D)
    rows = np.asarray(ids, dtype=np.int64).reshape(-1)  # (N*T,)
    dW_embed = np.zeros((int(vocab_size), dx.shape[-1]))  # (V, D)
    np.add.at(dW_embed, rows, dx.reshape(len(rows), dx.shape[-1]))  # repeated rows accumulate
    return dW_embed


def _log_softmax(scores):
    """log softmax over the last axis through a log-sum-exp: (..., V) -> (..., V)."""
    top = np.max(scores, axis=-1, keepdims=True)  # (..., 1)
    return scores - (top + np.log(np.sum(np.exp(scores - top), axis=-1, keepdims=True)))


def ref_temporal_softmax_loss(scores, y, mask=None):
    scores = np.asarray(scores, dtype=np.float64)  # (N, T, V)
    y = np.asarray(y, dtype=np.int64)  # (N, T)
    weight = np.ones(y.shape) if mask is None else np.asarray(mask, dtype=bool).astype(np.float64)  # (N, T)
    count = weight.sum()
    log_p = _log_softmax(scores)  # (N, T, V)
    target = np.take_along_axis(log_p, y[..., None], axis=-1)[..., 0]  # (N, T)
    loss = -np.sum(weight * target) / count
    one_hot = np.eye(scores.shape[-1])[y]  # (N, T, V)
    dscores = (np.exp(log_p) - one_hot) * (weight / count)[..., None]  # (N, T, V), 0 where masked
    return float(loss), dscores


def ref_stateful_batches(ids, batch_size, seq_len):
    ids = np.asarray(ids)
    S = len(ids) // batch_size  # characters per stream
    K = max((S - 1) // seq_len, 0)
    streams = ids[: S * batch_size].reshape(batch_size, S)  # (N, S): row n is stream n
    used = streams[:, : K * seq_len + 1]  # (N, K*seq_len + 1): Y needs one character more than X
    X = used[:, :-1].reshape(batch_size, K, seq_len).transpose(1, 0, 2)  # (K, N, seq_len)
    Y = used[:, 1:].reshape(batch_size, K, seq_len).transpose(1, 0, 2)  # (K, N, seq_len)
    return np.array(X), np.array(Y)


def _sig(a):
    return 0.5 * (1.0 + np.tanh(0.5 * a))  # the logistic function, no overflow


def ref_char_lstm_forward(params, X, h0, c0):
    """Forward pass of the character model, keeping what the backward pass needs."""
    p = {k: np.asarray(params[k], dtype=np.float64) for k in PARAM_KEYS}
    X = np.asarray(X, dtype=np.int64)
    N, T = X.shape
    H = p["U"].shape[0]
    x = np.take(p["W_embed"], X, axis=0)  # (N, T, D)
    hs = np.zeros((N, T + 1, H))  # hs[:, t + 1] is h_t; hs[:, 0] is h0
    cs = np.zeros((N, T + 1, H))
    gates = np.zeros((N, T, 4 * H))  # activated gates i, f, g, o
    hs[:, 0], cs[:, 0] = np.asarray(h0, dtype=np.float64), np.asarray(c0, dtype=np.float64)
    for t in range(T):
        a = x[:, t] @ p["W"] + hs[:, t] @ p["U"] + p["b"]  # (N, 4H)
        act = np.concatenate([_sig(a[:, :2 * H]), np.tanh(a[:, 2 * H:3 * H]), _sig(a[:, 3 * H:])], axis=1)
        gates[:, t] = act
        i, f, g, o = act[:, :H], act[:, H:2 * H], act[:, 2 * H:3 * H], act[:, 3 * H:]
        cs[:, t + 1] = f * cs[:, t] + i * g  # (N, H)
        hs[:, t + 1] = o * np.tanh(cs[:, t + 1])  # (N, H)
    scores = np.einsum("nth,hv->ntv", hs[:, 1:], p["W_out"]) + p["b_out"]  # (N, T, V)
    return p, x, hs, cs, gates, scores


def ref_char_lstm_loss(params, X, Y, h0, c0):
    return char_lstm_loss_with(ref_embedding_backward, params, X, Y, h0, c0)


def char_lstm_loss_with(embedding_backward, params, X, Y, h0, c0):
    """The loss, the gradients and the last states; ``embedding_backward`` gives the embedding's gradient."""
    p, x, hs, cs, gates, scores = ref_char_lstm_forward(params, X, h0, c0)
    N, T, D = x.shape
    H = p["U"].shape[0]
    loss, dscores = ref_temporal_softmax_loss(scores, Y)  # (N, T, V)
    grads = {"W_out": np.einsum("nth,ntv->hv", hs[:, 1:], dscores), "b_out": dscores.sum(axis=(0, 1))}
    dh_all = np.einsum("ntv,hv->nth", dscores, p["W_out"])  # (N, T, H)
    da = np.zeros((N, T, 4 * H))  # gradient on the pre-activations
    dh, dc = np.zeros((N, H)), np.zeros((N, H))
    for t in range(T - 1, -1, -1):
        i, f, g, o = (gates[:, t, k * H:(k + 1) * H] for k in range(4))
        tc = np.tanh(cs[:, t + 1])
        dh = dh + dh_all[:, t]
        dc = dc + dh * o * (1 - tc * tc)
        da[:, t] = np.concatenate([dc * g * i * (1 - i), dc * cs[:, t] * f * (1 - f),
                                   dc * i * (1 - g * g), dh * tc * o * (1 - o)], axis=1)
        dh, dc = da[:, t] @ p["U"].T, dc * f  # into step t - 1; at t = 0 they stop here
    grads["W"] = np.einsum("ntd,ntk->dk", x, da)  # (D, 4H)
    grads["U"] = np.einsum("nth,ntk->hk", hs[:, :-1], da)  # (H, 4H)
    grads["b"] = da.sum(axis=(0, 1))  # (4H,)
    dx = np.einsum("ntk,dk->ntd", da, p["W"])  # (N, T, D)
    grads["W_embed"] = embedding_backward(dx, X, p["W_embed"].shape[0])
    return loss, {k: grads[k] for k in PARAM_KEYS}, hs[:, -1].copy(), cs[:, -1].copy()


# ================================================================ inputs


def embedding_forward_cases(rng) -> list[Case]:
    """Shapes from one id to (5, 7), repeated ids, ids 0 and V - 1, float32 tables."""
    cases = []
    for (N, T, V, D), dtype in [((3, 4, 6, 5), np.float64), ((2, 7, 3, 4), np.float32), ((1, 1, 4, 2), np.float64),
                                ((5, 3, 9, 3), np.float64), ((4, 5, 2, 6), np.float32), ((2, 6, 7, 1), np.float64)]:
        ids = rng.integers(0, V, size=(N, T))
        ids.flat[0], ids.flat[-1] = V - 1, 0  # the first and the last row of the table are used
        W_embed = rng.normal(0, 1, size=(V, D)).astype(dtype)
        cases.append(Case((ids, W_embed), label=f"ids {ids.shape}, W_embed {W_embed.shape}, {np.dtype(dtype).name}",
                          dtype=np.dtype(dtype)))
    return cases


def embedding_backward_cases(rng) -> list[Case]:
    """Repeated ids (V small against N*T), rows never used (V large), float32 dx, one id."""
    cases = []
    for (N, T, V, D), dtype, note in [((3, 4, 5, 3), np.float64, "many repeated ids"),
                                      ((2, 3, 12, 4), np.float64, "some rows of W_embed never used"),
                                      ((4, 5, 3, 2), np.float32, "many repeated ids"),
                                      ((1, 1, 4, 3), np.float64, "a single id"),
                                      ((2, 6, 1, 5), np.float64, "one character: every id is 0"),
                                      ((5, 4, 7, 6), np.float32, "repeated ids")]:
        ids = rng.integers(0, V - 2 if V > 8 else V, size=(N, T))  # with V = 12 the last rows stay 0
        dx = rng.normal(0, 1, size=(N, T, D)).astype(dtype)
        cases.append(Case((dx, ids, V), label=f"dx {dx.shape}, vocab_size {V}, {note}, {np.dtype(dtype).name}",
                          dtype=np.dtype(dtype)))
    return cases


def softmax_loss_cases(rng) -> list[Case]:
    """With and without a mask (positional and by name), one unmasked position, logits of +-1000."""
    cases = []
    for (N, T, V), dtype, kind in [((3, 4, 5), np.float64, "no mask"), ((2, 5, 7), np.float64, "mask"),
                                   ((2, 3, 4), np.float64, "mixed"),
                                   ((4, 3, 6), np.float32, "mask by name"), ((2, 3, 4), np.float64, "one position"),
                                   ((3, 2, 5), np.float64, "large"), ((1, 1, 3), np.float32, "no mask"),
                                   ((2, 4, 6), np.float64, "mask all True")]:
        scores = rng.normal(0, 2, size=(N, T, V))
        y = rng.integers(0, V, size=(N, T))
        label = f"scores {scores.shape}"
        if kind == "large":  # one logit of +1000 or -1000 per position, plus a few others close to it
            scores = rng.choice([-1000.0, 1000.0], size=(N, T, 1)) + rng.normal(0, 3, size=(N, T, V))
            label += ", logits near +-1000, no mask"
        if kind == "mixed":  # +1000 and -1000 in every row, targets at -1000: probabilities below 1e-300
            scores = rng.normal(0, 1, size=(N, T, V))
            scores[..., 0], scores[..., 1] = 1000.0, -1000.0
            y = np.ones((N, T), dtype=np.int64)
            label += ", every row with logits +1000 and -1000 and its target at -1000 (loss about 2000), no mask"
        scores = scores.astype(dtype)
        if kind in ("no mask", "large", "mixed"):
            cases.append(Case((scores, y), label=f"{label}, {np.dtype(dtype).name}", dtype=np.dtype(dtype)))
            continue
        if kind == "one position":
            mask = np.zeros((N, T), dtype=bool)
            mask[rng.integers(N), rng.integers(T)] = True
            label += ", a mask with a single True"
        elif kind == "mask all True":
            mask = np.ones((N, T), dtype=bool)
            label += ", a mask that is all True"
        else:
            mask = rng.random((N, T)) < 0.6
            mask[0, 0], mask[-1, -1] = True, False
            label += f", a mask with {int(mask.sum())} of {N * T} True"
        if kind == "mask by name":
            cases.append(Case((scores, y), {"mask": mask}, f"{label} passed as mask=..., {np.dtype(dtype).name}",
                              np.dtype(dtype)))
        else:
            cases.append(Case((scores, y, mask), label=f"{label}, {np.dtype(dtype).name}", dtype=np.dtype(dtype)))
    return cases


def stateful_batches_cases(rng) -> list[Case]:
    """Remainders and none, (S - 1) a multiple of seq_len and S itself one, one stream, K = 0."""
    cases = []
    for L, N, seq_len, note in [(103, 4, 5, "a remainder to drop"), (84, 4, 5, "no remainder, S - 1 a multiple of "
                                                                               "seq_len"),
                                (80, 4, 5, "S a multiple of seq_len"), (37, 1, 6, "a single stream"),
                                (19, 3, 7, "K = 0: the streams are too short for one chunk"),
                                (250, 6, 3, "many chunks")]:
        ids = rng.integers(0, 40, size=L)
        S = L // N
        K = (S - 1) // seq_len
        cases.append(Case((ids, N, seq_len), label=f"{L} ids, batch_size {N}, seq_len {seq_len} (S = {S}, "
                                                   f"K = {K}; {note})", dtype=np.dtype(np.int64)))
    return cases


def init_params(rng, V, D, H, dtype, scale=0.5) -> dict:
    return {"W_embed": rng.normal(0, 1, (V, D)).astype(dtype), "W": rng.normal(0, scale, (D, 4 * H)).astype(dtype),
            "U": rng.normal(0, scale, (H, 4 * H)).astype(dtype), "b": rng.normal(0, 0.3, 4 * H).astype(dtype),
            "W_out": rng.normal(0, scale, (H, V)).astype(dtype), "b_out": rng.normal(0, 0.3, V).astype(dtype)}


def char_lstm_cases(rng) -> list[Case]:
    """Random parameters and states (h0, c0 not zero), float32 parameters, one step, one sequence."""
    cases = []
    for (N, T, V, D, H), dtype, zero in [((3, 4, 6, 3, 4), np.float64, False), ((2, 5, 5, 4, 3), np.float32, False),
                                         ((1, 1, 4, 2, 2), np.float64, False), ((4, 3, 7, 3, 5), np.float64, True),
                                         ((2, 6, 3, 2, 3), np.float64, False)]:
        params = init_params(rng, V, D, H, dtype)
        X, Y = rng.integers(0, V, size=(N, T)), rng.integers(0, V, size=(N, T))
        h0 = np.zeros((N, H)) if zero else rng.uniform(-0.9, 0.9, (N, H))
        c0 = np.zeros((N, H)) if zero else rng.normal(0, 1, (N, H))
        note = "h0 = c0 = 0" if zero else "random h0 and c0"
        cases.append(Case((params, X, Y, h0.astype(dtype), c0.astype(dtype)),
                          label=f"X {X.shape}, V {V}, D {D}, H {H}, {note}, {np.dtype(dtype).name}",
                          dtype=np.dtype(dtype)))
    return cases


# ================================================================ comparison


def _tolerance(dtype):
    return FLOAT_TOL.get(np.dtype(dtype), FLOAT_TOL[np.dtype(np.float32)])


def _float64_array(name: str, got, expected: np.ndarray, dtype) -> str | None:
    """compare_array, and float64 required also where the inputs were float32."""
    if isinstance(got, np.ndarray) and got.dtype.kind == "f" and got.dtype != np.float64:
        return (f"{name} has dtype {got.dtype}; results are float64 for every input, float32 included: "
                "convert with np.asarray(x, dtype=np.float64) before computing.")
    return compare_array(name, got, expected, np.dtype(np.float64) if dtype == np.float64 else np.dtype(np.float32))


def _python_float(name: str, got, expected: float, dtype) -> str | None:
    if isinstance(got, (bool, np.bool_)) or not isinstance(got, float):
        return (f"{name} should be a Python float, but it is {describe_type(got)}"
                + (f" (dtype {got.dtype})" if isinstance(got, (np.ndarray, np.generic)) else "")
                + ": return float(loss).")
    if not np.isfinite(got):
        return f"{name} is {got}; expected a finite number."
    rtol, atol = _tolerance(dtype)
    if not np.isclose(got, expected, rtol=rtol, atol=atol):
        return f"{name} is {got:.8g}; expected {expected:.8g}."
    return None


def _tuple_of(got, n: int, names: tuple[str, ...]) -> str | None:
    if not isinstance(got, tuple):
        return f"the function should return a tuple ({', '.join(names)}), but it returned {describe_type(got)}."
    if len(got) != n:
        return f"the function should return {n} items ({', '.join(names)}), but it returned {len(got)}."
    return None


def compare_embedding_forward(got, expected, case):
    return _float64_array("x", got, expected, case.dtype)


def compare_embedding_backward(got, expected, case):
    return _float64_array("dW_embed", got, expected, case.dtype)


def compare_softmax_loss(got, expected, case):
    message = _tuple_of(got, 2, ("loss", "dscores"))
    if message:
        return message
    message = _python_float("loss", got[0], expected[0], case.dtype)
    if message:
        return message
    mask = case.kwargs.get("mask", case.args[2] if len(case.args) > 2 else None)
    dscores = got[1]
    if (mask is not None and isinstance(dscores, np.ndarray) and dscores.shape == expected[1].shape
            and np.any(dscores[~np.asarray(mask, dtype=bool)] != 0)):
        return "dscores is not exactly 0 at the masked positions (where mask is False): multiply by the mask."
    return _float64_array("dscores", dscores, expected[1], case.dtype)


def compare_stateful_batches(got, expected, case):
    message = _tuple_of(got, 2, ("X", "Y"))
    if message:
        return message
    _, batch_size, seq_len = case.args
    for name, g, e in zip(("X", "Y"), got, expected):
        if not isinstance(g, np.ndarray):
            return f"{name} should be a numpy array, but it is {describe_type(g)}."
        if g.dtype.kind not in "iu":
            return f"{name} has dtype {g.dtype}; it should hold integers (the character ids)."
        if g.shape != e.shape:
            extra = ""
            if g.ndim == 3 and g.shape[0] == e.shape[0] + 1:
                extra = (" One chunk too many: the last chunk's Y needs one character after it, inside the "
                         "stream, so K = (S - 1) // seq_len.")
            elif g.ndim == 3 and g.shape[0] == e.shape[0] - 1:
                extra = " One chunk too few: K = (S - 1) // seq_len, with S = len(ids) // batch_size."
            return f"{name} has shape {g.shape}; expected {e.shape} (K, batch_size, seq_len).{extra}"
        if not np.array_equal(g, e):
            where = tuple(int(i) for i in np.argwhere(g != e)[0])
            return f"{name} has the right shape but {name}{list(where)} is {g[where]}, expected {e[where]}."
    return None


def compare_char_lstm(got, expected, case):
    message = _tuple_of(got, 4, ("loss", "grads", "hT", "cT"))
    if message:
        return message
    loss, grads, hT, cT = got
    message = _python_float("loss", loss, expected[0], case.dtype)
    if message:
        return message
    if not isinstance(grads, dict):
        return f"grads should be a dict with the keys of params, but it is {describe_type(grads)}."
    keys = set(grads)
    if keys != set(PARAM_KEYS):
        missing = ", ".join(k for k in PARAM_KEYS if k not in keys)
        extra = ", ".join(sorted(str(k) for k in keys - set(PARAM_KEYS)))
        return ("grads should have exactly the keys of params (" + ", ".join(PARAM_KEYS) + ")"
                + (f"; missing: {missing}" if missing else "") + (f"; not parameters: {extra}" if extra else "")
                + ". Only the parameters get gradients: h0 and c0 are inputs, and no gradient flows into them.")
    for key in PARAM_KEYS:
        message = _float64_array(f"grads['{key}']", grads[key], expected[1][key], case.dtype)
        if message:
            return message
    return _float64_array("hT", hT, expected[2], case.dtype) or _float64_array("cT", cT, expected[3], case.dtype)


# ================================================================ typical mistakes


def _embedding_backward_lossy(dx, ids, vocab_size):
    dx = np.asarray(dx, dtype=np.float64)
    dW = np.zeros((vocab_size, dx.shape[-1]))
    dW[np.asarray(ids)] += dx  # buffered: a repeated id keeps only one of its rows
    return dW


def _softmax_loss(scores, y, mask=None, *, total=False, ignore_mask=False, dscores_by=None):
    loss, dscores = ref_temporal_softmax_loss(scores, y, None if ignore_mask else mask)
    weight = np.ones(np.shape(y)) if mask is None else np.asarray(mask, dtype=bool)
    count = weight.sum()
    if ignore_mask:  # averaged over every position, masked ones included
        return loss, dscores
    if total:
        return loss * count, dscores * count
    if dscores_by == "none":
        return loss, dscores * count
    if dscores_by == "all":
        return loss, dscores * count / weight.size
    if dscores_by == "all, loss too":
        return loss * count / weight.size, dscores * count / weight.size
    return loss, dscores


def _batches_rows(ids, batch_size, seq_len):
    """Consecutive chunks of the text laid across the rows of a batch, not one stream per row."""
    ids = np.asarray(ids)
    S = len(ids) // batch_size
    K = max((S - 1) // seq_len, 0)
    X = np.array([[ids[(k * batch_size + n) * seq_len:(k * batch_size + n + 1) * seq_len]
                   for n in range(batch_size)] for k in range(K)]).reshape(K, batch_size, seq_len)
    Y = np.array([[ids[(k * batch_size + n) * seq_len + 1:(k * batch_size + n + 1) * seq_len + 1]
                   for n in range(batch_size)] for k in range(K)]).reshape(K, batch_size, seq_len)
    return X, Y


def _batches_remainder_kept(ids, batch_size, seq_len):
    """Streams of ceil(L / batch_size) characters, the last one padded with zeros."""
    ids = np.asarray(ids)
    S = -(-len(ids) // batch_size)
    padded = np.concatenate([ids, np.zeros(S * batch_size - len(ids), dtype=ids.dtype)])
    return ref_stateful_batches(padded, batch_size, seq_len)


def _batches_unshifted(ids, batch_size, seq_len):
    X, _ = ref_stateful_batches(ids, batch_size, seq_len)
    return X, X.copy()


def _char_lstm_variant(kind):
    def loss_fn(params, X, Y, h0, c0):
        loss, grads, hT, cT = ref_char_lstm_loss(params, X, Y, h0, c0)
        N, T = np.shape(X)
        if kind == "sum":
            return loss * N * T, {k: g * N * T for k, g in grads.items()}, hT, cT
        if kind == "per sequence":
            return loss * T, {k: g * T for k, g in grads.items()}, hT, cT
        if kind == "first step":
            _, _, hs, cs, _, _ = ref_char_lstm_forward(params, X, h0, c0)
            return loss, grads, hs[:, 1].copy(), cs[:, 1].copy()
        if kind == "h0":
            return loss, grads, np.array(h0, dtype=np.float64), np.array(c0, dtype=np.float64)
        if kind == "zero states":
            return ref_char_lstm_loss(params, X, Y, np.zeros_like(np.asarray(h0)), np.zeros_like(np.asarray(c0)))
        if kind == "Y unshifted":  # the loss of predicting the input itself
            return ref_char_lstm_loss(params, X, X, h0, c0)
        raise ValueError(kind)

    return loss_fn


EMBEDDING_BACKWARD_MISTAKES = {
    "the rows are added with dW[ids] += dx: numpy's buffered fancy-index assignment keeps only one row per "
    "repeated id, the others are lost; np.add.at(dW, ids, dx) adds every one": _embedding_backward_lossy,
    "dW_embed has one row per id in ids, not one per character of the vocabulary":
        lambda dx, ids, V: np.asarray(dx, dtype=np.float64).reshape(-1, np.shape(dx)[-1]),
    "dW_embed is averaged over the N*T positions instead of summed":
        lambda dx, ids, V: ref_embedding_backward(dx, ids, V) / np.size(ids),
}

SOFTMAX_LOSS_MISTAKES = {
    "the loss and dscores are summed over the positions instead of averaged (divide by the number of "
    "unmasked positions)": lambda *a, **k: _softmax_loss(*a, **k, total=True),
    "the mean is taken over all N*T positions, the masked ones included (the mask is ignored)":
        lambda *a, **k: _softmax_loss(*a, **k, ignore_mask=True),
    "the masked sum is divided by N*T, the masked positions included, instead of by the number of "
    "unmasked positions": lambda *a, **k: _softmax_loss(*a, **k, dscores_by="all, loss too"),
    "dscores is not divided by the number of unmasked positions (the loss is, its gradient must be too)":
        lambda *a, **k: _softmax_loss(*a, **k, dscores_by="none"),
    "dscores is divided by N*T instead of the number of unmasked positions":
        lambda *a, **k: _softmax_loss(*a, **k, dscores_by="all"),
    "dscores has the wrong sign: the gradient of the cross-entropy is softmax(scores) - one_hot(y)":
        lambda *a, **k: (lambda r: (r[0], -r[1]))(ref_temporal_softmax_loss(*a, **k)),
    "the loss is in bits (log base 2); the contract's loss is in nats (natural log)":
        lambda *a, **k: (lambda r: (r[0] / np.log(2), r[1]))(ref_temporal_softmax_loss(*a, **k)),
}

STATEFUL_BATCHES_MISTAKES = {
    "consecutive chunks of the text are laid across the rows of a batch: row n of chunk k + 1 must continue "
    "row n of chunk k, so split the text into batch_size streams first (stream n is ids[n*S:(n+1)*S])":
        _batches_rows,
    "Y equals X: the targets are the next characters, shifted by one": _batches_unshifted,
    "the remainder is not dropped: the streams have ceil(L / batch_size) characters instead of "
    "S = L // batch_size": _batches_remainder_kept,
    "X and Y are swapped": lambda *a: tuple(reversed(ref_stateful_batches(*a))),
}

CHAR_LSTM_MISTAKES = {
    "the loss is summed over the N*T positions instead of averaged": _char_lstm_variant("sum"),
    "the loss is averaged over the N sequences only, not over all N*T positions": _char_lstm_variant("per sequence"),
    "hT and cT are the states after the first step, not the last (h[:, -1])": _char_lstm_variant("first step"),
    "hT and cT are h0 and c0: return the states after the last step, to carry into the next chunk":
        _char_lstm_variant("h0"),
    "the LSTM starts from zeros instead of the given h0 and c0": _char_lstm_variant("zero states"),
    "the targets are X itself: the loss compares the scores with Y": _char_lstm_variant("Y unshifted"),
    "the embedding's gradient is added with dW[ids] += dx, which keeps one row per repeated character "
    "(np.add.at adds them all)": lambda *a: char_lstm_loss_with(_embedding_backward_lossy, *a),
}


# ================================================================ problems

PROBLEMS = [
    Problem(
        name="embedding_forward",
        sprint=SPRINT,
        generate=embedding_forward_cases,
        reference=ref_embedding_forward,
        output_names=("x",),
        arg_names=("ids", "W_embed"),
        compare=compare_embedding_forward,
    ),
    Problem(
        name="embedding_backward",
        sprint=SPRINT,
        generate=embedding_backward_cases,
        reference=ref_embedding_backward,
        output_names=("dW_embed",),
        arg_names=("dx", "ids", "vocab_size"),
        compare=compare_embedding_backward,
        mistakes=EMBEDDING_BACKWARD_MISTAKES,
    ),
    Problem(
        name="temporal_softmax_loss",
        sprint=SPRINT,
        generate=softmax_loss_cases,
        reference=ref_temporal_softmax_loss,
        output_names=("loss", "dscores"),
        arg_names=("scores", "y", "mask"),
        compare=compare_softmax_loss,
        mistakes=SOFTMAX_LOSS_MISTAKES,
        strict_fp=True,  # logits of +-1000: exp overflows without the shift by the maximum
    ),
    Problem(
        name="stateful_batches",
        sprint=SPRINT,
        generate=stateful_batches_cases,
        reference=ref_stateful_batches,
        output_names=("X", "Y"),
        arg_names=("ids", "batch_size", "seq_len"),
        compare=compare_stateful_batches,
        mistakes=STATEFUL_BATCHES_MISTAKES,
    ),
    Problem(
        name="char_lstm_loss",
        sprint=SPRINT,
        generate=char_lstm_cases,
        reference=ref_char_lstm_loss,
        output_names=("loss", "grads", "hT", "cT"),
        arg_names=("params", "X", "Y", "h0", "c0"),
        compare=compare_char_lstm,
        mistakes=CHAR_LSTM_MISTAKES,
    ),
]
