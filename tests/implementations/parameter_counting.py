"""Implementations of sprint 05_parameter_counting problems, written the way students write them."""

import math

import numpy as np

# ---------------------------------------------------------------- simple_rnn_params


def rnn_no_bias(input_dim, units):
    return input_dim * units + units * units


def rnn_recurrent_h_by_d(input_dim, units):
    return input_dim * units + units * input_dim + units


def rnn_no_recurrent(input_dim, units):
    return input_dim * units + units


def rnn_two_biases(input_dim, units):
    return input_dim * units + units * units + 2 * units


def rnn_float(input_dim, units):
    return float(units * (input_dim + units + 1))


def rnn_concat_formula(input_dim, units):
    return units * (input_dim + units) + units


def rnn_shapes(input_dim, units):
    shapes = [(input_dim, units), (units, units), (units,)]
    return sum(int(np.prod(s)) for s in shapes)


def rnn_numpy_scalar(input_dim, units):
    return np.int64(units) * (input_dim + 1) + units**2


# ---------------------------------------------------------------- lstm_params


def lstm_three_blocks(input_dim, units):
    return 3 * (units * (input_dim + units) + units)


def lstm_one_block(input_dim, units):
    return units * (input_dim + units) + units


def lstm_no_bias(input_dim, units):
    return 4 * units * (units + input_dim)


def lstm_bias_once(input_dim, units):
    return 4 * units * (units + input_dim) + units


def lstm_recurrent_h_by_d(input_dim, units):
    return 4 * (2 * input_dim * units + units)


def lstm_pytorch_biases(input_dim, units):
    return 4 * (units * (input_dim + units) + 2 * units)


def lstm_float(input_dim, units):
    return 4.0 * (units * (input_dim + units) + units)


def lstm_formula(input_dim, units):
    return 4 * (units * (input_dim + units) + units)


def lstm_per_gate(input_dim, units):
    total = 0
    for _gate in ("i", "f", "c", "o"):
        total += input_dim * units + units * units + units
    return total


def lstm_math_prod(input_dim, units):
    H4 = 4 * units
    return math.prod((input_dim, H4)) + math.prod((units, H4)) + H4


# ---------------------------------------------------------------- gru_params


def gru_one_bias_row(input_dim, units, reset_after=True):
    return 3 * (units * (input_dim + units) + units)


def gru_two_bias_rows(input_dim, units, reset_after=True):
    return 3 * (units * (input_dim + units) + 2 * units)


def gru_default_false(input_dim, units, reset_after=False):
    rows = 2 if reset_after else 1
    return 3 * units * (input_dim + units) + rows * 3 * units


def gru_four_blocks(input_dim, units, reset_after=True):
    rows = 2 if reset_after else 1
    return 4 * units * (input_dim + units) + rows * 4 * units


def gru_recurrent_h_by_d(input_dim, units, reset_after=True):
    rows = 2 if reset_after else 1
    return 3 * 2 * input_dim * units + rows * 3 * units


def gru_float(input_dim, units, reset_after=True):
    rows = 2 if reset_after else 1
    return 3 * units * (input_dim + units) + rows * 3 * units / 1


def gru_formula(input_dim, units, reset_after=True):
    return 3 * units * (input_dim + units) + (2 if reset_after else 1) * 3 * units


def gru_shapes(input_dim, units, reset_after=True):
    bias_shape = (2, 3 * units) if reset_after else (3 * units,)
    shapes = [(input_dim, 3 * units), (units, 3 * units), bias_shape]
    return int(sum(np.prod(s) for s in shapes))


# ---------------------------------------------------------------- embedding_params


def embedding_with_bias(input_dim, output_dim):
    return input_dim * output_dim + output_dim


def embedding_extra_row(input_dim, output_dim):
    return (input_dim + 1) * output_dim


def embedding_sum(input_dim, output_dim):
    return input_dim + output_dim


def embedding_bias_per_token(input_dim, output_dim):
    return input_dim * output_dim + input_dim


def embedding_float(input_dim, output_dim):
    return input_dim * output_dim * 1.0


def embedding_product(input_dim, output_dim):
    return input_dim * output_dim


def embedding_zeros_size(input_dim, output_dim):
    return np.zeros((input_dim, output_dim), dtype=np.int8).size


# ---------------------------------------------------------------- dense_params


def dense_never_bias(input_dim, units, use_bias=True):
    return input_dim * units


def dense_always_bias(input_dim, units, use_bias=True):
    return input_dim * units + units


def dense_default_false(input_dim, units, use_bias=False):
    return input_dim * units + (units if use_bias else 0)


def dense_bias_of_input_size(input_dim, units, use_bias=True):
    return input_dim * units + (input_dim if use_bias else 0)


def dense_extra_unit(input_dim, units, use_bias=True):
    return (input_dim + 1) * (units + 1) if use_bias else input_dim * units


def dense_float(input_dim, units, use_bias=True):
    return (input_dim + use_bias) * units / 1


def dense_bool_arithmetic(input_dim, units, use_bias=True):
    return (input_dim + int(use_bias)) * units


def dense_branches(input_dim, units, use_bias=True):
    kernel = input_dim * units
    if use_bias:
        return kernel + units
    return kernel


# ---------------------------------------------------------------- bidirectional_params


def bi_not_doubled(layer_params):
    return layer_params


def bi_quadrupled(layer_params):
    return 4 * layer_params


def bi_squared(layer_params):
    return layer_params**2


def bi_merge_bias(layer_params):
    return 2 * layer_params + 1


def bi_float(layer_params):
    return layer_params * 2.0


def bi_string(layer_params):
    return f"{2 * layer_params:,}"


def bi_double(layer_params):
    return 2 * layer_params


def bi_sum_of_directions(layer_params):
    directions = {"forward": layer_params, "backward": layer_params}
    return sum(directions.values())


# ---------------------------------------------------------------- diagnose_fit


def _overfitting(t, v, val_losses):
    return v > 1.2 * t or v > 1.1 * min(val_losses)


def fit_gap_only(train_losses, val_losses, baseline_loss):
    t, v = train_losses[-1], val_losses[-1]
    if v > 1.2 * t:
        return "overfitting"
    return "underfitting" if v > 0.5 * baseline_loss else "good fit"


def fit_rise_only(train_losses, val_losses, baseline_loss):
    v = val_losses[-1]
    if v > 1.1 * min(val_losses):
        return "overfitting"
    return "underfitting" if v > 0.5 * baseline_loss else "good fit"


def fit_absolute_gap(train_losses, val_losses, baseline_loss):
    t, v = train_losses[-1], val_losses[-1]
    if v - t > 0.2 or v > 1.1 * min(val_losses):
        return "overfitting"
    return "underfitting" if v > 0.5 * baseline_loss else "good fit"


def fit_any_rise(train_losses, val_losses, baseline_loss):
    t, v = train_losses[-1], val_losses[-1]
    if v > 1.2 * t or v > min(val_losses):
        return "overfitting"
    return "underfitting" if v > 0.5 * baseline_loss else "good fit"


def fit_underfitting_first(train_losses, val_losses, baseline_loss):
    t, v = train_losses[-1], val_losses[-1]
    if v > 0.5 * baseline_loss:
        return "underfitting"
    if _overfitting(t, v, val_losses):
        return "overfitting"
    return "good fit"


def fit_first_epoch_rule(train_losses, val_losses, baseline_loss):
    # the earlier rule of thumb: "the validation loss has not even halved since the first epoch"
    t, v = train_losses[-1], val_losses[-1]
    if _overfitting(t, v, val_losses):
        return "overfitting"
    return "underfitting" if v > 0.5 * val_losses[0] else "good fit"


def fit_underfitting_on_train(train_losses, val_losses, baseline_loss):
    t, v = train_losses[-1], val_losses[-1]
    if _overfitting(t, v, val_losses):
        return "overfitting"
    return "underfitting" if t > 0.5 * baseline_loss else "good fit"


def fit_whole_baseline(train_losses, val_losses, baseline_loss):
    t, v = train_losses[-1], val_losses[-1]
    if _overfitting(t, v, val_losses):
        return "overfitting"
    return "underfitting" if v > baseline_loss else "good fit"


def fit_equal_means_underfitting(train_losses, val_losses, baseline_loss):
    t, v = train_losses[-1], val_losses[-1]
    if _overfitting(t, v, val_losses):
        return "overfitting"
    return "underfitting" if abs(v - t) <= 0.2 * t else "good fit"


def fit_swapped(train_losses, val_losses, baseline_loss):
    return fit_reference_style(val_losses, train_losses, baseline_loss)


def fit_snake_case(train_losses, val_losses, baseline_loss):
    label = fit_reference_style(train_losses, val_losses, baseline_loss)
    return label.replace(" ", "_")


def fit_reference_style(train_losses, val_losses, baseline_loss):
    train = np.asarray(train_losses, dtype=np.float64)
    val = np.asarray(val_losses, dtype=np.float64)
    if val[-1] > 1.2 * train[-1] or val[-1] > 1.1 * val.min():
        return "overfitting"
    if val[-1] > 0.5 * baseline_loss:
        return "underfitting"
    return "good fit"


def fit_plain_python(train_losses, val_losses, baseline_loss):
    train, val = list(train_losses), list(val_losses)
    best = val[0]
    for loss in val:
        best = loss if loss < best else best
    final_train, final_val = float(train[-1]), float(val[-1])
    gap = final_val / final_train if final_train > 0 else math.inf
    rise = final_val / float(best)
    if gap > 1.2 or rise > 1.1:
        return "overfitting"
    if final_val / float(baseline_loss) > 0.5:
        return "underfitting"
    return "good fit"


def fit_float32_sorted(train_losses, val_losses, baseline_loss):
    val = np.array(val_losses, dtype=np.float32)
    t, v, b = float(train_losses[-1]), float(val[-1]), float(np.float32(baseline_loss))
    best = float(np.sort(val)[0])
    overfitting = (v - t) > 0.2 * t or (v - best) > 0.1 * best
    return "overfitting" if overfitting else ("underfitting" if 2 * v > b else "good fit")


WRONG = {
    "simple_rnn_params": {
        "no bias": (rnn_no_bias, "the bias is left out"),
        "recurrent weights H x D": (
            rnn_recurrent_h_by_d, "the recurrent weights are counted as units x input_dim instead of unit"),
        "no recurrent weights": (rnn_no_recurrent, "the recurrent weights Wh are left out"),
        "two bias vectors": (rnn_two_biases, "two bias vectors are counted"),
        "float result": (rnn_float, "use integer arithmetic"),
    },
    "lstm_params": {
        "three blocks": (lstm_three_blocks, "only three blocks are counted"),
        "one block": (lstm_one_block, "only one block is counted"),
        "no bias": (lstm_no_bias, "the biases are left out"),
        "bias counted once for the layer": (
            lstm_bias_once, "the bias is counted once for the whole layer instead of once per block"),
        "recurrent weights H x D": (
            lstm_recurrent_h_by_d, "the recurrent weights are counted as units x input_dim instead of unit"),
        "two biases per block": (lstm_pytorch_biases, "two bias vectors per block are counted"),
        "float result": (lstm_float, "use integer arithmetic"),
    },
    "gru_params": {
        "reset_after ignored, one bias row": (
            gru_one_bias_row, "reset_after is ignored and one bias row is always counted"),
        "reset_after ignored, two bias rows": (
            gru_two_bias_rows, "reset_after is ignored and two bias rows are always counted"),
        "reset_after defaults to False": (gru_default_false, "reset_after defaults to False"),
        "four blocks": (gru_four_blocks, "four blocks are counted"),
        "recurrent weights H x D": (
            gru_recurrent_h_by_d, "the recurrent weights are counted as units x input_dim instead of unit"),
        "float result": (gru_float, "use integer arithmetic"),
    },
    "embedding_params": {
        "extra bias": (embedding_with_bias, "a bias vector of output_dim numbers"),
        "extra row": (embedding_extra_row, "a bias vector of output_dim numbers"),
        "sum instead of product": (embedding_sum, "the two sizes are added instead of multiplied"),
        "bias per token": (embedding_bias_per_token, "a bias per token is added"),
        "float result": (embedding_float, "use integer arithmetic"),
    },
    "dense_params": {
        "bias never counted": (dense_never_bias, "the bias is never counted"),
        "bias always counted": (dense_always_bias, "the bias is counted even with use_bias=False"),
        "use_bias defaults to False": (dense_default_false, "use_bias defaults to False"),
        "bias of input size": (dense_bias_of_input_size, "the bias is given input_dim numbers instead of units"),
        "extra input and extra unit": (dense_extra_unit, "the bias is counted as one extra input and one extra unit"),
        "float result": (dense_float, "use integer arithmetic"),
    },
    "bidirectional_params": {
        "not doubled": (bi_not_doubled, "the count is not doubled"),
        "quadrupled": (bi_quadrupled, "the count is multiplied by 4 instead of 2"),
        "squared": (bi_squared, "the count is squared instead of doubled"),
        "merge bias": (bi_merge_bias, "one extra parameter is added for merging the two directions"),
        "float result": (bi_float, "use integer arithmetic"),
        "formatted string": (bi_string, "should be an int"),
    },
    "diagnose_fit": {
        "gap only": (fit_gap_only, "a validation loss rising from its minimum is not treated as overfittin"),
        "rise only": (fit_rise_only, "a final validation loss far above the training loss is not treated as"),
        "absolute gap": fit_absolute_gap,
        "any rise": (fit_any_rise, "any rise of the validation loss"),
        "underfitting tested first": fit_underfitting_first,
        "the first epoch's validation loss as the yardstick": (
            fit_first_epoch_rule, "underfitting is judged against the first epoch's validation loss"),
        "underfitting judged on training loss": (
            fit_underfitting_on_train, "underfitting is judged on the training loss"),
        "the whole baseline as the threshold": (fit_whole_baseline, "v > baseline_loss instead of"),
        "about equal means underfitting": (
            fit_equal_means_underfitting, "validation about equal to training is called underfitting whatever the"),
        "arguments swapped": fit_swapped,
        "labels with underscores": (fit_snake_case, "is not one of"),
    },
}

CORRECT = {
    "simple_rnn_params": {
        "concatenated-input formula": rnn_concat_formula,
        "sum over weight shapes": rnn_shapes,
        "numpy integer": rnn_numpy_scalar,
    },
    "lstm_params": {
        "formula": lstm_formula,
        "gate by gate": lstm_per_gate,
        "math.prod of shapes": lstm_math_prod,
    },
    "gru_params": {
        "formula": gru_formula,
        "sum over weight shapes": gru_shapes,
    },
    "embedding_params": {
        "product": embedding_product,
        "size of a table": embedding_zeros_size,
    },
    "dense_params": {
        "boolean as an integer": dense_bool_arithmetic,
        "branches": dense_branches,
    },
    "bidirectional_params": {
        "doubled": bi_double,
        "one copy per direction": bi_sum_of_directions,
    },
    "diagnose_fit": {
        "numpy arrays": fit_reference_style,
        "plain Python loop": fit_plain_python,
        "float32 and sorting": fit_float32_sorted,
    },
}


# ---------------------------------------------------------------- new families: numpy ints, big counts, views


def embedding_int32(input_dim, output_dim):
    return int(np.multiply(input_dim, output_dim, dtype=np.int32))  # wraps above 2**31 - 1


def embedding_prod_of_shape(input_dim, output_dim):
    return int(np.prod(np.array([input_dim, output_dim], dtype=np.int64)))


def lstm_numpy_ints_out(input_dim, units):
    D, H = np.int64(input_dim), np.int64(units)
    return 4 * (D * H + H * H + H)  # a numpy integer


def lstm_float_division(input_dim, units):
    return 4 * (input_dim * units + units * units + units) / 1  # a float


def rnn_via_shapes_list(input_dim, units):
    shapes = [(input_dim, units), (units, units), (units,)]
    return sum(int(np.prod(s)) for s in shapes)


def fit_sorts_val_in_place(train_losses, val_losses, baseline_loss):
    v, t = val_losses[-1], train_losses[-1]
    val_losses.sort()  # to find the minimum: sorts the caller's list or array
    if v > 1.2 * t or v > 1.1 * val_losses[0]:
        return "overfitting"
    return "underfitting" if v > 0.5 * baseline_loss else "good fit"


def fit_python_min(train_losses, val_losses, baseline_loss):
    v, t = float(val_losses[-1]), float(train_losses[-1])
    if v > 1.2 * t or v > 1.1 * min(float(x) for x in val_losses):
        return "overfitting"
    return "underfitting" if v > 0.5 * float(baseline_loss) else "good fit"


def fit_sorted_copy(train_losses, val_losses, baseline_loss):
    best = sorted(np.asarray(val_losses, dtype=np.float64).tolist())[0]
    v, t = float(np.asarray(val_losses)[-1]), float(np.asarray(train_losses)[-1])
    verdict = "overfitting" if v > 1.2 * t or v > 1.1 * best else None
    return verdict or ("underfitting" if v / baseline_loss > 0.5 else "good fit")


WRONG["embedding_params"]["np.int32 arithmetic"] = (embedding_int32, "32-bit integers")
WRONG["lstm_params"]["divides by 1 (a float)"] = (lstm_float_division, "use integer arithmetic")
WRONG["diagnose_fit"]["sorts val_losses in place"] = (fit_sorts_val_in_place, "changed its input val_losses in place")
CORRECT["embedding_params"]["np.prod in int64"] = embedding_prod_of_shape
CORRECT["lstm_params"]["numpy integers"] = lstm_numpy_ints_out
CORRECT["simple_rnn_params"]["product of each weight shape"] = rnn_via_shapes_list
CORRECT["diagnose_fit"].update({"Python min over floats": fit_python_min, "sorted copy": fit_sorted_copy})
