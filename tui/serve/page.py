"""The pages a tab gets: textual-serve's own page with its fonts served from here, and the one saying all sessions
are in use.

textual-serve's page asks Google Fonts for Roboto Mono; the font files ship in its static folder, so the page
names them instead and nothing leaves the machine. textual-serve is pinned exactly: if its page changes, the
server refuses to start rather than serve a page that phones out.
"""

from __future__ import annotations

import html
from pathlib import Path

import jinja2
import textual_serve

STATIC = Path(textual_serve.__file__).resolve().parent / "static"
_TEMPLATE = Path(textual_serve.__file__).resolve().parent / "templates" / "app_index.html"
_REMOTE_FONTS = """    <link
      rel="stylesheet"
      href="https://fonts.googleapis.com/css?family=Roboto%20Mono"
    />"""
_LOCAL_FONTS = """    <title>{{ application.name }}</title>
    <style>
      @font-face {
        font-family: "Roboto Mono";
        src: url("{{ config.static.url }}fonts/RobotoMono-VariableFont_wght.ttf") format("truetype");
        font-style: normal;
      }
      @font-face {
        font-family: "Roboto Mono";
        src: url("{{ config.static.url }}fonts/RobotoMono-Italic-VariableFont_wght.ttf") format("truetype");
        font-style: italic;
      }
    </style>"""

_BODY_END = "  </body>"
# Keys reach the app without a click first (textual-serve's page leaves the focus on the page's body).
_FOCUS_TERMINAL = """    <script>
      window.addEventListener("load", () => {
        const focus = () => {
          const input = document.querySelector(".xterm-helper-textarea");
          input ? input.focus() : setTimeout(focus, 50);
        };
        focus();
      });
    </script>
  </body>"""


def app_page() -> jinja2.Template:
    """textual-serve's page, fonts local, terminal focused; RuntimeError if the page lacks what this replaces."""
    text = _TEMPLATE.read_text(encoding="utf-8")
    for old, new in ((_REMOTE_FONTS, _LOCAL_FONTS), (_BODY_END, _FOCUS_TERMINAL)):
        if text.count(old) != 1:
            raise RuntimeError(f"textual-serve's page changed ({_TEMPLATE}): {old.strip()!r} not found once")
        text = text.replace(old, new)
    environment = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    return environment.from_string(text)


RETRY_S = 3  # a refused tab asks again this often: a reload is refused while its own old app still runs


def refusal_page(limit: int) -> str:
    """What a tab beyond --max-sessions shows: no app is started for it; it takes the next place that frees up."""
    sessions = "session" if limit == 1 else "sessions"
    return f"""<!DOCTYPE html>
<html><head><title>dropout-tui: all sessions in use</title><meta http-equiv="refresh" content="{RETRY_S}"></head>
<body style="background:#0c181f;color:#eee;font-family:monospace;padding:2em">
<h1>All {limit} {sessions} in use</h1>
<p>This server runs at most {limit} {html.escape(sessions)} at once (<code>--max-sessions {limit}</code>):
each is its own TensorFlow process. This page opens the app by itself as soon as another tab of this
server is closed.</p>
</body></html>
"""
