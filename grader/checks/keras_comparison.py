"""Hidden checks for sprint 07_keras_comparison: references, input generators and typical mistakes.

Four kinds of problems:

- ``keras_*_weights(...)`` turn the course's numpy weights into the list ``layer.set_weights`` takes.
  The course uses Keras's layout everywhere, so the answer is a list of copies with exactly Keras's
  shapes. An answer array that is (a view of) one of the function's own inputs comes back from
  :mod:`grader.wire` as an ``InputView``, and fails.
- ``numpy_weights_from_keras_*(layer)`` read a real Keras layer. The case holds a ``LayerSpec``
  (kind, sizes, random weights); the side that calls the student's function builds the layer from
  it, and reports a function that changes the layer's weights as one that changed its input.
- ``lstm_weights_from_pytorch(...)`` and ``gru_reset_before_forward(...)`` are numpy problems on fresh
  random arrays: PyTorch's LSTM layout turned into Keras's, and the forward pass of
  ``keras.layers.GRU(reset_after=False)``. Their references are written from the equations, block by
  block; ``tests/test_keras_comparison_references.py`` checks them against Keras.
- ``build_*()`` return a built Keras model, which comes back as a ``ModelSpec``: the model's layers
  (type, units, ``return_sequences``, the output activation where the course's table has one) and
  ``count_params()``. Parameter-free ``Dropout`` layers are ignored, and an ``Activation`` layer
  counts as the activation of the ``Dense`` layer before it, as in the summary tables of the lecture.

Keras is imported inside functions only: ``import grader.checks`` stays fast and Keras-free.
"""

from __future__ import annotations

from functools import cache

import numpy as np

from ..wire import InputView, LayerSpec, ModelSpec, Opaque, describe_model
from .framework import Case, Problem, compare_array, compare_output, describe_type, float_case

SPRINT = "07_keras_comparison"


# ---------------------------------------------------------------- inputs: numpy weights


BLOCKS = {"simple_rnn": 1, "lstm": 4, "gru": 3}


def sizes(rng: np.random.Generator) -> list[tuple[int, int]]:
    """(D, H) pairs: D = H = 1, D != H both ways, D = H (where swapped kernels keep their shapes)."""
    fixed = [(3, 2), (1, 1), (2, 5), (4, 4)]
    drawn = [tuple(int(v) for v in rng.integers(1, 8, 2)) for _ in range(2)]
    return fixed + drawn


def numpy_weights(rng, kind: str, D: int, H: int):
    """Kernel (D, kH), recurrent kernel (H, kH) and bias ((kH,), or (2, 3H) for a GRU)."""
    k = BLOCKS[kind]
    kernel = rng.normal(0, 1, (D, k * H))
    recurrent = rng.normal(0, 1, (H, k * H))
    bias = rng.normal(0, 1, (2, 3 * H) if kind == "gru" else (k * H,))
    return kernel, recurrent, bias


def to_keras_cases(kind: str):
    def generate(rng) -> list[Case]:
        cases = []
        for i, (D, H) in enumerate(sizes(rng)):
            dtype = np.float32 if i % 2 else np.float64
            cases.append(float_case(numpy_weights(rng, kind, D, H), dtype, f"D={D}, H={H}"))
        return cases

    return generate


# ---------------------------------------------------------------- inputs: Keras layers

LAYER_SIZES = [(3, 2), (4, 4), (1, 3), (2, 2)]  # (D, H); the fifth case is drawn


KERAS_NAMES = {"simple_rnn": "SimpleRNN", "lstm": "LSTM", "gru": "GRU"}


def keras_layer(kind: str, D: int, H: int, rng, *, dtype="float32", in_model=False) -> LayerSpec:
    """A Keras layer of ``kind`` reading D features, with H units and random weights (built where used)."""
    kernel, recurrent, bias = numpy_weights(rng, kind, D, H)
    return LayerSpec(KERAS_NAMES[kind], H, D, [kernel, recurrent, bias], dtype, in_model)


def from_keras_cases(kind: str):
    name = KERAS_NAMES[kind]

    def generate(rng) -> list[Case]:
        drawn = tuple(int(v) for v in rng.integers(1, 7, 2))
        settings = [dict(), dict(in_model=True), dict(dtype="float64"), dict(), dict(in_model=True)]
        cases = []
        for (D, H), setting in zip(LAYER_SIZES + [drawn], settings):
            layer = keras_layer(kind, D, H, rng, **setting)
            dtype = np.dtype(setting.get("dtype", "float32"))
            where = ", inside a Sequential model" if setting.get("in_model") else ""
            label = f"keras.layers.{name}({H}) on D={D} features, {dtype.name}{where}"
            cases.append(Case((layer,), label=label, dtype=dtype))
        return cases

    return generate


# ---------------------------------------------------------------- references: weights


def ref_keras_simple_rnn_weights(Wx, Wh, b):
    return [np.array(Wx, dtype=np.float64), np.array(Wh, dtype=np.float64), np.array(b, dtype=np.float64)]


def ref_keras_lstm_weights(W, U, b):
    return [np.array(W, dtype=np.float64), np.array(U, dtype=np.float64), np.array(b, dtype=np.float64)]


def ref_keras_gru_weights(W, U, b):
    return [np.array(W, dtype=np.float64), np.array(U, dtype=np.float64), np.array(b, dtype=np.float64)]


def _cell_arrays(layer):
    """The cell's kernel, recurrent kernel and bias, read by name (not by position in a list)."""
    cell = layer.cell
    return tuple(np.array(v.numpy()) for v in (cell.kernel, cell.recurrent_kernel, cell.bias))


def ref_numpy_weights_from_keras_simple_rnn(layer):
    return _cell_arrays(layer)


def ref_numpy_weights_from_keras_lstm(layer):
    return _cell_arrays(layer)


def ref_numpy_weights_from_keras_gru(layer):
    return _cell_arrays(layer)


# ---------------------------------------------------------------- comparisons: weights

NAMES = {
    "simple_rnn": ("Wx", "Wh", "b"),
    "lstm": ("W", "U", "b"),
    "gru": ("W", "U", "b"),
}


def weights_list_compare(kind: str):
    """A list of three numpy arrays (float32 or float64) of Keras's shapes, copies of the inputs."""
    names = NAMES[kind]

    def compare(got, expected, case) -> str | None:
        if isinstance(got, tuple):
            return ("the result should be a list, as layer.set_weights expects and layer.get_weights "
                    "returns, but it is a tuple.")
        if not isinstance(got, list):
            return f"the result should be a list of {len(expected)} numpy arrays, but it is {describe_type(got)}."
        if len(got) != len(expected):
            return (f"the list should hold {len(expected)} arrays [{', '.join(names)}], in the order of "
                    f"layer.get_weights(), but it holds {len(got)}.")
        for name, g, e in zip(names, got, expected):
            label = f"item {names.index(name)} ({name}, shape {e.shape})"
            if isinstance(g, np.ndarray) and g.dtype == np.float32:
                message = compare_array(label, g, e, np.dtype(np.float32))  # Keras's own precision
            else:
                message = compare_array(label, g, e, case.dtype)
            if message:
                return message
        for name, g in zip(names, got):
            if isinstance(g, InputView):
                return (f"{name} in the list is the caller's array (or a view of it), not a copy: changing "
                        "the list would change the caller's weights. Copy it, e.g. with np.array(...).")
        return None

    return compare


def weights_tuple_compare(kind: str):
    """A tuple of three numpy arrays read from the layer, and the layer left unchanged."""
    names = NAMES[kind]

    def compare(got, expected, case) -> str | None:
        if isinstance(got, list):
            return (f"the function should return a tuple ({', '.join(names)}), as in `return W, U, b`, "
                    "but it returned a list.")
        if isinstance(got, tuple):
            for name, g in zip(names, got):
                if isinstance(g, Opaque) and g.tensor:
                    return (f"{name} is a Keras variable ({g.type_name}), not a numpy array: "
                            "layer.get_weights() returns numpy copies of the layer's variables.")
        return compare_output(names, got, expected, case.dtype)

    return compare


# ---------------------------------------------------------------- mistakes: weights


def _reorder_blocks(a, H: int, order):
    """The blocks of width H along the last axis, put in ``order`` (e.g. (0, 1, 3, 2))."""
    return np.concatenate([a[..., k * H:(k + 1) * H] for k in order], axis=-1)


def _as_list(*arrays):
    return [np.array(a, dtype=np.float64) for a in arrays]


TO_KERAS_COMMON = {
    "the kernel and the recurrent kernel are swapped (Keras's order is kernel, recurrent kernel, bias)":
        lambda W, U, b: _as_list(U, W, b),
    "the kernel is transposed: Keras's kernel has shape (D, kH), one row per input feature":
        lambda W, U, b: _as_list(W.T, U, b),
    "the recurrent kernel is transposed": lambda W, U, b: _as_list(W, U.T, b),
    "the bias is left out": lambda W, U, b: _as_list(W, U),
}

FROM_KERAS_COMMON = {
    "the kernel and the recurrent kernel are swapped (get_weights() gives kernel, recurrent kernel, bias)":
        lambda layer: (lambda w: (w[1], w[0], w[2]))(layer.get_weights()),
    "the kernel is transposed": lambda layer: (lambda w: (w[0].T, w[1], w[2]))(layer.get_weights()),
    "the recurrent kernel is transposed": lambda layer: (lambda w: (w[0], w[1].T, w[2]))(layer.get_weights()),
    "the bias is left out": lambda layer: tuple(layer.get_weights()[:2]),
}


def _lstm_order_mistakes(direction: str):
    """The gate blocks put in another order than Keras's i, f, c, o (two orders met in converted code)."""
    orders = {
        "i, f, o, c (the candidate last)": (0, 1, 3, 2),
        "f, i, c, o (input and forget gates swapped)": (1, 0, 2, 3),
    }
    mistakes = {}
    for description, order in orders.items():
        if direction == "to":
            def mistake(W, U, b, order=order):
                H = U.shape[0]
                return _as_list(*(_reorder_blocks(np.asarray(a), H, order) for a in (W, U, b)))
        else:
            def mistake(layer, order=order):
                W, U, b = layer.get_weights()
                H = U.shape[0]
                return tuple(_reorder_blocks(a, H, order) for a in (W, U, b))
        mistakes[f"the gate blocks are reordered as {description}; Keras's order is i, f, c, o"] = mistake
    return mistakes


def _gru_mistakes(direction: str):
    if direction == "to":
        return {
            "the two bias rows are swapped: row 0 is the input bias, row 1 the recurrent bias":
                lambda W, U, b: _as_list(W, U, np.asarray(b)[::-1]),
            "the bias is flattened to (6H,); Keras's GRU (reset_after=True) keeps it as (2, 3H)":
                lambda W, U, b: _as_list(W, U, np.asarray(b).reshape(-1)),
            "only the input bias row is kept, shape (3H,); that is the layout of reset_after=False":
                lambda W, U, b: _as_list(W, U, np.asarray(b)[0]),
            "one bias row is used for both rows (row 0 is the input bias, row 1 the recurrent bias)":
                lambda W, U, b: _as_list(W, U, np.asarray(b)[[0, 0]]),
            "the z and r blocks are swapped (PyTorch's order is r, z, n; Keras's is z, r, h)":
                lambda W, U, b: _as_list(*(_reorder_blocks(np.asarray(a), U.shape[0], (1, 0, 2))
                                           for a in (W, U, b))),
        }
    return {
        "the two bias rows are swapped: row 0 is the input bias, row 1 the recurrent bias":
            lambda layer: (lambda w: (w[0], w[1], w[2][::-1]))(layer.get_weights()),
        "the bias is flattened to (6H,); keep Keras's (2, 3H)":
            lambda layer: (lambda w: (w[0], w[1], w[2].reshape(-1)))(layer.get_weights()),
        "only the input bias row is kept; the course's GRU uses both rows, shape (2, 3H)":
            lambda layer: (lambda w: (w[0], w[1], w[2][0]))(layer.get_weights()),
        "the z and r blocks are swapped (Keras's order is z, r, h)":
            lambda layer: tuple(_reorder_blocks(a, layer.units, (1, 0, 2)) for a in layer.get_weights()),
    }


# ---------------------------------------------------------------- PyTorch's LSTM layout

TORCH_NAMES = ("W", "U", "b")


def torch_lstm_weights(rng, D: int, H: int):
    """weight_ih (4H, D), weight_hh (4H, H), bias_ih (4H,), bias_hh (4H,): PyTorch's nn.LSTM layout."""
    return (rng.normal(0, 1, (4 * H, D)), rng.normal(0, 1, (4 * H, H)),
            rng.normal(0, 1, 4 * H), rng.normal(0, 1, 4 * H))


def torch_cases(rng) -> list[Case]:
    """D = H (where an untransposed matrix keeps a plausible shape), D != H both ways, H = 1, random."""
    fixed = [(3, 3), (2, 5), (4, 1), (1, 2)]
    drawn = [tuple(int(v) for v in rng.integers(1, 9, 2)) for _ in range(2)]
    cases = []
    for i, (D, H) in enumerate(fixed + drawn):
        dtype = np.float32 if i % 2 else np.float64
        cases.append(float_case(torch_lstm_weights(rng, D, H), dtype, f"D={D}, H={H}"))
    return cases


def ref_lstm_weights_from_pytorch(weight_ih, weight_hh, bias_ih, bias_hh):
    """PyTorch computes the gates of all four blocks as W_ih x + b_ih + W_hh h + b_hh (x and h columns),
    rows k*H to (k+1)*H being gate k in the order i, f, g, o; Keras computes x W + h U + b (rows), columns
    k*H to (k+1)*H being block k in the order i, f, c, o. The same gate order, so gate k goes to block k,
    its rows becoming columns, and the two biases, always added together, become one."""
    weight_ih = np.asarray(weight_ih, dtype=np.float64)
    weight_hh = np.asarray(weight_hh, dtype=np.float64)
    H = weight_hh.shape[1]
    D = weight_ih.shape[1]
    W, U, b = np.zeros((D, 4 * H)), np.zeros((H, 4 * H)), np.zeros(4 * H)
    for k in range(4):  # i, f, g (Keras's c), o
        rows = slice(k * H, (k + 1) * H)
        for d in range(D):
            W[d, rows] = weight_ih[rows, d]
        for j in range(H):
            U[j, rows] = weight_hh[rows, j]
        b[rows] = np.asarray(bias_ih, dtype=np.float64)[rows] + np.asarray(bias_hh, dtype=np.float64)[rows]
    return W, U, b


def _f64(*arrays):
    return tuple(np.asarray(a, dtype=np.float64) for a in arrays)


def _torch_block_order(order):
    def mistake(weight_ih, weight_hh, bias_ih, bias_hh):
        W, U, b = ref_lstm_weights_from_pytorch(weight_ih, weight_hh, bias_ih, bias_hh)
        H = U.shape[0]
        return tuple(_reorder_blocks(a, H, order) for a in (W, U, b))
    return mistake


TORCH_MISTAKES = {
    "weight_ih and weight_hh are not transposed: PyTorch stores them as (4H, D) and (4H, H), one row per "
    "unit; Keras's kernels are (D, 4H) and (H, 4H), one column per unit":
        lambda wi, wh, bi, bh: _f64(wi, wh, np.add(bi, bh)),
    "weight_ih is transposed but weight_hh is not":
        lambda wi, wh, bi, bh: _f64(np.transpose(wi), wh, np.add(bi, bh)),
    "the matrices are reshaped instead of transposed: reshape keeps the order of the entries, so the "
    "rows of each gate are cut into pieces":
        lambda wi, wh, bi, bh: _f64(np.reshape(wi, (np.shape(wi)[1], -1)), np.reshape(wh, (np.shape(wh)[1], -1)),
                                    np.add(bi, bh)),
    "only bias_ih is used: PyTorch adds both biases in every gate, so Keras's single bias is "
    "bias_ih + bias_hh":
        lambda wi, wh, bi, bh: _f64(np.transpose(wi), np.transpose(wh), bi),
    "only bias_hh is used: PyTorch adds both biases in every gate, so Keras's single bias is "
    "bias_ih + bias_hh":
        lambda wi, wh, bi, bh: _f64(np.transpose(wi), np.transpose(wh), bh),
    "the two biases are averaged instead of added":
        lambda wi, wh, bi, bh: _f64(np.transpose(wi), np.transpose(wh), (np.asarray(bi) + np.asarray(bh)) / 2),
    "the gate blocks are reordered as i, f, o, g; PyTorch's order i, f, g, o is already Keras's i, f, c, o":
        _torch_block_order((0, 1, 3, 2)),
    "the gate blocks are reordered as f, i, g, o; PyTorch's order i, f, g, o is already Keras's i, f, c, o":
        _torch_block_order((1, 0, 2, 3)),
    "the gate blocks are put in reverse order; PyTorch's order i, f, g, o is already Keras's i, f, c, o":
        _torch_block_order((3, 2, 1, 0)),
}


# ---------------------------------------------------------------- GRU with reset_after=False


def gru_before_cases(rng) -> list[Case]:
    """Sequences (N, T, D), a non-zero h0 (N, H), W (D, 3H), U (H, 3H), b (3H,); T = 1 and H = 1 included."""
    sizes = [(2, 4, 3, 2), (3, 1, 2, 3), (1, 5, 1, 1), (4, 3, 2, 4)]
    sizes.append(tuple(int(v) for v in rng.integers([1, 1, 1, 1], [5, 7, 5, 5])))
    cases = []
    for i, (N, T, D, H) in enumerate(sizes):
        arrays = (rng.normal(0, 1, (N, T, D)), rng.normal(0, 0.5, (N, H)), rng.normal(0, 0.8, (D, 3 * H)),
                  rng.normal(0, 0.8, (H, 3 * H)), rng.normal(0, 0.5, 3 * H))
        dtype = np.float32 if i % 2 else np.float64
        cases.append(float_case(arrays, dtype, f"N={N}, T={T}, D={D}, H={H}"))
    return cases


def _logistic(a):
    return 0.5 * (1.0 + np.tanh(0.5 * a))  # the logistic sigmoid, written without exp


def ref_gru_reset_before_forward(x, h0, W, U, b):
    """keras.layers.GRU(H, reset_after=False): blocks z, r, h of W (D, 3H), U (H, 3H) and b (3H,);
    z = sigma(x W_z + h U_z + b_z), r = sigma(x W_r + h U_r + b_r),
    candidate = tanh(x W_h + (r * h) U_h + b_h), h_new = z * h + (1 - z) * candidate."""
    x, h, W, U, b = (np.asarray(a, dtype=np.float64) for a in (x, h0, W, U, b))
    N, T, _ = x.shape
    H = h.shape[1]
    Wz, Wr, Wh = W[:, :H], W[:, H:2 * H], W[:, 2 * H:]
    Uz, Ur, Uh = U[:, :H], U[:, H:2 * H], U[:, 2 * H:]
    bz, br, bh = b[:H], b[H:2 * H], b[2 * H:]
    out = np.empty((N, T, H))
    for t in range(T):
        xt = x[:, t, :]
        z = _logistic(np.dot(xt, Wz) + np.dot(h, Uz) + bz)
        r = _logistic(np.dot(xt, Wr) + np.dot(h, Ur) + br)
        candidate = np.tanh(np.dot(xt, Wh) + np.dot(r * h, Uh) + bh)
        h = z * h + (1.0 - z) * candidate
        out[:, t, :] = h
    return out


def _gru_variant(*, reset="before", update="keras", order=(0, 1, 2), use_h0=True, last_only=False):
    """The forward pass with one thing changed, for the hints."""
    def forward(x, h0, W, U, b):
        x, h, W, U, b = (np.asarray(a, dtype=np.float64) for a in (x, h0, W, U, b))
        H = h.shape[1]
        W, U, b = (_reorder_blocks(a, H, order) for a in (W, U, b))
        h = h if use_h0 else np.zeros_like(h)
        states = []
        for t in range(x.shape[1]):
            xt = x[:, t]
            z = _logistic(xt @ W[:, :H] + h @ U[:, :H] + b[:H])
            r = _logistic(xt @ W[:, H:2 * H] + h @ U[:, H:2 * H] + b[H:2 * H])
            if reset == "before":
                a = xt @ W[:, 2 * H:] + (r * h) @ U[:, 2 * H:] + b[2 * H:]
            elif reset == "after":
                a = xt @ W[:, 2 * H:] + r * (h @ U[:, 2 * H:]) + b[2 * H:]
            elif reset == "after, bias inside":
                a = xt @ W[:, 2 * H:] + r * (h @ U[:, 2 * H:] + b[2 * H:])
            else:
                a = xt @ W[:, 2 * H:] + h @ U[:, 2 * H:] + b[2 * H:]
            candidate = np.tanh(a)
            h = z * h + (1 - z) * candidate if update == "keras" else (1 - z) * h + z * candidate
            states.append(h)
        return states[-1] if last_only else np.stack(states, axis=1)
    return forward


GRU_BEFORE_MISTAKES = {
    "the reset gate multiplies the product, r * (h U_h): that is reset_after=True; with reset_after=False "
    "it multiplies the state before the product, (r * h) U_h":
        _gru_variant(reset="after"),
    "the reset gate multiplies (h U_h + b_h): that is reset_after=True's recurrent part; with "
    "reset_after=False it multiplies the state before the product, (r * h) U_h, and b_h stays outside":
        _gru_variant(reset="after, bias inside"),
    "the reset gate is left out of the candidate": _gru_variant(reset="none"),
    "z and 1 - z are swapped: Keras keeps z of the old state, h = z * h_prev + (1 - z) * candidate":
        _gru_variant(update="swapped"),
    "the z and r blocks are swapped (Keras's order is z, r, h)": _gru_variant(order=(1, 0, 2)),
    "h0 is ignored: the first step starts from zeros instead of h0": _gru_variant(use_h0=False),
    "only the last state is returned; the function returns every state, shape (N, T, H)":
        _gru_variant(last_only=True),
}


# ---------------------------------------------------------------- models

def _describe_layer(spec: dict) -> str:
    if spec["type"] == "Bidirectional":
        return f"Bidirectional({_describe_layer(spec['layer'])})"
    args = [str(spec[k]) for k in ("input_dim", "output_dim", "units") if k in spec]
    args += [f"{k}={spec[k]!r}" for k in ("return_sequences", "activation") if k in spec]
    return f"{spec['type']}({', '.join(args)})"


def _first_difference(got: dict, expected: dict, check_activation: bool) -> str | None:
    for key, value in expected.items():
        if key == "activation" and not check_activation:
            continue
        if key == "layer":
            inner = _first_difference(got["layer"], value, check_activation)
            if inner:
                return f"the wrapped layer: {inner}"
            continue
        if got.get(key) != value:
            return f"{key} is {got.get(key)!r}; expected {value!r}" + WHY.get((key, value), "")
    return None


WHY = {
    ("return_sequences", False): (": the layer should hand only its last state, shape (N, H), to the layer "
                                  "after it"),
    ("return_sequences", True): (": a recurrent layer followed by another one must return its whole "
                                 "sequence, shape (N, T, H)"),
    ("activation", "sigmoid"): ": a binary classifier outputs a probability",
}


CELL_LAYERS = {"LSTMCell": "LSTM", "GRUCell": "GRU", "SimpleRNNCell": "SimpleRNN"}


def as_plain_layer(spec: dict) -> dict:
    """keras.layers.RNN(LSTMCell(H)) is keras.layers.LSTM(H): the same weights and outputs (the
    equivalence this sprint teaches), so it is compared as one; so are GRUCell and SimpleRNNCell."""
    if spec.get("type") == "RNN" and spec.get("cell") in CELL_LAYERS and "units" in spec:
        return {"type": CELL_LAYERS[spec["cell"]], "units": spec["units"],
                "return_sequences": spec.get("return_sequences", False)}
    if spec.get("type") == "Bidirectional" and isinstance(spec.get("layer"), dict):
        return {**spec, "layer": as_plain_layer(spec["layer"])}
    return spec


def model_compare(check_activation: bool = True):
    """A built keras Model with the expected layers, output shape and number of parameters."""

    def compare(got, expected, case) -> str | None:
        if not isinstance(got, ModelSpec):
            return f"the function should return a keras Model, but it returned {describe_type(got)}."
        if not got.built:
            return ("the model is not built, so it has no weights yet and count_params() fails: start the "
                    "model with keras.Input(shape=(None,)) (a batch of token ids of any length).")
        spec = ModelSpec(tuple(as_plain_layer(s) if isinstance(s, dict) else s for s in got.layers), got.count,
                         got.output, got.built)
        want = expected if isinstance(expected, ModelSpec) else describe_model(expected)
        kinds = [s["type"] for s in spec.layers]
        expected_kinds = [s["type"] for s in want.layers]
        if kinds != expected_kinds:
            return (f"the model's layers are {kinds}; expected {expected_kinds} "
                    "(Dropout layers are ignored, an Activation layer counts with the Dense before it).")
        for i, (g, e) in enumerate(zip(spec.layers, want.layers), 1):
            difference = _first_difference(g, e, check_activation)
            if difference:
                return f"layer {i}, {_describe_layer(g)}: {difference}."
        if spec.output != want.output:
            return (f"the model's output has shape {(None,) + spec.output}; "
                    f"expected {(None,) + want.output}.")
        if spec.count != want.count:
            return f"the model has {spec.count:,} parameters; expected {want.count:,}."
        return None

    return compare


# ---- parameter counts for the mistake descriptions (written out, independent of Keras)


def _lstm(D, H):
    return 4 * (D * H + H * H + H)


def _gru(D, H):
    return 3 * (D * H + H * H + 2 * H)


def _spec(layers, count, output) -> ModelSpec:
    return ModelSpec(tuple(layers), count, output)


def E(V, D):
    return {"type": "Embedding", "input_dim": V, "output_dim": D}


def R(kind, H, seq=False):
    return {"type": kind, "units": H, "return_sequences": seq}


def Dn(H, activation="linear"):
    return {"type": "Dense", "activation": activation, "units": H}


def Bi(layer, mode="concat"):
    return {"type": "Bidirectional", "layer": layer, "merge_mode": mode}


# ---------------------------------------------------------------- references: models


@cache
def ref_build_imdb_lstm():
    import keras
    from keras import layers

    return keras.Sequential([
        keras.Input(shape=(None,), dtype="int32"),
        layers.Embedding(10000, 32),
        layers.LSTM(32),
        layers.Dense(1, activation="sigmoid"),
    ])


@cache
def ref_build_stacked_lstm():
    import keras
    from keras import layers

    tokens = keras.Input(shape=(None,), dtype="int32")
    x = layers.Embedding(400001, 50, embeddings_initializer="zeros")(tokens)  # only read, never trained
    x = layers.LSTM(128, return_sequences=True)(x)
    x = layers.LSTM(128)(x)
    return keras.Model(tokens, layers.Dense(5)(x))


@cache
def ref_build_bidirectional_lstm():
    import keras
    from keras import layers

    return keras.Sequential([
        keras.Input(shape=(None,), dtype="int32"),
        layers.Embedding(10000, 32),
        layers.Bidirectional(layers.LSTM(32)),
        layers.Dense(1, activation="sigmoid"),
    ])


def no_case(rng) -> list[Case]:
    return [Case((), label="no arguments")]


# ---------------------------------------------------------------- problems

WEIGHT_ARGS = {"simple_rnn": ("Wx", "Wh", "b"), "lstm": ("W", "U", "b"), "gru": ("W", "U", "b")}

PROBLEMS = [
    Problem(
        name="keras_simple_rnn_weights",
        sprint=SPRINT,
        generate=to_keras_cases("simple_rnn"),
        reference=ref_keras_simple_rnn_weights,
        output_names=("weights",),
        arg_names=WEIGHT_ARGS["simple_rnn"],
        compare=weights_list_compare("simple_rnn"),
        mistakes={
            **TO_KERAS_COMMON,
            "b is given the shape (1, H); Keras's bias has shape (H,)":
                lambda Wx, Wh, b: _as_list(Wx, Wh, np.asarray(b).reshape(1, -1)),
        },
    ),
    Problem(
        name="numpy_weights_from_keras_simple_rnn",
        sprint=SPRINT,
        generate=from_keras_cases("simple_rnn"),
        reference=ref_numpy_weights_from_keras_simple_rnn,
        output_names=NAMES["simple_rnn"],
        arg_names=("layer",),
        compare=weights_tuple_compare("simple_rnn"),
        mistakes=dict(FROM_KERAS_COMMON),
    ),
    Problem(
        name="keras_lstm_weights",
        sprint=SPRINT,
        generate=to_keras_cases("lstm"),
        reference=ref_keras_lstm_weights,
        output_names=("weights",),
        arg_names=WEIGHT_ARGS["lstm"],
        compare=weights_list_compare("lstm"),
        mistakes={**TO_KERAS_COMMON, **_lstm_order_mistakes("to")},
    ),
    Problem(
        name="numpy_weights_from_keras_lstm",
        sprint=SPRINT,
        generate=from_keras_cases("lstm"),
        reference=ref_numpy_weights_from_keras_lstm,
        output_names=NAMES["lstm"],
        arg_names=("layer",),
        compare=weights_tuple_compare("lstm"),
        mistakes={**FROM_KERAS_COMMON, **_lstm_order_mistakes("from")},
    ),
    Problem(
        name="keras_gru_weights",
        sprint=SPRINT,
        generate=to_keras_cases("gru"),
        reference=ref_keras_gru_weights,
        output_names=("weights",),
        arg_names=WEIGHT_ARGS["gru"],
        compare=weights_list_compare("gru"),
        mistakes={**TO_KERAS_COMMON, **_gru_mistakes("to")},
    ),
    Problem(
        name="numpy_weights_from_keras_gru",
        sprint=SPRINT,
        generate=from_keras_cases("gru"),
        reference=ref_numpy_weights_from_keras_gru,
        output_names=NAMES["gru"],
        arg_names=("layer",),
        compare=weights_tuple_compare("gru"),
        mistakes={**FROM_KERAS_COMMON, **_gru_mistakes("from")},
    ),
    Problem(
        name="lstm_weights_from_pytorch",
        sprint=SPRINT,
        generate=torch_cases,
        reference=ref_lstm_weights_from_pytorch,
        output_names=TORCH_NAMES,
        arg_names=("weight_ih", "weight_hh", "bias_ih", "bias_hh"),
        mistakes=TORCH_MISTAKES,
    ),
    Problem(
        name="gru_reset_before_forward",
        sprint=SPRINT,
        generate=gru_before_cases,
        reference=ref_gru_reset_before_forward,
        output_names=("h",),
        arg_names=("x", "h0", "W", "U", "b"),
        mistakes=GRU_BEFORE_MISTAKES,
    ),
    Problem(
        name="build_imdb_lstm",
        sprint=SPRINT,
        generate=no_case,
        reference=ref_build_imdb_lstm,
        output_names=("model",),
        compare=model_compare(),
        mistakes={
            "a GRU is used instead of an LSTM":
                lambda: _spec([E(10000, 32), R("GRU", 32), Dn(1, "sigmoid")],
                              320000 + _gru(32, 32) + 33, (1,)),
            "the output layer has no sigmoid: a binary classifier outputs a probability, "
            "Dense(1, activation='sigmoid')":
                lambda: _spec([E(10000, 32), R("LSTM", 32), Dn(1)], 328353, (1,)),
        },
    ),
    Problem(
        name="build_stacked_lstm",
        sprint=SPRINT,
        generate=no_case,
        reference=ref_build_stacked_lstm,
        output_names=("model",),
        compare=model_compare(check_activation=False),
        mistakes={
            "the vocabulary has 400,000 words; the GloVe table has 400,001 rows (400,000 words and "
            "one extra id)":
                lambda: _spec([E(400000, 50), R("LSTM", 128, True), R("LSTM", 128), Dn(5)],
                              20000000 + _lstm(50, 128) + _lstm(128, 128) + 645, (5,)),
            "the second LSTM also returns sequences, so the Dense layer is applied at every step":
                lambda: _spec([E(400001, 50), R("LSTM", 128, True), R("LSTM", 128, True), Dn(5)],
                              20223927, (None, 5)),
        },
    ),
    Problem(
        name="build_bidirectional_lstm",
        sprint=SPRINT,
        generate=no_case,
        reference=ref_build_bidirectional_lstm,
        output_names=("model",),
        compare=model_compare(),
        mistakes={
            "the LSTM is not wrapped in Bidirectional":
                lambda: _spec([E(10000, 32), R("LSTM", 32), Dn(1, "sigmoid")], 328353, (1,)),
            "the two directions are added (merge_mode='sum') instead of concatenated, so the Dense "
            "layer reads 32 numbers instead of 64":
                lambda: _spec([E(10000, 32), Bi(R("LSTM", 32), "sum"), Dn(1, "sigmoid")],
                              320000 + 2 * _lstm(32, 32) + 33, (1,)),
        },
    ),
]
