"""The plain-data exchange between the grader and student code: faithful, and safe to read."""

import io
import json
import struct
import zipfile

import numpy as np
import pytest

from grader.wire import InputView, LayerSpec, ModelSpec, Opaque, ScalarFunction, WireError, pack, unpack

LIMIT = 1 << 24


def roundtrip(value, **kwargs):
    return unpack(pack(value), LIMIT, **kwargs)


def test_plain_values_keep_their_types():
    value = {"a": (1, 2.5, True, None, "x"), 3: [np.float32(1.5), np.int64(7), np.arange(3)]}
    back = roundtrip(value)
    assert back["a"] == (1, 2.5, True, None, "x") and type(back["a"]) is tuple
    f32, i64, arr = back[3]
    assert type(f32) is np.float32 and type(i64) is np.int64 and type(back["a"][0]) is int
    np.testing.assert_array_equal(arr, np.arange(3))
    assert roundtrip(float("nan")) != roundtrip(float("nan"))  # NaN survives as NaN


def test_the_same_array_twice_stays_one_array():
    x = np.ones(3)
    f = ScalarFunction("cubic", x, {"w": np.ones(3)})
    f_back, x_back = roundtrip((f, x), materialize=True)
    assert f_back.x is x_back


def test_unknown_objects_come_back_as_opaque_names():
    class AlwaysEqual:
        def __eq__(self, other):
            return True

    class Sneaky(int):
        pass

    back = roundtrip([AlwaysEqual(), Sneaky(3), np.array([object()], dtype=object)])
    assert all(isinstance(item, Opaque) for item in back)
    assert back[0].type_name == "AlwaysEqual" and back[1].type_name == "Sneaky"
    assert back[0] != 1  # an Opaque is equal to nothing but itself


def test_nothing_is_ever_unpickled(tmp_path):
    marker = tmp_path / "pwned"

    class Bomb:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    back = roundtrip({"value": Bomb()})
    assert isinstance(back["value"], Opaque) and not marker.exists()
    # a hand-made archive holding a pickled object array is refused, not loaded
    buffer = io.BytesIO()
    np.save(buffer, np.array([Bomb()], dtype=object), allow_pickle=True)
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("a0.npy", buffer.getvalue())
    header = json.dumps({"$": "array", "key": "a0"}).encode()
    with pytest.raises(WireError):
        unpack(struct.pack(">I", len(header)) + header + archive.getvalue(), LIMIT)
    assert not marker.exists()


def test_sizes_are_checked_before_anything_is_read():
    with pytest.raises(WireError, match="limit"):
        pack(np.zeros(1000), limit=100)
    with pytest.raises(WireError, match="limit"):
        unpack(pack(np.zeros(1000)), limit=100)
    # a compressed archive (a possible zip bomb) is refused
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        buffer = io.BytesIO()
        np.save(buffer, np.zeros(10**6))
        zf.writestr("a0.npy", buffer.getvalue())
    header = json.dumps({"$": "array", "key": "a0"}).encode()
    with pytest.raises(WireError):
        unpack(struct.pack(">I", len(header)) + header + archive.getvalue(), LIMIT)


@pytest.mark.parametrize("junk", [b"", b"\x00\x00\x00\x05hello", b"\xff" * 50,
                                  struct.pack(">I", 2) + b"{}" + b"not a zip"])
def test_malformed_data_is_a_wire_error(junk):
    with pytest.raises(WireError):
        unpack(junk, LIMIT)


def test_deep_nesting_is_refused():
    value = []
    for _ in range(100):
        value = [value]
    with pytest.raises(WireError, match="nested"):
        pack(value)


def test_answers_cannot_make_the_grader_build_objects():
    layer = LayerSpec("LSTM", 2, 3, [np.zeros((3, 8)), np.zeros((2, 8)), np.zeros(8)])
    for value in (layer, np.random.default_rng(0), ScalarFunction("cubic", np.ones(2), {})):
        with pytest.raises(WireError, match="not accepted in an answer"):
            roundtrip(value)
    assert isinstance(roundtrip(layer, materialize="specs"), LayerSpec)


def test_generators_travel_by_state():
    rng = np.random.default_rng(5)
    rng.random()
    back = roundtrip(rng, materialize=True)
    assert back.random() == rng.random()


def test_input_views_are_marked():
    a = np.arange(6.0)
    back = unpack(pack([a, a[2:], a.copy()], inputs=[a]), LIMIT)
    assert [isinstance(x, InputView) for x in back] == [True, True, False]


def test_a_keras_model_comes_back_as_its_description():
    import keras

    model = keras.Sequential([keras.Input((None, 3)), keras.layers.LSTM(2), keras.layers.Dense(1)])
    spec = roundtrip(model)
    assert isinstance(spec, ModelSpec) and spec.count == model.count_params() and spec.output == (1,)
    assert [layer["type"] for layer in spec.layers] == ["LSTM", "Dense"]
    assert roundtrip(keras.Sequential([keras.layers.Dense(1)])) == ModelSpec(built=False)


def test_a_0d_array_keeps_its_shape():
    back = unpack(pack([np.array(2.5), np.float32(1.0)]), limit=2**20)
    assert isinstance(back[0], np.ndarray) and back[0].shape == () and back[0] == 2.5
