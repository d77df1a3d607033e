"""Who may use the server: a request carries the token (URL or cookie); a websocket upgrade comes from our own page.

The token is what Jupyter's is: the printed link is the key, so any page the user visits cannot drive the
app on localhost, nor can another user of a shared machine. The Origin check stops a page elsewhere from
opening the websocket with a cookie the browser holds.
"""

from __future__ import annotations

import ipaddress
import secrets
from collections.abc import Callable

from aiohttp import hdrs, web
from aiohttp.typedefs import Handler, Middleware

TOKEN_PARAM = "token"


def new_token() -> str:
    return secrets.token_urlsafe(24)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def cookie_name(port: int) -> str:
    """Cookies ignore the port: two servers on one host must not overwrite each other's token."""
    return f"dropout-tui-token-{port}"


def _matches(given: str | None, token: str) -> bool:
    return given is not None and secrets.compare_digest(given.encode(), token.encode())


def token_in_url(request: web.Request, token: str) -> bool:
    return _matches(request.query.get(TOKEN_PARAM), token)


def has_token(request: web.Request, token: str, port: int) -> bool:
    return token_in_url(request, token) or _matches(request.cookies.get(cookie_name(port)), token)


def is_websocket(request: web.Request) -> bool:
    return request.headers.get(hdrs.UPGRADE, "").lower() == "websocket"


def same_origin(request: web.Request) -> bool:
    """The Origin is the address the request was sent to: our own page, however the user reached us."""
    return request.headers.get(hdrs.ORIGIN) == f"{request.scheme}://{request.host}"


def guard(token: str, port: Callable[[], int]) -> Middleware:
    """aiohttp middleware: 403 without the token, 403 for a websocket upgrade from another origin."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if not has_token(request, token, port()):
            raise web.HTTPForbidden(text="403: this link needs the token printed by `dropout-tui serve`\n")
        if is_websocket(request) and not same_origin(request):
            raise web.HTTPForbidden(text="403: websocket from another origin\n")
        response = await handler(request)
        if not response.prepared:
            # The token is in the page's URL: it must not leave in a Referer header.
            response.headers["Referrer-Policy"] = "no-referrer"
        return response

    return middleware
