"""The pieces of `dropout-tui serve` that need no server: the page, the link, the warning, option checks."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import make_mocked_request

from dropout_tui.tui import cli
from dropout_tui.tui.cli.options import options_of
from dropout_tui.tui.serve import access
from dropout_tui.tui.serve.command import exposure_warning, link
from dropout_tui.tui.serve.page import STATIC, app_page, refusal_page
from dropout_tui.tui.serve.server import AppServer

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")


def _page() -> str:
    return app_page().render(
        font_size=16,
        app_websocket_url="ws://127.0.0.1:1/ws",
        config={"static": {"url": "/static/"}},
        application={"name": "dropout-tui train"},
        ping_url="",
    )


def test_the_page_asks_nothing_of_another_machine() -> None:
    page = _page()
    # An SVG namespace is a name, not a request.
    assert re.findall(r"(?<!xmlns=\")https?://", page) == [], "the page names a remote address"
    assert "fonts.googleapis" not in page
    for font in re.findall(r'url\("/static/([^"]+)"\)', page):
        assert (STATIC / font).is_file(), f"the page names {font}, which is not served"
    assert 'data-session-websocket-url="ws://127.0.0.1:1/ws"' in page


def test_the_refusal_page_says_how_many_and_what_to_do() -> None:
    assert "All 1 session in use" in refusal_page(1)
    assert "All 3 sessions in use" in refusal_page(3)
    assert "--max-sessions 3" in refusal_page(3)


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.0.0.2", True),
        ("localhost", True),
        ("::1", True),
        ("0.0.0.0", False),
        ("::", False),
        ("192.168.1.5", False),
        ("myhost", False),
    ],
)
def test_only_loopback_goes_without_a_warning(host: str, loopback: bool) -> None:
    assert access.is_loopback(host) is loopback
    warning = exposure_warning(host)
    assert (warning is None) is loopback
    if warning:
        assert "anyone with the link" in warning and "controls the app" in warning and host in warning


def test_the_link_carries_the_token_and_a_host_a_browser_can_open() -> None:
    assert link("127.0.0.1", 8000, "abc") == "http://127.0.0.1:8000/?token=abc"
    assert link("::1", 8000, "abc") == "http://[::1]:8000/?token=abc"
    assert "0.0.0.0" not in link("0.0.0.0", 8000, "abc")


def test_tokens_are_long_and_fresh() -> None:
    tokens = {access.new_token() for _ in range(50)}
    assert len(tokens) == 50 and min(map(len, tokens)) >= 32


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["serve", "--port", "65536"], "--port must be in [0, 65535], got 65536"),
        (["serve", "--max-sessions", "0"], "--max-sessions must be in [1, 16], got 0"),
        (["serve", "explain"], "invalid choice: 'explain'"),
        (["serve", "train", "--rate", "7"], "--rate must be in [0, 1), got 7.0"),
        (["serve", "train", "--headless"], "--headless has no screen to serve"),
        (["serve", "train", "--port", "1"], "unrecognized arguments: --port 1"),
        (["serve", "inspect"], "the following arguments are required: --model"),
        (["serve", "--public-url", "lab.example"], "expected an http:// or https:// address with a host"),
        (["serve", "--public-url", "ftp://lab.example"], "got 'ftp://lab.example'"),
        (["serve", "--public-url", "https://"], "got 'https://'"),
        (["serve", "--public-url", "https://lab.example:99999"], "got 'https://lab.example:99999'"),
        (["serve", "--public-url", "https://lab.example/?a=1"], "got 'https://lab.example/?a=1'"),
    ],
)
def test_bad_options_are_one_line_and_exit_2_before_anything_listens(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as raised:
        code = cli.main(argv)
        raise SystemExit(code)
    assert raised.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("dropout-tui: error: ") and message in err and err.count("\n") == 1, err


def test_readme_lists_exactly_serves_options_with_their_defaults_and_help() -> None:
    section = README[README.index("## Serve: the app in a browser") :]
    section = section[: section.index("\n## ", 1)]
    rows = {}
    for line in section.splitlines():
        if line.startswith("| `--"):
            flag_cell, default, meaning = (cell.strip() for cell in line.strip("|").split("|"))
            rows[flag_cell.strip("`").split()[0]] = (default.strip("`"), meaning)
    flags = [option for option in options_of("serve") if not option.positional]
    shown = {option.flag: "none" if option.default_value() is None else str(option.default_value()) for option in flags}
    assert rows == {option.flag: (shown[option.flag], option.help) for option in flags}


def test_an_app_served_through_textual_serves_driver_needs_no_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each tab's app talks to the server over pipes: the no-terminal refusal must not apply to it."""
    from dropout_tui.engine.errors import ConfigError
    from dropout_tui.tui.cli.checks import DRIVER_VARIABLE, require_terminal

    monkeypatch.delenv(DRIVER_VARIABLE, raising=False)
    with pytest.raises(ConfigError, match="no terminal"):
        require_terminal("train")  # pytest's stdin is no terminal
    from tests.support.serving import unattached_app

    app = unattached_app(["true"])
    monkeypatch.setenv(DRIVER_VARIABLE, app._build_environment()[DRIVER_VARIABLE])  # what each tab's app gets
    require_terminal("train")


PUBLIC = "https://lab.example/dropout"  # as `--public-url` keeps it: no trailing slash


def _request(origin: str | None, token: str = "t0k", host: str = "127.0.0.1:8000") -> web.Request:
    headers = {"Host": host, "Upgrade": "websocket", "Connection": "Upgrade"}
    if origin is not None:
        headers["Origin"] = origin
    return make_mocked_request("GET", f"/ws?token={token}", headers=headers)


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        ("https://Lab.Example/dropout", "https://lab.example"),
        ("https://lab.example:443/x", "https://lab.example"),
        ("https://lab.example:8443", "https://lab.example:8443"),
        ("http://lab.example:80", "http://lab.example"),
        ("http://10.0.0.2:8080/a/b", "http://10.0.0.2:8080"),
        ("https://[::1]:8443/p", "https://[::1]:8443"),
    ],
)
def test_the_origin_of_a_public_url_is_what_a_browser_sends_from_it(url: str, origin: str) -> None:
    assert access.origin_of(url) == origin


@pytest.mark.parametrize(
    ("public_url", "origin", "allowed"),
    [
        (None, "http://127.0.0.1:8000", True),  # our own page, reached directly
        (None, "https://lab.example", False),  # a proxy's page, not declared
        (PUBLIC, "https://lab.example", True),
        (PUBLIC, "http://127.0.0.1:8000", True),  # the server's own page still works on its own address
        (PUBLIC, "http://lab.example", False),  # the scheme is part of the origin
        (PUBLIC, "https://lab.example.evil", False),
        (PUBLIC, None, False),
    ],
)
def test_a_websocket_passes_from_its_own_page_or_the_declared_proxys(
    public_url: str | None, origin: str | None, allowed: bool
) -> None:
    middleware = access.guard("t0k", lambda: 8000, public_url)

    async def handler(request: web.Request) -> web.StreamResponse:
        return web.Response(text="through")

    async def passes(token: str) -> bool:
        try:
            await middleware(_request(origin, token=token), handler)
        except web.HTTPForbidden:
            return False
        return True

    assert asyncio.run(passes("t0k")) is allowed
    assert asyncio.run(passes("wrong")) is False  # a declared proxy is no way around the token


def test_behind_a_proxy_the_page_and_the_link_use_its_address() -> None:
    argv = ["python", "-m", "dropout_tui.tui.cli", "train"]
    direct = AppServer(argv, token="t0k", max_sessions=1, title="t")
    proxied = AppServer(argv, token="t0k", max_sessions=1, title="t", public_url=PUBLIC)
    request = _request(None, host="localhost:8000")
    assert direct.page_addresses(request) == ("ws://localhost:8000/ws", "/static/")
    assert proxied.page_addresses(request) == ("wss://lab.example/dropout/ws", "/dropout/static/")
    assert AppServer(argv, token="t0k", max_sessions=1, title="t", public_url="http://box:81").page_addresses(
        request
    ) == ("ws://box:81/ws", "/static/")
    assert link("127.0.0.1", 8000, "t0k", PUBLIC) == "https://lab.example/dropout/?token=t0k"
    assert cli.build_parser().parse_args(["serve", "--public-url", PUBLIC + "/"]).public_url == PUBLIC
