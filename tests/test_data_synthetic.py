"""The synthetic tasks: deterministic for a seed, the documented shapes and ranges, the task's rules."""

import numpy as np
import pytest

from data import synthetic as syn

# ---------------------------------------------------------------- the adding problem


def test_adding_problem_is_deterministic_and_seeded():
    X1, y1 = syn.adding_problem(20, 9, seed=4)
    X2, y2 = syn.adding_problem(20, 9, seed=4)
    X3, _ = syn.adding_problem(20, 9, seed=5)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    assert not np.array_equal(X1, X3)


@pytest.mark.parametrize("n, T", [(1, 2), (7, 3), (50, 10), (200, 41)])
def test_adding_problem_shapes_markers_and_target(n, T):
    X, y = syn.adding_problem(n, T, seed=n + T)
    assert X.shape == (n, T, 2) and y.shape == (n,)
    assert X.dtype == y.dtype == np.float32
    values, markers = X[..., 0], X[..., 1]
    assert np.all((values >= 0) & (values < 1))
    assert set(np.unique(markers)) <= {0.0, 1.0} and np.all(markers.sum(axis=1) == 2)
    half = T // 2
    assert np.all(markers[:, :half].sum(axis=1) == 1) and np.all(markers[:, half:].sum(axis=1) == 1)
    np.testing.assert_allclose(y, (values * markers).sum(axis=1), rtol=1e-6)


def test_adding_problem_baseline_is_one_sixth():
    X, y = syn.adding_problem(20000, 30, seed=0, dtype=np.float64)
    assert X.dtype == np.float64
    assert abs(np.mean((y - 1.0) ** 2) - 1 / 6) < 0.01  # the variance of the sum of two U(0, 1)
    positions = np.argmax(X[..., 1], axis=1)  # the first marker: uniform over the first half
    counts = np.bincount(positions, minlength=15)
    assert counts[15:].sum() == 0 and counts.min() > 0.8 * counts.mean()


def test_adding_problem_rejects_too_short_sequences():
    with pytest.raises(ValueError):
        syn.adding_problem(3, 1, seed=0)


# ---------------------------------------------------------------- the Reber grammars


@pytest.mark.parametrize("s", ["BTXSE", "BPVVE", "BTSSXXTVVE", "BPTVPXVVE", "BTXXVPSE", "BPVPXVPXVVE"])
def test_known_reber_strings_are_accepted(s):
    assert syn.is_reber(s)
    assert syn.is_embedded_reber("BT" + s + "TE") and syn.is_embedded_reber("BP" + s + "PE")


@pytest.mark.parametrize("s", ["", "BE", "TXSE", "BTXS", "BTXSEE", "BTSE", "BPVE", "BTXXE", "BXSE", "BTXSXE"])
def test_strings_outside_the_grammar_are_rejected(s):
    assert not syn.is_reber(s)


def test_embedded_strings_need_the_same_symbol_at_both_ends():
    assert not syn.is_embedded_reber("BTBTXSEPE")
    assert not syn.is_embedded_reber("BSBTXSESE")
    assert not syn.is_embedded_reber("BTXSE")


def test_generated_reber_strings_follow_the_grammar():
    rng = np.random.default_rng(0)
    strings = [syn.reber_string(rng) for _ in range(500)]
    assert all(syn.is_reber(s) for s in strings)
    assert min(len(s) for s in strings) == 5  # BTXSE and BPVVE are the shortest
    # every transition of the automaton shows up
    pairs = {s[i:i + 2] for s in strings for i in range(len(s) - 1)}
    for a, b in ["BT", "BP", "TS", "SS", "TX", "XS", "XX", "PT", "TT", "TV", "VP", "PX", "VV", "SE", "VE"]:
        assert a + b in pairs, a + b


def test_embedded_reber_task():
    strings, X, y = syn.embedded_reber(300, seed=1)
    assert len(strings) == 300 and all(syn.is_embedded_reber(s) for s in strings)
    T = max(len(s) for s in strings) - 2
    assert X.shape == (300, T, 7) and X.dtype == np.float32 and y.shape == (300,) and y.dtype == np.int64
    np.testing.assert_array_equal(y, [s[1] == "P" for s in strings])
    assert 0.35 < y.mean() < 0.65
    # each row is the one-hot string without its last two symbols, padded with zeros at the front
    for s, x in zip(strings[:40], X[:40]):
        shown = s[:-2]
        assert np.all(x[: T - len(shown)] == 0)
        decoded = "".join(syn.REBER_SYMBOLS[i] for i in x[T - len(shown):].argmax(axis=1))
        assert decoded == shown and np.all(x[T - len(shown):].sum(axis=1) == 1)
        assert shown.endswith("E") and shown[1] == s[-2]  # the answer is the symbol after the inner E


def test_embedded_reber_is_deterministic_and_respects_lengths():
    a = syn.embedded_reber(50, seed=7, min_length=15, max_length=20)
    b = syn.embedded_reber(50, seed=7, min_length=15, max_length=20)
    assert a[0] == b[0]
    np.testing.assert_array_equal(a[1], b[1])
    assert all(15 <= len(s) <= 20 for s in a[0])
    assert syn.embedded_reber(50, seed=8)[0] != syn.embedded_reber(50, seed=7)[0]
    with pytest.raises(ValueError):
        syn.embedded_reber(5, seed=0, max_length=8)


def test_encode_reber_pads_and_refuses_long_strings():
    X = syn.encode_reber(["BTXSE", "BP"], length=6)
    assert X.shape == (2, 6, 7)
    assert X[1, :4].sum() == 0 and X[1, 4, syn.REBER_SYMBOLS.index("B")] == 1
    with pytest.raises(ValueError):
        syn.encode_reber(["BTSSXXTVVE"], length=4)


# ---------------------------------------------------------------- moving squares


def square_corners(frame):
    rows, cols = np.nonzero(frame[..., 0])
    return rows.min(), cols.min(), rows.max() - rows.min() + 1, cols.max() - cols.min() + 1


def test_moving_squares_shapes_and_values():
    video = syn.moving_squares(6, 9, 12, seed=0)
    assert video.shape == (6, 9, 12, 12, 1) and video.dtype == np.float32
    assert set(np.unique(video)) == {0.0, 1.0}
    assert np.all(video.sum(axis=(2, 3, 4)) == 9)  # one 3 x 3 square (12 // 4) in every frame
    np.testing.assert_array_equal(video, syn.moving_squares(6, 9, 12, seed=0))
    assert not np.array_equal(video, syn.moving_squares(6, 9, 12, seed=1))


def test_moving_squares_glide_and_bounce():
    video = syn.moving_squares(30, 20, 10, seed=3, square=2, max_speed=2)
    room, speed = 10 - 2, 2
    moved = 0
    for clip in video:
        corners = np.array([square_corners(f)[:2] for f in clip])  # (frames, 2)
        assert all(square_corners(f)[2:] == (2, 2) for f in clip)
        assert corners.min() >= 0 and corners.max() <= room
        steps = np.diff(corners, axis=0)  # (frames - 1, 2)
        assert np.abs(steps).max() <= speed
        moved += np.any(steps != 0)
        for axis in range(2):
            # away from the edges the square keeps its velocity
            inside = (corners[:, axis] >= speed) & (corners[:, axis] <= room - speed)
            for t in range(len(steps) - 1):
                if inside[t] and inside[t + 1] and inside[t + 2]:
                    assert steps[t + 1, axis] == steps[t, axis]
    assert moved == 30  # never a square that stands still


def test_moving_squares_two_frames_fix_the_next():
    video = syn.moving_squares(40, 12, 11, seed=5, square=3)  # max_speed=1 by default
    room = 11 - 3
    for clip in video:
        corners = np.array([square_corners(f)[:2] for f in clip])
        for t in range(1, len(corners) - 1):
            guess = corners[t] + (corners[t] - corners[t - 1])
            guess = np.where(guess < 0, -guess, np.where(guess > room, 2 * room - guess, guess))
            np.testing.assert_array_equal(corners[t + 1], guess)


def test_moving_squares_arguments():
    with pytest.raises(ValueError):
        syn.moving_squares(2, 3, 4, seed=0, square=4)
    with pytest.raises(ValueError):
        syn.moving_squares(2, 3, 8, seed=0, square=2, max_speed=6)
