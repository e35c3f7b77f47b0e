"""Implementations of sprint 07_keras_comparison problems, written the way students write them.

Keras is imported inside the functions, so that collecting the tests stays fast. The model builders
take no input, so each builds its model once (functools.cache) and hands the same model to every
seed: the check reads the model and never changes it.
"""

from functools import cache

import numpy as np

# ---------------------------------------------------------------- numpy -> Keras


def list_of_copies(*arrays):
    return [np.array(a, dtype=np.float64) for a in arrays]


def tuple_of_copies(*arrays):
    return tuple(np.array(a) for a in arrays)


def no_copy(*arrays):
    return list(arrays)


def as_nested_lists(*arrays):
    return [np.asarray(a).tolist() for a in arrays]


def kernels_swapped(W, U, b):
    return [U.copy(), W.copy(), b.copy()]


def kernel_transposed(W, U, b):
    return [W.T.copy(), U.copy(), b.copy()]


def bias_dropped(W, U, b):
    return [W.copy(), U.copy()]


def keeps_dtype(W, U, b):
    return [a.copy() for a in (W, U, b)]


def float32_for_keras(W, U, b):
    return [np.asarray(a).astype(np.float32) for a in (W, U, b)]


def rnn_bias_as_row(Wx, Wh, b):
    return [np.array(Wx), np.array(Wh), np.array(b).reshape(1, -1)]


def rnn_reshaped_copies(Wx, Wh, b):
    D, H = np.shape(Wx)
    return [np.copy(Wx).reshape(D, H), np.copy(Wh).reshape(H, H), np.copy(b).reshape(H)]


def lstm_i_f_o_c(W, U, b):
    out = []
    for a in (W, U, b):
        i, f, c, o = np.split(np.asarray(a), 4, axis=-1)
        out.append(np.concatenate([i, f, o, c], axis=-1))
    return out


def lstm_bias_by_gate(W, U, b):
    return [W.copy(), U.copy(), np.array(b).reshape(4, -1)]


def lstm_split_and_join(W, U, b):
    joined = []
    for a in (W, U, b):
        i, f, c, o = np.split(np.asarray(a, dtype=np.float64), 4, axis=-1)  # views of a float64 copy (or of a)
        joined.append(np.concatenate([i, f, c, o], axis=-1))  # a new array in any case
    return joined


def lstm_gates_by_slicing(W, U, b):
    H = U.shape[0]
    blocks = [slice(k * H, (k + 1) * H) for k in range(4)]  # i, f, c, o
    return [np.hstack([W[:, s] for s in blocks]), np.hstack([U[:, s] for s in blocks]),
            np.concatenate([b[s] for s in blocks]).astype(np.float64)]


def gru_bias_rows_swapped(W, U, b):
    return [W.copy(), U.copy(), b[::-1].copy()]


def gru_bias_flat(W, U, b):
    return [W.copy(), U.copy(), b.reshape(-1).copy()]


def gru_input_bias_only(W, U, b):
    return [W.copy(), U.copy(), b[0].copy()]


def gru_r_z_h(W, U, b):
    out = []
    for a in (W, U, b):
        z, r, h = np.split(a, 3, axis=-1)
        out.append(np.concatenate([r, z, h], axis=-1))
    return out


def gru_stacked_bias(W, U, b):
    return [np.array(W, dtype=np.float64), np.array(U, dtype=np.float64),
            np.stack([np.array(b[0], dtype=np.float64), np.array(b[1], dtype=np.float64)])]


def gru_bias_rebuilt(W, U, b):
    bias = np.empty((2, U.shape[1]))
    bias[0], bias[1] = b[0], b[1]  # input bias row, recurrent bias row
    return [W.astype(np.float64), U.astype(np.float64), bias]


# ---------------------------------------------------------------- Keras -> numpy


def from_get_weights(layer):
    kernel, recurrent_kernel, bias = layer.get_weights()
    return kernel, recurrent_kernel, bias


def from_variables_converted(layer):
    from keras import ops

    return tuple(ops.convert_to_numpy(v) for v in layer.weights)


def from_cell_attributes(layer):
    cell = layer.cell
    return (np.asarray(cell.kernel.numpy(), dtype=np.float64), np.asarray(cell.recurrent_kernel.numpy(), np.float64),
            np.asarray(cell.bias.numpy(), dtype=np.float64))


def from_variables(layer):
    return tuple(layer.weights)


def from_as_list(layer):
    return layer.get_weights()


def from_swapped(layer):
    kernel, recurrent_kernel, bias = layer.get_weights()
    return recurrent_kernel, kernel, bias


def from_kernel_transposed(layer):
    kernel, recurrent_kernel, bias = layer.get_weights()
    return kernel.T, recurrent_kernel, bias


def from_bias_dropped(layer):
    kernel, recurrent_kernel, _ = layer.get_weights()
    return kernel, recurrent_kernel


def from_fresh_layer(layer):
    fresh = type(layer)(layer.units)  # a new layer with Keras's initial weights, not the given one
    fresh.build((None, None, layer.get_weights()[0].shape[0]))
    return tuple(fresh.get_weights())


def from_resets_layer(layer):
    weights = [w.copy() for w in layer.get_weights()]
    layer.set_weights([np.zeros_like(w) for w in weights])  # "cleans up" the layer it was given
    return tuple(weights)


def from_float16(layer):
    return tuple(w.astype(np.float16) for w in layer.get_weights())


def from_lstm_i_f_o_c(layer):
    return tuple(lstm_i_f_o_c(*layer.get_weights()))


def from_gru_bias_rows_swapped(layer):
    W, U, b = layer.get_weights()
    return W, U, b[::-1]


def from_gru_bias_flat(layer):
    W, U, b = layer.get_weights()
    return W, U, b.ravel()


def from_gru_input_bias_only(layer):
    W, U, b = layer.get_weights()
    return W, U, b[0]


def from_gru_r_z_h(layer):
    return tuple(gru_r_z_h(*layer.get_weights()))


def from_float64(layer):
    return tuple(np.array(w, dtype=np.float64) for w in layer.get_weights())


# ---------------------------------------------------------------- model builders


def _sequential(*layer_list, with_input=True):
    import keras

    head = [keras.Input((None,))] if with_input else []
    return keras.Sequential(head + list(layer_list))


def _layers():
    from keras import layers

    return layers


@cache
def imdb_sequential():
    L = _layers()
    return _sequential(L.Embedding(10000, 32), L.LSTM(32), L.Dense(1, activation="sigmoid"))


@cache
def imdb_functional_with_activation_layer():
    import keras

    L = _layers()
    ids = keras.Input(shape=(500,), dtype="int32")
    h = L.LSTM(32, dropout=0.2)(L.Embedding(input_dim=10000, output_dim=32)(ids))
    return keras.Model(ids, L.Activation("sigmoid")(L.Dense(1)(h)))


@cache
def imdb_not_built():
    L = _layers()
    return _sequential(L.Embedding(10000, 32), L.LSTM(32), L.Dense(1, activation="sigmoid"), with_input=False)


@cache
def imdb_gru():
    L = _layers()
    return _sequential(L.Embedding(10000, 32), L.GRU(32), L.Dense(1, activation="sigmoid"))


@cache
def imdb_no_sigmoid():
    L = _layers()
    return _sequential(L.Embedding(10000, 32), L.LSTM(32), L.Dense(1))


@cache
def imdb_small_vocabulary():
    L = _layers()
    return _sequential(L.Embedding(1000, 32), L.LSTM(32), L.Dense(1, activation="sigmoid"))


@cache
def imdb_sequences():
    L = _layers()
    return _sequential(L.Embedding(10000, 32), L.LSTM(32, return_sequences=True), L.Dense(1, activation="sigmoid"))


@cache
def imdb_summary_only():
    return imdb_sequential().count_params()


@cache
def stacked_sequential():
    L = _layers()
    return _sequential(L.Embedding(400001, 50), L.LSTM(128, return_sequences=True), L.LSTM(128), L.Dense(5))


@cache
def stacked_as_in_the_lecture():
    L = _layers()
    return _sequential(L.Embedding(400001, 50), L.LSTM(128, return_sequences=True), L.Dropout(0.2),
                       L.LSTM(128), L.Dropout(0.2), L.Dense(5), L.Activation("softmax"))


@cache
def stacked_not_built():
    L = _layers()
    return _sequential(L.Embedding(400001, 50), L.LSTM(128, return_sequences=True), L.LSTM(128), L.Dense(5),
                       with_input=False)


@cache
def stacked_400000_words():
    L = _layers()
    return _sequential(L.Embedding(400000, 50), L.LSTM(128, return_sequences=True), L.LSTM(128), L.Dense(5))


def stacked_first_lstm_returns_last_state():
    L = _layers()  # building fails: the second LSTM gets (N, 128) instead of (N, T, 128)
    return _sequential(L.Embedding(400001, 50), L.LSTM(128), L.LSTM(128), L.Dense(5))


@cache
def stacked_both_return_sequences():
    L = _layers()
    return _sequential(L.Embedding(400001, 50), L.LSTM(128, return_sequences=True),
                       L.LSTM(128, return_sequences=True), L.Dense(5))


@cache
def stacked_gru():
    L = _layers()
    return _sequential(L.Embedding(400001, 50), L.GRU(128, return_sequences=True), L.GRU(128), L.Dense(5))


@cache
def stacked_one_output():
    L = _layers()
    return _sequential(L.Embedding(400001, 50), L.LSTM(128, return_sequences=True), L.LSTM(128),
                       L.Dense(1, activation="sigmoid"))


@cache
def bi_sequential():
    L = _layers()
    return _sequential(L.Embedding(10000, 32), L.Bidirectional(L.LSTM(32)), L.Dense(1, activation="sigmoid"))


@cache
def bi_functional_dropout():
    import keras

    L = _layers()
    ids = keras.Input((None,), dtype="int64")
    x = L.Embedding(10000, 32)(ids)
    x = L.Bidirectional(L.LSTM(32, dropout=0.2), merge_mode="concat")(x)
    return keras.Model(ids, L.Dense(1, activation="sigmoid")(L.Dropout(0.5)(x)))


@cache
def bi_not_built():
    L = _layers()
    return _sequential(L.Embedding(10000, 32), L.Bidirectional(L.LSTM(32)), L.Dense(1, activation="sigmoid"),
                       with_input=False)


@cache
def bi_missing():
    return imdb_sequential()


@cache
def bi_sum():
    L = _layers()
    return _sequential(L.Embedding(10000, 32), L.Bidirectional(L.LSTM(32), merge_mode="sum"),
                       L.Dense(1, activation="sigmoid"))


@cache
def bi_gru():
    L = _layers()
    return _sequential(L.Embedding(10000, 32), L.Bidirectional(L.GRU(32)), L.Dense(1, activation="sigmoid"))


@cache
def bi_sequences():
    L = _layers()
    return _sequential(L.Embedding(10000, 32), L.Bidirectional(L.LSTM(32, return_sequences=True)),
                       L.Dense(1, activation="sigmoid"))


# ---------------------------------------------------------------- the tables

WRONG = {
    "keras_simple_rnn_weights": {
        "a tuple instead of a list": (tuple_of_copies, "should be a list"),
        "Wx and Wh swapped": (kernels_swapped, "the kernel and the recurrent kernel are swapped"),
        "Wx transposed": (kernel_transposed, "the kernel is transposed: Keras's kernel has shape"),
        "bias dropped": (bias_dropped, "the bias is left out"),
        "the caller's arrays, not copies": (no_copy, "not a copy"),
        "bias of shape (1, H)": (rnn_bias_as_row, "b is given the shape"),
        "nested lists instead of arrays": (as_nested_lists, "should be a numpy array"),
    },
    "numpy_weights_from_keras_simple_rnn": {
        "the layer's variables": (from_variables, "a Keras variable"),
        "a list instead of a tuple": (from_as_list, "should return a tuple"),
        "kernel and recurrent kernel swapped": (from_swapped, "the kernel and the recurrent kernel are swapped"),
        "kernel transposed": (from_kernel_transposed, "the kernel is transposed"),
        "bias dropped": (from_bias_dropped, "the bias is left out"),
        "weights of a fresh layer": from_fresh_layer,
        "resets the layer it reads": (from_resets_layer, "changed its input layer in place"),
        "float16": from_float16,
    },
    "keras_lstm_weights": {
        "a tuple instead of a list": (tuple_of_copies, "should be a list"),
        "W and U swapped": (kernels_swapped, "the kernel and the recurrent kernel are swapped"),
        "W transposed": (kernel_transposed, "the kernel is transposed: Keras's kernel has shape"),
        "bias dropped": (bias_dropped, "the bias is left out"),
        "the caller's arrays, not copies": (no_copy, "not a copy"),
        "gates reordered i, f, o, c": (lstm_i_f_o_c, "the gate blocks are reordered as i, f, o, c"),
        "bias as (4, H)": (lstm_bias_by_gate, "has shape (4, 2); expected"),
    },
    "numpy_weights_from_keras_lstm": {
        "the layer's variables": (from_variables, "a Keras variable"),
        "a list instead of a tuple": (from_as_list, "should return a tuple"),
        "W and U swapped": (from_swapped, "the kernel and the recurrent kernel are swapped"),
        "W transposed": (from_kernel_transposed, "the kernel is transposed"),
        "bias dropped": (from_bias_dropped, "the bias is left out"),
        "gates reordered i, f, o, c": (from_lstm_i_f_o_c, "the gate blocks are reordered as i, f, o, c"),
        "weights of a fresh layer": from_fresh_layer,
    },
    "keras_gru_weights": {
        "a tuple instead of a list": (tuple_of_copies, "should be a list"),
        "bias rows swapped": (gru_bias_rows_swapped, "the two bias rows are swapped"),
        "bias flattened to (6H,)": (gru_bias_flat, "the bias is flattened to"),
        "input bias row only": (gru_input_bias_only, "only the input bias row is kept, shape"),
        "z and r blocks swapped": (gru_r_z_h, "the z and r blocks are swapped"),
        "W and U swapped": (kernels_swapped, "the kernel and the recurrent kernel are swapped"),
        "the caller's arrays, not copies": (no_copy, "not a copy"),
    },
    "numpy_weights_from_keras_gru": {
        "the layer's variables": (from_variables, "a Keras variable"),
        "a list instead of a tuple": (from_as_list, "should return a tuple"),
        "bias rows swapped": (from_gru_bias_rows_swapped, "the two bias rows are swapped"),
        "bias flattened": (from_gru_bias_flat, "the bias is flattened to"),
        "input bias row only": (from_gru_input_bias_only, "only the input bias row is kept"),
        "z and r blocks swapped": (from_gru_r_z_h, "the z and r blocks are swapped"),
        "W and U swapped": (from_swapped, "the kernel and the recurrent kernel are swapped"),
    },
    "build_imdb_lstm": {
        "not built (no Input)": (imdb_not_built, "the model is not built"),
        "GRU instead of LSTM": (imdb_gru, "a GRU is used instead of an LSTM"),
        "no sigmoid": (imdb_no_sigmoid, "the output layer has no sigmoid: a binary classifier outputs a probabi"),
        "vocabulary of 1000": (imdb_small_vocabulary, "input_dim is 1000; expected 10000"),
        "LSTM returns sequences": (imdb_sequences, "return_sequences is True; expected False"),
        "returns the count, not the model": (imdb_summary_only, "should return a keras Model"),
        "bidirectional": (bi_sequential, "the model's layers are ['Embedding', 'Bidirectional', 'Dense']"),
    },
    "build_stacked_lstm": {
        "not built (no Input)": (stacked_not_built, "the model is not built"),
        "400,000 words": (stacked_400000_words, "the vocabulary has 400,000 words"),
        "first LSTM without return_sequences": stacked_first_lstm_returns_last_state,
        "second LSTM returns sequences": (stacked_both_return_sequences, "return_sequences is True; expected False"),
        "GRUs instead of LSTMs": (stacked_gru, "expected ['Embedding', 'LSTM', 'LSTM', 'Dense']"),
        "one sigmoid output": (stacked_one_output, "units is 1; expected 5"),
    },
    "build_bidirectional_lstm": {
        "not built (no Input)": (bi_not_built, "the model is not built"),
        "Bidirectional missing": (bi_missing, "expected ['Embedding', 'Bidirectional', 'Dense']"),
        "merge_mode sum": (bi_sum, "the two directions are added"),
        "bidirectional GRU": (bi_gru, "type is 'GRU'; expected 'LSTM'"),
        "returns sequences": (bi_sequences, "return_sequences is True; expected False"),
    },
}

CORRECT = {
    "keras_simple_rnn_weights": {
        "float64 copies": list_of_copies,
        "copies in the input dtype": keeps_dtype,
        "reshaped copies": rnn_reshaped_copies,
        "float32 for Keras": float32_for_keras,
    },
    "numpy_weights_from_keras_simple_rnn": {
        "get_weights": from_get_weights,
        "variables converted": from_variables_converted,
        "cell attributes as float64": from_cell_attributes,
    },
    "keras_lstm_weights": {
        "float64 copies": list_of_copies,
        "np.split and concatenate": lstm_split_and_join,
        "slices per gate": lstm_gates_by_slicing,
        "float32 for Keras": float32_for_keras,
    },
    "numpy_weights_from_keras_lstm": {
        "get_weights": from_get_weights,
        "variables converted": from_variables_converted,
        "float64": from_float64,
    },
    "keras_gru_weights": {
        "float64 copies": list_of_copies,
        "bias rows stacked": gru_stacked_bias,
        "bias rebuilt row by row": gru_bias_rebuilt,
        "copies in the input dtype": keeps_dtype,
    },
    "numpy_weights_from_keras_gru": {
        "get_weights": from_get_weights,
        "cell attributes as float64": from_cell_attributes,
        "variables converted": from_variables_converted,
    },
    "build_imdb_lstm": {
        "Sequential": imdb_sequential,
        "functional, Activation layer, dropout": imdb_functional_with_activation_layer,
    },
    "build_stacked_lstm": {
        "Sequential": stacked_sequential,
        "as in the lecture, with Dropout and Activation": stacked_as_in_the_lecture,
    },
    "build_bidirectional_lstm": {
        "Sequential": bi_sequential,
        "functional with Dropout": bi_functional_dropout,
    },
}


# ---------------------------------------------------------------- new families: views, cells, stacking


def to_keras_asarray(W, U, b):
    return [np.asarray(W), np.asarray(U), np.asarray(b)]  # views of the caller's arrays, not copies


def to_keras_reshape_views(W, U, b):
    return [W.reshape(W.shape), U.reshape(U.shape), b.reshape(b.shape)]


def gru_to_keras_one_bias_row(W, U, b):
    return [np.array(W), np.array(U), np.array(np.asarray(b)[[0, 0]])]


def to_keras_copies_of_views(W, U, b):
    return [np.copy(W), U.copy(order="C"), np.array(b, dtype=np.float64)]


def to_keras_astype(W, U, b):
    return [a.astype(np.float64) for a in (W, U, b)]  # astype copies by default


@cache
def imdb_rnn_lstm_cell():
    L = _layers()
    return _sequential(L.Embedding(10000, 32), L.RNN(L.LSTMCell(32)), L.Dense(1, activation="sigmoid"))


@cache
def stacked_rnn_lstm_cells():
    import keras

    L = _layers()
    ids = keras.Input(shape=(None,), dtype="int32")
    h = L.RNN(L.LSTMCell(128), return_sequences=True)(L.Embedding(400001, 50)(ids))
    return keras.Model(ids, L.Dense(5)(L.RNN(L.LSTMCell(128))(h)))


@cache
def stacked_no_return_sequences_functional():
    import keras

    L = _layers()  # building fails: the second LSTM gets (N, 128) instead of (N, T, 128)
    ids = keras.Input(shape=(None,), dtype="int32")
    h = L.LSTM(128)(L.Embedding(400001, 50)(ids))
    return keras.Model(ids, L.Dense(5)(L.LSTM(128)(h)))


@cache
def bi_rnn_lstm_cell():
    L = _layers()
    return _sequential(L.Embedding(10000, 32), L.Bidirectional(L.RNN(L.LSTMCell(32))),
                       L.Dense(1, activation="sigmoid"))


@cache
def imdb_rnn_gru_cell():
    L = _layers()
    return _sequential(L.Embedding(10000, 32), L.RNN(L.GRUCell(32)), L.Dense(1, activation="sigmoid"))


for _kind in ("simple_rnn", "lstm", "gru"):
    WRONG[f"keras_{_kind}_weights"].update({
        "np.asarray views of the inputs": (to_keras_asarray, "not a copy"),
        "reshape views of the inputs": (to_keras_reshape_views, "not a copy"),
    })
    CORRECT[f"keras_{_kind}_weights"].update({
        "np.copy, .copy and np.array": to_keras_copies_of_views,
        "astype (a copy)": to_keras_astype,
    })
WRONG["keras_gru_weights"]["one bias row for both"] = (gru_to_keras_one_bias_row, "one bias row is used for both")
WRONG["build_stacked_lstm"]["first LSTM without return_sequences"] = (
    stacked_first_lstm_returns_last_state, "return_sequences=True")
WRONG["build_stacked_lstm"]["functional, first LSTM without return_sequences"] = (
    stacked_no_return_sequences_functional, "return_sequences=True")
WRONG["build_imdb_lstm"]["RNN(GRUCell) instead of an LSTM"] = (imdb_rnn_gru_cell, "a GRU is used instead of an LSTM")
CORRECT["build_imdb_lstm"]["RNN(LSTMCell(32))"] = imdb_rnn_lstm_cell
CORRECT["build_stacked_lstm"]["functional, RNN(LSTMCell(128)) twice"] = stacked_rnn_lstm_cells
CORRECT["build_bidirectional_lstm"]["Bidirectional(RNN(LSTMCell(32)))"] = bi_rnn_lstm_cell


# ---------------------------------------------------------------- PyTorch's LSTM layout


def torch_transposed_copies(weight_ih, weight_hh, bias_ih, bias_hh):
    return (np.array(weight_ih, dtype=np.float64).T.copy(), np.array(weight_hh, dtype=np.float64).T.copy(),
            np.asarray(bias_ih, dtype=np.float64) + np.asarray(bias_hh, dtype=np.float64))


def torch_gate_by_gate(weight_ih, weight_hh, bias_ih, bias_hh):
    H = np.shape(weight_hh)[1]
    blocks = [slice(k * H, (k + 1) * H) for k in range(4)]  # i, f, g, o = Keras's i, f, c, o
    W = np.concatenate([np.asarray(weight_ih)[s].T for s in blocks], axis=1).astype(np.float64)
    U = np.concatenate([np.asarray(weight_hh)[s].T for s in blocks], axis=1).astype(np.float64)
    b = np.concatenate([np.asarray(bias_ih)[s] + np.asarray(bias_hh)[s] for s in blocks]).astype(np.float64)
    return W, U, b


def torch_einsum(weight_ih, weight_hh, bias_ih, bias_hh):
    W = np.einsum("gd->dg", np.asarray(weight_ih, dtype=np.float64)).copy()
    U = np.einsum("gh->hg", np.asarray(weight_hh, dtype=np.float64)).copy()
    return W, U, np.add(bias_ih, bias_hh, dtype=np.float64)


def torch_float32_inputs_kept(weight_ih, weight_hh, bias_ih, bias_hh):
    return np.transpose(weight_ih).copy(), np.transpose(weight_hh).copy(), np.asarray(bias_ih) + np.asarray(bias_hh)


def torch_not_transposed(weight_ih, weight_hh, bias_ih, bias_hh):
    return (np.array(weight_ih, dtype=np.float64), np.array(weight_hh, dtype=np.float64),
            np.asarray(bias_ih, dtype=np.float64) + bias_hh)


def torch_ih_bias_only(weight_ih, weight_hh, bias_ih, bias_hh):
    return (np.array(weight_ih, dtype=np.float64).T.copy(), np.array(weight_hh, dtype=np.float64).T.copy(),
            np.array(bias_ih, dtype=np.float64))


def torch_hh_bias_only(weight_ih, weight_hh, bias_ih, bias_hh):
    return (np.array(weight_ih, dtype=np.float64).T.copy(), np.array(weight_hh, dtype=np.float64).T.copy(),
            np.array(bias_hh, dtype=np.float64))


def torch_reshaped(weight_ih, weight_hh, bias_ih, bias_hh):
    D, H = np.shape(weight_ih)[1], np.shape(weight_hh)[1]
    return (np.array(weight_ih, dtype=np.float64).reshape(D, 4 * H),
            np.array(weight_hh, dtype=np.float64).reshape(H, 4 * H), np.asarray(bias_ih, dtype=np.float64) + bias_hh)


def torch_gates_reordered(weight_ih, weight_hh, bias_ih, bias_hh):
    # "g is the cell candidate, so it goes last": i, f, o, g
    W, U, b = torch_transposed_copies(weight_ih, weight_hh, bias_ih, bias_hh)
    H = U.shape[0]
    order = [0, 1, 3, 2]
    return tuple(np.concatenate([a[..., k * H:(k + 1) * H] for k in order], axis=-1) for a in (W, U, b))


def torch_views(weight_ih, weight_hh, bias_ih, bias_hh):
    return weight_ih.T, weight_hh.T, bias_ih + bias_hh


def torch_recurrent_not_transposed(weight_ih, weight_hh, bias_ih, bias_hh):
    return (np.array(weight_ih, dtype=np.float64).T.copy(), np.array(weight_hh, dtype=np.float64),
            np.asarray(bias_ih, dtype=np.float64) + bias_hh)


# ---------------------------------------------------------------- GRU with reset_after=False


def _sigmoid(z):
    return np.where(z >= 0, 1 / (1 + np.exp(-np.abs(z))), np.exp(-np.abs(z)) / (1 + np.exp(-np.abs(z))))


def _gru_loop(x, h0, W, U, b, candidate, update=None, zero_h0=False, last_only=False, order=(0, 1, 2)):
    x = np.asarray(x, dtype=np.float64)
    h = np.zeros(np.shape(h0)) if zero_h0 else np.asarray(h0, dtype=np.float64)
    W, U, b = (np.asarray(a, dtype=np.float64) for a in (W, U, b))
    H = h.shape[1]
    blocks = [slice(k * H, (k + 1) * H) for k in order]
    out = []
    for t in range(x.shape[1]):
        z = _sigmoid(x[:, t] @ W[:, blocks[0]] + h @ U[:, blocks[0]] + b[blocks[0]])
        r = _sigmoid(x[:, t] @ W[:, blocks[1]] + h @ U[:, blocks[1]] + b[blocks[1]])
        c = candidate(x[:, t] @ W[:, blocks[2]], h, r, U[:, blocks[2]], b[blocks[2]])
        h = (update or (lambda z, h, c: z * h + (1 - z) * c))(z, h, c)
        out.append(h)
    return out[-1] if last_only else np.stack(out, axis=1)


def _before(xw, h, r, Uh, bh):
    return np.tanh(xw + (r * h) @ Uh + bh)


def gru_before_loop(x, h0, W, U, b):
    return _gru_loop(x, h0, W, U, b, _before)


def gru_before_preallocated(x, h0, W, U, b):
    x = np.asarray(x, dtype=np.float64)
    N, T, _ = x.shape
    H = np.shape(h0)[1]
    Wz, Wr, Wh = np.split(np.asarray(W, dtype=np.float64), 3, axis=1)
    Uz, Ur, Uh = np.split(np.asarray(U, dtype=np.float64), 3, axis=1)
    bz, br, bh = np.split(np.asarray(b, dtype=np.float64), 3)
    hs = np.empty((N, T, H))
    h = np.array(h0, dtype=np.float64)
    for t in range(T):
        z = 1 / (1 + np.exp(-(x[:, t] @ Wz + h @ Uz + bz)))
        r = 1 / (1 + np.exp(-(x[:, t] @ Wr + h @ Ur + br)))
        h = z * h + (1 - z) * np.tanh(x[:, t] @ Wh + (r * h) @ Uh + bh)
        hs[:, t] = h
    return hs


def gru_before_time_major(x, h0, W, U, b):
    xs = np.transpose(np.asarray(x, dtype=np.float64), (1, 0, 2))  # (T, N, D)
    H = np.shape(h0)[1]
    W, U, b = (np.asarray(a, dtype=np.float64) for a in (W, U, b))
    pre_x = xs @ W + b  # (T, N, 3H): every input part at once
    h, states = np.asarray(h0, dtype=np.float64), []
    for px in pre_x:
        zr = _sigmoid(px[:, :2 * H] + h @ U[:, :2 * H])
        z, r = zr[:, :H], zr[:, H:]
        h = z * h + (1 - z) * np.tanh(px[:, 2 * H:] + (r * h) @ U[:, 2 * H:])
        states.append(h)
    return np.transpose(np.array(states), (1, 0, 2))


def gru_reset_after_product(x, h0, W, U, b):
    return _gru_loop(x, h0, W, U, b, lambda xw, h, r, Uh, bh: np.tanh(xw + r * (h @ Uh) + bh))


def gru_reset_after_with_bias(x, h0, W, U, b):
    return _gru_loop(x, h0, W, U, b, lambda xw, h, r, Uh, bh: np.tanh(xw + r * (h @ Uh + bh)))


def gru_no_reset(x, h0, W, U, b):
    return _gru_loop(x, h0, W, U, b, lambda xw, h, r, Uh, bh: np.tanh(xw + h @ Uh + bh))


def gru_update_swapped(x, h0, W, U, b):
    return _gru_loop(x, h0, W, U, b, _before, update=lambda z, h, c: (1 - z) * h + z * c)


def gru_z_r_swapped(x, h0, W, U, b):
    return _gru_loop(x, h0, W, U, b, _before, order=(1, 0, 2))


def gru_h0_ignored(x, h0, W, U, b):
    return _gru_loop(x, h0, W, U, b, _before, zero_h0=True)


def gru_last_state(x, h0, W, U, b):
    return _gru_loop(x, h0, W, U, b, _before, last_only=True)


def gru_float32(x, h0, W, U, b):
    return gru_before_loop(x, h0, W, U, b).astype(np.float32)


WRONG["lstm_weights_from_pytorch"] = {
    "not transposed": (torch_not_transposed, "weight_ih and weight_hh are not transposed"),
    "only weight_ih transposed": (torch_recurrent_not_transposed, "weight_ih is transposed but weight_hh is not"),
    "reshaped instead of transposed": (torch_reshaped, "reshaped instead of transposed"),
    "only bias_ih": (torch_ih_bias_only, "only bias_ih is used"),
    "only bias_hh": (torch_hh_bias_only, "only bias_hh is used"),
    "gates reordered i, f, o, g": (torch_gates_reordered, "the gate blocks are reordered as i, f, o, g"),
    "views of the arguments": (torch_views, "not a copy"),
}
WRONG["gru_reset_before_forward"] = {
    "reset after the product": (gru_reset_after_product, "the reset gate multiplies the product, r * (h U_h)"),
    "reset after, bias inside": (gru_reset_after_with_bias, "the reset gate multiplies (h U_h + b_h)"),
    "no reset": (gru_no_reset, "the reset gate is left out of the candidate"),
    "z and 1 - z swapped": (gru_update_swapped, "z and 1 - z are swapped"),
    "z and r blocks swapped": (gru_z_r_swapped, "the z and r blocks are swapped"),
    "h0 ignored": (gru_h0_ignored, "h0 is ignored"),
    "last state only": (gru_last_state, "only the last state is returned"),
    "float32 result": (gru_float32, "do not cast to a lower precision"),
}
CORRECT["lstm_weights_from_pytorch"] = {
    "transposed copies": torch_transposed_copies,
    "gate by gate": torch_gate_by_gate,
    "einsum": torch_einsum,
    "contiguous copies in the input dtype": torch_float32_inputs_kept,
}
CORRECT["gru_reset_before_forward"] = {
    "loop with block slices": gru_before_loop,
    "np.split and a preallocated result": gru_before_preallocated,
    "time-major with the input parts precomputed": gru_before_time_major,
}
