"""How the app tells a terminal that hung up from one that is only quiet (tui/hangup.py), on real descriptors."""

from __future__ import annotations

import os
import select

from dropout_tui.tui.hangup import hung_up


def _watch(fd: int) -> select.poll:
    watch = select.poll()
    watch.register(fd, select.POLLIN)
    return watch


def test_a_quiet_terminal_and_one_with_keys_waiting_are_there_and_a_closed_one_has_hung_up() -> None:
    master, slave = os.openpty()
    try:
        watch = _watch(slave)
        assert not hung_up(watch)
        os.write(master, b"q")  # a key waits to be read
        assert not hung_up(watch)
        os.close(master)  # the window closes, or the connection drops
        master = -1
        assert hung_up(watch)
    finally:
        os.close(slave)
        if master != -1:
            os.close(master)


def test_an_invalid_descriptor_is_no_hang_up() -> None:
    # What macOS's poll() answers for every tty: there the watch must stay quiet, not end the app at once.
    read_end, write_end = os.pipe()
    watch = _watch(read_end)
    os.close(read_end)
    os.close(write_end)
    assert watch.poll(0) and not hung_up(watch)
