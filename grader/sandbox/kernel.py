"""nbgrader's notebook execution, with the kernel started inside the active sandbox.

nbgrader (through nbclient) starts one kernel per notebook with ``Execute.kernel_manager_class``.
:class:`SandboxedKernelManager` starts it through :meth:`Sandbox.wrap` and connects over Unix
sockets in the sandbox's runtime folder (the kernel has no network to offer TCP ports on).
:class:`SandboxedExecute` uses that manager, and caps how much output a notebook may leave in the
graded copy, counting every kind of output (see :meth:`SandboxedExecute.process_message`): a notebook
printing gigabytes gets its first megabytes and a note. ZeroMQ drops a
single message over ``MESSAGE_LIMIT`` (IPython batches what a loop prints into one message) together
with the connection, which then comes back: the cell gets a note that its output was lost.

The sandbox of the notebook being graded is set with :func:`activate`; a worker grades one notebook
at a time.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

import zmq
import zmq.asyncio
from jupyter_client.manager import AsyncKernelManager
from nbformat.v4 import new_output
from nbgrader.preprocessors import Execute
from zmq.utils.monitor import recv_monitor_message

from . import Sandbox

_active: Sandbox | None = None
MESSAGE_LIMIT = 256 * 2**20  # bytes in one kernel message; a larger one is dropped by ZeroMQ


def activate(sandbox: Sandbox | None) -> None:
    global _active
    _active = sandbox


def active() -> Sandbox:
    if _active is None:
        raise RuntimeError("no sandbox is active: call grader.sandbox.kernel.activate first")
    return _active


class SandboxedKernelManager(AsyncKernelManager):
    async def _async_pre_start_kernel(self, **kw):
        sandbox = active()
        # A signal would reach bubblewrap, not the kernel (another session): interrupt by message.
        self.kernel_spec.interrupt_mode = "message"
        self.transport = "ipc"
        self.connection_file = str(sandbox.runtime / "kernel.json")
        self.ip = str(sandbox.runtime / "ipc")
        kw["env"] = sandbox.env()
        kw["cwd"] = str(sandbox.host_cwd)
        return await super()._async_pre_start_kernel(**kw)

    def write_connection_file(self, **kwargs):
        super().write_connection_file(**kwargs)
        active().give(Path(self.connection_file))  # the kernel must read it; it stays 0600

    def format_kernel_cmd(self, extra_arguments=None):
        return active().wrap(super().format_kernel_cmd(extra_arguments))

    async def _async_launch_kernel(self, kernel_cmd, **kw):
        await super()._async_launch_kernel(kernel_cmd, **kw)
        active().processes.append(self.provisioner.process)

    def client(self, **kwargs):
        return super().client(context=client_context(), **kwargs)


@functools.cache
def client_context() -> zmq.asyncio.Context:
    """The ZeroMQ context of every kernel client of this process, capping each message's size.

    One for the process, as Jupyter's own clients share one: the sockets of each client are closed
    when its notebook ends, while terminating a context of its own cost a third of a second each time.
    """
    context = zmq.asyncio.Context()
    context.setsockopt(zmq.MAXMSGSIZE, MESSAGE_LIMIT)  # for every socket created in it
    return context


RUNNING_CELL: dict = {}  # index and source of the code cell the kernel was last asked to run


class SandboxedExecute(Execute):
    """nbgrader's Execute, with the kernel in the sandbox and the notebook's output capped."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("kernel_manager_class", SandboxedKernelManager)
        super().__init__(*args, **kwargs)
        self.output_bytes = 0
        self.monitored = None  # (kernel client, its iopub monitor, a blocking view of the monitor)

    def preprocess(self, nb, resources=None, km=None):
        self.output_bytes = 0
        # Widget state the submission brought along is not the graded run's (nbclient writes that one,
        # within the output budget): it would only add to the notebook.
        nb.metadata.pop("widgets", None)
        try:
            return super().preprocess(nb, resources, km)
        finally:
            self.stop_monitoring()

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code":  # nothing runs, and there are no outputs to add a note to
            return super().preprocess_cell(cell, resources, index)
        RUNNING_CELL.update(index=index, source=cell.source)  # what the feedback names if the kernel dies
        self.output_lost()  # forget what happened before this cell
        try:
            return super().preprocess_cell(cell, resources, index)
        finally:
            if self.output_lost():
                cell.outputs.append(new_output("stream", name="stdout", text=(
                    f"[The grader dropped output of this cell: it sent more than {MESSAGE_LIMIT // 2**20} MB "
                    "at once.]\n")))

    def output_lost(self) -> bool:
        """Whether the kernel's output connection was dropped since the last call (an oversized message)."""
        if self.kc is None:
            return False
        if self.monitored is None or self.monitored[0] is not self.kc:
            self.stop_monitoring()
            monitor = self.kc.iopub_channel.socket.get_monitor_socket(zmq.EVENT_DISCONNECTED)
            self.monitored = (self.kc, monitor, zmq.Socket.shadow(monitor.underlying))
        events = self.monitored[2]
        dropped = False
        while events.poll(0):
            recv_monitor_message(events)
            dropped = True
        return dropped

    def stop_monitoring(self) -> None:
        if self.monitored is not None:
            self.monitored[1].close(linger=0)
            self.monitored = None

    # ---------------------------------------------------------------------------- output budget

    def process_message(self, msg, cell, cell_index):
        """Count every message that adds to the notebook against one budget, before nbclient keeps it.

        Counted: streams, display data, results, errors with their tracebacks, updates by display id
        (one update rewrites every output showing that id, so it costs its size that many times), and
        widget messages (their state is stored in the notebook's metadata). Over the budget, a note
        says so and further output is dropped, except errors, which decide scores: those are kept,
        cut short.
        """
        msg_type = msg.get("msg_type") or msg.get("header", {}).get("msg_type", "")
        if msg_type not in COUNTED and not msg_type.startswith("comm"):
            return super().process_message(msg, cell, cell_index)
        content = msg.get("content") or {}
        cost = message_size(content) * self.copies(content, msg_type)
        if self.spend(cost, cell):
            return super().process_message(msg, cell, cell_index)
        if msg_type == "error":
            msg = {**msg, "content": truncated_error(content)}
            return super().process_message(msg, cell, cell_index)
        return None

    def copies(self, content: dict, msg_type: str) -> int:
        """How many outputs a message writes: an update by display id rewrites all that show the id."""
        transient = content.get("transient")
        display_id = transient.get("display_id") if isinstance(transient, dict) else None
        if not display_id or msg_type not in ("execute_result", "display_data", "update_display_data"):
            return 1
        shown = sum(len(indices) for indices in self._display_id_map.get(display_id, {}).values())
        return shown + (msg_type != "update_display_data")

    def spend(self, cost: int, cell) -> bool:
        """Whether ``cost`` bytes still fit in the notebook's output budget; the first time they do not,
        the cell gets a note."""
        limit = active().limits.output_bytes
        if self.output_bytes > limit:
            return False
        self.output_bytes += cost
        if self.output_bytes <= limit:
            return True
        cell.outputs.append(new_output("stream", name="stdout", text=(
            f"[The grader dropped the rest of this notebook's output: it printed more than "
            f"{limit // 2**20} MB.]\n")))
        return False


COUNTED = {"stream", "display_data", "execute_result", "error", "update_display_data"}
ERROR_TEXT = 2000  # characters of an error's message kept over the output budget
TRACEBACK_TEXT = 4000  # characters of its traceback kept over the output budget


def message_size(content) -> int:
    try:
        return len(json.dumps(content, default=str))
    except (ValueError, TypeError, RecursionError):
        return len(str(content))


def truncated_error(content: dict) -> dict:
    """An error output cut to a few kilobytes: its name and message (which decide the score) kept."""
    traceback = content.get("traceback")
    lines = [str(line) for line in traceback] if isinstance(traceback, list) else []
    kept, size = [], 0
    for line in reversed(lines):  # the last lines say where it was raised
        if size + len(line) > TRACEBACK_TEXT:
            kept.insert(0, "[The grader cut this traceback: the notebook's output is over its limit.]")
            break
        kept.insert(0, line)
        size += len(line)
    return {**content, "ename": str(content.get("ename", "Error"))[:200],
            "evalue": str(content.get("evalue", ""))[:ERROR_TEXT], "traceback": kept}
