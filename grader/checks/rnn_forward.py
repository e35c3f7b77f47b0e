"""Hidden checks for sprint 01_rnn_forward: references, input generators and typical mistakes."""

from __future__ import annotations

import numpy as np

from .framework import Case, Problem, compare_array, float_case

SPRINT = "01_rnn_forward"


# ---------------------------------------------------------------- inputs


def shapes(rng: np.random.Generator) -> list[tuple[int, int, int, int]]:
    """(N, T, D, H) triples: fixed corner cases (N=1, T=1, D != H) plus fresh random ones."""
    fixed = [(1, 1, 3, 2), (2, 1, 1, 4), (1, 5, 2, 3), (3, 4, 5, 5)]
    drawn = [tuple(int(v) for v in rng.integers([2, 2, 1, 1], [7, 9, 7, 8])) for _ in range(3)]
    return fixed + drawn


def rnn_weights(rng, D: int, H: int):
    """Wx (D, H), Wh (H, H), b (H,) scaled so that tanh stays out of saturation."""
    Wx = rng.normal(0, 1 / np.sqrt(D), (D, H))
    Wh = rng.normal(0, 0.9 / np.sqrt(H), (H, H))
    b = rng.normal(0, 0.5, H)
    return Wx, Wh, b


def step_cases(rng) -> list[Case]:
    cases = []
    for i, (N, _, D, H) in enumerate(shapes(rng)):
        x_t, h_prev = rng.normal(size=(N, D)), rng.uniform(-1, 1, (N, H))
        dtype = np.float32 if i % 2 else np.float64
        cases.append(float_case((x_t, h_prev, *rnn_weights(rng, D, H)), dtype, f"N={N}, D={D}, H={H}"))
    return cases


def sequence_cases(rng) -> list[Case]:
    """x (N, T, D), h0 (N, H) and the weights; h0 is never zero, so ignoring it shows."""
    cases = []
    for i, (N, T, D, H) in enumerate(shapes(rng)):
        x, h0 = rng.normal(size=(N, T, D)), rng.uniform(-1, 1, (N, H))
        dtype = np.float32 if i % 2 else np.float64
        cases.append(float_case((x, h0, *rnn_weights(rng, D, H)), dtype, f"N={N}, T={T}, D={D}, H={H}"))
    return cases


def softmax_cases(rng) -> list[Case]:
    """Logits of 1, 2 and 3 dimensions; several cases mix rows near +1000 and rows near -1000."""

    def mixed(shape, dtype, label):
        z = rng.normal(0, 3, shape)
        rows = z.reshape(-1, shape[-1])  # a view: the offsets below land in z
        rows[0::3] += 1000.0  # would overflow exp without the shift
        rows[1::3] -= 1000.0  # would underflow to 0/0 with a shift by the global maximum
        return float_case((z,), dtype, label)

    C = int(rng.integers(2, 7))
    return [
        float_case((rng.normal(0, 2, C),), np.float64, f"1-D, C={C}"),
        mixed((C,), np.float32, f"1-D near +1000, C={C}"),
        float_case((rng.normal(0, 2, (1, C)),), np.float32, f"shape (1, {C})"),
        mixed((3, C), np.float64, f"shape (3, {C}), rows near +1000 and -1000"),
        mixed((4, 4), np.float32, "shape (4, 4), rows near +1000 and -1000"),
        float_case((rng.normal(0, 2, (5, 1)),), np.float64, "shape (5, 1), one class"),
        mixed((2, 3, C), np.float64, f"shape (2, 3, {C}), rows near +1000 and -1000"),
        float_case((rng.normal(0, 2, (3, 2, 4)),), np.float32, "shape (3, 2, 4)"),
        float_case((mixed_rows(rng, C + 1),), np.float64,
                   f"shape (3, {C + 1}), rows mixing logits of 1000 and 0, and -1000 and 0"),
        float_case((with_minus_inf(rng, C + 1),), np.float64, f"shape (2, {C + 1}), a logit of -inf in each row"),
    ]


def mixed_rows(rng, C: int) -> np.ndarray:
    """Rows that mix huge and small logits: a shift by the row's minimum or mean overflows on them."""
    z = rng.normal(0, 2, (3, C))
    z[0, 0], z[1, -1], z[2, 0] = 1000.0, -1000.0, 800.0
    z[2, -1] = -800.0
    return z  # (3, C)


def with_minus_inf(rng, C: int) -> np.ndarray:
    """A logit of -inf (a masked choice) in each row: its probability is exactly 0."""
    z = rng.normal(0, 2, (2, C))
    z[0, 0], z[1, -1] = -np.inf, -np.inf
    return z  # (2, C)


def classifier_cases(rng) -> list[Case]:
    """Sequence cases plus Wy (H, C), by (C,); the last case has logits near 1000."""
    cases = []
    for i, (N, T, D, H) in enumerate(shapes(rng)):
        C = int(rng.integers(2, 6))
        x, h0 = rng.normal(size=(N, T, D)), rng.uniform(-1, 1, (N, H))
        Wy, by = rng.normal(0, 1, (H, C)), rng.normal(0, 0.5, C)
        dtype = np.float32 if i % 2 else np.float64
        args = (x, h0, *rnn_weights(rng, D, H), Wy, by)
        cases.append(float_case(args, dtype, f"N={N}, T={T}, D={D}, H={H}, C={C}"))
    # An output bias near 1000 puts every logit near 1000: an unshifted softmax overflows on every
    # seed. Float64 only, so that float32 rounding of such large logits does not eat the tolerance.
    N, T, D, H, C = 3, 4, 2, 3, 4
    Wx, Wh, b = rnn_weights(rng, D, H)
    args = (rng.normal(size=(N, T, D)), rng.uniform(-1, 1, (N, H)), Wx, Wh, b,
            rng.normal(0, 2, (H, C)), 1000 + rng.normal(0, 1, C))
    cases.append(float_case(args, np.float64, f"N={N}, T={T}, D={D}, H={H}, C={C}, logits near 1000"))
    # Logits hundreds apart, mixed in each row, and rows whose maxima are 1000 apart: a shift by the
    # row's minimum or mean overflows, a shift by the batch's maximum underflows to 0 / 0. The input
    # saturates the single hidden unit at +1 or -1 per row, so that the logits are known.
    signs = rng.permutation([1.0, -1.0, 1.0])
    x = np.repeat(signs[:, None, None] * 4.0, 2, axis=1) + rng.normal(0, 0.1, (3, 2, 1))  # (3, 2, 1)
    order = rng.permutation(3)
    Wy = np.array([[500.0, -500.0, 0.0]])[:, order] + rng.normal(0, 1, (1, 3))
    by = np.array([1000.0, 0.0, 0.0])[order] + rng.normal(0, 1, 3)
    args = (x, rng.uniform(-0.1, 0.1, (3, 1)), np.array([[2.0]]), np.array([[0.1]]), np.zeros(1), Wy, by)
    cases.append(float_case(args, np.float64, "N=3, T=2, D=1, H=1, C=3, logits hundreds apart in every row "
                            "(about 1500, 0 and -500, or 500, 500 and 0)"))
    return cases


def output_shape_cases(rng) -> list[Case]:
    """Keras settings: batch_size may be None, n_features never equals units here."""

    def case(batch, seq, feat, units, seqs):
        label = (f"batch_size={batch}, seq_len={seq}, n_features={feat}, units={units}, "
                 f"return_sequences={seqs}")
        return Case((batch, seq, feat, units, seqs), label=label)

    draws = rng.integers(2, 65, size=(4, 4))
    cases = [
        case(32, 10, 3, 16, True),
        case(32, 10, 3, 16, False),
        case(None, 7, 5, 2, True),
        case(None, 7, 5, 2, False),
        case(1, 1, 4, 8, True),
        case(None, None, 6, 3, True),
    ]
    for i, (batch, seq, feat, units) in enumerate(draws):
        feat = feat if feat != units else feat + 1
        cases.append(case(int(batch) if i % 2 else None, int(seq), int(feat), int(units), bool(i < 2)))
    return cases


# ---------------------------------------------------------------- references


def ref_rnn_step_forward(x_t, h_prev, Wx, Wh, b):
    x_t, h_prev, Wx, Wh, b = (np.asarray(a, np.float64) for a in (x_t, h_prev, Wx, Wh, b))
    return np.tanh(x_t @ Wx + h_prev @ Wh + b)  # (N, H)


def ref_rnn_forward(x, h0, Wx, Wh, b):
    x, h0, Wx, Wh, b = (np.asarray(a, np.float64) for a in (x, h0, Wx, Wh, b))
    N, T, _ = x.shape
    h = np.empty((N, T, h0.shape[1]))
    h_t = h0
    for t in range(T):
        h_t = np.tanh(x[:, t] @ Wx + h_t @ Wh + b)  # (N, H)
        h[:, t] = h_t
    return h


def small_arrays():
    """The curriculum's small example: x (1, 3, 2), h0 (1, 4), Wx (2, 4), Wh (4, 4), b (4,)."""
    x = np.array([[[1, 2], [2, 3], [3, 4]]]) / 100
    Wx = np.array([[1, 3, 5, 7], [3, 5, 7, 8]]) / 100
    Wh = np.array([[1, 3, 5, 7], [2, 4, 6, 8], [3, 5, 7, 8], [4, 6, 8, 10]]) / 100
    b = np.array([1, 1, 1, 1], dtype=np.float64)
    h0 = np.zeros((1, 4))
    return x, h0, Wx, Wh, b


def ref_small_array_experiment():
    return ref_rnn_forward(*small_arrays())[:, -1]  # (1, 4)


def ref_softmax(z):
    z = np.asarray(z, np.float64)
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def ref_rnn_classifier_forward(x, h0, Wx, Wh, b, Wy, by):
    h_last = ref_rnn_forward(x, h0, Wx, Wh, b)[:, -1]  # (N, H)
    return ref_softmax(h_last @ np.asarray(Wy, np.float64) + np.asarray(by, np.float64))  # (N, C)


def ref_rnn_output_shape(batch_size, seq_len, n_features, units, return_sequences):
    return (batch_size, seq_len, units) if return_sequences else (batch_size, units)


# ---------------------------------------------------------------- comparisons


def probabilities_compare(name: str):
    """The default array comparison, plus the likely cause when the result is not finite."""

    def compare(got, expected, case) -> str | None:
        message = compare_array(name, got, expected, case.dtype)
        if message and "NaN or inf" in message:
            message += (
                " This is what np.exp does with large logits (overflow to inf) or when every entry of "
                "a row underflows to 0: subtract the maximum of each row (keepdims=True) before np.exp. "
                "Shifting by a row's minimum or mean, or by one maximum for the whole array, is not enough "
                "when logits hundreds apart meet in one row."
            )
        return message

    return compare


def compare_shape_tuple(got, expected, case) -> str | None:
    """An exact shape: a tuple of the right length whose entries are Python ints or None."""
    if type(got) is type(expected) and got == expected and all(
        type(g) is type(e) for g, e in zip(got, expected, strict=True)
    ):
        return None
    if isinstance(got, list):
        return f"the shape should be a tuple, like the shapes Keras reports, but it is the list {got!r}."
    if not isinstance(got, tuple):
        return f"the shape should be a tuple, but it is {type(got).__name__} ({got!r})."
    if len(got) != len(expected):
        return f"the shape {got!r} has {len(got)} entries; expected {len(expected)}: {expected!r}."
    for i, (g, e) in enumerate(zip(got, expected, strict=True)):
        if e is None and g is not None:
            return (f"entry {i} of the shape is {g!r}; expected None (an unknown size stays None, "
                    f"as in Keras). Expected {expected!r}.")
        if g is None and e is not None:
            return f"entry {i} of the shape is None; expected {e!r}. Expected {expected!r}."
        if g != e:
            return f"the shape is {got!r}; expected {expected!r}."
        if type(g) is not type(e):
            return (f"entry {i} of the shape is {g!r} of type {type(g).__name__}; "
                    "shape entries are plain Python ints (or None).")
    return f"the shape is {got!r}; expected {expected!r}."


# ---------------------------------------------------------------- mistakes


def _forward(x, h0, Wx, Wh, b, *, transpose=False, bias=True, carry=True):
    x, h0 = np.asarray(x, np.float64), np.asarray(h0, np.float64)
    Wh = Wh.T if transpose else Wh
    b = b if bias else 0.0
    states, h_t = [], h0
    for t in range(x.shape[1]):
        h_t = np.tanh(x[:, t] @ Wx + (h_t if carry else h0) @ Wh + b)  # (N, H)
        states.append(h_t)
    return np.stack(states, axis=1)  # (N, T, H)


def _with_h0_first(x, h0, Wx, Wh, b):
    h = ref_rnn_forward(x, h0, Wx, Wh, b)
    return np.concatenate([np.asarray(h0, np.float64)[:, None], h[:, :-1]], axis=1)


def _naive_softmax(z):
    e = np.exp(np.asarray(z, np.float64))
    return e / e.sum(axis=-1, keepdims=True)


def _softmax_axis0(z):
    z = np.asarray(z, np.float64)
    e = np.exp(z - z.max(axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)


def _classifier(x, h0, Wx, Wh, b, Wy, by, *, pick=lambda h: h[:, -1], softmax=ref_softmax):
    h = ref_rnn_forward(x, h0, Wx, Wh, b)
    return softmax(pick(h) @ Wy + by)


# ---------------------------------------------------------------- problems

PROBLEMS = [
    Problem(
        name="rnn_step_forward",
        sprint=SPRINT,
        generate=step_cases,
        reference=ref_rnn_step_forward,
        output_names=("h_next",),
        arg_names=("x_t", "h_prev", "Wx", "Wh", "b"),
        mistakes={
            "Wh is used transposed": lambda x, h, Wx, Wh, b: np.tanh(x @ Wx + h @ Wh.T + b),
            "the bias b is left out": lambda x, h, Wx, Wh, b: np.tanh(x @ Wx + h @ Wh),
            "tanh is left out": lambda x, h, Wx, Wh, b: x @ Wx + h @ Wh + b,
            "the previous state h_prev is ignored": lambda x, h, Wx, Wh, b: np.tanh(x @ Wx + b),
            "Wx and Wh are both used transposed": lambda x, h, Wx, Wh, b: np.tanh(x @ Wx.T + h @ Wh.T + b),
            "a sigmoid is used instead of tanh": lambda x, h, Wx, Wh, b: 1 / (1 + np.exp(-(x @ Wx + h @ Wh + b))),
            "Wx and Wh are swapped (x_t @ Wh + h_prev @ Wx)": lambda x, h, Wx, Wh, b: np.tanh(x @ Wh + h @ Wx + b),
        },
    ),
    Problem(
        name="rnn_forward",
        sprint=SPRINT,
        generate=sequence_cases,
        reference=ref_rnn_forward,
        output_names=("h",),
        arg_names=("x", "h0", "Wx", "Wh", "b"),
        mistakes={
            "only the last hidden state is returned (return all T states, shape (N, T, H))":
                lambda x, h0, Wx, Wh, b: ref_rnn_forward(x, h0, Wx, Wh, b)[:, -1],
            "h0 is stored as the first state (h[:, t] must be the state after reading x[:, t])":
                _with_h0_first,
            "h0 is used at every step instead of the previous state":
                lambda x, h0, Wx, Wh, b: _forward(x, h0, Wx, Wh, b, carry=False),
            "the states are stacked time-major, (T, N, H); Keras and this course use (N, T, H)":
                lambda x, h0, Wx, Wh, b: ref_rnn_forward(x, h0, Wx, Wh, b).transpose(1, 0, 2),
            "Wh is used transposed": lambda x, h0, Wx, Wh, b: _forward(x, h0, Wx, Wh, b, transpose=True),
            "the bias b is left out": lambda x, h0, Wx, Wh, b: _forward(x, h0, Wx, Wh, b, bias=False),
            "the loop starts from zeros instead of h0 (reading the previous state as h[:, t - 1] gives "
            "h[:, -1], the last state, at t = 0: use h0 there)":
                lambda x, h0, Wx, Wh, b: ref_rnn_forward(x, np.zeros_like(h0), Wx, Wh, b),
            "Wx and Wh are both used transposed":
                lambda x, h0, Wx, Wh, b: _forward(x, h0, Wx.T, Wh, b, transpose=True),
            "every step reads the first input x[:, 0]":
                lambda x, h0, Wx, Wh, b: ref_rnn_forward(np.repeat(x[:, :1], x.shape[1], axis=1), h0, Wx, Wh, b),
        },
    ),
    Problem(
        name="small_array_experiment",
        sprint=SPRINT,
        generate=lambda rng: [Case((), label="the small arrays")],
        reference=ref_small_array_experiment,
        output_names=("h_last_small",),
        kind="value",
        target="h_last_small",
        mistakes={
            "the bias b is left out": lambda: _forward(*small_arrays(), bias=False)[:, -1],
            "Wh is used transposed": lambda: _forward(*small_arrays(), transpose=True)[:, -1],
            "the first state is taken instead of the last": lambda: ref_rnn_forward(*small_arrays())[:, 0],
            "h0 is used at every step instead of the previous state":
                lambda: _forward(*small_arrays(), carry=False)[:, -1],
            "the state before the last one is taken (h0 counted as a state)":
                lambda: ref_rnn_forward(*small_arrays())[:, -2],
            "the batch axis is dropped: keep shape (1, 4), e.g. h[:, -1]":
                lambda: ref_rnn_forward(*small_arrays())[0, -1],
        },
    ),
    Problem(
        name="softmax",
        sprint=SPRINT,
        generate=softmax_cases,
        reference=ref_softmax,
        output_names=("p",),
        arg_names=("z",),
        compare=probabilities_compare("p"),
        mistakes={
            "the softmax is taken over axis 0 instead of the last axis": _softmax_axis0,
            "the exponentials are not normalised": lambda z: np.exp(z - z.max(axis=-1, keepdims=True)),
            "the maximum is subtracted without keepdims=True (it broadcasts along the wrong axis)":
                lambda z: _naive_softmax(z - z.max(axis=-1)),
            "the maximum of the whole array is subtracted instead of each row's maximum (a row far below "
            "the global maximum underflows to 0 / 0)": lambda z: _naive_softmax(z - np.max(z)),
            "-inf is replaced by 0 (a logit of -inf has probability exactly 0)":
                lambda z: ref_softmax(np.where(np.isneginf(z), 0.0, z)),
        },
        error_hints={"AxisError": "softmax works on the last axis, whatever the number of axes: the input may "
                                  "be 1-D (one row) or 3-D; use axis=-1 and keepdims=True."},
    ),
    Problem(
        name="rnn_classifier_forward",
        sprint=SPRINT,
        generate=classifier_cases,
        reference=ref_rnn_classifier_forward,
        output_names=("probs",),
        arg_names=("x", "h0", "Wx", "Wh", "b", "Wy", "by"),
        compare=probabilities_compare("probs"),
        mistakes={
            "the first hidden state is used instead of the last":
                lambda *a: _classifier(*a, pick=lambda h: h[:, 0]),
            "the mean of the hidden states is used instead of the last":
                lambda *a: _classifier(*a, pick=lambda h: h.mean(axis=1)),
            "h0 is used instead of the last hidden state":
                lambda x, h0, *a: _classifier(x, h0, *a, pick=lambda h: np.asarray(h0, np.float64)),
            "the bias by is left out":
                lambda x, h0, Wx, Wh, b, Wy, by: _classifier(x, h0, Wx, Wh, b, Wy, 0.0),
            "the logits are returned without the softmax":
                lambda *a: _classifier(*a, softmax=lambda z: z),
            "the softmax is taken over the batch axis (axis 0)":
                lambda *a: _classifier(*a, softmax=lambda z: ref_softmax(z.T).T),
            "a probability vector is returned for every time step (many-to-many)":
                lambda x, h0, Wx, Wh, b, Wy, by: ref_softmax(ref_rnn_forward(x, h0, Wx, Wh, b) @ Wy + by),
            "the maximum over the whole batch is subtracted instead of each row's maximum":
                lambda *a: _classifier(*a, softmax=lambda z: _naive_softmax(z - np.max(z))),
            "Wy is used transposed": lambda x, h0, Wx, Wh, b, Wy, by: _classifier(x, h0, Wx, Wh, b, Wy.T, by),
        },
    ),
    Problem(
        name="rnn_output_shape",
        sprint=SPRINT,
        generate=output_shape_cases,
        reference=ref_rnn_output_shape,
        output_names=("shape",),
        arg_names=("batch_size", "seq_len", "n_features", "units", "return_sequences"),
        compare=compare_shape_tuple,
        mistakes={
            "return_sequences is ignored (the sequence shape is always returned)":
                lambda n, t, d, u, s: (n, t, u),
            "return_sequences is read the wrong way round":
                lambda n, t, d, u, s: ref_rnn_output_shape(n, t, d, u, not s),
            "n_features is used where units belongs (the layer outputs `units` numbers per step)":
                lambda n, t, d, u, s: ref_rnn_output_shape(n, t, u, d, s),
            "the batch dimension is left out":
                lambda n, t, d, u, s: ref_rnn_output_shape(n, t, d, u, s)[1:],
            "a list is returned": lambda n, t, d, u, s: list(ref_rnn_output_shape(n, t, d, u, s)),
            "the sequence shape is time-major, (seq_len, batch_size, units)":
                lambda n, t, d, u, s: (t, n, u) if s else (n, u),
        },
    ),
]
