"""Typical wrong and alternative correct implementations of every graded problem.

One module per sprint, named like the sprint's check module (``rnn_forward.py`` for
``01_rnn_forward``). Each defines two dicts keyed by problem name:

- ``WRONG[problem]``: {description: function} — typical mistakes; each must lose the points.
- ``CORRECT[problem]``: {description: function} — other correct ways; each must earn them.

For a "value" problem the entries are functions of no arguments that return the value.
"""
