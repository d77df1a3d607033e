"""`dropout-tui serve` driven in a real headless Chromium through Playwright: the page shows the app, keys reach it,
nothing is fetched from elsewhere, the token and the session cap hold, and tabs and the server end their apps.

The terminal is drawn on a canvas, so what the app shows is read where the page reads it: the websocket frames
the page receives (the app's screen output, escape codes removed).
"""

from __future__ import annotations

import re
import signal
import time
from collections.abc import Iterator

import pytest

from dropout_tui.tui.panes.status import STATE_WORDS
from tests.support.serving import (
    APP_START_S,
    CHROMIUM_ARGS,
    LONG_TRAIN,
    alive,
    browser_or_skip,
    serving,
    wait_until,
)

pytestmark = pytest.mark.browser
ANSI = re.compile(r"\x1b(\[[0-9;?<>=$]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[PX^_][^\x1b]*\x1b\\|[@-Z\\-_])")
VIEWPORT = {"width": 1000, "height": 640}


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    sync_api, executable = browser_or_skip()
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


class Screen:
    """What the page's websocket has received from the app, as text."""

    def __init__(self, page) -> None:
        self.frames: list[str] = []
        page.on("websocket", lambda ws: ws.on("framereceived", self._received))

    def _received(self, payload: bytes | str) -> None:
        raw = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else payload
        self.frames.append(ANSI.sub("", raw))

    def since(self, index: int) -> str:
        return "".join(self.frames[index:])

    def wait_for(self, page, *texts: str, since: int = 0, timeout: float = APP_START_S) -> None:
        """Until one of ``texts`` has reached the page since frame ``since``."""
        deadline = time.monotonic() + timeout
        while not any(text in self.since(since) for text in texts):
            assert time.monotonic() < deadline, f"none of {texts} reached the page"
            page.wait_for_timeout(100)


def test_the_page_shows_the_app_keys_reach_it_and_nothing_leaves_the_machine(browser) -> None:
    with serving(LONG_TRAIN) as served:
        page = browser.new_page(viewport=VIEWPORT)
        requests: list[str] = []
        page.on("request", lambda request: requests.append(request.url))
        screen = Screen(page)
        page.goto(served.url)
        screen.wait_for(page, "samples/s")
        assert page.evaluate("document.body.classList.contains('-first-byte')"), "the page never drew the app"
        assert "Pause" in screen.since(0), "the footer's keys never reached the page"
        (pid,) = served.apps()
        mark = len(screen.frames)
        page.keyboard.press("Space")
        screen.wait_for(page, "paused (space resumes", since=mark, timeout=15)
        mark = len(screen.frames)
        page.keyboard.press("Space")
        # Resumed: training again, or evaluating after an epoch that ended meanwhile.
        screen.wait_for(page, f"{STATE_WORDS['running']} │", STATE_WORDS["evaluating"], since=mark, timeout=15)
        assert requests and all(url.startswith(served.origin + "/") for url in requests), requests
        code, _, _ = served.stop(signal.SIGTERM)
        assert code == 143
        wait_until(lambda: not alive(pid), 3.0, "the tab's app ended with the server")
        page.close()


def test_a_tab_beyond_max_sessions_gets_the_refusal_page_and_closing_a_tab_ends_its_app(browser) -> None:
    with serving(["--max-sessions", "1", *LONG_TRAIN]) as served:
        first = browser.new_page(viewport=VIEWPORT)
        screen = Screen(first)
        first.goto(served.url)
        screen.wait_for(first, "samples/s")
        (pid,) = served.apps()
        second = browser.new_page(viewport=VIEWPORT)
        response = second.goto(served.url)
        assert response.status == 503
        assert "All 1 session in use" in second.inner_text("body")
        assert served.apps() == [pid], "the refused tab started an app"
        closed = time.monotonic()
        first.close()
        wait_until(lambda: not alive(pid), 5.0, "the closed tab's app ended")
        seconds = time.monotonic() - closed
        assert seconds < 2.0, f"the app outlived its tab by {seconds:.2f} s"
        second.close()
        code, _, _ = served.stop(signal.SIGINT)
        assert code == 130


def test_the_link_without_its_token_shows_no_app(browser) -> None:
    with serving(["train"]) as served:
        page = browser.new_page(viewport=VIEWPORT)
        response = page.goto(served.origin + "/")
        assert response.status == 403
        assert "token" in page.inner_text("body")
        assert page.goto(served.url.replace(served.token, "x" + served.token[1:])).status == 403
        assert served.apps() == []
        page.close()
