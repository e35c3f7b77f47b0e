"""The course's diagrams, drawn with matplotlib and committed as SVG next to each sprint's notebook.

Each drawing function returns a figure; :data:`DIAGRAMS` says where each one is written
(``solutions/<sprint>/diagrams/<name>.svg``). nbgrader copies that folder into the release, the student
distribution packs it, and the feedback pages inline these files (and only these) as pictures.

The output is byte-stable, so a test can redraw every diagram and compare: a fixed ``svg.hashsalt``,
no date in the metadata, and text drawn as paths (the picture does not depend on the reader's fonts).

Usage: ``python -m grader.diagrams [--out SOLUTIONS]`` (``make diagrams``); prints the files written.
"""

from __future__ import annotations

import argparse
import io
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch, Rectangle  # noqa: E402

from .paths import SOLUTIONS  # noqa: E402

# One palette for every diagram: the same thing has the same colour in every sprint.
INPUT = "#2c6fbb"  # x_t and its gradient dx_t
HIDDEN = "#1b8a5a"  # the hidden state h
CELL = "#e07b00"  # the LSTM cell state c, the "belt"
WEIGHT = "#7b52ab"  # W, U, b and their gradients
GRAD = "#c62828"  # every backward arrow
FADED = "#b0b0b0"  # the forward pass, drawn behind a backward diagram
INK = "#222222"
BLOCK = {  # the gate blocks, as fills (LSTM i, f, g, o; GRU z, r, h~)
    "i": "#f8c9d4", "f": "#fde3a7", "g": "#cfe3f7", "o": "#d3ecd0",
    "z": "#e4d4f4", "r": "#ffd6b0", "h": "#cfe3f7",
}
FONT = 12

STYLE = {
    "svg.hashsalt": "rnn-course",  # ids in the SVG do not depend on a random salt
    "svg.fonttype": "path",  # glyphs as paths: the same picture on every machine
    "font.family": "DejaVu Sans",
    "mathtext.fontset": "dejavusans",
    "font.size": FONT,
}


# ------------------------------------------------------------------------------ drawing helpers

def canvas(width: float, height: float, scale: float = 0.72):
    """A figure whose data coordinates run over [0, width] x [0, height], without axes."""
    fig = plt.figure(figsize=(width * scale, height * scale))
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, width)
    ax.set_ylim(0, height)
    ax.set_aspect("equal")
    ax.axis("off")
    return fig, ax


def box(ax, x, y, w, h, text="", fc="white", ec=INK, size=FONT, lw=1.3, color=INK, ls="-", weight="normal"):
    """A rounded box centred on (x, y), with centred text."""
    ax.add_patch(FancyBboxPatch((x - w / 2, y - h / 2), w, h, boxstyle="round,pad=0,rounding_size=0.12",
                                fc=fc, ec=ec, lw=lw, ls=ls, zorder=3))
    if text:
        ax.text(x, y, text, ha="center", va="center", fontsize=size, color=color, zorder=4, weight=weight)


def node(ax, x, y, symbol, ec=INK, r=0.28, size=FONT + 2, fc="white"):
    """A round operation node: '+', '×', '⊙'."""
    ax.add_patch(Circle((x, y), r, fc=fc, ec=ec, lw=1.3, zorder=3))
    ax.text(x, y - 0.02, symbol, ha="center", va="center", fontsize=size, color=ec, zorder=4)


def arrow(ax, points, color=INK, lw=1.6, ls="-", head=True, z=2):
    """A polyline through ``points`` with an arrowhead at the last point."""
    for start, end in zip(points[:-2], points[1:-1]):
        ax.plot([start[0], end[0]], [start[1], end[1]], color=color, lw=lw, ls=ls, zorder=z,
                solid_capstyle="butt")
    style = "-|>" if head else "-"
    ax.add_patch(FancyArrowPatch(points[-2], points[-1], arrowstyle=style, mutation_scale=14, color=color,
                                 lw=lw, ls=ls, zorder=z, shrinkA=0, shrinkB=0))


def label(ax, x, y, text, color=INK, size=FONT, ha="center", va="center", **kwargs):
    ax.text(x, y, text, ha=ha, va=va, fontsize=size, color=color, zorder=5, **kwargs)


def blocks(ax, x0, y, width, height, names, texts, slices=None, title=None, title_size=FONT):
    """A bar cut into equal column blocks (the gate blocks of a weight matrix or of a gradient)."""
    w = width / len(names)
    for k, (name, text) in enumerate(zip(names, texts)):
        ax.add_patch(Rectangle((x0 + k * w, y - height / 2), w, height, fc=BLOCK[name], ec=INK, lw=1.1, zorder=3))
        label(ax, x0 + (k + 0.5) * w, y, text)
        if slices:
            label(ax, x0 + (k + 0.5) * w, y - height / 2 - 0.3, slices[k], size=FONT - 2, color="#555555")
    if title:
        label(ax, x0 - 0.15, y, title, ha="right", size=title_size)


LSTM_SLICES = ["[0:H]", "[H:2H]", "[2H:3H]", "[3H:4H]"]


# ------------------------------------------------------------------------------ the diagrams

def rnn_cells(ax, colour_scale: bool = True, faded: bool = False):
    """The unrolled SimpleRNN shared by sprints 01 and 02: three cells, their inputs and states.

    Returns the x positions of the cells. Drawn in the course's colours, or grey behind a
    backward diagram.
    """
    xs = [3.6, 7.6, 11.6]
    ink = FADED if faded else INK
    for k, x in enumerate(xs):
        box(ax, x, 3.2, 2.2, 1.1, "", fc="#f4f4f4" if not faded else "white", ec=ink)
        label(ax, x, 3.45 if not faded else 3.2, "tanh", color=ink)
        arrow(ax, [(x, 1.1), (x, 2.65)], color=FADED if faded else INPUT)
        arrow(ax, [(x, 3.75), (x, 5.3)], color=FADED if faded else HIDDEN)
        start = xs[k - 1] + 1.1 if k else 0.9
        arrow(ax, [(start, 3.2), (x - 1.1, 3.2)], color=FADED if faded else HIDDEN)
    return xs


def rnn_unrolled():
    """Sprint 01: the SimpleRNN unrolled over T = 3 steps, one set of weights for every step."""
    fig, ax = canvas(15.2, 7.8)
    xs = rnn_cells(ax)
    steps = ["1", "2", "3"]
    label(ax, 0.55, 3.2, "$h_0$", color=HIDDEN, size=FONT + 2)
    for k, (x, t) in enumerate(zip(xs, steps)):
        label(ax, x, 0.75, f"$x_{t}$", color=INPUT, size=FONT + 2)
        label(ax, x, 5.65, f"$h_{t}$", color=HIDDEN, size=FONT + 2)
        if k:
            label(ax, x - 2.0, 3.5, f"$h_{steps[k - 1]}$", color=HIDDEN)
    arrow(ax, [(12.7, 3.2), (14.0, 3.2)], color=HIDDEN, ls=(0, (3, 2)))
    label(ax, 14.35, 3.2, "…", size=FONT + 4)
    label(ax, 3.6 - 0.15, 1.25, "$(N, D)$", color=INPUT, size=FONT - 1, ha="right")
    label(ax, 3.6 + 0.2, 4.55, "$(N, H)$", color=HIDDEN, size=FONT - 1, ha="left")
    label(ax, 7.6, 6.45, "stacked: h (N, T, H); $h_0$ is not part of it", color=HIDDEN, size=FONT - 1)
    # the one set of weights, used by every copy of the cell
    for x in xs:
        label(ax, x, 2.88, r"$W_x,\ W_h,\ b$", color=WEIGHT, size=FONT - 1)
    label(ax, 7.6, 7.3, r"the same $W_x\ (D, H)$, $W_h\ (H, H)$, $b\ (H,)$ in every copy of the cell",
          color=WEIGHT, size=FONT)
    label(ax, 7.6, 0.15, r"$h_t = \tanh(x_t W_x + h_{t-1} W_h + b)$", size=FONT + 1)
    return fig


def rnn_backward():
    """Sprint 02: the same unrolled RNN, with the gradients flowing back in red."""
    fig, ax = canvas(15.2, 8.6)
    xs = rnn_cells(ax, faded=True)
    label(ax, 0.55, 3.2, "h0", color=FADED)
    for t, x in enumerate(xs):
        label(ax, x, 0.75, f"x[:, {t}]", color=FADED)
        # the upstream gradient of this step's state, from the loss
        label(ax, x + 0.45, 7.9, f"dh[:, {t}]", color=GRAD)
        arrow(ax, [(x + 0.45, 7.55), (x + 0.45, 6.05)], color=GRAD)
        node(ax, x + 0.45, 5.75, "+", ec=GRAD, r=0.26)
        arrow(ax, [(x + 0.45, 5.49), (x + 0.45, 3.8)], color=GRAD)
        # what goes back to the previous step through the recurrence, and down to the input
        arrow(ax, [(x - 0.6, 3.75), (x - 0.6, 4.35), (x - 1.7, 4.35), (x - 1.7, 5.75),
                   (x - 3.27 if t else 0.5, 5.75)] if t else
              [(x - 0.6, 3.75), (x - 0.6, 4.35), (0.6, 4.35)], color=GRAD)
        arrow(ax, [(x - 0.45, 2.65), (x - 0.45, 1.15)], color=GRAD)
        label(ax, x - 0.55, 1.9, "dx[:, %d]" % t, color=GRAD, size=FONT - 2, ha="right")
    label(ax, 0.6, 4.7, "dh0", color=GRAD, ha="left")
    label(ax, xs[1] - 2.0, 6.15, "dh_prev", color=GRAD, size=FONT - 1)
    label(ax, xs[2] - 2.0, 6.15, "dh_prev", color=GRAD, size=FONT - 1)
    label(ax, xs[2] + 0.75, 5.75, "+ 0 (no later step)", color=GRAD, size=FONT - 2, ha="left")
    label(ax, xs[1] + 0.6, 4.3, r"$\delta_t$", color=GRAD, ha="left")
    # the rule, once, for every cell
    label(ax, 7.6, 0.12,
          r"$\delta_t$ = (dh[:, t] + dh_prev of step t+1) $\odot\ (1 - h_t^2)$,    "
          r"dh_prev $= \delta_t W_h^\top$,    dx[:, t] $= \delta_t W_x^\top$", color=GRAD)
    label(ax, 7.6, -0.6, r"shared weights add up over the steps:   $dW_x = \sum_t x_t^\top \delta_t$,   "
          r"$dW_h = \sum_t h_{t-1}^\top \delta_t$,   $db = \sum_t \sum_n \delta_{t,n}$", color=WEIGHT)
    label(ax, 7.6, 8.45, "backwards in time: step 2, then 1, then 0", color=GRAD, size=FONT - 1)
    ax.set_ylim(-1.0, 8.8)
    fig.set_size_inches(15.2 * 0.72, 9.8 * 0.72)
    return fig


def lstm_cell():
    """Sprint 03: one LSTM step, the belt on top, and where the four blocks sit in W, U and b."""
    fig, ax = canvas(15.0, 12.6)
    # --- the weights: four column blocks in Keras order i, f, c (g), o
    names, texts = ["i", "f", "g", "o"], ["$i$", "$f$", "$c\\ (g)$", "$o$"]
    for x0, height, title, shape in [(1.0, 0.8, "$W$", "$(D, 4H)$"), (5.9, 1.2, "$U$", "$(H, 4H)$"),
                                      (10.8, 0.4, "$b$", "$(4H,)$")]:
        blocks(ax, x0, 11.0, 3.8, height, names, texts, LSTM_SLICES, title=title, title_size=FONT + 2)
        label(ax, x0 + 1.9, 11.0 + height / 2 + 0.3, shape, color=WEIGHT, size=FONT - 1)
    label(ax, 7.5, 9.6, "column blocks of width H, in Keras order i, f, c, o (we call the candidate g)",
          size=FONT - 1, color="#555555")
    # --- the belt
    belt_y = 8.4
    label(ax, 0.2, belt_y + 0.45, "$c_{t-1}$", color=CELL, ha="left", size=FONT + 2)
    arrow(ax, [(0.2, belt_y), (2.72, belt_y)], color=CELL, lw=3)
    node(ax, 3.0, belt_y, "×", ec=CELL)
    arrow(ax, [(3.28, belt_y), (6.72, belt_y)], color=CELL, lw=3)
    node(ax, 7.0, belt_y, "+", ec=CELL)
    arrow(ax, [(7.28, belt_y), (14.6, belt_y)], color=CELL, lw=3)
    label(ax, 14.6, belt_y + 0.45, "$c_t$", color=CELL, ha="right", size=FONT + 2)
    label(ax, 5.0, belt_y + 0.42, "keep (forget)", color=CELL, size=FONT - 1)
    label(ax, 9.0, belt_y + 0.42, "write (learn)", color=CELL, size=FONT - 1)
    # --- the gates, each reading its own column block of a_t
    gate_y = 3.2
    gates = [("f", 3.0, r"$f = \sigma(a_t[:, H{:}2H])$"), ("i", 5.7, r"$i = \sigma(a_t[:, 0{:}H])$"),
             ("g", 8.45, r"$g = \tanh(a_t[:, 2H{:}3H])$"), ("o", 11.4, r"$o = \sigma(a_t[:, 3H{:}4H])$")]
    for name, x, text in gates:
        box(ax, x, gate_y, 2.75 if name == "g" else 2.5, 0.8, text, fc=BLOCK[name], size=FONT - 1)
        arrow(ax, [(x, 1.75), (x, gate_y - 0.4)], color=INK, lw=1.2)
    box(ax, 7.3, 1.35, 10.6, 0.8, r"$a_t = x_t W + h_{t-1} U + b \qquad (N, 4H)$", fc="#f4f4f4")
    label(ax, 0.2, 1.35, "$h_{t-1}$", color=HIDDEN, ha="left", size=FONT + 1)
    arrow(ax, [(0.95, 1.35), (2.0, 1.35)], color=HIDDEN)
    label(ax, 7.3, 0.15, "$x_t$", color=INPUT, size=FONT + 1)
    label(ax, 7.7, 0.15, "$(N, D)$", color=INPUT, size=FONT - 1, ha="left")
    arrow(ax, [(7.3, 0.4), (7.3, 0.95)], color=INPUT)
    # forget: f multiplies the belt
    arrow(ax, [(3.0, gate_y + 0.4), (3.0, belt_y - 0.28)])
    # learn: i * g is added to the belt
    node(ax, 7.0, 5.3, "×")
    arrow(ax, [(5.7, gate_y + 0.4), (5.7, 4.5), (7.0, 4.5), (7.0, 5.02)])
    arrow(ax, [(8.45, gate_y + 0.4), (8.45, 4.5), (7.0 + 0.01, 4.5)], head=False)
    arrow(ax, [(7.0, 5.58), (7.0, belt_y - 0.28)])
    label(ax, 7.2, 6.5, r"$i \odot g$", ha="left")
    # use: h_t = o * tanh(c_t)
    box(ax, 12.9, 6.7, 1.2, 0.6, "tanh", fc="white", ec=CELL, color=CELL)
    arrow(ax, [(12.9, belt_y), (12.9, 7.0)], color=CELL)
    node(ax, 12.9, 5.2, "×")
    arrow(ax, [(12.9, 6.4), (12.9, 5.48)], color=CELL)
    arrow(ax, [(11.4, gate_y + 0.4), (11.4, 5.2), (12.62, 5.2)])
    arrow(ax, [(13.18, 5.2), (14.6, 5.2)], color=HIDDEN, lw=2)
    label(ax, 14.6, 5.6, "$h_t$", color=HIDDEN, ha="right", size=FONT + 2)
    label(ax, 14.6, 4.75, "$(N, H)$", color=HIDDEN, ha="right", size=FONT - 1)
    label(ax, 10.0, 7.3, r"$c_t = f \odot c_{t-1} + i \odot g$", color=CELL)
    label(ax, 10.0, 5.95, r"$h_t = o \odot \tanh(c_t)$", color=HIDDEN)
    return fig


def gru_cell():
    """Sprint 03: one GRU step as Keras computes it (reset_after=True), and where the reset acts."""
    fig, ax = canvas(15.0, 10.4)
    rail = 8.6
    label(ax, 0.2, rail + 0.45, "$h_{t-1}$", color=HIDDEN, ha="left", size=FONT + 2)
    arrow(ax, [(0.2, rail), (2.72, rail)], color=HIDDEN, lw=2.5)
    node(ax, 3.0, rail, "×", ec=HIDDEN)
    arrow(ax, [(3.28, rail), (10.72, rail)], color=HIDDEN, lw=2.5)
    node(ax, 11.0, rail, "+", ec=HIDDEN)
    arrow(ax, [(11.28, rail), (14.6, rail)], color=HIDDEN, lw=2.5)
    label(ax, 14.6, rail + 0.45, "$h_t$", color=HIDDEN, ha="right", size=FONT + 2)
    label(ax, 7.0, rail + 0.45, r"$h_t = z \odot h_{t-1} + (1 - z) \odot \tilde h$", color=HIDDEN)
    # update and reset gates: both read x_t and h_{t-1}, each through its own block and bias rows
    box(ax, 3.0, 6.0, 4.6, 0.8, r"$z = \sigma(x_t W_z + b_{0,z} + h_{t-1} U_z + b_{1,z})$",
        fc=BLOCK["z"], size=FONT - 1)
    box(ax, 3.0, 3.6, 4.6, 0.8, r"$r = \sigma(x_t W_r + b_{0,r} + h_{t-1} U_r + b_{1,r})$",
        fc=BLOCK["r"], size=FONT - 1)
    arrow(ax, [(3.0, 6.4), (3.0, rail - 0.28)])
    label(ax, 2.8, 7.3, "$z$", ha="right")
    # 1 - z times the candidate
    box(ax, 8.0, 7.3, 0.9, 0.55, "$1 - z$", fc="white", size=FONT - 1)
    arrow(ax, [(3.0, 7.3), (7.55, 7.3)])
    node(ax, 11.0, 7.3, "×")
    arrow(ax, [(8.45, 7.3), (10.72, 7.3)])
    arrow(ax, [(11.0, 7.58), (11.0, rail - 0.28)])
    # the candidate: input part + r * (recurrent part)
    box(ax, 11.0, 5.9, 1.5, 0.7, r"$\tanh$", fc=BLOCK["h"])
    arrow(ax, [(11.0, 6.25), (11.0, 7.02)])
    label(ax, 11.2, 6.6, r"$\tilde h$", ha="left")
    node(ax, 11.0, 4.5, "+")
    arrow(ax, [(11.0, 4.78), (11.0, 5.55)])
    box(ax, 13.0, 2.2, 2.6, 0.8, r"$x_t W_h + b_{0,h}$", fc="#eef4fb")
    arrow(ax, [(13.0, 2.6), (13.0, 4.5), (11.28, 4.5)])
    node(ax, 9.0, 3.6, "⊙", ec=GRAD, r=0.3, fc="#fff3f3")
    arrow(ax, [(5.3, 3.6), (8.7, 3.6)])
    label(ax, 7.0, 3.9, "$r$")
    arrow(ax, [(9.0, 3.9), (9.0, 4.5), (10.72, 4.5)])
    box(ax, 9.0, 2.2, 2.9, 0.8, r"$h_{t-1} U_h + b_{1,h}$", fc="#eef7f1")
    arrow(ax, [(9.0, 2.6), (9.0, 3.3)])
    label(ax, 9.4, 2.95, "reset_after=True (Keras default):\nr scales the product", color=GRAD,
          size=FONT - 2, ha="left", va="center")
    # h_{t-1} down the left side into the recurrent product of the candidate block
    arrow(ax, [(0.5, rail), (0.5, 1.0), (9.0, 1.0), (9.0, 1.8)], color=HIDDEN)
    ax.add_patch(Circle((6.0, 1.0), 0.3, fc="white", ec=GRAD, lw=1.3, ls=(0, (2, 2)), zorder=4))
    label(ax, 6.0, 0.98, "⊙", color=GRAD, size=FONT + 2, alpha=0.6)
    label(ax, 5.4, 0.35, "reset_after=False would apply r here, before the product: $(r \\odot h_{t-1})\\, U_h$",
          color=GRAD, size=FONT - 2)
    label(ax, 13.0, 0.35, "$x_t$  $(N, D)$", color=INPUT, size=FONT - 1)
    arrow(ax, [(13.0, 0.65), (13.0, 1.8)], color=INPUT)
    label(ax, 7.5, 9.95, r"$W\ (D, 3H)$,  $U\ (H, 3H)$,  $b\ (2, 3H)$: column blocks z [0:H], r [H:2H], "
          r"$\tilde h$ [2H:3H]; row 0 of $b$ goes with $x_t$, row 1 with $h_{t-1}$", color=WEIGHT, size=FONT - 1)
    return fig


def lstm_backward():
    """Sprint 04: one LSTM step backwards: dh and dc enter, dc splits, dz feeds every gradient."""
    fig, ax = canvas(15.0, 10.4)
    belt = 8.6
    # what enters: dc_next along the belt from the right, dh_next from the loss and from step t+1
    label(ax, 14.8, belt + 0.45, r"$\delta c_{\mathrm{in}}$ (dc_next)", color=GRAD, ha="right")
    label(ax, 14.8, belt - 0.45, "from step t+1", color=GRAD, ha="right", size=FONT - 2)
    ax.plot([0.2, 14.8], [belt, belt], color=CELL, lw=8, alpha=0.25, zorder=1, solid_capstyle="butt")  # the belt
    arrow(ax, [(14.8, belt), (12.28, belt)], color=GRAD, lw=2.5)
    node(ax, 12.0, belt, "+", ec=GRAD)
    arrow(ax, [(11.72, belt), (2.28, belt)], color=GRAD, lw=2.5)
    label(ax, 10.5, belt + 0.4, r"$\delta c$", color=GRAD, size=FONT + 1)
    node(ax, 2.0, belt, "×", ec=GRAD)
    label(ax, 2.0, belt + 0.5, "$f$", size=FONT)
    arrow(ax, [(1.72, belt), (0.2, belt)], color=GRAD, lw=2.5)
    label(ax, 0.2, belt + 0.45, "dc_prev", color=GRAD, ha="left")
    label(ax, 0.2, belt - 0.45, r"$= \delta c \odot f$, to step t-1", color=GRAD, ha="left", size=FONT - 1)
    node(ax, 12.0, 4.6, "+", ec=GRAD)
    label(ax, 12.3, 3.45, "dh[:, t]\nfrom the loss at step t", color=GRAD, ha="left", size=FONT - 2)
    arrow(ax, [(12.0, 3.1), (12.0, 4.32)], color=GRAD)
    label(ax, 14.8, 4.95, "dh_prev of step t+1", color=GRAD, ha="right", size=FONT - 2)
    arrow(ax, [(14.8, 4.6), (12.28, 4.6)], color=GRAD)
    label(ax, 12.2, 5.35, r"$\delta h$ (dh_next)", color=GRAD, ha="left", size=FONT)
    # dh: into c_t through tanh, and into the output gate
    box(ax, 12.0, 6.85, 3.1, 0.7, r"$\odot\, o \odot (1 - \tanh^2 c_t)$", fc="white", ec=GRAD, size=FONT - 1)
    arrow(ax, [(12.0, 4.88), (12.0, 6.5)], color=GRAD)
    arrow(ax, [(12.0, 7.2), (12.0, belt - 0.28)], color=GRAD)
    arrow(ax, [(12.0, 5.85), (9.0, 5.85), (9.0, 5.25)], color=GRAD)
    # the four columns, in the order of the blocks
    cols = [("i", 3.0, r"$\delta c \odot g$", r"$\odot\, i(1-i)$"),
            ("f", 5.0, r"$\delta c \odot c_{t-1}$", r"$\odot\, f(1-f)$"),
            ("g", 7.0, r"$\delta c \odot i$", r"$\odot\, (1-g^2)$"),
            ("o", 9.0, r"$\delta h \odot \tanh c_t$", r"$\odot\, o(1-o)$")]
    for name, x, local, derivative in cols:
        if name != "o":
            arrow(ax, [(x, belt), (x, 7.15)], color=GRAD)
            box(ax, x, 6.8, 1.85, 0.7, local, fc="white", ec=GRAD, size=FONT - 1)
            arrow(ax, [(x, 6.45), (x, 5.25)], color=GRAD)
        else:
            box(ax, x, 4.9, 1.85, 0.7, local, fc="white", ec=GRAD, size=FONT - 1)
        label(ax, x + 0.12, 5.85 if name != "o" else 4.3, f"$\\partial L/\\partial {name}$", size=FONT - 2,
              ha="left", color=GRAD)
        y = 4.9 if name != "o" else 3.7
        if name != "o":
            box(ax, x, y, 1.85, 0.7, derivative, fc=BLOCK[name], ec=GRAD, size=FONT - 1)
        else:
            arrow(ax, [(x, 4.55), (x, 4.05)], color=GRAD)
            box(ax, x, y, 1.85, 0.7, derivative, fc=BLOCK[name], ec=GRAD, size=FONT - 1)
        arrow(ax, [(x, y - 0.35), (x, 2.95)], color=GRAD)
    label(ax, 6.5, 9.95, r"$\delta c = \delta c_{\mathrm{in}} + \delta h \odot o \odot (1 - \tanh^2 c_t)$ "
          "splits: back along the belt, and into i, f, g", color=GRAD, size=FONT - 1)
    # dz, in Keras block order, and what it feeds
    names = ["i", "f", "g", "o"]
    blocks(ax, 2.0, 2.6, 8.0, 0.7, names, [rf"$\delta z_{n}$" for n in names], LSTM_SLICES,
           title=r"$\delta z$")
    label(ax, 10.2, 2.6, "$(N, 4H)$", ha="left", size=FONT - 1)
    outputs = [(1.2, r"$dx_t = \delta z\, W^\top$", "$(N, D)$", INPUT),
               (4.0, r"dh_prev $= \delta z\, U^\top$", "$(N, H)$, to step t-1", HIDDEN),
               (7.0, r"$dW = x_t^\top \delta z$", "$(D, 4H)$", WEIGHT),
               (9.8, r"$dU = h_{t-1}^\top \delta z$", "$(H, 4H)$", WEIGHT),
               (12.6, r"$db = \sum_n \delta z$", "$(4H,)$", WEIGHT)]
    for x, text, shape, colour in outputs:
        arrow(ax, [(min(max(x, 2.3), 9.7), 1.9), (x, 0.95)], color=GRAD, lw=1.2)
        label(ax, x, 0.65, text, color=colour, size=FONT - 1)
        label(ax, x, 0.15, shape, color=colour, size=FONT - 2)
    label(ax, 14.8, 1.6, "lstm_backward sums\ndW, dU, db over t", ha="right", size=FONT - 2, color=WEIGHT)
    return fig


# where each diagram goes: solutions/<sprint>/diagrams/<name>.svg
DIAGRAMS = {
    ("01_rnn_forward", "rnn_unrolled"): rnn_unrolled,
    ("02_rnn_backward", "rnn_backward"): rnn_backward,
    ("03_lstm_forward", "lstm_cell"): lstm_cell,
    ("03_lstm_forward", "gru_cell"): gru_cell,
    ("04_lstm_backward", "lstm_backward"): lstm_backward,
}


def svg(draw) -> bytes:
    """The SVG of one diagram, the same bytes on every run."""
    with matplotlib.rc_context(STYLE):
        fig = draw()
        buffer = io.BytesIO()
        fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": "rnn-course"})
        plt.close(fig)
    return buffer.getvalue()


def path_of(sprint: str, name: str, root: Path = SOLUTIONS) -> Path:
    return root / sprint / "diagrams" / f"{name}.svg"


def write_all(root: Path = SOLUTIONS) -> list[Path]:
    """Draw every diagram into ``root/<sprint>/diagrams/`` and return the files written."""
    written = []
    for (sprint, name), draw in DIAGRAMS.items():
        target = path_of(sprint, name, root)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(svg(draw))
        written.append(target)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m grader.diagrams", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=SOLUTIONS, help="the solutions folder (default: solutions/)")
    args = parser.parse_args(argv)
    for path in write_all(args.out):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
