"""nbgrader's notebook execution, with the kernel started inside the active sandbox.

nbgrader (through nbclient) starts one kernel per notebook with ``Execute.kernel_manager_class``.
:class:`SandboxedKernelManager` starts it through :meth:`Sandbox.wrap` and connects over Unix
sockets in the sandbox's runtime folder (the kernel has no network to offer TCP ports on).
:class:`SandboxedExecute` uses that manager, and caps how much output a notebook may leave in the
graded copy: a notebook printing gigabytes gets its first megabytes and a note. ZeroMQ drops a
single message over ``MESSAGE_LIMIT`` (IPython batches what a loop prints into one message) together
with the connection, which then comes back: the cell gets a note that its output was lost.

The sandbox of the notebook being graded is set with :func:`activate`; a worker grades one notebook
at a time.
"""

from __future__ import annotations

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
        context = zmq.asyncio.Context()
        context.setsockopt(zmq.MAXMSGSIZE, MESSAGE_LIMIT)  # for every socket of this client
        return super().client(context=context, **kwargs)


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

    def output(self, outs, msg, display_id, cell_index):
        if msg.get("msg_type") == "error":  # errors decide scores in nbgrader: always kept
            return super().output(outs, msg, display_id, cell_index)
        limit = active().limits.output_bytes
        size = len(json.dumps(msg.get("content", {})))
        if self.output_bytes > limit:
            return None
        self.output_bytes += size
        if self.output_bytes > limit:
            note = (f"[The grader dropped the rest of this notebook's output: it printed more than "
                    f"{limit // 2**20} MB.]\n")
            out = new_output("stream", name="stdout", text=note)
            outs.append(out)
            return out
        return super().output(outs, msg, display_id, cell_index)
