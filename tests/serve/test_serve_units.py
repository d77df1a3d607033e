"""The pieces of `dropout-tui serve` that need no server: the page, the link, the warning, option checks."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from dropout_tui.tui import cli
from dropout_tui.tui.cli.options import options_of
from dropout_tui.tui.serve import access
from dropout_tui.tui.serve.command import exposure_warning, link
from dropout_tui.tui.serve.page import STATIC, app_page, refusal_page

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
    assert rows == {option.flag: (str(option.default_value()), option.help) for option in flags}


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
