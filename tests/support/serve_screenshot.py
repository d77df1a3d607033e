"""Makes assets/serve.png, README's picture of `dropout-tui serve`: the train app in headless Chromium, 30 epochs.

Run from the checkout: `.venv/bin/python -m tests.support.serve_screenshot` (needs the test extra and Debian's
chromium). The page is captured, not the browser's window frame.
"""

from __future__ import annotations

import signal
from pathlib import Path

from tests.support.serving import CHROMIUM_ARGS, Screen, browser_or_skip, serving

ROOT = Path(__file__).resolve().parents[2]

RUN = ["train", "--epochs", "30", "--hidden", "64"]


def main() -> None:
    sync_api, executable = browser_or_skip()
    with serving(RUN) as served, sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 960, "height": 600})
        screen = Screen(page)
        page.goto(served.url)
        screen.wait_for(page, "finished │", timeout=300)
        page.wait_for_timeout(1000)  # the last frame drawn
        page.screenshot(path=str(ROOT / "assets" / "serve.png"))
        browser.close()
        served.stop(signal.SIGTERM)


if __name__ == "__main__":
    main()
