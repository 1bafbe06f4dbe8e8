"""The Links page of a client: the UTM builder with a live preview, the links with their numbers
and a copy button, and (for managers) the tracking settings and the conversion secret."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from socialdesk.clients import service as clients_service
from socialdesk.clients.schemas import Network
from socialdesk.clients.views import Form, client_page, see_other
from socialdesk.kit.authz import Principal
from socialdesk.kit.errors import InvalidInput
from socialdesk.links import service as links_service
from socialdesk.links.api import settings_out
from socialdesk.links.permissions import LINKS_SETTINGS, LINKS_VIEW, LINKS_WRITE
from socialdesk.links.schemas import Attribution, LinkIn, SettingsIn, StatsBy
from socialdesk.links.utm import UTM_FIELDS
from socialdesk.publishing import service as publishing_service
from socialdesk.vault.service import Vault
from socialdesk.web.deps import RowId, get_db, get_settings, require
from socialdesk.web.forms import collect_errors, error_map, validate
from socialdesk.web.templating import render

router = APIRouter(include_in_schema=False)
DB = Annotated[Session, Depends(get_db)]
LINK_FIELDS = ("destination", "label", "network", "campaign_id", *UTM_FIELDS)


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _values(form: FormData) -> dict:
    return {name: _text(form, name) for name in LINK_FIELDS}


def _link_in(values: dict) -> LinkIn:
    data = {k: v for k, v in values.items() if k not in ("network", "campaign_id")}
    data["network"] = values["network"] or None
    data["campaign_id"] = values["campaign_id"] or None
    return validate(LinkIn, data)


def _page(request: Request, session: Session, client_id: int, *, values=None, errors=None, secret=None,
          settings_errors=None, status: int = 200):
    principal: Principal = request.state.principal
    settings = get_settings(request)
    show_archived = request.query_params.get("archived") == "1"
    links = links_service.list_links(session=session, client_id=client_id, archived=show_archived)
    counts = links_service.counts_for(session=session, client_id=client_id, link_ids=[link.id for link in links])
    zone = ZoneInfo(clients_service.get(session=session, client_id=client_id).timezone)
    end = datetime.now(zone).date()
    days, total = links_service.stats(session=session, client_id=client_id, start=end - timedelta(days=13), end=end,
                                      by=StatsBy.DAY)
    campaigns = publishing_service.list_campaigns(session=session, client_id=client_id)
    ctx = {
        "links": links, "counts": counts, "show_archived": show_archived,
        "short_url": lambda code: links_service.short_url(settings, code),
        "values": values or {name: "" for name in LINK_FIELDS}, "errors": errors or {},
        "networks": [(n.value, n.value.capitalize() if n is not Network.X else "X") for n in Network],
        "campaigns": [(c.id, c.name) for c in campaigns], "campaign_names": {c.id: c.name for c in campaigns},
        "days": days, "total": total, "secret": secret, "settings_errors": settings_errors or {},
        "link_settings": settings_out(settings, links_service.settings_for(session=session, client_id=client_id)),
        "attributions": [(a.value, {"off": "Off (count conversions per client only)",
                                    "param": "Add sdc=<click token> to the destination",
                                    "cookie": "Set a first-party sd_click cookie (short domain same-site with theirs)"
                                    }[a.value]) for a in Attribution],
        "can_write": principal.can(LINKS_WRITE, client_id), "can_configure": principal.can(LINKS_SETTINGS, client_id),
        "made": request.query_params.get("made"),
    }
    return client_page(request, session, client_id, "links/links.html", ctx, status)


@router.get("/clients/{client_id}/links", dependencies=[Depends(require(LINKS_VIEW))])
def links_page(client_id: RowId, request: Request, session: DB):
    """The client's tracked links, their clicks, previews and conversions, and the UTM builder."""
    return _page(request, session, client_id)


@router.post("/clients/{client_id}/links/new")
def create_link(client_id: RowId, request: Request, session: DB, form: Form,
                principal: Principal = Depends(require(LINKS_WRITE))):
    """Make a short link from the builder form."""
    values = _values(form)
    with collect_errors(session) as errors:
        link = links_service.create_link(session=session, settings=get_settings(request), principal=principal,
                                         client_id=client_id, data=_link_in(values))
        return see_other(f"/clients/{client_id}/links?made={link.code}")
    return _page(request, session, client_id, values=values, errors=errors, status=422)


@router.post("/clients/{client_id}/links/builder-preview", dependencies=[Depends(require(LINKS_WRITE))])
def builder_preview(client_id: RowId, request: Request, form: Form):
    """The builder's live preview (an HTMX fragment): the final URL, or what is wrong with which field."""
    values = _values(form)
    url, problems = "", {}
    if values["destination"]:
        utm = {name: values[name] for name in UTM_FIELDS}
        if values["network"] and not utm["utm_source"]:
            utm["utm_source"] = values["network"]
        try:
            url = links_service.preview_url(settings=get_settings(request), destination=values["destination"], utm=utm)
        except InvalidInput as exc:
            problems = error_map(exc)
    return render(request, "links/_preview.html", {"url": url, "problems": problems})


@router.post("/clients/{client_id}/links/{link_id}/archive", dependencies=[Depends(require(LINKS_WRITE))])
def archive_link(client_id: RowId, link_id: RowId, session: DB, form: Form):
    """Archive (or, with restore=1, bring back) a link; it keeps redirecting either way."""
    link = links_service.get_link(session=session, client_id=client_id, link_id=link_id)
    restore = _text(form, "restore") == "1"
    links_service.set_archived(session=session, link=link, archived=not restore)
    return see_other(f"/clients/{client_id}/links?saved=1{'&archived=1' if restore else ''}")


@router.post("/clients/{client_id}/links/settings", dependencies=[Depends(require(LINKS_SETTINGS))])
def save_settings(client_id: RowId, request: Request, session: DB, form: Form):
    """Save the client's tracking choices."""
    origins = [line.strip() for line in _text(form, "pixel_origins").splitlines() if line.strip()]
    with collect_errors(session) as errors:
        data = validate(SettingsIn, {"hash_visitors": "hash_visitors" in form,
                                     "dedup_seconds": _text(form, "dedup_seconds") or 30,
                                     "attribution": _text(form, "attribution") or "off", "pixel_origins": origins})
        links_service.update_settings(session=session, client_id=client_id, data=data)
        return see_other(f"/clients/{client_id}/links?saved=1#settings")
    return _page(request, session, client_id, settings_errors=errors, status=422)


@router.post("/clients/{client_id}/links/secret", dependencies=[Depends(require(LINKS_SETTINGS))])
def new_secret(client_id: RowId, request: Request, session: DB):
    """Make a new conversion secret and show it once."""
    secret = links_service.new_conversion_secret(session=session, vault=Vault.from_settings(get_settings(request)),
                                                 client_id=client_id)
    return _page(request, session, client_id, secret=secret)
