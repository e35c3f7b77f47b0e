"""The judge on its own, through a real Unix socket: its record cannot be talked into a pass."""

import socket

import numpy as np
import pytest

from grader.checks import get_problem
from grader.checks.framework import pack_value, run_cases
from grader.checks.rnn_forward import ref_rnn_step_forward
from grader.sandbox.judge import Judge, seed_for
from grader.sandbox.protocol import recv_frame, send_frame


@pytest.fixture
def judge(tmp_path):
    problems = {name: get_problem(name) for name in ("rnn_step_forward", "softmax", "small_array_experiment")}
    with Judge(tmp_path / "judge.sock", problems, lambda name: seed_for(b"k", "s", "a", name), 10) as j:
        yield j


def ask(judge, name, answer, value=False):
    with socket.socket(socket.AF_UNIX) as conn:
        conn.connect(str(judge.socket_path))
        send_frame(conn, {"op": "begin", "problem": name})
        header, cases = recv_frame(conn, 1 << 30)
        if header["status"] != "cases":
            return header
        reply = pack_value(answer) if value else run_cases(answer, cases)
        send_frame(conn, {"op": "answer", "problem": name}, reply)
        return recv_frame(conn, 1 << 30)[0]


def test_a_correct_answer_passes_and_is_recorded(judge):
    assert ask(judge, "rnn_step_forward", ref_rnn_step_forward)["passed"]
    assert judge.verdicts["rnn_step_forward"].passed


def test_the_first_verdict_is_the_one_that_counts(judge):
    first = ask(judge, "rnn_step_forward", lambda *args: np.zeros(3))
    again = ask(judge, "rnn_step_forward", ref_rnn_step_forward)  # a probe, then the right answer
    assert not first["passed"] and again == {"status": "done", "passed": False, "message": first["message"]}
    assert not judge.verdicts["rnn_step_forward"].passed


def test_an_abandoned_check_is_recorded_as_failed(judge):
    with socket.socket(socket.AF_UNIX) as conn:
        conn.connect(str(judge.socket_path))
        send_frame(conn, {"op": "begin", "problem": "softmax"})
        recv_frame(conn, 1 << 30)  # takes the inputs, never answers
    judge.close()
    verdict = judge.verdicts["softmax"]
    assert not verdict.passed and "never received an answer" in verdict.message


@pytest.mark.parametrize("frame", [b"\x00\x00\x00\x10" + b"\x00" * 8 + b"{not json",
                                   b"\xff\xff\xff\xff" + b"\xff" * 8, b"garbage"])
def test_garbage_never_passes(judge, frame):
    with socket.socket(socket.AF_UNIX) as conn:
        conn.connect(str(judge.socket_path))
        send_frame(conn, {"op": "begin", "problem": "softmax"})
        recv_frame(conn, 1 << 30)
        conn.sendall(frame)
    judge.close()
    assert not judge.verdicts["softmax"].passed


def test_an_unreadable_answer_fails_with_a_reason(judge):
    with socket.socket(socket.AF_UNIX) as conn:
        conn.connect(str(judge.socket_path))
        send_frame(conn, {"op": "begin", "problem": "softmax"})
        recv_frame(conn, 1 << 30)
        send_frame(conn, {"op": "answer"}, b"\x00\x00\x00\x02{}PK-not-an-archive")
        verdict = recv_frame(conn, 1 << 30)[0]
    assert not verdict["passed"] and "could not be read back" in verdict["message"]


def test_unknown_problems_are_refused(judge):
    reply = ask(judge, "not_a_problem", print)
    assert reply["status"] == "error" and "not_a_problem" in reply["message"]
    assert "not_a_problem" not in judge.verdicts


def test_value_problems_are_judged_by_the_value(judge):
    from grader.checks.rnn_forward import ref_small_array_experiment

    assert ask(judge, "small_array_experiment", ref_small_array_experiment(), value=True)["passed"]
    judge.verdicts.clear()
    assert not ask(judge, "small_array_experiment", ref_small_array_experiment()[:, :2], value=True)["passed"]


def test_seeds_are_fixed_by_the_secret_and_the_names():
    assert seed_for(b"k", "alice", "01", "softmax") == seed_for(b"k", "alice", "01", "softmax")
    assert len({seed_for(b"k", s, "01", "softmax") for s in ("alice", "bob", "carol")}) == 3
    assert seed_for(b"k", "alice", "01", "softmax") != seed_for(b"other", "alice", "01", "softmax")


def raw_answer(tree: str) -> bytes:
    """An answer in the wire format with ``tree`` as its JSON and no arrays."""
    import io
    import struct

    archive = io.BytesIO()
    np.savez(archive)
    return struct.pack(">I", len(tree)) + tree.encode() + archive.getvalue()


@pytest.mark.parametrize("tree", ['{"$": "tuple"}', '{"$": "array", "key": "missing"}',
                                  '{"$": "scalar", "dtype": "not a dtype", "value": 1}'])
def test_an_answer_with_unexpected_keys_is_a_plain_failed_check(judge, tree):
    """Before: the decoder's KeyError or TypeError escaped, and the student read "the grader failed
    while judging ... please tell your instructor" for what is a malformed answer."""
    with socket.socket(socket.AF_UNIX) as conn:
        conn.connect(str(judge.socket_path))
        send_frame(conn, {"op": "begin", "problem": "softmax"})
        recv_frame(conn, 1 << 30)
        send_frame(conn, {"op": "answer"}, raw_answer(tree))
        verdict = recv_frame(conn, 1 << 30)[0]
    assert not verdict["passed"] and "could not be read back" in verdict["message"], verdict
    assert "the grader failed" not in verdict["message"]


def test_a_deeply_nested_header_does_not_raise_in_the_judge(judge, monkeypatch):
    """Before: json's RecursionError escaped recv_frame and the judge's connection thread died with it."""
    import threading

    raised = []
    monkeypatch.setattr(threading, "excepthook", lambda args: raised.append(args.exc_type))
    header = ("[" * 200_000 + "]" * 200_000).encode()
    with socket.socket(socket.AF_UNIX) as conn:
        conn.connect(str(judge.socket_path))
        conn.sendall(len(header).to_bytes(4, "big") + (0).to_bytes(8, "big") + header)
        conn.settimeout(10)
        assert conn.recv(1) == b""  # the judge hangs up
    judge.close()
    assert raised == [] and judge.verdicts == {}


def test_a_verdict_message_is_clean_text(judge):
    """A student's exception text with a lone surrogate or control characters is stored cleaned."""
    def broken(*args):
        raise ValueError("bad \ud800 text \x1b[31m" + "x" * 10_000)

    reply = ask(judge, "softmax", broken)
    message = judge.verdicts["softmax"].message
    assert not reply["passed"] and "\ud800" not in message and "\x1b" not in message
    message.encode("utf-8")
    assert len(message) < 2200
