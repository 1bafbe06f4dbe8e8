"""Tenant isolation and permission checks on EVERY route of the API.

The walk takes each path and method of the app's OpenAPI spec, finds the permission the route
declares (``socialdesk.web.deps.declared_access``), and calls it as every kind of person of the
world (tests/world.py), as an outsider and anonymously. What each may do is computed from
``socialdesk.kit.authz`` and the world's definition; the app's answer must match:

* no role on A, for a client-scoped permission -> 404, and no text of A's in the answer;
* a role (or agency standing) that lacks the permission -> 403;
* allowed -> 2xx;
* anonymous -> 401 (public routes are listed in PUBLIC with the status they answer).

A new route makes this file fail until it is covered: an unknown path parameter, a write route
without a sample body or an unlisted public route each fail with what to add.
"""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from fastapi import APIRouter, Depends, FastAPI

from socialdesk.channels.permissions import CHANNELS_MANAGE, CHANNELS_VIEW
from socialdesk.clients.permissions import BRAND_EDIT, BRAND_VIEW, CLIENT_CREATE, CLIENT_VIEW, LOG_WRITE
from socialdesk.kit.authz import AgencyRole, Principal, Role, Scope, authorize
from socialdesk.kit.errors import Forbidden, NotFound
from socialdesk.team.permissions import TEAM_MANAGE
from socialdesk.web.deps import api_routes, audit_routes, declared_access, public, require
from world import PASSWORD, Person, World, unique

METHODS = ("get", "post", "put", "patch", "delete")
WRITE_METHODS = {"post", "put", "patch", "delete"}
PRINCIPALS = [
    "owner",
    "director",
    "manager",
    "community_manager",
    "content_creator",
    "analyst",
    "client_approver",
    "manager_read_only",
    "outsider",
    None,  # anonymous
]

# Public routes and the status each answers in the world (the owner exists, so sign-up is refused).
PUBLIC = {
    "POST /api/auth/signup": 409,
    "POST /api/auth/login": 200,
    "POST /api/auth/logout": 204,
    "POST /api/invitations/accept/{token}": 201,
    "POST /api/conversions": 401,  # authenticated by the client's conversion secret, which nobody sends here
}

# Path segment before {item_id} -> the world's object of that kind (fresh for writes).
ITEM_KINDS = {
    "personas": ("persona_id", World.fresh_persona),
    "kpi-targets": ("kpi_id", World.fresh_kpi),
    "contacts": ("contact_id", World.fresh_contact),
}


def _item_id(world: World, person: Person | None, method: str, path: str) -> int:
    segment = path.split("/{item_id}")[0].rsplit("/", 1)[-1]
    assert segment in ITEM_KINDS, f"add a sample value for item_id under /{segment}/ (ITEM_KINDS)"
    attr, fresh = ITEM_KINDS[segment]
    return fresh(world) if method in WRITE_METHODS else getattr(world, attr)


def _token_id(world: World, person: Person | None, method: str, path: str) -> int:
    # A token of the caller's own (never the one the request is made with).
    return world.fresh_token(person or world["owner"])


def _push_target(world: World, person: Person | None) -> int:
    """A push target of the caller's own (anyone else's is not found), pointing at a closed port."""
    from socialdesk.notify.models import PushTarget
    from socialdesk.vault import service as vault_service

    with world.database.session() as s:
        row = PushTarget(user_id=(person or world["owner"]).id, label="Walk phone", scheme="json", enabled=True)
        s.add(row)
        s.flush()
        vault_service.put(session=s, vault=vault_service.Vault.from_settings(world.settings), name=row.secret_name,
                          value="json://127.0.0.1:9/walk")
        return row.id


def _lead_destination(world: World) -> None:
    """A's leads go to a webhook (on a closed port: the delivery fails later, the handoff is accepted)."""
    from socialdesk.inbox.models import InboxSettings

    with world.database.session() as s:
        row = s.get(InboxSettings, world.a_id) or InboxSettings(client_id=world.a_id)
        row.lead_webhook_url = "http://127.0.0.1:9/walk-handoff"
        s.add(row)


def _saved_reply(world: World) -> int:
    from socialdesk.inbox.models import SavedReply

    return world._insert(SavedReply(client_id=world.a_id, title="Walk saved", text="Walk saved reply"))


def _failed_reply(world: World) -> int:
    """A reply on A's conversation that failed (its retry fails again: the channel points at a closed port)."""
    from socialdesk.inbox.models import InboxReply
    from socialdesk.publishing.timing import new_marker

    return world._insert(InboxReply(conversation_id=world.conversation_id, client_id=world.a_id,
                                    channel_id=world.channel_id, text="Walk reply", marker=new_marker(),
                                    status="failed", error="walk"))


def _listening_query(world: World) -> int:
    from socialdesk.listening.models import ListeningQuery

    return world._insert(ListeningQuery(client_id=world.a_id, name=f"Walk query {unique()}", topic="brand",
                                        text="alpha", enabled=True))


def _listening_source(world: World, path: str) -> int:
    """A feed source of client A, or an agency-wide one for the agency routes."""
    from socialdesk.listening.models import ListeningSource

    client_id = world.a_id if "{client_id}" in path else None
    return world._insert(ListeningSource(name=f"Walk source {unique()}", kind="rss", client_id=client_id,
                                         config={"url": "https://feeds.example.com/walk.xml"}, enabled=True,
                                         last_error="", last_report="", mentions_total=0))


def _tracked_link(world: World) -> int:
    from socialdesk.links.models import TrackedLink

    return world._insert(TrackedLink(client_id=world.a_id, code=unique("walk").ljust(8, "k")[:12],
                                     destination="https://alpha-orchard.example/walk", label="Walk link"))


def _report_definition(world: World) -> int:
    """A report definition of client A with a recipient (sending fails later: the walk has no SMTP server)."""
    from socialdesk.reports.models import ReportDefinition

    return world._insert(ReportDefinition(client_id=world.a_id, name=f"Walk report {unique()}", sections=["kpis"],
                                          period_kind="month", comparison="previous",
                                          recipients=["walk@alpha-orchard.example"], schedule="off", next_steps=""))


def _report_share(world: World) -> int:
    from datetime import UTC, datetime, timedelta

    from socialdesk.reports.models import ReportShare

    return world._insert(ReportShare(client_id=world.a_id, definition_id=_report_definition(world), period="2026-10",
                                     comparison="previous", token_hash=unique("walk-share-hash"), prefix="sdr_walk",
                                     expires_at=datetime.now(UTC) + timedelta(days=1)))


def _crisis_alert(world: World) -> int:
    """A new alert on A (not dismissed, no crisis opened from it), as detection writes it."""
    from datetime import UTC, datetime, timedelta

    from socialdesk.crisis.models import CrisisAlert

    now = datetime.now(UTC)
    return world._insert(CrisisAlert(client_id=world.a_id, topic="", window_start=now - timedelta(minutes=5),
                                     window_end=now, volume=40, expected=3.0, negative=30, negative_share=0.75,
                                     usual_negative_share=0.1, score=1.0, reason="both", top_terms=[["walk", 9]],
                                     sample_mention_ids=[], message="Walk alert: 40 mentions"))


def _open_crisis(world: World) -> int:
    """A's open crisis, opened through the crisis service when the last one was closed (one room at a time)."""
    from socialdesk.crisis import service as crisis_service
    from socialdesk.crisis.schemas import CrisisOpen, CrisisType

    with world.database.session() as s:
        row = crisis_service.open_crisis_of(s, world.a_id) or crisis_service.open_crisis(
            s, principal=world["owner"].principal(), client_id=world.a_id,
            data=CrisisOpen(type=CrisisType.OTHER, title=f"Walk crisis {unique()}"))
        return row.id


def _no_open_crisis(world: World) -> None:
    """Close A's open crisis, so that opening one is possible (another open room answers 409)."""
    from sqlalchemy import update

    from socialdesk.crisis.models import Crisis
    from socialdesk.db import utcnow

    with world.database.session() as s:
        s.execute(update(Crisis).where(Crisis.client_id == world.a_id, Crisis.status == "open")
                  .values(status="closed", closed_at=utcnow(), summary="Closed by the walk"))


def _crisis_step(world: World) -> int:
    """A step of A's open crisis (the crisis_id of the same call) that the team ticks, not the director."""
    from socialdesk.crisis.models import CrisisStep

    return world._insert(CrisisStep(crisis_id=_open_crisis(world), position=1000 + int(unique("")),
                                    title=f"Walk step {unique()}", owner_role=Role.COMMUNITY_MANAGER.value))


def _crisis_statement(world: World) -> int:
    """A holding statement of A's open crisis, written by the community manager and waiting for approval."""
    from socialdesk.crisis import service as crisis_service
    from socialdesk.crisis.schemas import StatementIn

    crisis_id = _open_crisis(world)
    with world.database.session() as s:
        crisis = crisis_service.get_crisis(s, client_id=world.a_id, crisis_id=crisis_id)
        post = crisis_service.add_statement(s, principal=world["community_manager"].principal(), crisis=crisis,
                                            data=StatementIn(text=f"Walk statement {unique()}",
                                                             channel_ids=[world.channel_id]))
        assert post.status == "in_review", f"a walk statement should wait for approval, it is {post.status}"
        return post.id


def _client_mention(world: World) -> int:
    """A mention matched for A (a crisis pins only its client's mentions)."""
    from datetime import UTC, datetime

    from socialdesk.listening.models import Mention, MentionMatch

    now = datetime.now(UTC)
    mention_id = world._insert(Mention(source="walk", remote_id=unique("walk"), text="alpha walk mention",
                                       created_at=now))
    world._insert(MentionMatch(mention_id=mention_id, query_id=_listening_query(world), client_id=world.a_id,
                               topic="brand", created_at=now))
    return mention_id


def _post_id(world: World, person: Person | None, method: str, path: str) -> int:
    if "/statements/{post_id}" in path:
        return _crisis_statement(world)
    if method in WRITE_METHODS:
        return world.fresh_post(POST_STATE_FOR.get(path.rsplit("/", 1)[-1], "draft"))
    return world.post_id


# Path parameter name -> its value on client A (fresh objects for calls that change or delete).
PARAMS = {
    "client_id": lambda w, p, m, path: w.a_id,
    "kind": lambda w, p, m, path: "metrics",
    "item_id": _item_id,
    "entry_id": lambda w, p, m, path: w.fresh_log_entry() if m in WRITE_METHODS else w.log_id,
    "user_id": lambda w, p, m, path: w.fresh_user(Role.CONTENT_CREATOR),
    "invitation_id": lambda w, p, m, path: w.fresh_invitation()[0],
    "token_id": _token_id,
    "token": lambda w, p, m, path: w.fresh_invitation()[1],
    "channel_id": lambda w, p, m, path: w.fresh_channel() if m in WRITE_METHODS else w.channel_id,
    "post_id": _post_id,
    "campaign_id": lambda w, p, m, path: w.fresh_campaign() if m in WRITE_METHODS else w.campaign_id,
    "slot_id": lambda w, p, m, path: w.fresh_slot(),
    "conversation_id": lambda w, p, m, path: w.conversation_id,
    "saved_id": lambda w, p, m, path: _saved_reply(w),
    "reply_id": lambda w, p, m, path: _failed_reply(w),
    "media_id": lambda w, p, m, path: w.fresh_media() if m in WRITE_METHODS else w.media_id,
    "target_id": lambda w, p, m, path: _push_target(w, p),
    "link_id": lambda w, p, m, path: _tracked_link(w),
    "query_id": lambda w, p, m, path: _listening_query(w),
    "source_id": lambda w, p, m, path: _listening_source(w, path),
    "report_id": lambda w, p, m, path: _report_definition(w),
    "share_id": lambda w, p, m, path: _report_share(w),
    "alert_id": lambda w, p, m, path: _crisis_alert(w),
    # Every call finds A's crisis open (the close route closes it; the next call opens another).
    "crisis_id": lambda w, p, m, path: _open_crisis(w),
    "step_id": lambda w, p, m, path: _crisis_step(w),
    "crisis_type": lambda w, p, m, path: "trolls",
}
MULTIPART = {"POST /api/clients/{client_id}/media", "POST /api/clients/{client_id}/posts/import",
             "POST /api/clients/{client_id}/listening/import", "PUT /api/clients/{client_id}/reports/logo",
             "PUT /api/agency/branding/logo", "POST /api/clients/{client_id}/analytics/import/{kind}",
             "POST /api/clients/{client_id}/inbox/reviews"}
# The state a fresh post needs for an action to be possible (default: a draft).
POST_STATE_FOR = {"request-changes": "approved", "unschedule": "scheduled", "retry": "failed"}


def _person_email(world: World, person: Person | None) -> str:
    return (person or world["owner"]).email


# "METHOD path" -> the body to send (a callable of the world and the caller); None = no body.
SAMPLES = {
    "POST /api/auth/signup": lambda w, p: {"email": f"{unique('s')}@example.com", "name": "Sam", "password": PASSWORD},
    "POST /api/auth/login": lambda w, p: {"email": _person_email(w, p), "password": PASSWORD},
    "POST /api/auth/logout": lambda w, p: None,
    "POST /api/auth/password": lambda w, p: {"current_password": PASSWORD, "new_password": PASSWORD},
    "POST /api/auth/tokens": lambda w, p: {"name": "reporting script", "read_only": False},
    "POST /api/clients": lambda w, p: {"name": f"New Client {unique()}", "timezone": "Europe/Berlin"},
    "PATCH /api/clients/{client_id}": lambda w, p: {"industry": "Fruit", "tone_words": ["warm"]},
    "POST /api/clients/{client_id}/archive": lambda w, p: None,
    "POST /api/clients/{client_id}/restore": lambda w, p: None,
    "PUT /api/clients/{client_id}/office-hours": lambda w, p: {
        "timezone": "Europe/Paris",
        "slots": [{"weekday": 0, "start": "09:00", "end": "17:00"}],
        "outside_hours_message": "Back tomorrow",
    },
    "POST /api/clients/{client_id}/personas": lambda w, p: {"name": "Pia", "age_min": 20, "age_max": 30},
    "PUT /api/clients/{client_id}/personas/{item_id}": lambda w, p: {"name": "Pia 2", "platforms": ["bluesky"]},
    "POST /api/clients/{client_id}/kpi-targets": lambda w, p: {"metric": "reach", "target": 10, "period": "week"},
    "PUT /api/clients/{client_id}/kpi-targets/{item_id}": lambda w, p: {"metric": "leads", "target": 3},
    "POST /api/clients/{client_id}/contacts": lambda w, p: {"name": "Cid", "email": "cid@example.com"},
    "PUT /api/clients/{client_id}/contacts/{item_id}": lambda w, p: {"name": "Cid 2", "phone": "+33 1 23"},
    "POST /api/clients/{client_id}/log": lambda w, p: {"kind": "note", "occurred_on": "2025-05-06", "title": "Call"},
    "PUT /api/clients/{client_id}/team/{user_id}": lambda w, p: {"role": "analyst"},
    "PATCH /api/users/{user_id}": lambda w, p: {"agency_role": "director"},
    "POST /api/invitations": lambda w, p: {
        "email": f"{unique('inv')}@example.com",
        "name": "Ina",
        "grants": [{"client_id": w.a_id, "role": "content_creator"}],
    },
    "POST /api/invitations/accept/{token}": lambda w, p: {"password": PASSWORD},
    # Connecting verifies the token with the network: the walk points it at a real mastodon-mock
    # (alice's token), so allowed callers get 201. POST .../check needs no body: it answers 200 with
    # the outcome (the world's channel points at a closed port, so status "error").
    "POST /api/clients/{client_id}/channels": lambda w, p: {
        "network": "mastodon", "base_url": w.mastodon_url, "access_token": "alice_token", "display_name": "Walk",
    },
    "POST /api/clients/{client_id}/channels/{channel_id}/check": lambda w, p: None,
    "POST /api/clients/{client_id}/posts": lambda w, p: {"text": "Walk post", "channel_ids": [w.channel_id]},
    "POST /api/clients/{client_id}/posts/check": lambda w, p: {"text": "Walk", "channel_ids": [w.channel_id]},
    "PUT /api/clients/{client_id}/posts/{post_id}": lambda w, p: {"text": "Walk edit", "channel_ids": [w.channel_id]},
    "POST /api/clients/{client_id}/posts/{post_id}/submit": lambda w, p: None,
    "POST /api/clients/{client_id}/posts/{post_id}/approve": lambda w, p: {"note": "ok"},
    "POST /api/clients/{client_id}/posts/{post_id}/request-changes": lambda w, p: {"note": "shorter"},
    "POST /api/clients/{client_id}/posts/{post_id}/comments": lambda w, p: {"note": "nice"},
    "POST /api/clients/{client_id}/posts/{post_id}/schedule": lambda w, p: {"scheduled_at": "2099-05-01T09:00:00"},
    "POST /api/clients/{client_id}/posts/{post_id}/move": lambda w, p: {"scheduled_at": "2099-05-02T09:00:00"},
    "POST /api/clients/{client_id}/posts/{post_id}/unschedule": lambda w, p: None,
    "POST /api/clients/{client_id}/posts/{post_id}/queue": lambda w, p: None,
    "POST /api/clients/{client_id}/posts/{post_id}/retry": lambda w, p: None,
    "POST /api/clients/{client_id}/posts/{post_id}/cancel": lambda w, p: None,
    "PUT /api/clients/{client_id}/publishing": lambda w, p: {"approval_policy": "none"},
    "POST /api/clients/{client_id}/publishing/pause": lambda w, p: {"reason": "walk"},
    "POST /api/clients/{client_id}/publishing/resume": lambda w, p: (w.pause_a(), {"mode": "ask"})[1],
    "POST /api/clients/{client_id}/campaigns": lambda w, p: {"name": f"Walk campaign {unique()}"},
    "PUT /api/clients/{client_id}/campaigns/{campaign_id}": lambda w, p: {"name": f"Walk campaign {unique()}"},
    "POST /api/clients/{client_id}/queue-slots": lambda w, p: {
        "channel_id": w.channel_id, "weekday": 2, "time": f"{int(unique('')) % 24:02d}:{int(unique('')) % 60:02d}"},
    "POST /api/clients/{client_id}/media": lambda w, p: {"__files__": {"file": ("walk.png", _png())}},
    "PUT /api/clients/{client_id}/media/{media_id}": lambda w, p: {"alt_text": "A walk"},
    "POST /api/notifications/read": lambda w, p: None,
    "PATCH /api/clients/{client_id}/inbox/{conversation_id}": lambda w, p: {"status": "open", "tags": ["question"]},
    "POST /api/clients/{client_id}/inbox/{conversation_id}/notes": lambda w, p: {"text": "Walk note"},
    "POST /api/clients/{client_id}/inbox/{conversation_id}/replies": lambda w, p: {"text": "Walk reply"},
    "POST /api/clients/{client_id}/inbox/saved-replies": lambda w, p: {"title": "Walk", "text": "Walk saved"},
    "PUT /api/clients/{client_id}/inbox/saved-replies/{saved_id}": lambda w, p: {"title": "Walk", "text": "Walk 2"},
    "POST /api/clients/{client_id}/voice-check": lambda w, p: {"text": "Walk text"},
    "POST /api/clients/{client_id}/inbox/{conversation_id}/replies/{reply_id}/retry": lambda w, p: None,
    # Nothing ticked: every signed-in person may send it (a read-only token may not); the refusals of
    # conversations on other clients are in tests/test_inbox_pages.py.
    "POST /api/inbox/bulk": lambda w, p: {"conversation_ids": [], "status": "open"},
    "PUT /api/clients/{client_id}/inbox/settings": lambda w, p: {"target_minutes": 240, "clock": "business"},
    "POST /api/clients/{client_id}/channels/{channel_id}/sync": lambda w, p: None,
    "POST /api/clients/{client_id}/analytics/channels/{channel_id}/collect": lambda w, p: None,
    "POST /api/clients/{client_id}/analytics/tracked": lambda w, p: {"channel_id": w.channel_id,
                                                                   "remote_id": unique("walk"), "until": "2030-01-01"},
    "PUT /api/clients/{client_id}/analytics/settings": lambda w, p: {"currency": "EUR"},
    "POST /api/clients/{client_id}/analytics/import/{kind}": lambda w, p: {"__files__": {"file": (
        "metrics.csv", f"date,network,post_id,likes\n2025-06-01,instagram,{unique('walk')},1\n".encode(), "text/csv")}},
    "POST /api/clients/{client_id}/inbox/{conversation_id}/handoff": lambda w, p: (_lead_destination(w),
                                                                                   {"kind": "lead"})[1],
    "POST /api/push/targets": lambda w, p: {"label": "Walk phone", "url": "json://127.0.0.1:9/walk"},
    "PATCH /api/push/targets/{target_id}": lambda w, p: {"enabled": False},
    "POST /api/push/targets/{target_id}/test": lambda w, p: None,
    "PUT /api/push/rules/default": lambda w, p: {"quiet_start": "22:00", "quiet_end": "07:00"},
    "PUT /api/clients/{client_id}/push-rule": lambda w, p: {"muted": True},
    "POST /api/clients/{client_id}/posts/import": lambda w, p: {"__files__": {"file": (
        "posts.csv", f"date,time,channels,text\n2099-06-01,09:00,{w.channel_name()},Walk import\n".encode(), "text/csv")}},
    "POST /api/clients/{client_id}/publishing/feed/rotate": lambda w, p: None,
    "POST /api/clients/{client_id}/links": lambda w, p: {"destination": "https://alpha-orchard.example/walk"},
    "POST /api/clients/{client_id}/links/preview": lambda w, p: {"destination": "https://alpha-orchard.example/",
                                                                 "utm_source": "walk"},
    "POST /api/clients/{client_id}/links/{link_id}/archive": lambda w, p: None,
    "POST /api/clients/{client_id}/links/{link_id}/restore": lambda w, p: None,
    "PUT /api/clients/{client_id}/link-settings": lambda w, p: {"hash_visitors": False},
    "POST /api/clients/{client_id}/link-settings/secret": lambda w, p: None,
    "POST /api/conversions": lambda w, p: {"client": "walk", "kind": "purchase"},
    "POST /api/clients/{client_id}/listening/queries": lambda w, p: {"name": f"Walk {unique()}", "topic": "brand",
                                                                     "text": "alpha OR orchard"},
    "POST /api/clients/{client_id}/listening/queries/check": lambda w, p: {"text": "alpha NEAR/3 cider"},
    "PATCH /api/clients/{client_id}/listening/queries/{query_id}": lambda w, p: {"enabled": False},
    "POST /api/clients/{client_id}/listening/sources": lambda w, p: {"kind": "rss",
                                                                     "url": f"https://feeds.example.com/{unique()}.xml"},
    "POST /api/listening/sources": lambda w, p: {"kind": "rss", "url": f"https://feeds.example.com/{unique()}.xml"},
    "POST /api/clients/{client_id}/inbox/reviews": lambda w, p: {"__files__": {"file": (
        "reviews.csv", f"source,author,rating,text,created_at,remote_id\nGoogle,Walker,5,Lovely,2026-11-02T09:00:00Z,"
                       f"{unique('walk')}\n".encode(), "text/csv")}},
    "POST /api/clients/{client_id}/reports": lambda w, p: {"name": f"Walk report {unique()}", "sections": ["kpis"]},
    "PATCH /api/clients/{client_id}/reports/{report_id}": lambda w, p: {"name": "Walk report 2"},
    "POST /api/clients/{client_id}/reports/{report_id}/send": lambda w, p: {"period": "2026-10"},
    "POST /api/clients/{client_id}/reports/{report_id}/shares": lambda w, p: {"period": "2026-10", "days": 3},
    "PUT /api/clients/{client_id}/reports/logo": lambda w, p: {"__files__": {"file": ("logo.png", _png())}},
    "PUT /api/agency/branding": lambda w, p: {"name": "Walk agency", "color": "#123456"},
    "PUT /api/agency/branding/logo": lambda w, p: {"__files__": {"file": ("logo.png", _png())}},
    "POST /api/clients/{client_id}/listening/import": lambda w, p: {"__files__": {"file": (
        "mentions.jsonl", f'{{"remote_id": "{unique("walk")}", "text": "alpha walk", '
                          '"created_at": "2026-11-02T09:00:00Z"}\n'.encode(), "application/x-ndjson")}},
    "POST /api/clients/{client_id}/crisis/alerts/{alert_id}/dismiss": lambda w, p: None,
    "POST /api/clients/{client_id}/crises": lambda w, p: (_no_open_crisis(w), {
        "type": "defective_product", "alert_id": _crisis_alert(w), "note": "Walk opening"})[1],
    "PATCH /api/clients/{client_id}/crises/{crisis_id}": lambda w, p: {"title": f"Walk crisis {unique()}"},
    "POST /api/clients/{client_id}/crises/{crisis_id}/decisions": lambda w, p: {"text": "Walk decision"},
    "POST /api/clients/{client_id}/crises/{crisis_id}/actions": lambda w, p: {"text": "Walk action"},
    "POST /api/clients/{client_id}/crises/{crisis_id}/notes": lambda w, p: {"text": "Walk note"},
    "POST /api/clients/{client_id}/crises/{crisis_id}/mentions": lambda w, p: {"mention_id": _client_mention(w),
                                                                              "text": "Walk pin"},
    "PUT /api/clients/{client_id}/crises/{crisis_id}/steps/{step_id}": lambda w, p: {"done": True, "note": "walk"},
    "POST /api/clients/{client_id}/crises/{crisis_id}/pause": lambda w, p: {"reason": "walk"},
    "POST /api/clients/{client_id}/crises/{crisis_id}/resume": lambda w, p: (w.pause_a(), {"mode": "ask"})[1],
    "POST /api/clients/{client_id}/crises/{crisis_id}/statements": lambda w, p: {"text": "Walk holding statement",
                                                                                "channel_ids": [w.channel_id]},
    "POST /api/clients/{client_id}/crises/{crisis_id}/statements/{post_id}/approve": lambda w, p: {"note": "ok"},
    "POST /api/clients/{client_id}/crises/{crisis_id}/close": lambda w, p: {"summary": "Walk over"},
    "PUT /api/crisis/playbooks/{crisis_type}": lambda w, p: _walk_playbook(),
    "PUT /api/clients/{client_id}/crisis/playbooks/{crisis_type}": lambda w, p: _walk_playbook(),
}


def _walk_playbook() -> dict:
    return {"name": f"Walk playbook {unique()}", "summary": "Walk",
            "steps": [{"title": "Screenshot the posts", "owner_role": "community_manager"}],
            "statements": [{"name": "Walk", "text": "{client} is looking into it."}]}


# "METHOD path" -> query parameters to send (a callable of the world and the caller).
QUERIES = {
    # Without them the route answers 422 to everyone (remote_id is optional in the spec but needed).
    "GET /api/clients/{client_id}/analytics/series/post": lambda w, p: {"network": "mastodon", "remote_id": "walk"},
}


def _png() -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (4, 3), "red").save(out, "PNG")
    return out.getvalue()


def _operations(app) -> list[tuple[str, str, dict]]:
    spec = app.openapi()
    return [(path, method, op) for path, item in spec["paths"].items() for method, op in item.items() if method in METHODS]


def _route(app, path: str, method: str):
    matches = [r for r in api_routes(app) if r.path == path and method.upper() in r.methods]
    assert len(matches) == 1, f"{method.upper()} {path}: expected one route, found {len(matches)}"
    return matches[0]


def _expected(world: World, person: Person | None, perms) -> str:
    if person is None:
        return "unauthenticated"
    principal = person.principal()
    for perm in perms:
        try:
            authorize(principal, perm, world.a_id if perm.scope is Scope.CLIENT else None)
        except NotFound:
            return "not_found"
        except Forbidden:
            return "forbidden"
    return "allowed"


def _request_for(world: World, person: Person | None, path: str, method: str, op: dict):
    key = f"{method.upper()} {path}"
    url = path
    for name in [p["name"] for p in op.get("parameters", []) if p["in"] == "path"]:
        assert name in PARAMS, f"add a sample value for {name} (PARAMS in tests/test_isolation.py)"
        url = url.replace("{" + name + "}", str(PARAMS[name](world, person, method, path)))
    query = QUERIES[key](world, person) if key in QUERIES else {}
    for param in op.get("parameters", []):
        assert param["in"] != "query" or not param.get("required") or param["name"] in query, (
            f"{key}: add a value for query {param['name']} (QUERIES in tests/test_isolation.py)")
    if query:
        url += "?" + urlencode(query)
    if method in WRITE_METHODS - {"delete"} or "requestBody" in op:
        assert key in SAMPLES, f"add a sample body for {key} (SAMPLES in tests/test_isolation.py)"
    body = SAMPLES[key](world, person) if key in SAMPLES else None
    return url, body


def _call(client, world: World, person: Person | None, path: str, method: str, op: dict):
    url, body = _request_for(world, person, path, method, op)
    client.cookies.clear()
    headers = dict(person.headers) if person else {}
    # Calls like a script: JSON, even without a body (a cookie-less JSON call needs no CSRF token).
    headers["content-type"] = "application/json"
    kwargs = {"json": body} if body is not None else {}
    if isinstance(body, dict) and "__files__" in body:
        del headers["content-type"]
        kwargs = {"files": body["__files__"]}
    response = client.request(method.upper(), url, headers=headers, **kwargs)
    world.reset()
    return url, response


def test_every_route_checks_tenant_and_permission_for_every_role(app, client, world, mastodon_peer):
    world.mastodon_url = mastodon_peer.base_url
    operations = _operations(app)
    assert len(operations) > 30, "the OpenAPI spec lost routes"
    failures, seen_public = [], set()
    for path, method, op in operations:
        key = f"{method.upper()} {path}"
        perms, is_public = declared_access(_route(app, path, method))
        if is_public:
            assert key in PUBLIC, f"{key} is public: list it in PUBLIC with the status it answers, or require(...)"
            seen_public.add(key)
        else:
            assert perms, f"{key} declares no permission"
            if "{client_id}" in path:
                assert any(p.scope is Scope.CLIENT for p in perms), f"{key} is about a client: it needs a client permission"
            if method in WRITE_METHODS:
                assert all(p.writes for p in perms), f"{key} changes data but declares a read permission {perms}"
            else:
                assert not any(p.writes for p in perms), f"{key} only reads but declares a write permission {perms}"
        for who in PRINCIPALS:
            person = world[who] if who else None
            url, response = _call(client, world, person, path, method, op)
            got = response.status_code
            label = f"{method.upper()} {url} as {who or 'anonymous'}"
            if is_public:
                if got != PUBLIC[key]:
                    failures.append(f"{label}: public route answered {got}, expected {PUBLIC[key]}: {response.text[:200]}")
                continue
            expected = _expected(world, person, perms)
            if expected == "unauthenticated" and key in MULTIPART and got == 403 and "security token" in response.text:
                pass  # an anonymous form upload is refused by the CSRF check before authentication
            elif expected == "unauthenticated" and got != 401:
                failures.append(f"{label}: expected 401, got {got}")
            elif expected == "not_found":
                if got != 404:
                    failures.append(f"{label}: no role on A, expected 404, got {got}")
                leaked = [s for s in world.a_secrets if s.lower() in response.text.lower()]
                if leaked:
                    failures.append(f"{label}: 404 answer leaks {leaked}")
            elif expected == "forbidden" and got != 403:
                failures.append(f"{label}: expected 403, got {got}: {response.text[:200]}")
            elif expected == "allowed" and not 200 <= got < 300:
                failures.append(f"{label}: allowed, expected 2xx, got {got}: {response.text[:200]}")
    assert not failures, "\n".join(failures)
    assert seen_public == set(PUBLIC), f"PUBLIC lists routes that are gone or no longer public: {set(PUBLIC) - seen_public}"


def test_outsider_lists_and_overview_do_not_show_client_a(client, world):
    for url in ("/api/clients", "/api/clients?include_archived=true", "/api/overview"):
        response = client.get(url, headers=world["outsider"].headers)
        assert response.status_code == 200, response.text
        assert world.b_name in response.text
        for secret in world.a_secrets:
            assert secret.lower() not in response.text.lower(), f"{url} shows {secret!r} to the outsider"


def test_member_lists_only_their_clients_and_directors_list_all(client, world):
    def names(person):
        return {c["name"] for c in client.get("/api/clients", headers=person.headers).json()}

    assert names(world["analyst"]) == {world.a_name}
    assert names(world["client_approver"]) == {world.a_name}
    assert names(world["outsider"]) == {world.b_name}
    assert names(world["director"]) == names(world["owner"]) == {world.a_name, world.b_name}


def test_ids_of_client_a_objects_are_not_found_under_client_b(app, client, world):
    """The owner may do anything on B, yet A's persona, KPI, contact and log ids under B are 404."""
    owner = world["owner"]
    ids = {"personas": world.persona_id, "kpi-targets": world.kpi_id, "contacts": world.contact_id}
    checked = 0
    for path, method, op in _operations(app):
        if "{item_id}" in path:
            segment = path.split("/{item_id}")[0].rsplit("/", 1)[-1]
            url = path.replace("{client_id}", str(world.b_id)).replace("{item_id}", str(ids[segment]))
        elif "{entry_id}" in path:
            url = path.replace("{client_id}", str(world.b_id)).replace("{entry_id}", str(world.log_id))
        elif "{channel_id}" in path:
            url = path.replace("{client_id}", str(world.b_id)).replace("{channel_id}", str(world.channel_id))
        else:
            continue
        key = f"{method.upper()} {path}"
        body = SAMPLES[key](world, owner) if key in SAMPLES else None
        response = client.request(method.upper(), url, headers=owner.headers, **({"json": body} if body else {}))
        assert response.status_code == 404, f"{key} with B's id and A's object: {response.status_code} {response.text}"
        assert not [s for s in world.a_secrets if s.lower() in response.text.lower()]
        checked += 1
    assert checked >= 10
    profile = client.get(f"/api/clients/{world.a_id}/profile", headers=owner.headers).json()
    assert [p["id"] for p in profile["personas"]] == [world.persona_id]
    assert [k["id"] for k in profile["kpi_targets"]] == [world.kpi_id]
    assert [c["id"] for c in profile["contacts"]] == [world.contact_id]
    log = client.get(f"/api/clients/{world.a_id}/log", headers=owner.headers).json()
    assert world.log_id in [e["id"] for e in log]


def test_removing_a_person_not_on_client_b_from_b_is_not_found(client, world):
    response = client.delete(f"/api/clients/{world.b_id}/team/{world['analyst'].id}", headers=world["owner"].headers)
    assert response.status_code == 404
    me = client.get("/api/auth/me", headers=world["analyst"].headers).json()
    assert me["client_roles"] == {str(world.a_id): "analyst"}


def test_unknown_client_ids_are_not_found_even_for_directors(client, world):
    for url in ("/api/clients/999999", "/api/clients/999999/profile", "/api/clients/999999/personas",
                "/api/clients/999999/log", "/api/clients/999999/team"):
        assert client.get(url, headers=world["owner"].headers).status_code == 404, url
        assert client.get(url, headers=world["outsider"].headers).status_code == 404, url


def _principal(agency_role=AgencyRole.MEMBER, role: Role | None = None, read_only=False) -> Principal:
    return Principal(1, "p@example.com", "P", agency_role, {7: role} if role else {}, read_only)


@pytest.mark.parametrize(
    "perm, role, expected",
    [
        (CLIENT_VIEW, Role.CLIENT_APPROVER, "allowed"),
        (BRAND_VIEW, Role.CLIENT_APPROVER, "forbidden"),
        (BRAND_VIEW, Role.CONTENT_CREATOR, "allowed"),
        (BRAND_EDIT, Role.MANAGER, "allowed"),
        (BRAND_EDIT, Role.ANALYST, "forbidden"),
        (LOG_WRITE, Role.COMMUNITY_MANAGER, "allowed"),
        (LOG_WRITE, Role.CONTENT_CREATOR, "forbidden"),
        (TEAM_MANAGE, Role.MANAGER, "forbidden"),
        (BRAND_VIEW, None, "not_found"),
        (CHANNELS_VIEW, Role.ANALYST, "allowed"),
        (CHANNELS_VIEW, Role.CLIENT_APPROVER, "forbidden"),
        (CHANNELS_MANAGE, Role.MANAGER, "allowed"),
        (CHANNELS_MANAGE, Role.COMMUNITY_MANAGER, "forbidden"),
    ],
)
def test_role_permission_matrix_matches_the_documented_roles(perm, role, expected):
    principal = _principal(role=role)
    outcome = "allowed"
    try:
        authorize(principal, perm, 7)
    except NotFound:
        outcome = "not_found"
    except Forbidden:
        outcome = "forbidden"
    assert outcome == expected


def test_directors_hold_every_permission_and_read_only_tokens_no_write():
    director = _principal(AgencyRole.DIRECTOR)
    assert director.can(TEAM_MANAGE, 7) and director.can(CLIENT_CREATE) and director.can(BRAND_EDIT, 12345)
    read_only = _principal(AgencyRole.OWNER, read_only=True)
    assert read_only.can(BRAND_VIEW, 7)
    assert not read_only.can(BRAND_EDIT, 7) and not read_only.can(CLIENT_CREATE)
    member = _principal(role=Role.MANAGER)
    assert not member.can(CLIENT_CREATE)


def test_audit_routes_refuses_a_route_without_an_access_rule_in_an_included_router():
    app = FastAPI()
    router = APIRouter()

    @router.get("/api/forgotten")
    def forgotten():
        return {}

    app.include_router(router)
    with pytest.raises(RuntimeError, match="/api/forgotten"):
        audit_routes(app)


def test_audit_routes_refuses_a_client_permission_without_client_id():
    app = FastAPI()

    @app.get("/api/brand", dependencies=[Depends(require(BRAND_VIEW))])
    def brand():
        return {}

    with pytest.raises(RuntimeError, match="client_id"):
        audit_routes(app)


def test_audit_routes_accepts_declared_routes():
    app = FastAPI()

    @app.get("/api/open", dependencies=[Depends(public)])
    def open_():
        return {}

    @app.get("/api/clients/{client_id}/brand", dependencies=[Depends(require(BRAND_VIEW))])
    def brand(client_id: int):
        return {}

    audit_routes(app)
    perms, is_public = declared_access(next(r for r in api_routes(app) if r.path == "/api/open"))
    assert (perms, is_public) == ([], True)
