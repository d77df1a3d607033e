"""Fetching a file into the Keras cache the way keras.datasets does, but bounded in time.

keras.utils.get_file uses urlretrieve, which has no timeout: offline or on a
server that never answers it hangs. Here every connect and read has a timeout,
the whole file a deadline, the bytes go to a temporary file in the cache folder
and are renamed into place only when complete and (when a digest is known)
verified; on any failure nothing is left behind. Nothing here prints.
"""

from __future__ import annotations

import hashlib
import os
import socket
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

CHUNK = 1 << 16


class DownloadError(Exception):
    """The download failed; the message is one short line (the reason)."""


def download(url: str, dest: Path, *, sha256: str | None, timeout: float, deadline: float) -> Path:
    """Fetch ``url`` to ``dest`` atomically, or raise DownloadError with the reason."""
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
    except OSError as error:
        raise DownloadError(f"cannot write to {dest.parent}: {error.strerror or error}") from None
    hasher = hashlib.sha256()
    started = time.monotonic()
    try:
        with os.fdopen(handle, "wb") as out, urllib.request.urlopen(url, timeout=timeout) as response:
            while block := response.read(CHUNK):
                hasher.update(block)
                out.write(block)
                if time.monotonic() - started > deadline:
                    raise DownloadError(f"not complete after {deadline:g} s")
        if sha256 is not None and hasher.hexdigest() != sha256:
            raise DownloadError(
                f"the file's sha256 {hasher.hexdigest()[:12]}... is not the expected {sha256[:12]}... (not kept)"
            )
        os.replace(temporary, dest)
    except DownloadError:
        _remove(temporary)
        raise
    except BaseException as error:
        _remove(temporary)
        if isinstance(error, Exception):
            raise DownloadError(reason(error)) from None
        raise
    return dest


def reason(error: BaseException) -> str:
    """Why a download failed, in a few words: offline, refused, no answer, an HTTP status."""
    cause = (
        error.reason
        if isinstance(error, urllib.error.URLError) and not isinstance(error, urllib.error.HTTPError)
        else error
    )
    if isinstance(error, urllib.error.HTTPError):
        return f"the server answered HTTP {error.code} {error.reason}"
    if isinstance(cause, socket.gaierror):
        return "offline: the host name could not be resolved"
    if isinstance(cause, (TimeoutError, socket.timeout)):
        return "the server did not answer in time"
    if isinstance(cause, ConnectionRefusedError):
        return "the connection was refused"
    if isinstance(cause, OSError):
        return f"network error: {cause.strerror or cause}"
    return f"{type(error).__name__}: {' '.join(str(error).split())[:120]}"


def _remove(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
