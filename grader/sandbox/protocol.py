"""Frames on the judge's Unix socket: a JSON header and a byte blob, each with its length first.

Shared by the judge (trusted) and the client in the student's kernel; both sides cap what they read.
"""

from __future__ import annotations

import json
import socket
import struct

HEADER_LIMIT = 1 << 20


class ProtocolError(ConnectionError):
    """The other side sent something that is not a frame, or too much."""


def send_frame(conn: socket.socket, header: dict, blob: bytes = b"") -> None:
    data = json.dumps(header).encode()
    conn.sendall(struct.pack(">IQ", len(data), len(blob)) + data + blob)


def _read_exactly(conn: socket.socket, n: int) -> bytes:
    chunks, left = [], n
    while left:
        chunk = conn.recv(min(left, 1 << 20))
        if not chunk:
            raise ProtocolError("the connection closed in the middle of a frame")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def recv_frame(conn: socket.socket, blob_limit: int) -> tuple[dict, bytes]:
    header_size, blob_size = struct.unpack(">IQ", _read_exactly(conn, 12))
    if header_size > HEADER_LIMIT or blob_size > blob_limit:
        raise ProtocolError(f"a frame of {header_size + blob_size:,} bytes is over the limit")
    try:
        header = json.loads(_read_exactly(conn, header_size).decode())
    except (UnicodeDecodeError, ValueError) as exc:
        raise ProtocolError(f"the frame header is not JSON ({exc})") from None
    except RecursionError:  # JSON nested deeper than Python's recursion limit
        raise ProtocolError("the frame header is nested too deeply") from None
    if not isinstance(header, dict):
        raise ProtocolError("the frame header is not a JSON object")
    return header, _read_exactly(conn, blob_size)
