"""Reading a child process to its end after some of its lines were read with readline()."""

from __future__ import annotations

import subprocess
import threading


def finish(process: subprocess.Popen, timeout: float) -> tuple[str, str]:
    """The rest of the child's stdout and its whole stderr, once it has exited; killed after ``timeout`` s.

    Popen.communicate reads the pipes' descriptors directly, so whatever readline() had already
    pulled into the file object's buffer would be silently lost; this reads through the file objects.
    """
    texts: dict[str, str] = {}

    def read(name: str, stream) -> None:
        texts[name] = stream.read()

    readers = [
        threading.Thread(target=read, args=(name, stream), daemon=True)
        for name, stream in (("stdout", process.stdout), ("stderr", process.stderr))
    ]
    for reader in readers:
        reader.start()
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        raise AssertionError(f"still running {timeout:g} s later") from None
    for reader in readers:
        reader.join(timeout)
    return texts.get("stdout", ""), texts.get("stderr", "")
