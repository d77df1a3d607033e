"""The aiohttp app behind `dropout-tui serve`: textual-serve's page, websocket and downloads, behind access.guard,
with one AppProcess per tab and at most --max-sessions of them."""

from __future__ import annotations

import asyncio
import logging
import shlex
from collections.abc import Sequence
from urllib.parse import urlsplit

from aiohttp import web
from textual_serve.server import Server, to_int

from dropout_tui.tui.serve import access
from dropout_tui.tui.serve.apps import AppProcess
from dropout_tui.tui.serve.page import STATIC, app_page, refusal_page
from dropout_tui.tui.serve.sessions import Sessions

log = logging.getLogger("dropout-tui.serve")


class AppServer(Server):
    """textual-serve's Server for one command line, with a token, an Origin check and a cap on running apps."""

    def __init__(
        self, argv: Sequence[str], *, token: str, max_sessions: int, title: str, public_url: str | None = None
    ) -> None:
        super().__init__(shlex.join(argv), title=title, statics_path=STATIC)
        self.argv = list(argv)
        self.token = token
        self.behind = public_url  # `--public-url`: the proxy's address for this server, without a trailing slash
        self.port = 0  # the port bound, once listening
        self.sessions = Sessions(max_sessions)
        self._page = app_page()

    def make_app(self) -> web.Application:
        app = web.Application(middlewares=[access.guard(self.token, lambda: self.port, self.behind)])
        app.add_routes(
            [
                web.get("/", self.handle_index),
                web.get("/ws", self.handle_websocket),
                web.get("/download/{key}", self.handle_download),
                web.static("/static", self.statics_path),
            ]
        )
        return app

    async def handle_index(self, request: web.Request) -> web.Response:
        if not await self.sessions.has_room():
            return web.Response(text=refusal_page(self.sessions.limit), content_type="text/html", status=503)
        websocket, static = self.page_addresses(request)
        page = self._page.render(
            font_size=to_int(request.query.get("fontsize", "16"), 16),
            app_websocket_url=websocket,
            config={"static": {"url": static}},
            application={"name": self.title},
            ping_url="",
        )
        response = web.Response(text=page, content_type="text/html")
        if access.token_in_url(request, self.token):
            # The page's own requests (scripts, fonts, the websocket) carry the token in this cookie.
            response.set_cookie(access.cookie_name(self.port), self.token, httponly=True, samesite="Strict", path="/")
        return response

    def page_addresses(self, request: web.Request) -> tuple[str, str]:
        """The page's websocket URL and static path: as the browser reached us (an SSH tunnel, a hostname), not
        as we bound; behind a proxy, at its address and under its path (which it takes off before us)."""
        if self.behind is None:
            return f"{'wss' if request.secure else 'ws'}://{request.host}/ws", "/static/"
        parts = urlsplit(self.behind)
        return f"{'wss' if parts.scheme == 'https' else 'ws'}://{parts.netloc}{parts.path}/ws", f"{parts.path}/static/"

    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        if not await self.sessions.has_room():
            raise web.HTTPServiceUnavailable(text=refusal_page(self.sessions.limit), content_type="text/html")
        websocket = web.WebSocketResponse(heartbeat=15)
        app = AppProcess(
            [*self.argv],
            write_bytes=websocket.send_bytes,
            write_str=websocket.send_str,
            close=websocket.close,
            download_manager=self.download_manager,
        )
        self.sessions.add(app)  # before any await: two tabs racing for the last place cannot both get it
        try:
            await websocket.prepare(request)
            await app.start(to_int(request.query.get("width", "80"), 80), to_int(request.query.get("height", "24"), 24))
            await self._process_messages(websocket, app)
        except asyncio.CancelledError:
            pass
        except Exception as error:  # a broken message from the page ends its session, not the server
            log.warning("session ended: %s", error)
        finally:
            await asyncio.shield(self.sessions.end(app))
            await websocket.close()
        return websocket
