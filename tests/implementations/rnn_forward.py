"""Implementations of sprint 01_rnn_forward problems, written the way students write them."""

import numpy as np

# ---------------------------------------------------------------- rnn_step_forward


def step_transposed_wh(x_t, h_prev, Wx, Wh, b):
    return np.tanh(x_t @ Wx + h_prev @ Wh.T + b)


def step_no_bias(x_t, h_prev, Wx, Wh, b):
    return np.tanh(x_t @ Wx + h_prev @ Wh)


def step_no_tanh(x_t, h_prev, Wx, Wh, b):
    return x_t @ Wx + h_prev @ Wh + b


def step_sigmoid(x_t, h_prev, Wx, Wh, b):
    return 1 / (1 + np.exp(-(x_t @ Wx + h_prev @ Wh + b)))


def step_in_place(x_t, h_prev, Wx, Wh, b):
    h_prev *= 1.0
    h_prev += x_t @ Wx + b
    return np.tanh(h_prev @ Wh)


def step_float32(x_t, h_prev, Wx, Wh, b):
    return np.tanh(x_t @ Wx + h_prev @ Wh + b).astype(np.float32)


def step_einsum(x_t, h_prev, Wx, Wh, b):
    a = np.einsum("nd,dh->nh", x_t, Wx) + np.einsum("nk,kh->nh", h_prev, Wh) + b
    return np.tanh(a.astype(np.float64))


def step_per_sample(x_t, h_prev, Wx, Wh, b):
    x_t, h_prev = np.asarray(x_t, np.float64), np.asarray(h_prev, np.float64)
    rows = [np.tanh(Wx.T @ x_t[n] + Wh.T @ h_prev[n] + b) for n in range(x_t.shape[0])]
    return np.stack(rows)


# ---------------------------------------------------------------- rnn_forward


def forward_last_state_only(x, h0, Wx, Wh, b):
    h = h0
    for t in range(x.shape[1]):
        h = np.tanh(x[:, t] @ Wx + h @ Wh + b)
    return h


def forward_h0_first(x, h0, Wx, Wh, b):
    N, T, _ = x.shape
    h = np.zeros((N, T, Wh.shape[0]), dtype=np.float64)
    h_t = h0
    for t in range(T):
        h[:, t] = h_t  # stores the state before the step
        h_t = np.tanh(x[:, t] @ Wx + h_t @ Wh + b)
    return h


def forward_state_not_carried(x, h0, Wx, Wh, b):
    return np.stack([np.tanh(x[:, t] @ Wx + h0 @ Wh + b) for t in range(x.shape[1])], axis=1)


def forward_time_batch_confused(x, h0, Wx, Wh, b):
    T, N, _ = x.shape  # axes read in the wrong order
    h = np.zeros((N, T, Wh.shape[0]))
    h_t = h0
    for t in range(T):
        h_t = np.tanh(x[t] @ Wx + h_t @ Wh + b)
        h[:, t] = h_t
    return h


def forward_time_major_output(x, h0, Wx, Wh, b):
    states, h_t = [], h0
    for t in range(x.shape[1]):
        h_t = np.tanh(x[:, t] @ Wx + h_t @ Wh + b)
        states.append(h_t)
    return np.array(states)  # (T, N, H)


def forward_transposed_wh(x, h0, Wx, Wh, b):
    states, h_t = [], h0
    for t in range(x.shape[1]):
        h_t = np.tanh(x[:, t] @ Wx + h_t @ Wh.T + b)
        states.append(h_t)
    return np.stack(states, axis=1)


def forward_zeros_start(x, h0, Wx, Wh, b):
    states, h_t = [], np.zeros(h0.shape)
    for t in range(x.shape[1]):
        h_t = np.tanh(x[:, t] @ Wx + h_t @ Wh + b)
        states.append(h_t)
    return np.stack(states, axis=1)


def forward_mutates_h0(x, h0, Wx, Wh, b):
    h = np.zeros((x.shape[0], x.shape[1], Wh.shape[0]))
    h_t = h0
    for t in range(x.shape[1]):
        h_t[:] = np.tanh(x[:, t] @ Wx + h_t @ Wh + b)  # writes into the caller's h0
        h[:, t] = h_t
    return h


def forward_preallocated(x, h0, Wx, Wh, b):
    N, T, _ = x.shape
    H = h0.shape[1]
    h = np.zeros((N, T, H), dtype=np.result_type(x, h0, Wx, Wh, b))
    h_t = h0
    for t in range(T):
        h_t = step_einsum(x[:, t], h_t, Wx, Wh, b).astype(h.dtype)
        h[:, t] = h_t
    return h


def forward_input_projection_first(x, h0, Wx, Wh, b):
    x, h0 = np.asarray(x, np.float64), np.asarray(h0, np.float64)
    N, T, D = x.shape
    xw = (x.reshape(N * T, D) @ Wx).reshape(N, T, -1) + b  # all input terms at once
    states, h_t = [], h0
    for t in range(T):
        h_t = np.tanh(xw[:, t] + h_t @ Wh)
        states.append(h_t)
    return np.stack(states, axis=1)


def forward_per_sample(x, h0, Wx, Wh, b):
    out = []
    for n in range(x.shape[0]):
        h_t, seq = np.asarray(h0[n], np.float64), []
        for x_t in x[n]:
            h_t = np.tanh(x_t @ Wx + h_t @ Wh + b)
            seq.append(h_t)
        out.append(seq)
    return np.array(out)


# ---------------------------------------------------------------- small_array_experiment

X_SMALL = np.array([[[1, 2], [2, 3], [3, 4]]]) / 100
WX_SMALL = np.array([[1, 3, 5, 7], [3, 5, 7, 8]]) / 100
WH_SMALL = np.array([[1, 3, 5, 7], [2, 4, 6, 8], [3, 5, 7, 8], [4, 6, 8, 10]]) / 100
B_SMALL = np.array([1, 1, 1, 1])
H0_SMALL = np.zeros((1, 4))


def small(forward=forward_per_sample, **changes):
    arrays = dict(x=X_SMALL, h0=H0_SMALL, Wx=WX_SMALL, Wh=WH_SMALL, b=B_SMALL)
    arrays.update(changes)
    return forward(**arrays)


# ---------------------------------------------------------------- softmax


def softmax_naive(z):
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def softmax_global_max(z):
    e = np.exp(z - np.max(z))
    return e / e.sum(axis=-1, keepdims=True)


def softmax_axis0(z):
    e = np.exp(z - z.max(axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)


def softmax_not_normalised(z):
    return np.exp(z - z.max(axis=-1, keepdims=True))


def softmax_no_keepdims(z):
    e = np.exp(z - z.max(axis=-1))
    return e / e.sum(axis=-1)


def softmax_mutates(z):
    z -= z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def softmax_axis1(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def softmax_logsumexp(z):
    z = np.asarray(z, np.float64)
    m = z.max(axis=-1, keepdims=True)
    lse = m + np.log(np.exp(z - m).sum(axis=-1, keepdims=True))
    return np.exp(z - lse)


def softmax_rows(z):
    flat = np.array(z, dtype=np.float64).reshape(-1, np.shape(z)[-1])
    out = np.empty_like(flat)
    for i, row in enumerate(flat):
        e = np.exp(row - row.max())
        out[i] = e / e.sum()
    return out.reshape(np.shape(z))


def softmax_keeps_dtype(z):
    shifted = z - np.max(z, axis=-1, keepdims=True)  # a new array, float32 stays float32
    e = np.exp(shifted)
    return e / np.sum(e, axis=-1, keepdims=True)


# ---------------------------------------------------------------- rnn_classifier_forward


def _last_state(x, h0, Wx, Wh, b):
    return forward_input_projection_first(x, h0, Wx, Wh, b)[:, -1]


def classifier_first_state(x, h0, Wx, Wh, b, Wy, by):
    return softmax_logsumexp(forward_per_sample(x, h0, Wx, Wh, b)[:, 0] @ Wy + by)


def classifier_mean_state(x, h0, Wx, Wh, b, Wy, by):
    return softmax_logsumexp(forward_per_sample(x, h0, Wx, Wh, b).mean(axis=1) @ Wy + by)


def classifier_logits(x, h0, Wx, Wh, b, Wy, by):
    return _last_state(x, h0, Wx, Wh, b) @ Wy + by


def classifier_no_by(x, h0, Wx, Wh, b, Wy, by):
    return softmax_logsumexp(_last_state(x, h0, Wx, Wh, b) @ Wy)


def classifier_softmax_batch_axis(x, h0, Wx, Wh, b, Wy, by):
    return softmax_axis0(_last_state(x, h0, Wx, Wh, b) @ Wy + by)


def classifier_unstable_softmax(x, h0, Wx, Wh, b, Wy, by):
    return softmax_naive(_last_state(x, h0, Wx, Wh, b) @ Wy + by)


def classifier_every_step(x, h0, Wx, Wh, b, Wy, by):
    return softmax_logsumexp(forward_per_sample(x, h0, Wx, Wh, b) @ Wy + by)


def classifier_h0(x, h0, Wx, Wh, b, Wy, by):
    return softmax_logsumexp(np.asarray(h0, np.float64) @ Wy + by)


def classifier_loop(x, h0, Wx, Wh, b, Wy, by):
    h_t = np.asarray(h0, np.float64)
    for t in range(x.shape[1]):
        h_t = step_per_sample(x[:, t], h_t, Wx, Wh, b)
    return softmax_rows(h_t @ Wy + by)


def classifier_from_states(x, h0, Wx, Wh, b, Wy, by):
    logits = np.einsum("nh,hc->nc", _last_state(x, h0, Wx, Wh, b), Wy) + by
    return softmax_logsumexp(logits)


# ---------------------------------------------------------------- rnn_output_shape


def shape_list(batch_size, seq_len, n_features, units, return_sequences):
    return [batch_size, seq_len, units] if return_sequences else [batch_size, units]


def shape_inverted(batch_size, seq_len, n_features, units, return_sequences):
    return (batch_size, units) if return_sequences else (batch_size, seq_len, units)


def shape_features(batch_size, seq_len, n_features, units, return_sequences):
    return (batch_size, seq_len, n_features) if return_sequences else (batch_size, n_features)


def shape_no_batch(batch_size, seq_len, n_features, units, return_sequences):
    return (seq_len, units) if return_sequences else (units,)


def shape_none_as_minus_one(batch_size, seq_len, n_features, units, return_sequences):
    batch_size = -1 if batch_size is None else batch_size
    return (batch_size, seq_len, units) if return_sequences else (batch_size, units)


def shape_always_sequences(batch_size, seq_len, n_features, units, return_sequences):
    return (batch_size, seq_len, units)


def shape_numpy_ints(batch_size, seq_len, n_features, units, return_sequences):
    dims = (batch_size, seq_len, units) if return_sequences else (batch_size, units)
    return tuple(None if d is None else np.int64(d) for d in dims)


def shape_builds_up(batch_size, seq_len, n_features, units, return_sequences):
    shape = [batch_size]
    if return_sequences:
        shape.append(seq_len)
    shape.append(units)
    return tuple(shape)


def shape_drops_time(batch_size, seq_len, n_features, units, return_sequences):
    full = (batch_size, seq_len, units)
    return full if return_sequences else full[:1] + full[2:]


WRONG = {
    "rnn_step_forward": {
        "Wh transposed": (step_transposed_wh, "Wh is used transposed"),
        "no bias": (step_no_bias, "the bias b is left out"),
        "no tanh": (step_no_tanh, "tanh is left out"),
        "sigmoid instead of tanh": (step_sigmoid, "a sigmoid is used instead of tanh"),
        "mutates h_prev": (step_in_place, "changed its input h_prev in place"),
        "casts to float32": (step_float32, "work in float64"),
    },
    "rnn_forward": {
        "returns only the last state": (forward_last_state_only, "only the last hidden state is returned"),
        "h0 stored as the first state": (forward_h0_first, "h0 is stored as the first state"),
        "state not carried (h0 every step)": (
            forward_state_not_carried, "h0 is used at every step instead of the previous state"),
        "time axis confused with batch axis": (forward_time_batch_confused, "which axis is time"),
        "time-major output (T, N, H)": (forward_time_major_output, "the states are stacked time-major,"),
        "Wh transposed": (forward_transposed_wh, "Wh is used transposed"),
        "starts from zeros instead of h0": (forward_zeros_start, "the loop starts from zeros instead of h0"),
        "mutates h0": (forward_mutates_h0, "changed its input h0 in place"),
    },
    "small_array_experiment": {
        "forward pass without bias": (lambda: small(b=np.zeros(4))[:, -1], "the bias b is left out"),
        "Wh transposed": (lambda: small(Wh=WH_SMALL.T)[:, -1], "Wh is used transposed"),
        "first instead of last state": (lambda: small()[:, 0], "the first state is taken instead of the last"),
        "shape (4,) instead of (1, 4)": (lambda: small()[0, -1], "the batch axis is dropped: keep shape"),
        "a list instead of an array": (lambda: small()[:, -1].tolist(), "should be a numpy array"),
        "h0 counted as a state": (lambda: small(forward_h0_first)[:, -1], "the state before the last one is taken"),
        "state not carried": (
            lambda: small(forward_state_not_carried)[:, -1], "h0 is used at every step instead of the previous state"),
    },
    "softmax": {
        "no max subtraction (overflow)": (softmax_naive, "subtract the maximum"),
        "global max over the whole array": (softmax_global_max, "subtract the maximum"),
        "softmax over axis 0": (softmax_axis0, "the softmax is taken over axis 0 instead of the last axis"),
        "exp without normalising": (softmax_not_normalised, "the exponentials are not normalised"),
        "max subtracted without keepdims": (
            softmax_no_keepdims, "Hint: two arrays whose shapes do not fit together were combined element-wise"),
        "mutates z": (softmax_mutates, "changed its input z in place"),
        "axis=1 hard-coded": (
            softmax_axis1, "Hint: softmax works on the last axis, whatever the number of axes: the input may be 1-"),
    },
    "rnn_classifier_forward": {
        "first state instead of last": (classifier_first_state, "the first hidden state is used instead of the last"),
        "mean of the states": (classifier_mean_state, "the mean of the hidden states is used"),
        "logits, no softmax": (classifier_logits, "the logits are returned without the softmax"),
        "no output bias": (classifier_no_by, "the bias by is left out"),
        "softmax over the batch axis": (classifier_softmax_batch_axis, "the softmax is taken over the batch axis"),
        "unstable softmax": (classifier_unstable_softmax, "subtract the maximum"),
        "probabilities at every step": (classifier_every_step, "a probability vector is returned for every time step"),
        "h0 instead of the last state": (classifier_h0, "h0 is used instead of the last hidden state"),
    },
    "rnn_output_shape": {
        "a list": (shape_list, "a list is returned"),
        "return_sequences inverted": (shape_inverted, "return_sequences is read the wrong way round"),
        "n_features instead of units": (shape_features, "n_features is used where units belongs"),
        "no batch dimension": (shape_no_batch, "the batch dimension is left out"),
        "None replaced by -1": (shape_none_as_minus_one, "expected None"),
        "always the sequence shape": (shape_always_sequences, "return_sequences is ignored"),
        "numpy integers": (shape_numpy_ints, "shape entries are plain Python ints"),
    },
}

CORRECT = {
    "rnn_step_forward": {
        "einsum": step_einsum,
        "one sample at a time": step_per_sample,
    },
    "rnn_forward": {
        "preallocated, einsum steps": forward_preallocated,
        "input projection for all steps first": forward_input_projection_first,
        "one sample at a time": forward_per_sample,
    },
    "small_array_experiment": {
        "per-sample loop": lambda: small()[:, -1],
        "input projection first, float arrays": lambda: small(
            forward_input_projection_first, b=B_SMALL.astype(float))[:, -1:].reshape(1, 4),
    },
    "softmax": {
        "log-sum-exp": softmax_logsumexp,
        "row by row": softmax_rows,
        "keeps the input dtype": softmax_keeps_dtype,
    },
    "rnn_classifier_forward": {
        "step by step": classifier_loop,
        "einsum on the last state": classifier_from_states,
    },
    "rnn_output_shape": {
        "conditional expression": lambda n, t, d, u, s: (n, t, u) if s else (n, u),
        "built up from a list": shape_builds_up,
        "drops the time axis": shape_drops_time,
    },
}


# ---------------------------------------------------------------- new families: views, mixed rows, edges


def step_both_transposed(x_t, h_prev, Wx, Wh, b):
    return np.tanh(x_t @ Wx.T + h_prev @ Wh.T + b)


def step_swapped_weights(x_t, h_prev, Wx, Wh, b):
    return np.tanh(x_t @ Wh + h_prev @ Wx + b)


def step_writes_through_reshape(x_t, h_prev, Wx, Wh, b):
    out = h_prev.reshape(h_prev.shape)  # believed to be a copy; it is a view of h_prev
    out[...] = np.tanh(x_t @ Wx + h_prev @ Wh + b)
    return out


def step_out_argument(x_t, h_prev, Wx, Wh, b):
    return np.tanh(x_t @ Wx + h_prev @ Wh + b, out=h_prev) * 1.0


def step_returns_list(x_t, h_prev, Wx, Wh, b):
    return np.tanh(x_t @ Wx + h_prev @ Wh + b).tolist()


def step_concatenated(x_t, h_prev, Wx, Wh, b):
    xh = np.hstack([x_t, h_prev]).astype(np.float64)  # (N, D + H)
    return np.tanh(xh @ np.vstack([Wx, Wh]) + b)


def step_transposed_algebra(x_t, h_prev, Wx, Wh, b):
    return np.tanh((Wx.T @ x_t.T + Wh.T @ h_prev.T).T.astype(np.float64) + b)


def forward_wraps_at_t0(x, h0, Wx, Wh, b):
    N, T, _ = x.shape
    h = np.zeros((N, T, Wh.shape[0]))
    for t in range(T):
        h[:, t] = np.tanh(x[:, t] @ Wx + h[:, t - 1] @ Wh + b)  # t = 0 reads h[:, -1], still zero
    return h


def forward_both_transposed(x, h0, Wx, Wh, b):
    states, h_t = [], h0
    for t in range(x.shape[1]):
        h_t = np.tanh(x[:, t] @ Wx.T + h_t @ Wh.T + b)
        states.append(h_t)
    return np.stack(states, axis=1)


def forward_first_input_only(x, h0, Wx, Wh, b):
    states, h_t = [], h0
    for _ in range(x.shape[1]):
        h_t = np.tanh(x[:, 0] @ Wx + h_t @ Wh + b)
        states.append(h_t)
    return np.stack(states, axis=1)


def forward_returns_list(x, h0, Wx, Wh, b):
    states, h_t = [], h0
    for t in range(x.shape[1]):
        h_t = np.tanh(x[:, t] @ Wx + h_t @ Wh + b)
        states.append(h_t)
    return states


def forward_time_major_loop(x, h0, Wx, Wh, b):
    xs = np.transpose(x, (1, 0, 2))  # (T, N, D), a view
    h_t, out = np.array(h0, dtype=np.float64), []
    for x_t in xs:
        h_t = np.tanh(np.dot(x_t, Wx) + np.dot(h_t, Wh) + b)
        out.append(h_t)
    return np.moveaxis(np.array(out), 0, 1).copy()


def forward_recursive(x, h0, Wx, Wh, b):
    if x.shape[1] == 0:
        return np.zeros((x.shape[0], 0, h0.shape[1]))
    h1 = np.tanh(x[:, 0] @ Wx + h0 @ Wh + b).astype(np.float64)
    return np.concatenate([h1[:, None], forward_recursive(x[:, 1:], h1, Wx, Wh, b)], axis=1)


def softmax_min_shift(z):
    e = np.exp(z - z.min(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def softmax_mean_shift(z):
    e = np.exp(z - z.mean(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def softmax_inf_to_zero(z):
    z = np.where(np.isinf(z), 0.0, z)
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def softmax_ravel_in_place(z):
    flat = z.reshape(-1, z.shape[-1])  # a view of z when z is contiguous
    flat -= flat.max(axis=1, keepdims=True)
    e = np.exp(flat)
    return (e / e.sum(axis=1, keepdims=True)).reshape(z.shape)


def softmax_hard_coded_2d(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def softmax_tensorflow(z):
    import tensorflow as tf

    return tf.nn.softmax(tf.constant(np.asarray(z, dtype=np.float64)), axis=-1).numpy()


def softmax_moveaxis_loop(z):
    z = np.asarray(z, dtype=np.float64)
    flat = z.reshape(-1, z.shape[-1])  # a copy for a view, a view for a fresh array: only read here
    out = np.stack([np.exp(r - r.max()) / np.exp(r - r.max()).sum() for r in flat])
    return out.reshape(z.shape)


def classifier_min_shift(x, h0, Wx, Wh, b, Wy, by):
    return softmax_min_shift(_last_state(x, h0, Wx, Wh, b) @ Wy + by)


def classifier_mean_shift(x, h0, Wx, Wh, b, Wy, by):
    return softmax_mean_shift(_last_state(x, h0, Wx, Wh, b) @ Wy + by)


def classifier_global_max(x, h0, Wx, Wh, b, Wy, by):
    return softmax_global_max(_last_state(x, h0, Wx, Wh, b) @ Wy + by)


def classifier_wy_transposed(x, h0, Wx, Wh, b, Wy, by):
    return softmax_logsumexp(_last_state(x, h0, Wx, Wh, b) @ Wy.T + by)


def classifier_returns_tuple(x, h0, Wx, Wh, b, Wy, by):
    h = forward_per_sample(x, h0, Wx, Wh, b)
    return softmax_logsumexp(h[:, -1] @ Wy + by), h


def classifier_time_major(x, h0, Wx, Wh, b, Wy, by):
    return softmax_tensorflow(forward_time_major_loop(x, h0, Wx, Wh, b)[:, -1] @ Wy + by)


def shape_time_major(batch_size, seq_len, n_features, units, return_sequences):
    return (seq_len, batch_size, units) if return_sequences else (batch_size, units)


def shape_none_as_zero(batch_size, seq_len, n_features, units, return_sequences):
    dims = (batch_size or 0, seq_len or 0, units)
    return dims if return_sequences else (dims[0], units)


def shape_dict_lookup(batch_size, seq_len, n_features, units, return_sequences):
    return {True: (batch_size, seq_len, units), False: (batch_size, units)}[bool(return_sequences)]


WRONG["rnn_step_forward"].update({
    "Wx and Wh both transposed": (step_both_transposed, "used transposed"),
    "Wx and Wh swapped": (step_swapped_weights, "used transposed"),
    "writes the result through h_prev.reshape": (step_writes_through_reshape, "changed its input h_prev in place"),
    "np.tanh(..., out=h_prev)": (step_out_argument, "changed its input h_prev in place"),
    "returns a list": (step_returns_list, "should be a numpy array"),
})
WRONG["rnn_forward"].update({
    "h[:, t - 1] wraps to the last state at t = 0": (forward_wraps_at_t0, "h[:, t - 1]"),
    "Wx and Wh both transposed": (forward_both_transposed, "used transposed"),
    "reads x[:, 0] at every step": (forward_first_input_only, "every step reads the first input"),
    "returns a list of states": (forward_returns_list, "should be a numpy array"),
})
WRONG["softmax"].update({
    "shifted by the row minimum": (softmax_min_shift, "subtract the maximum of each row"),
    "shifted by the row mean": (softmax_mean_shift, "subtract the maximum of each row"),
    "-inf replaced by 0": (softmax_inf_to_zero, "-inf is replaced by 0"),
    "shifts z in place through reshape": (softmax_ravel_in_place, "changed its input z in place"),
    "axis=1 for every input": (softmax_hard_coded_2d, "use axis=-1"),
})
WRONG["rnn_classifier_forward"].update({
    "softmax shifted by the row minimum": (classifier_min_shift, "subtract the maximum of each row"),
    "softmax shifted by the row mean": (classifier_mean_shift, "subtract the maximum of each row"),
    "softmax shifted by the batch maximum": (classifier_global_max, "subtract the maximum of each row"),
    "Wy transposed": (classifier_wy_transposed, "used transposed"),
    "returns (probs, h)": (classifier_returns_tuple, "should be a numpy array"),
})
WRONG["rnn_output_shape"].update({
    "time-major sequence shape": (shape_time_major, "time-major"),
    "None replaced by 0": (shape_none_as_zero, "expected None"),
})
CORRECT["rnn_step_forward"].update({
    "one matmul on [x_t, h_prev]": step_concatenated,
    "transposed algebra": step_transposed_algebra,
})
CORRECT["rnn_forward"].update({
    "time-major loop over a transposed view": forward_time_major_loop,
    "recursion over time": forward_recursive,
})
CORRECT["softmax"].update({
    "tf.nn.softmax": softmax_tensorflow,
    "rows through a reshape, read only": softmax_moveaxis_loop,
})
CORRECT["rnn_classifier_forward"].update({
    "time-major loop and tf.nn.softmax": classifier_time_major,
})
CORRECT["rnn_output_shape"].update({
    "dict lookup": shape_dict_lookup,
})
