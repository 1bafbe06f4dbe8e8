"""The public short-link routes: the redirect ``GET|HEAD /l/{code}`` and the pixel ``GET /l/px.gif``.

The redirect answers 302 with ``Cache-Control: no-store`` (every visit must reach us) and
``Referrer-Policy: no-referrer`` (the destination need not learn the short link; the UTM values say
where the visit came from). A HEAD, a prefetch or a known preview bot counts as a preview, not a
click. An unknown code answers a 404 page and redirects nowhere. See links/api.py for attribution.
"""

from __future__ import annotations

import re

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from socialdesk.kit.errors import InvalidInput
from socialdesk.links import bots, service as links_service
from socialdesk.links.schemas import PUBLIC_ID as PUBLIC_ID_PATTERN, ConversionIn
from socialdesk.web.deps import client_ip, get_settings, public
from socialdesk.web.forms import validate

router = APIRouter(include_in_schema=False)
CODE = re.compile(r"[A-Za-z0-9]{6,12}")
PUBLIC_ID = re.compile(PUBLIC_ID_PATTERN)
TOKEN = re.compile(r"[A-Za-z0-9_-]{1,24}")
NO_STORE = {"Cache-Control": "no-store, max-age=0", "Pragma": "no-cache"}
COOKIE_DAYS = 30


def _gif(status: int = 200, note: str = "") -> Response:
    headers = dict(NO_STORE)
    if note:
        headers["X-Socialdesk-Conversion"] = note
    return Response(links_service.PIXEL_GIF, status_code=status, media_type="image/gif", headers=headers)


@router.get("/l/px.gif", dependencies=[Depends(public)])
def pixel(request: Request, c: str = "", k: str = "conversion", v: str | None = None, cur: str | None = None,
          ref: str | None = None, sdc: str | None = None, link: str | None = None):
    """The conversion pixel: always a GIF; the X-Socialdesk-Conversion header says what happened."""
    with request.app.state.database.session(write=True) as session:
        row = links_service.by_public_id(session=session, public_id=c) if PUBLIC_ID.fullmatch(c) else None
        if row is None:
            return _gif(404, "unknown client")
        if not links_service.pixel_origin_allowed(row, request.headers):
            return _gif(403, "origin not allowed")
        cookie = request.cookies.get(links_service.CLICK_COOKIE, "")
        cookie = cookie if TOKEN.fullmatch(cookie) else None  # a mangled cookie is no reason to refuse the hit
        fields = {"client": c, "kind": k or "conversion", "value": v or None, "currency": cur or None,
                  "order_ref": ref or None, "click": sdc or cookie, "link": link}
        try:
            data = validate(ConversionIn, fields)
        except InvalidInput as exc:
            # A header value: printable ASCII only (the message may quote what was sent).
            return _gif(422, "".join(ch if " " <= ch <= "~" else "?" for ch in exc.message[:300]))
        done = links_service.record_conversion(session=session, client_id=row.client_id, data=data, source="pixel")
        return _gif(200, "recorded" if done.recorded else "duplicate")


def _not_found(request: Request):
    from socialdesk.web.templating import render

    response = render(request, "links/not_found.html", {}, 404)
    response.headers.update(NO_STORE)
    return response


@router.api_route("/l/{code}", methods=["GET", "HEAD"], dependencies=[Depends(public)])
def redirect(code: str, request: Request):
    """Send the visitor on to the link's destination and count the visit (or the preview)."""
    if not CODE.fullmatch(code):
        return _not_found(request)
    preview = bots.is_preview(request.method, request.headers.get("user-agent"), request.headers)
    with request.app.state.database.session(write=True) as session:
        target = links_service.lookup(session=session, code=code)
        if target is None:
            return _not_found(request)
        token = links_service.record_click(session=session, target=target, ip=client_ip(request),
                                           user_agent=request.headers.get("user-agent"),
                                           referrer=request.headers.get("referer"), preview=preview)
    location = target.destination
    if token and target.attribution == "param":
        location = links_service.destination_with_click(location, token)
    response = RedirectResponse(location, status_code=302, headers={**NO_STORE, "Referrer-Policy": "no-referrer"})
    if token and target.attribution == "cookie":
        settings = get_settings(request)
        response.set_cookie(links_service.CLICK_COOKIE, token, max_age=COOKIE_DAYS * 86400, path="/",
                            samesite="lax", httponly=True, secure=settings.secure_cookies)
    return response

