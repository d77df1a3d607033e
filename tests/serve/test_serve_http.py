"""`dropout-tui serve` as a plain HTTP and websocket client sees it: the token and Origin rules, the session cap,
the app's lifecycle by PID, and the server's exit on SIGINT/SIGTERM."""

from __future__ import annotations

import asyncio
import signal
import socket
import time

import aiohttp
import pytest

from tests.support.processes import finish, killed_if_left_running, start_cli
from tests.support.serving import APP_START_S, LONG_TRAIN, alive, child_pids, serving, unattached_app, wait_until

pytestmark = pytest.mark.subprocess


async def _status(url: str, headers: dict | None = None) -> int:
    async with aiohttp.ClientSession() as session, session.get(url, headers=headers or {}) as response:
        return response.status


async def _ws_status(url: str, origin: str | None) -> int:
    """The HTTP status of a websocket upgrade (101 when accepted; the socket is closed at once)."""
    headers = {"Origin": origin} if origin else {}
    async with aiohttp.ClientSession() as session:
        try:
            async with session.ws_connect(url, headers=headers):
                return 101
        except aiohttp.WSServerHandshakeError as error:
            return error.status


def test_every_request_without_the_token_is_forbidden() -> None:
    with serving(["train"]) as served:
        base, token = served.origin, served.token

        async def check() -> None:
            assert await _status(served.url) == 200
            assert await _status(f"{base}/static/js/textual.js?token={token}") == 200
            for path in ("/", "/?token=wrong", "/static/js/textual.js", "/static/", "/download/x", "/nothing"):
                assert await _status(base + path) == 403, path
            # A cookie of another server (another port) is not this one's.
            assert await _status(f"{base}/", {"Cookie": f"dropout-tui-token-1={token}"}) == 403
            assert await _ws_status(f"{base}/ws", origin=base) == 403
            assert await _ws_status(f"{base}/ws?token=wrong", origin=base) == 403

        asyncio.run(check())
        assert served.apps() == []


def test_a_websocket_from_another_origin_is_refused_even_with_the_token() -> None:
    with serving(["train"]) as served:
        ws = f"{served.origin}/ws?token={served.token}"

        async def check() -> None:
            assert await _ws_status(ws, origin="http://evil.example") == 403
            assert await _ws_status(ws, origin=served.origin.replace("127.0.0.1", "localhost")) == 403
            assert await _ws_status(ws, origin=None) == 403

        asyncio.run(check())
        assert served.apps() == [], "a refused websocket started an app"


def test_behind_a_proxy_the_link_and_the_page_name_its_address_and_its_pages_websocket_passes() -> None:
    with serving(["--public-url", "https://lab.example/dropout/", "train"]) as served:
        assert served.url == f"https://lab.example/dropout/?token={served.token}"
        ws = f"{served.origin}/ws?token={served.token}"

        async def check() -> None:
            async with aiohttp.ClientSession() as session, session.get(f"{served.origin}/?token={served.token}") as got:
                page = await got.text()
            assert 'data-session-websocket-url="wss://lab.example/dropout/ws"' in page
            assert 'url("/dropout/static/fonts/' in page
            assert await _ws_status(ws, origin="http://evil.example") == 403
            assert await _ws_status(ws, origin="https://lab.example") == 101

        asyncio.run(check())


def test_one_app_per_websocket_capped_and_ended_within_2_s_of_the_close() -> None:
    """--max-sessions 1: the second tab gets the refusal page and its websocket a 503, and no app; closing the
    first ends its app (by PID) within 2 s, and the place is free again."""
    with serving(["--max-sessions", "1", *LONG_TRAIN]) as served:
        ws_url = f"{served.origin}/ws?token={served.token}&width=80&height=24"

        async def check() -> float:
            async with aiohttp.ClientSession() as session:
                ws = await session.ws_connect(ws_url, headers={"Origin": served.origin})
                (pid,) = served.wait_for_apps(1)
                screen = b""
                deadline = time.monotonic() + APP_START_S
                while b"samples/s" not in screen and time.monotonic() < deadline:
                    message = await ws.receive(timeout=APP_START_S)
                    screen += message.data if message.type == aiohttp.WSMsgType.BINARY else b""
                assert b"samples/s" in screen, "the app never drew its training status"
                async with session.get(served.url) as refused:
                    assert refused.status == 503
                    assert "All 1 session in use" in await refused.text()
                assert await _ws_status(ws_url, origin=served.origin) == 503
                assert served.apps() == [pid], "a refused tab started an app"
                closed = time.monotonic()
                await ws.close()
                await asyncio.to_thread(wait_until, lambda: not alive(pid), 5.0, "the app ended")
                return time.monotonic() - closed

        seconds = asyncio.run(check())
        assert seconds < 2.0, f"the app outlived its websocket by {seconds:.2f} s"
        assert asyncio.run(_status(served.url)) == 200, "the ended app's place was not freed"
        code, _, _ = served.stop(signal.SIGINT)
        assert code == 130


def test_sigterm_ends_the_server_and_every_app_it_started() -> None:
    with serving(["--max-sessions", "2", *LONG_TRAIN]) as served:
        ws_url = f"{served.origin}/ws?token={served.token}"

        async def open_two() -> list[int]:
            async with aiohttp.ClientSession() as session:
                sockets = [await session.ws_connect(ws_url, headers={"Origin": served.origin}) for _ in range(2)]
                pids = await asyncio.to_thread(served.wait_for_apps, 2)
                code, _, _ = await asyncio.to_thread(served.stop, signal.SIGTERM)
                assert code == 143
                for ws in sockets:
                    await ws.close()
                return pids

        pids = asyncio.run(open_two())
        wait_until(lambda: not any(alive(pid) for pid in pids), 3.0, "every app ended with the server")


def test_a_port_in_use_is_one_line_and_exit_2() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with killed_if_left_running(start_cli(["serve", "--port", str(port)])) as process:
            out, err = finish(process, 30)
    assert process.returncode == 2
    assert err.startswith(f"dropout-tui: error: cannot listen on 127.0.0.1:{port}") and err.count("\n") == 1, err
    assert out == ""


def test_an_app_dies_with_the_server_even_when_the_server_is_killed() -> None:
    """SIGKILL leaves the server no chance to clean up: the kernel ends its apps (PR_SET_PDEATHSIG)."""
    with serving(LONG_TRAIN) as served:

        async def open_one() -> int:
            async with aiohttp.ClientSession() as session:
                ws = await session.ws_connect(
                    f"{served.origin}/ws?token={served.token}", headers={"Origin": served.origin}
                )
                (pid,) = await asyncio.to_thread(served.wait_for_apps, 1)
                served.process.kill()
                await asyncio.to_thread(served.process.wait)
                await ws.close()
                return pid

        pid = asyncio.run(open_one())
        wait_until(lambda: not alive(pid), 3.0, "the app ended with its killed server")


async def test_ending_an_app_ends_everything_it_started() -> None:
    """A tab's end reaches every process below its app: in the app's group, and in a session of its own (as a
    sweep's --jobs workers are, so that a terminal's Ctrl+C reaches only the sweep)."""
    app = unattached_app(["sh", "-c", "sleep 300 & setsid sleep 300 & sleep 300"])
    await app.start(80, 24)
    shell = app.pid
    assert shell is not None
    await asyncio.to_thread(wait_until, lambda: len(child_pids(shell)) == 3, 5.0, "three sleeps")
    sleeps = child_pids(shell)
    began = time.monotonic()
    await app.stop()
    assert time.monotonic() - began < 2.0
    assert not alive(shell) and not any(alive(pid) for pid in sleeps)
