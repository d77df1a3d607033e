"""When the terminal goes away (a closed window, a dropped connection), the app ends at once, with exit 129.

Textual cannot leave by itself then. Its input thread reads end-of-file in a loop, a core at 100%; its writer
thread dies on the first write that fails, and from the 31st write on the event loop waits for ever on its full
queue. So nothing here goes through the event loop: a daemon thread polls the terminal's input, and SIGHUP's
handler runs between bytecodes (a blocked wait included); either ends the process, with no terminal to restore.
A SIGHUP while the terminal is still there (`kill -HUP`) ends the app the orderly way, as SIGTERM does. A SIGHUP
that is ignored (nohup) stays ignored: the watch still ends the app once the terminal is gone.
"""

from __future__ import annotations

import os
import select
import signal
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

HANGUP_EXIT = 128 + signal.SIGHUP
CHECK_SECONDS = 0.5  # between looks at the terminal's input


def input_watch() -> select.poll | None:
    """A poll of the terminal's input (what Textual reads keys from), or None where it cannot be polled."""
    if sys.__stdin__ is None:
        return None
    try:
        watch = select.poll()
        watch.register(sys.__stdin__.fileno(), select.POLLIN)
    except (OSError, ValueError):  # a stdin without a descriptor
        return None
    return watch


def hung_up(watch: select.poll) -> bool:
    """True once the terminal has hung up; it reads as nothing to read, or keys, while it is there.

    POLLNVAL is no hang-up: macOS's poll() answers it for any tty, and there the watch just never fires."""
    return any(mask & (select.POLLHUP | select.POLLERR) for _, mask in watch.poll(0))


def watch_terminal(stop_workers: Callable[[], None], leave: Callable[[], Any]) -> None:
    """Under a real terminal: end the process once it hangs up (``stop_workers`` first: they are woken, not
    waited for), and take SIGHUP, which ``leave``s the orderly way while the terminal is still there."""
    watch = input_watch()
    if watch is None:
        return

    def end() -> None:
        stop_workers()
        os._exit(HANGUP_EXIT)

    def poll() -> None:
        while not hung_up(watch):
            time.sleep(CHECK_SECONDS)
        end()

    threading.Thread(target=poll, name="hang-up watch", daemon=True).start()
    if signal.getsignal(signal.SIGHUP) is not signal.SIG_IGN:
        signal.signal(signal.SIGHUP, lambda *_: end() if hung_up(watch) else leave())
