"""Plain-data exchange between the trusted grader and student code: no pickle, sizes capped.

A value is encoded as a JSON tree plus a set of numpy arrays, packed into one byte string::

    [4 bytes: length of the JSON] [JSON] [an .npz archive of the arrays, no pickled objects]

Every JSON object in the tree is a tagged node ``{"$": tag, ...}``; lists, strings, numbers, booleans
and null stand for themselves. Tags:

- ``array``     a numpy array (numeric, boolean or unicode), by key into the archive; the same array
                met twice decodes to the same object, so aliasing inside a case survives;
- ``tuple``, ``dict`` (a list of key/value pairs), ``scalar`` (a numpy scalar, dtype kept);
- ``rng``       a ``numpy.random.Generator`` by its bit generator's state;
- ``function``  a :class:`ScalarFunction` (inputs only);
- ``layer``     a Keras recurrent layer by :class:`LayerSpec` (inputs only);
- ``model``     a Keras model by the description :func:`describe_model` reads (outputs only);
- ``opaque``    anything else, by its type's name: the judge can say what came back, never use it.

Inputs (trusted → student) may carry ``rng``, ``function`` and ``layer`` nodes, which decoding with
``materialize=True`` turns into live objects. Answers (student → trusted) are decoded with
``materialize=False``: such nodes are then refused, so student data never makes the trusted process
build anything. :func:`unpack` checks every size before it reads.
"""

from __future__ import annotations

import io
import json
import struct
import zipfile
from dataclasses import dataclass, field

import numpy as np

MAX_DEPTH = 40
MAX_NODES = 2_000_000
ARRAY_KINDS = "biufcU"  # bool, int, uint, float, complex, unicode: np.save stores them without pickle


class WireError(ValueError):
    """Data that cannot be encoded or decoded; the message says why, for a student or instructor."""


class Opaque:
    """Stands for a value the wire does not carry (a custom object, a TensorFlow tensor, ...)."""

    def __init__(self, type_name: str, tensor: bool = False):
        self.type_name, self.tensor = type_name, tensor

    def __repr__(self) -> str:
        return f"<{self.type_name} object>"


class InputView(np.ndarray):
    """An answer array that was (a view of) one of the function's own input arrays."""


# ------------------------------------------------------------------------------ objects in cases


class ScalarFunction:
    """A scalar function f() of the array ``x`` it holds, read at call time (like a closure).

    ``kind`` names the formula; ``consts`` holds its constants. For numerical-gradient problems:
    the student's function perturbs ``x`` in place and calls ``f()``.
    """

    def __init__(self, kind: str, x: np.ndarray, consts: dict):
        self.kind, self.x, self.consts = kind, x, consts

    def __call__(self) -> float:
        x, c = np.asarray(self.x, dtype=np.float64), self.consts
        if self.kind == "cubic":
            return float(np.sum(c["w"] * x**3))
        if self.kind == "exp":
            return float(np.sum(c["w"] * np.exp(0.5 * x)) + np.sum(x) ** 2)
        if self.kind == "rnn_Wh":  # x is Wh (H, H)
            return float(np.sum(c["w"] * _tanh_states(c["x"], c["h0"], c["Wx"], x, c["b"])))
        if self.kind == "rnn_x":  # x is the input sequence (N, T, D)
            return float(np.sum(c["w"] * _tanh_states(x, c["h0"], c["Wx"], c["Wh"], c["b"])))
        raise ValueError(self.kind)

    def __repr__(self) -> str:
        return f"ScalarFunction({self.kind!r}, x of shape {np.shape(self.x)})"


def _tanh_states(x, h0, Wx, Wh, b):
    """h_t = tanh(x_t Wx + h_{t-1} Wh + b) for every t: (N, T, D) -> (N, T, H)."""
    h, states = h0, []
    for t in range(x.shape[1]):
        h = np.tanh(x[:, t] @ Wx + h @ Wh + b)
        states.append(h)
    return np.stack(states, axis=1)


@dataclass
class LayerSpec:
    """A built Keras recurrent layer: ``kind`` SimpleRNN, LSTM or GRU, with the given weights."""

    kind: str
    units: int
    features: int
    weights: list = field(default_factory=list)
    dtype: str = "float32"
    in_model: bool = False  # built as part of a Sequential model with an Input

    def build(self):
        import keras

        layer = getattr(keras.layers, self.kind)(self.units, dtype=self.dtype)
        if self.in_model:
            keras.Sequential([keras.Input((None, self.features)), layer])
        else:
            layer.build((None, None, self.features))
        layer.set_weights([np.array(w) for w in self.weights])
        return layer


@dataclass
class ModelSpec:
    """What a comparison reads from a Keras model: layers (as dicts), parameter count, output shape."""

    layers: tuple = ()
    count: int = 0
    output: tuple = ()  # without the batch axis
    built: bool = True
    # What a frozen-layer or weight-loading check needs (read by :func:`model_details`): the input shape
    # without the batch axis, the trainable parameter count, and per Embedding layer its trainable and
    # mask_zero flags and its matrix. Not part of equality: the layer list is what defines a model here.
    details: dict = field(default_factory=dict, compare=False)


SKIPPED_LAYERS = ("InputLayer", "Dropout", "SpatialDropout1D", "GaussianDropout", "AlphaDropout")


def _layer_dict(layer) -> dict:
    kind = type(layer).__name__
    if kind == "Embedding":
        return {"type": kind, "input_dim": int(layer.input_dim), "output_dim": int(layer.output_dim)}
    if kind in ("LSTM", "GRU", "SimpleRNN"):
        return {"type": kind, "units": int(layer.units), "return_sequences": bool(layer.return_sequences)}
    if kind == "RNN":  # keras.layers.RNN(cell): the cell's type and size, to compare with LSTM, GRU, ...
        cell = layer.cell
        spec = {"type": kind, "cell": type(cell).__name__, "return_sequences": bool(layer.return_sequences)}
        if hasattr(cell, "units"):
            spec["units"] = int(cell.units)
        return spec
    if kind == "Bidirectional":
        return {"type": kind, "layer": _layer_dict(layer.forward_layer), "merge_mode": str(layer.merge_mode)}
    if kind in ("Dense", "Activation"):
        spec = {"type": kind, "activation": str(getattr(layer.activation, "__name__", layer.activation))}
        if kind == "Dense":
            spec["units"] = int(layer.units)
        return spec
    return {"type": kind}


def describe_model(model) -> ModelSpec:
    """The layers of a model, Dropout left out and an Activation layer merged into its Dense."""
    if not model.built:
        return ModelSpec(built=False)
    specs = []
    for layer in model.layers:
        if type(layer).__name__ in SKIPPED_LAYERS:
            continue
        spec = _layer_dict(layer)
        if (spec["type"] == "Activation" and specs and specs[-1]["type"] == "Dense"
                and specs[-1]["activation"] == "linear"):
            specs[-1]["activation"] = spec["activation"]
            continue
        specs.append(spec)
    output = tuple(model.outputs[0].shape)[1:]
    return ModelSpec(tuple(specs), int(model.count_params()), tuple(None if d is None else int(d) for d in output),
                     details=model_details(model))


def model_details(model) -> dict:
    """Input shape, trainable parameter count and the Embedding layers' flags and matrices of a built model."""
    shape = tuple(model.inputs[0].shape)[1:]
    embeddings = [{"trainable": bool(layer.trainable), "mask_zero": bool(getattr(layer, "mask_zero", False)),
                   "matrix": small_matrix(layer.get_weights()[0])}
                  for layer in model.layers if type(layer).__name__ == "Embedding" and layer.get_weights()]
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    return {"input": [None if d is None else int(d) for d in shape], "trainable_count": trainable,
            "embeddings": embeddings}


DETAIL_MATRIX_VALUES = 2**18  # an Embedding matrix larger than this travels as its shape only


def small_matrix(weights) -> np.ndarray | None:
    """The matrix itself when it is small enough to send back (the checks' matrices are), else None:
    a real vocabulary's embedding (say 20,000 x 1,000) would overrun the size cap of a reply."""
    weights = np.asarray(weights)
    return weights if weights.size <= DETAIL_MATRIX_VALUES else None


def _is_keras_model(obj) -> bool:
    return any(f"{c.__module__}.{c.__name__}" in ("keras.src.models.model.Model",) for c in type(obj).__mro__)


# ------------------------------------------------------------------------------ encoding


class _Encoder:
    def __init__(self, inputs: list | None):
        self.arrays: dict[str, np.ndarray] = {}
        self.by_id: dict[int, str] = {}
        self.keep: list = []  # keeps encoded arrays alive, so that ids stay unique
        self.nodes = 0
        self.inputs = inputs or []

    def array(self, a: np.ndarray) -> dict:
        key = self.by_id.get(id(a))
        if key is None:
            plain = np.asarray(a).view(np.ndarray)
            if plain.dtype.kind not in ARRAY_KINDS or plain.dtype.fields is not None:
                return {"$": "opaque", "type": f"numpy array of dtype {plain.dtype}", "tensor": False}
            key = f"a{len(self.arrays)}"
            self.arrays[key] = np.ascontiguousarray(plain).reshape(plain.shape)  # 0-d stays 0-d
            self.by_id[id(a)] = key
            self.keep.append(a)
        node = {"$": "array", "key": key}
        if any(np.may_share_memory(a, given) for given in self.inputs):
            node["input_view"] = True
        return node

    def encode(self, obj, depth: int = 0):
        self.nodes += 1
        if depth > MAX_DEPTH or self.nodes > MAX_NODES:
            raise WireError("the value is nested too deeply or holds too many items")
        t = type(obj)
        if obj is None or t in (bool, int, float, str):
            return obj
        if isinstance(obj, np.ndarray):
            return self.array(obj)
        if isinstance(obj, np.generic):
            if obj.dtype.kind not in ARRAY_KINDS:
                return {"$": "opaque", "type": t.__name__, "tensor": False}
            value = obj.item()
            return {"$": "scalar", "dtype": obj.dtype.str,
                    "value": [value.real, value.imag] if isinstance(value, complex) else value}
        if t is list:
            return [self.encode(item, depth + 1) for item in list.__iter__(obj)]
        if t is tuple or (isinstance(obj, tuple) and hasattr(t, "_fields")):  # namedtuples too
            return {"$": "tuple", "items": [self.encode(item, depth + 1) for item in tuple.__iter__(obj)]}
        if t is dict:
            return {"$": "dict", "items": [[self.encode(k, depth + 1), self.encode(v, depth + 1)]
                                           for k, v in dict.items(obj)]}
        if t is np.random.Generator:
            return {"$": "rng", "state": obj.bit_generator.state}
        if t is ScalarFunction:
            return {"$": "function", "kind": obj.kind, "x": self.encode(obj.x, depth + 1),
                    "consts": self.encode(obj.consts, depth + 1)}
        if t is LayerSpec:
            return {"$": "layer", "kind": obj.kind, "units": obj.units, "features": obj.features,
                    "weights": [self.array(np.asarray(w)) for w in obj.weights], "dtype": obj.dtype,
                    "in_model": obj.in_model}
        if _is_keras_model(obj):
            try:
                spec = describe_model(obj)
            except Exception as exc:  # a half-built model; say what went wrong instead of crashing
                return {"$": "opaque", "type": f"{t.__name__} (unreadable: {type(exc).__name__})", "tensor": False}
            return {"$": "model", "layers": json.loads(json.dumps(spec.layers)), "count": spec.count,
                    "output": list(spec.output), "built": spec.built,
                    "details": self.encode(spec.details, depth + 1)}
        if t is Opaque:
            return {"$": "opaque", "type": obj.type_name, "tensor": obj.tensor}
        return {"$": "opaque", "type": t.__name__, "tensor": hasattr(obj, "numpy") and hasattr(obj, "shape")}


def input_arrays(obj, found: list | None = None) -> list[np.ndarray]:
    """Every numpy array inside a case's (decoded) arguments, for the input-view test of answers."""
    found = [] if found is None else found
    if isinstance(obj, np.ndarray):
        found.append(obj)
    elif isinstance(obj, (list, tuple)):
        for item in obj:
            input_arrays(item, found)
    elif isinstance(obj, dict):
        for item in obj.values():
            input_arrays(item, found)
    return found


def pack(obj, inputs=None, limit: int | None = None) -> bytes:
    """Encode ``obj`` into bytes. ``inputs``: arrays whose views in ``obj`` are marked as such."""
    encoder = _Encoder(input_arrays(inputs) if inputs is not None else None)
    tree = encoder.encode(obj)
    header = json.dumps(tree).encode()
    total = len(header) + sum(a.nbytes for a in encoder.arrays.values())
    if limit is not None and total > limit:
        raise WireError(f"the value takes {total:,} bytes, more than the limit of {limit:,}")
    buffer = io.BytesIO()
    np.savez(buffer, **encoder.arrays)
    return struct.pack(">I", len(header)) + header + buffer.getvalue()


# ------------------------------------------------------------------------------ decoding


def unpack(data: bytes, limit: int, materialize: bool | str = False):
    """Decode bytes made by :func:`pack`; any malformed or oversized data raises WireError.

    ``materialize``: False for answers (functions, layers and generators are refused), "specs" to
    keep layers as :class:`LayerSpec`, True to build them.
    """
    if len(data) > limit:
        raise WireError(f"the answer takes {len(data):,} bytes, more than the limit of {limit:,}")
    try:
        (length,) = struct.unpack(">I", data[:4])
        tree = json.loads(data[4:4 + length].decode())
        with zipfile.ZipFile(io.BytesIO(data[4 + length:])) as archive:
            infos = archive.infolist()
            if sum(i.file_size for i in infos) > limit or len(infos) > MAX_NODES:
                raise WireError("the answer's arrays are larger than the limit")
            if any(i.compress_type != zipfile.ZIP_STORED for i in infos):
                raise WireError("the answer's arrays are compressed")
        with np.load(io.BytesIO(data[4 + length:]), allow_pickle=False) as npz:
            arrays = {key: npz[key] for key in npz.files}
    except WireError:
        raise
    except (Exception, RecursionError) as exc:
        raise WireError(f"the data is malformed ({type(exc).__name__}: {str(exc)[:200]})") from None
    try:
        return _Decoder(arrays, materialize).decode(tree)
    except WireError:
        raise
    except (Exception, RecursionError) as exc:  # a node without the keys its tag needs, a bad dtype, ...
        raise WireError(f"the data is malformed ({type(exc).__name__}: {str(exc)[:200]})") from None


class _Decoder:
    def __init__(self, arrays: dict, materialize: bool):
        self.arrays, self.materialize, self.built = arrays, materialize, {}

    def array(self, node: dict) -> np.ndarray:
        key = node["key"]
        if key not in self.built:
            a = self.arrays[key]
            if a.dtype.kind not in ARRAY_KINDS:
                raise WireError(f"arrays of dtype {a.dtype} are not accepted")
            self.built[key] = a.view(InputView) if node.get("input_view") else a
        return self.built[key]

    def decode(self, node, depth: int = 0):
        if depth > MAX_DEPTH:
            raise WireError("the data is nested too deeply")
        if node is None or type(node) in (bool, int, float, str):
            return node
        if type(node) is list:
            return [self.decode(item, depth + 1) for item in node]
        if type(node) is not dict:
            raise WireError(f"unexpected node {type(node).__name__}")
        tag = node.get("$")
        if tag == "array":
            return self.array(node)
        if tag == "tuple":
            return tuple(self.decode(item, depth + 1) for item in node["items"])
        if tag == "dict":
            try:
                return {self.decode(k, depth + 1): self.decode(v, depth + 1) for k, v in node["items"]}
            except TypeError:  # an unhashable key
                return Opaque("dict with unhashable keys")
        if tag == "scalar":
            dtype = np.dtype(node["dtype"])
            if dtype.kind not in ARRAY_KINDS:
                raise WireError(f"scalars of dtype {dtype} are not accepted")
            value = node["value"]
            return dtype.type(complex(*value) if dtype.kind == "c" else value)
        if tag == "opaque":
            return Opaque(str(node["type"])[:200], bool(node.get("tensor")))
        if tag == "model":
            details = self.decode(node.get("details", {"$": "dict", "items": []}), depth + 1)
            return ModelSpec(tuple(node["layers"]), int(node["count"]),
                             tuple(None if d is None else int(d) for d in node["output"]), bool(node["built"]),
                             details if isinstance(details, dict) else {})
        if tag in ("rng", "function", "layer") and not self.materialize:
            raise WireError(f"a {tag} is not accepted in an answer")
        if tag == "rng":
            generator = np.random.Generator(getattr(np.random, node["state"]["bit_generator"])())
            generator.bit_generator.state = node["state"]
            return generator
        if tag == "function":
            return ScalarFunction(node["kind"], self.decode(node["x"], depth + 1),
                                  self.decode(node["consts"], depth + 1))
        if tag == "layer":
            weights = [self.array(w) for w in node["weights"]]
            spec = LayerSpec(node["kind"], node["units"], node["features"], weights, node["dtype"],
                             node["in_model"])
            return spec if self.materialize == "specs" else spec.build()
        raise WireError(f"unknown tag {tag!r}")


def materialize(obj):
    """A fresh, live copy of trusted case data: arrays copied, functions and layers built."""
    return unpack(pack(obj), limit=2**40, materialize=True)
