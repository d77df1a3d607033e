"""Who may use the server: a request carries the token (URL or cookie); a websocket upgrade comes from our own page.

The token is what Jupyter's is: the printed link is the key, so any page the user visits cannot drive the
app on localhost, nor can another user of a shared machine. The Origin check stops a page elsewhere from
opening the websocket with a cookie the browser holds. Behind a reverse proxy the page's origin is the
proxy's (`--public-url`), which the check accepts as well.
"""

from __future__ import annotations

import ipaddress
import secrets
from collections.abc import Callable
from urllib.parse import urlsplit

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


def origin_of(url: str) -> str:
    """The Origin a browser sends from a page at ``url``: scheme, host and a port other than the scheme's own."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    host = f"[{host}]" if ":" in host else host
    default = {"http": 80, "https": 443}.get(parts.scheme)
    port = f":{parts.port}" if parts.port is not None and parts.port != default else ""
    return f"{parts.scheme}://{host}{port}"


def same_origin(request: web.Request, public_origin: str | None = None) -> bool:
    """The Origin is the address the request was sent to (our own page, however the user reached us), or the
    address a reverse proxy in front of us serves that page at."""
    origin = request.headers.get(hdrs.ORIGIN)
    return origin is not None and origin in (f"{request.scheme}://{request.host}", public_origin)


def guard(token: str, port: Callable[[], int], public_url: str | None = None) -> Middleware:
    """aiohttp middleware: 403 without the token, 403 for a websocket upgrade from another origin."""
    public_origin = origin_of(public_url) if public_url else None

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if not has_token(request, token, port()):
            raise web.HTTPForbidden(text="403: this link needs the token printed by `dropout-tui serve`\n")
        if is_websocket(request) and not same_origin(request, public_origin):
            raise web.HTTPForbidden(text="403: websocket from another origin\n")
        response = await handler(request)
        if not response.prepared:
            # The token is in the page's URL: it must not leave in a Referer header.
            response.headers["Referrer-Policy"] = "no-referrer"
        return response

    return middleware
