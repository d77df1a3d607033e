"""One tab's app process: started in its own process group, ended with everything it started.

textual-serve's AppService runs the command through a shell and, on stop, asks the app to quit and
waits as long as it takes; a sweep's worker processes or an app stuck in a TensorFlow call would
outlive the tab or the server. Here the app is exec'd directly as the leader of a new process group,
dies with the server even if the server is SIGKILLed (PR_SET_PDEATHSIG on Linux), and every stop
ends, within a deadline, its group and every process below it: a sweep's --jobs workers lead their
own sessions (so a terminal's Ctrl+C reaches only the sweep), out of reach of the app's group.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import os
import signal
import sys
from asyncio.subprocess import Process
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from textual_serve.app_service import AppService

# A tab's app gets this long to quit by itself (the user's exports are written by then), then its group is killed:
# closing a tab ends its app within 2 s.
QUIT_GRACE_S = 1.2
KILL_WAIT_S = 0.5
_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """In the child before exec: the kernel sends SIGKILL to it when the server process dies, however it dies."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)


def descendants(pid: int) -> list[int]:
    """Every live process below ``pid`` (children, theirs, ...), read from /proc; empty where there is none."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir() if Path("/proc/self/stat").exists() else ():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        parents.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        children = parents.get(todo.pop(), [])
        found += children
        todo += children
    return found


def kill_all(pids: list[int], number: int) -> None:
    """Signal each process and the group it leads, if any; one already gone is fine."""
    for pid in pids:
        for send in (os.killpg, os.kill):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                send(pid, number)


class AppProcess(AppService):
    """AppService whose process is ``argv`` (no shell), a process-group leader, and always ends with its group."""

    def __init__(self, argv: Sequence[str], **kwargs: Any) -> None:
        # AppService's own keywords (write_bytes, write_str, close, download_manager), passed on as they come.
        super().__init__(" ".join(argv), **kwargs)
        self.argv = list(argv)

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    async def _open_app_process(self, width: int = 80, height: int = 24) -> Process:
        self._process = process = await asyncio.create_subprocess_exec(
            *self.argv,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=self._build_environment(width=width, height=height),
            start_new_session=True,  # its own process group: killpg reaches whatever it starts
            preexec_fn=_die_with_parent,
        )
        assert process.stdin is not None
        self._stdin = process.stdin
        return process

    async def stop(self) -> None:
        """Ask the app to quit; kill its group if it has not gone after QUIT_GRACE_S; reap it."""
        process = self._process
        if process is None:
            return
        family = [process.pid, *descendants(process.pid)]  # now: once the app has quit, its orphans are not below it
        if self._task is not None and process.returncode is None:
            await self._download_manager.cancel_app_downloads(app_service_id=self.app_service_id)
            await self.send_meta({"type": "quit"})
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(process.wait(), QUIT_GRACE_S)
        await self.end_group(family=family)
        if self._task is not None:
            task, self._task = self._task, None
            with contextlib.suppress(asyncio.TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(task, KILL_WAIT_S)

    async def end_group(self, number: int = signal.SIGKILL, family: list[int] | None = None) -> None:
        """Signal the app, its group and every process below it (``family`` if known already), then reap the app."""
        process = self._process
        if process is None:
            return
        family = sorted({process.pid, *descendants(process.pid), *(family or [])})
        kill_all(family, number)
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(process.wait(), KILL_WAIT_S)
        kill_all(family, signal.SIGKILL)  # what ignored the first signal
        await process.wait()
