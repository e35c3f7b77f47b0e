"""Seeded synthetic sequence tasks: the adding problem, the embedded Reber grammar, moving squares.

Every generator takes a ``seed`` and is deterministic: the same arguments always give the same
arrays, on any machine (they use ``numpy.random.default_rng(seed)`` and nothing else). Arrays are
batch-major like Keras: sequences are ``(n, T, D)``, videos ``(n, frames, size, size, 1)``.

The first two tasks are long-lag problems from the LSTM paper (Hochreiter and Schmidhuber, 1997):
the information that decides the answer appears early in the sequence and has to be carried to the
end across many irrelevant steps, which is exactly where a simple RNN struggles.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "REBER_SYMBOLS",
    "adding_problem",
    "embedded_reber",
    "embedded_reber_string",
    "encode_reber",
    "is_embedded_reber",
    "is_reber",
    "moving_squares",
    "reber_string",
]


# ---------------------------------------------------------------- the adding problem


def adding_problem(n: int, seq_len: int, seed: int, *, dtype=np.float32):
    """Sequences of (value, marker) pairs whose target is the sum of the two marked values.

    Each of the ``n`` sequences has ``seq_len`` steps. Feature 0 is a value drawn uniformly from
    [0, 1); feature 1 is a marker, 1 at exactly two steps and 0 elsewhere. One marked step lies in the
    first half of the sequence (steps ``0 .. seq_len // 2 - 1``), the other in the second half. The
    target is the sum of the two marked values, a number in [0, 2).

    Predicting the constant 1 (the mean of the target) gives a mean squared error of 1/6 (about
    0.167, the variance of a sum of two uniform numbers): a model has learned something only when
    its error falls clearly below that baseline.

    Arguments:
        n       -- number of sequences, >= 1
        seq_len -- T, steps per sequence, >= 2
        seed    -- seed of the random generator
        dtype   -- floating dtype of the arrays (float32, ready for Keras, by default)

    Returns:
        X -- (n, T, 2): X[..., 0] the values, X[..., 1] the two markers
        y -- (n,): the sum of the two marked values
    """
    if n < 1 or seq_len < 2:
        raise ValueError(f"need n >= 1 and seq_len >= 2, got n={n}, seq_len={seq_len}")
    rng = np.random.default_rng(seed)
    half = seq_len // 2
    values = rng.uniform(0.0, 1.0, (n, seq_len))  # (n, T)
    first = rng.integers(0, half, n)  # (n,) a step in the first half
    second = rng.integers(half, seq_len, n)  # (n,) a step in the second half
    rows = np.arange(n)
    markers = np.zeros((n, seq_len))
    markers[rows, first] = 1.0
    markers[rows, second] = 1.0
    X = np.stack([values, markers], axis=-1).astype(dtype)  # (n, T, 2)
    y = (values[rows, first] + values[rows, second]).astype(dtype)  # (n,)
    return X, y


# ---------------------------------------------------------------- the (embedded) Reber grammar

# The Reber grammar as a finite automaton: state -> ((symbol, next state), ...). Every string starts
# with B in state 0; each state offers two symbols with probability 1/2 each; state 5 ends with E.
#
#          +-S-+                         0 -T-> 1   0 -P-> 2
#          v   |                         1 -S-> 1   1 -X-> 3
#   B -> 0 -T-> 1 -X-> 3 -S-> 5 -> E     2 -T-> 2   2 -V-> 4
#        |      +------+ X               3 -X-> 2   3 -S-> 5
#        P             v                 4 -P-> 3   4 -V-> 5
#        +---> 2 -V-> 4 -V-> 5 -> E
#              ^-T-+  +-P-> 3
REBER_TRANSITIONS = {
    0: (("T", 1), ("P", 2)),
    1: (("S", 1), ("X", 3)),
    2: (("T", 2), ("V", 4)),
    3: (("X", 2), ("S", 5)),
    4: (("P", 3), ("V", 5)),
}
REBER_END = 5
REBER_SYMBOLS = "BTPSXVE"  # the one-hot order used by encode_reber


def reber_string(rng: np.random.Generator) -> str:
    """One random string of the Reber grammar, for example ``"BTSSXXTVVE"`` (at least 5 symbols)."""
    symbols, state = ["B"], 0
    while state != REBER_END:
        symbol, state = REBER_TRANSITIONS[state][int(rng.integers(2))]
        symbols.append(symbol)
    symbols.append("E")
    return "".join(symbols)


def embedded_reber_string(rng: np.random.Generator) -> str:
    """One random string of the embedded Reber grammar: ``B c <Reber string> c E`` with c = T or P.

    The symbol c chosen at position 1 comes back as the second-to-last symbol: to predict it, a
    model must remember it across the whole inner Reber string.
    """
    c = "TP"[int(rng.integers(2))]
    return "B" + c + reber_string(rng) + c + "E"


def is_reber(s: str) -> bool:
    """Whether ``s`` is a string of the Reber grammar (the automaton above accepts it)."""
    if len(s) < 2 or s[0] != "B" or s[-1] != "E":
        return False
    state = 0
    for symbol in s[1:-1]:
        if state == REBER_END:
            return False
        moves = dict(REBER_TRANSITIONS[state])
        if symbol not in moves:
            return False
        state = moves[symbol]
    return state == REBER_END


def is_embedded_reber(s: str) -> bool:
    """Whether ``s`` is ``B c <Reber string> c E`` with the same c (T or P) at both places."""
    return (len(s) >= 4 and s[0] == "B" and s[-1] == "E" and s[1] in "TP" and s[-2] == s[1]
            and is_reber(s[2:-2]))


def encode_reber(strings, length: int | None = None, *, dtype=np.float32) -> np.ndarray:
    """One-hot encode strings over ``REBER_SYMBOLS``, padded at the front with all-zero vectors.

    Padding at the front keeps the last symbol of every string at the last time step, which is
    where a many-to-one model reads its answer.

    Arguments:
        strings -- n strings over the symbols ``"BTPSXVE"``
        length  -- T, the padded length (the longest string when None); longer strings are an error

    Returns:
        X -- (n, T, 7), X[i, t] the one-hot vector of a symbol or all zeros (padding)
    """
    strings = list(strings)
    T = max((len(s) for s in strings), default=0) if length is None else int(length)
    X = np.zeros((len(strings), T, len(REBER_SYMBOLS)), dtype=dtype)  # (n, T, 7)
    for i, s in enumerate(strings):
        if len(s) > T:
            raise ValueError(f"string {i} has {len(s)} symbols, more than length={T}")
        for t, symbol in enumerate(s, start=T - len(s)):
            X[i, t, REBER_SYMBOLS.index(symbol)] = 1
    return X


def embedded_reber(n: int, seed: int, *, min_length: int = 0, max_length: int | None = None,
                   dtype=np.float32):
    """A classification task built on the embedded Reber grammar.

    Draws ``n`` embedded Reber strings ``B c <Reber string> c E`` (c = T or P, equally likely),
    keeping only those whose full length lies in ``[min_length, max_length]``. The model reads each
    string *without its last two symbols*, that is up to and including the E that closes the inner
    string, and must tell which symbol c the string started with: that is the one hard prediction of
    the grammar (the symbol that follows the inner E), and it needs a memory of
    ``len(string) - 3`` steps. A long ``min_length`` makes the task harder.

    Arguments:
        n          -- number of strings, >= 1
        seed       -- seed of the random generator
        min_length -- shortest full string kept (the shortest possible one has 9 symbols)
        max_length -- longest full string kept (None: no limit)
        dtype      -- floating dtype of X

    Returns:
        strings -- list of the n full strings (each accepted by ``is_embedded_reber``)
        X       -- (n, T, 7): one-hot encoding (``encode_reber``) of every string minus its last two
                   symbols, padded at the front to T = the longest of them
        y       -- (n,) int64: the target, 1 when the second symbol (c) is P, 0 when it is T
    """
    if n < 1:
        raise ValueError(f"need n >= 1, got {n}")
    if max_length is not None and max_length < max(min_length, 9):
        raise ValueError(f"no embedded Reber string has between {min_length} and {max_length} symbols")
    rng = np.random.default_rng(seed)
    strings = []
    while len(strings) < n:
        s = embedded_reber_string(rng)
        if len(s) >= min_length and (max_length is None or len(s) <= max_length):
            strings.append(s)
    X = encode_reber([s[:-2] for s in strings], dtype=dtype)  # (n, T, 7)
    y = np.array([s[1] == "P" for s in strings], dtype=np.int64)  # (n,)
    return strings, X, y


# ---------------------------------------------------------------- moving squares


def moving_squares(n: int, frames: int, size: int, seed: int, *, square: int | None = None,
                   max_speed: int = 1, dtype=np.float32) -> np.ndarray:
    """Videos of one white square gliding over a black frame and bouncing off its edges.

    Each video starts with the square (side ``square``, by default ``max(2, size // 4)`` pixels) at a
    random position, with a random velocity of ``-max_speed .. max_speed`` pixels per frame along each
    axis (never zero along both). When a move would push the square past an edge, it is reflected
    back inside and that velocity component changes sign. With the default ``max_speed=1``, two
    consecutive frames fix the next one (one frame does not: it shows where the square is, not where
    it is going), which makes next-frame prediction a task for a recurrent convolutional model. With
    faster squares a bounce can hide part of a step, and the next frame is then a little uncertain.

    Arguments:
        n         -- number of videos, >= 1
        frames    -- frames per video, >= 1
        size      -- height and width of a frame in pixels (> square)
        seed      -- seed of the random generator
        square    -- side of the square in pixels
        max_speed -- largest step per frame along an axis, >= 1 and < size - square
        dtype     -- floating dtype of the result

    Returns:
        video -- (n, frames, size, size, 1): pixels are 1 inside the square and 0 elsewhere
    """
    square = max(2, size // 4) if square is None else int(square)
    room = size - square  # the square's top-left corner stays in 0 .. room
    if n < 1 or frames < 1 or square < 1 or room < 1:
        raise ValueError(f"need n, frames >= 1 and 1 <= square < size, got n={n}, frames={frames}, "
                         f"size={size}, square={square}")
    if not 1 <= max_speed < room:
        raise ValueError(f"max_speed must be between 1 and {room - 1} for size={size}, square={square}")
    rng = np.random.default_rng(seed)
    video = np.zeros((n, frames, size, size, 1), dtype=dtype)
    for i in range(n):
        position = rng.integers(0, room + 1, 2)  # (row, column) of the top-left corner
        velocity = np.zeros(2, dtype=int)
        while not velocity.any():
            velocity = rng.integers(-max_speed, max_speed + 1, 2)
        for f in range(frames):
            r, c = position
            video[i, f, r:r + square, c:c + square, 0] = 1
            position = position + velocity
            for axis in range(2):  # reflect off the edges
                if position[axis] < 0:
                    position[axis], velocity[axis] = -position[axis], -velocity[axis]
                elif position[axis] > room:
                    position[axis], velocity[axis] = 2 * room - position[axis], -velocity[axis]
    return video
