"""`dropout-tui serve` driven in a real headless Chromium through Playwright: the page shows the app, keys reach it,
nothing is fetched from elsewhere, the token and the session cap hold, and tabs and the server end their apps.

The terminal is drawn on a canvas, so what the app shows is read where the page reads it (serving.Screen).
"""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from typing import Any

import pytest

from dropout_tui.tui.panes.status import STATE_WORDS
from dropout_tui.tui.serve.page import RETRY_S
from tests.support.serving import (
    CHROMIUM_ARGS,
    LONG_TRAIN,
    Screen,
    alive,
    browser_or_skip,
    serving,
    wait_until,
)

pytestmark = pytest.mark.browser
VIEWPORT = {"width": 1000, "height": 640}


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    sync_api, executable = browser_or_skip()
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def test_the_page_shows_the_app_keys_reach_it_and_nothing_leaves_the_machine(browser: Any) -> None:
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


def test_a_tab_beyond_max_sessions_gets_the_refusal_page_and_closing_a_tab_ends_its_app(browser: Any) -> None:
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
        # The refused tab asks again by itself and takes the freed place.
        wait_until(lambda: len(served.apps()) == 1, 3 * RETRY_S, "the waiting tab got an app")
        second.close()
        code, _, _ = served.stop(signal.SIGINT)
        assert code == 130


def test_the_link_without_its_token_shows_no_app(browser: Any) -> None:
    with serving(["train"]) as served:
        page = browser.new_page(viewport=VIEWPORT)
        response = page.goto(served.origin + "/")
        assert response.status == 403
        assert "token" in page.inner_text("body")
        assert page.goto(served.url.replace(served.token, "x" + served.token[1:])).status == 403
        assert served.apps() == []
        page.close()
