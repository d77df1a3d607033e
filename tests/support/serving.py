"""`dropout-tui serve` in a child process: its link, the app processes it starts (found by PID), and a browser."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.support.processes import finish, start_cli

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# A small, long training run: it is still training when a test presses space or closes the tab.
LONG_TRAIN = ["train", "--epochs", "200", "--hidden", "16", "--mc-samples", "5", "--repeats", "1"]
START_S = 15.0  # the server itself imports no TensorFlow
APP_START_S = 120.0  # a tab's app imports TensorFlow, on a busy 2-core machine


ANSI = re.compile(r"\x1b(\[[0-9;?<>=$]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[PX^_][^\x1b]*\x1b\\|[@-Z\\-_])")


@dataclass
class Served:
    process: subprocess.Popen
    url: str  # the printed link, token included
    forwarded_to: str | None = None  # with --public-url: the HOST:PORT the proxy would forward to

    @property
    def origin(self) -> str:
        """Where this test reaches the server: its link's address, or behind a proxy the one it listens on."""
        if self.forwarded_to:
            return f"http://{self.forwarded_to}"
        parts = urlsplit(self.url)
        return f"{parts.scheme}://{parts.netloc}"

    @property
    def token(self) -> str:
        return self.url.rsplit("token=", 1)[1]

    def apps(self) -> list[int]:
        return child_pids(self.process.pid)

    def wait_for_apps(self, count: int, timeout: float = START_S) -> list[int]:
        """The PIDs of the server's apps, once there are ``count`` of them."""
        wait_until(lambda: len(self.apps()) == count, timeout, f"{count} app(s)")
        return self.apps()

    def stop(self, number: int = signal.SIGTERM, timeout: float = 10.0) -> tuple[int, str, str]:
        self.process.send_signal(number)
        out, err = finish(self.process, timeout)
        return self.process.returncode, out, err


@contextmanager
def serving(args: Sequence[str]) -> Iterator[Served]:
    """``dropout-tui serve --port 0 ARGS`` until the block ends; whatever is left of it and its apps is killed then."""
    process = start_cli(["serve", "--port", "0", *args])
    apps: list[int] = []
    try:
        line = process.stdout.readline()
        match = re.search(r"https?://\S+token=\S+", line)
        assert match, f"no link in {line!r}; stderr: {process.stderr.read() if process.poll() is not None else ''}"
        served = Served(process, match.group(0))
        if "--public-url" in args:
            forwarded = re.search(r"forwards to (\S+)$", process.stdout.readline().strip())
            assert forwarded, "no address behind the proxy"
            served.forwarded_to = forwarded.group(1)
        yield served
    finally:
        if process.poll() is None:
            apps = child_pids(process.pid)
            process.kill()
            process.wait()
        for pid in apps:
            with _gone_ok():
                os.killpg(pid, signal.SIGKILL)


@contextmanager
def _gone_ok() -> Iterator[None]:
    try:
        yield
    except (ProcessLookupError, PermissionError):
        pass


def child_pids(parent: int) -> list[int]:
    """Live (not zombie) processes whose parent is ``parent``."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            stat = _stat(int(entry.name))
            if stat and stat[1] == str(parent) and stat[0] != "Z":
                found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    """The process exists and is not a zombie (a zombie has ended: it only waits to be reaped)."""
    stat = _stat(pid)
    return stat is not None and stat[0] != "Z"


def _stat(pid: int) -> tuple[str, str] | None:
    """(state, parent pid) from /proc/PID/stat, or None once it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    state, ppid = text.rsplit(")", 1)[1].split()[:2]
    return state, ppid


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not {what} after {timeout:g} s")
        time.sleep(0.05)


def browser_or_skip() -> tuple[Any, str]:
    """Playwright with Debian's Chromium (Playwright's own download is unreachable here), or a skip saying why."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="the browser tests need `pip install -e .[test]`")
    executable = CHROMIUM if CHROMIUM.exists() else shutil.which("chromium")
    if not executable:
        pytest.skip("no browser: install Debian's chromium (`apt-get install -y chromium`; .ci/run does)")
    return sync_api, str(executable)


class Screen:
    """What a Playwright page's websocket has received from its app, as text: the terminal is drawn on a canvas,
    so the app's screen output (escape codes removed) is where a test can read what the page shows."""

    def __init__(self, page: Any) -> None:
        self.frames: list[str] = []
        page.on("websocket", lambda ws: ws.on("framereceived", self._received))

    def _received(self, payload: bytes | str) -> None:
        raw = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else payload
        self.frames.append(ANSI.sub("", raw))

    def since(self, index: int) -> str:
        return "".join(self.frames[index:])

    def wait_for(self, page: Any, *texts: str, since: int = 0, timeout: float = APP_START_S) -> None:
        """Until one of ``texts`` has reached the page since frame ``since``."""
        deadline = time.monotonic() + timeout
        while not any(text in self.since(since) for text in texts):
            assert time.monotonic() < deadline, f"none of {texts} reached the page"
            page.wait_for_timeout(100)


def unattached_app(argv: Sequence[str]) -> Any:
    """An AppProcess for ``argv`` with no browser behind it: what it writes for a page goes nowhere."""
    from textual_serve.download_manager import DownloadManager

    from dropout_tui.tui.serve.apps import AppProcess

    async def ignore(_: object = None) -> None:
        return None

    return AppProcess(argv, write_bytes=ignore, write_str=ignore, close=ignore, download_manager=DownloadManager())
