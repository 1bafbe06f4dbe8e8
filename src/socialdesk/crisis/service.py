"""Crisis rooms: opened from an alert or by hand, a playbook picked by the crisis type, a timeline of
mentions, decisions and actions, the pause switch, holding statements through approval, and the
post-mortem written at closing.

The director decides (strategy, type, closing); the community manager executes (steps, actions, pause,
statement drafts). Holding statements are posts of a campaign made for the crisis and marked major, so
publishing's own approval flow applies and asks for a director's approval on top of the client's policy.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from socialdesk.auth.models import User
from socialdesk.clients import service as clients_service
from socialdesk.crisis import detection
from socialdesk.crisis.models import Crisis, CrisisAlert, CrisisEvent, CrisisStep, Playbook
from socialdesk.crisis.playbooks import DEFAULTS
from socialdesk.crisis.schemas import (
    CloseIn,
    CrisisOpen,
    CrisisPatch,
    CrisisType,
    PlaybookIn,
    PlaybookOut,
    StatementIn,
    StatementOut,
)
from socialdesk.db import utcnow
from socialdesk.kit.authz import Principal, Role
from socialdesk.kit.errors import Conflict, Forbidden, InvalidInput, NotFound
from socialdesk.listening.models import Mention, MentionMatch
from socialdesk.notify import service as notify_service
from socialdesk.publishing import service as posts_service
from socialdesk.publishing.models import Post
from socialdesk.publishing.schemas import CampaignIn, PostIn, ResumeMode

CURVE_POINTS = 200  # at most this many buckets in a curve
CURVE_STEPS = (5, 15, 30, 60, 180, 360, 720, 1440)  # minutes


# --- playbooks -----------------------------------------------------------------------------------


def _out(row: Playbook | None, type_: CrisisType, client_id: int | None) -> PlaybookOut:
    if row is None:
        base = DEFAULTS[type_]
        return PlaybookOut(type=type_, client_id=None, source="default", name=base["name"], summary=base["summary"],
                           steps=base["steps"], statements=base["statements"])
    return PlaybookOut(type=type_, client_id=row.client_id, source="client" if row.client_id else "agency",
                       name=row.name, summary=row.summary, steps=row.steps, statements=row.statements,
                       updated_at=row.updated_at)


def _row(session: Session, client_id: int | None, type_: CrisisType) -> Playbook | None:
    where = Playbook.client_id.is_(None) if client_id is None else Playbook.client_id == client_id
    return session.scalar(select(Playbook).where(where, Playbook.type == type_.value))


def playbook_for(session: Session, *, client_id: int | None, type: CrisisType) -> PlaybookOut:
    """The client's own playbook for the type, else the agency's, else the built-in one."""
    row = _row(session, client_id, type) if client_id is not None else None
    return _out(row or _row(session, None, type), type, client_id)


def list_playbooks(session: Session, *, client_id: int | None) -> list[PlaybookOut]:
    return [playbook_for(session, client_id=client_id, type=t) for t in CrisisType]


def save_playbook(session: Session, *, client_id: int | None, type: CrisisType, data: PlaybookIn,
                  user_id: int | None) -> PlaybookOut:
    """Replace the agency's playbook for the type (``client_id`` None) or give the client its own."""
    if client_id is not None:
        clients_service.get(session=session, client_id=client_id)
    row = _row(session, client_id, type)
    if row is None:
        row = Playbook(client_id=client_id, type=type.value)
        session.add(row)
    row.name, row.summary = data.name, data.summary
    row.steps = [s.model_dump(mode="json") for s in data.steps]
    row.statements = [s.model_dump(mode="json") for s in data.statements]
    row.updated_by_id, row.updated_at = user_id, utcnow()
    session.flush()
    return _out(row, type, client_id)


def reset_playbook(session: Session, *, client_id: int | None, type: CrisisType) -> PlaybookOut:
    """Drop the client's own playbook (or the agency's): the next one down applies again."""
    where = Playbook.client_id.is_(None) if client_id is None else Playbook.client_id == client_id
    session.execute(delete(Playbook).where(where, Playbook.type == type.value))
    session.flush()
    return playbook_for(session, client_id=client_id, type=type)


# --- alerts --------------------------------------------------------------------------------------


def list_alerts(session: Session, *, client_ids: list[int], limit: int = 100) -> list[CrisisAlert]:
    if not client_ids:
        return []
    return list(session.scalars(select(CrisisAlert).where(CrisisAlert.client_id.in_(client_ids))
                                .order_by(CrisisAlert.fired_at.desc(), CrisisAlert.id.desc()).limit(limit)))


def get_alert(session: Session, *, client_id: int, alert_id: int) -> CrisisAlert:
    row = session.get(CrisisAlert, alert_id)
    if row is None or row.client_id != client_id:
        raise NotFound(f"crisis alert {alert_id} not found for this client")
    return row


def alert_samples(session: Session, alert: CrisisAlert) -> list[Mention]:
    """The alert's sample posts, still stored, in the alert's order."""
    ids = [int(i) for i in alert.sample_mention_ids]
    rows = {m.id: m for m in session.scalars(select(Mention).where(Mention.id.in_(ids)))} if ids else {}
    return [rows[i] for i in ids if i in rows]


def dismiss_alert(session: Session, *, principal: Principal, alert: CrisisAlert) -> CrisisAlert:
    """A false alarm: kept for the record, no crisis opened from it."""
    if alert.status == "crisis":
        raise Conflict("a crisis was opened from this alert; close the crisis instead", field="status")
    alert.status, alert.dismissed_by_id = "dismissed", principal.user_id
    session.flush()
    return alert


# --- crises --------------------------------------------------------------------------------------


def list_crises(session: Session, *, client_id: int, status: str | None = None) -> list[Crisis]:
    query = select(Crisis).where(Crisis.client_id == client_id)
    if status:
        query = query.where(Crisis.status == status)
    return list(session.scalars(query.order_by(Crisis.opened_at.desc(), Crisis.id.desc())))


def get_crisis(session: Session, *, client_id: int, crisis_id: int) -> Crisis:
    row = session.get(Crisis, crisis_id)
    if row is None or row.client_id != client_id:
        raise NotFound(f"crisis {crisis_id} not found for this client")
    return row


def open_crisis_of(session: Session, client_id: int) -> Crisis | None:
    return session.scalar(select(Crisis).where(Crisis.client_id == client_id, Crisis.status == "open")
                          .order_by(Crisis.id.desc()))


def _event(session: Session, crisis: Crisis, kind: str, actor_id: int | None, text: str, **ref) -> CrisisEvent:
    row = CrisisEvent(crisis_id=crisis.id, client_id=crisis.client_id, kind=kind, actor_id=actor_id, text=text,
                      ref=ref, at=utcnow())
    session.add(row)
    session.flush()
    return row


def _tell_team(session: Session, crisis: Crisis, message: str, *, urgent: bool, but: int | None = None) -> None:
    people = [u for u in detection.on_call(session, crisis.client_id) if u != but]
    notify_service.send(session, people, client_id=crisis.client_id, kind="crisis", message=message,
                        link=f"/clients/{crisis.client_id}/crisis/{crisis.id}", urgent=urgent)


def _steps_from(playbook: PlaybookOut, start: int = 0) -> list[CrisisStep]:
    return [CrisisStep(position=start + i, title=s.title, owner_role=s.owner_role.value)
            for i, s in enumerate(playbook.steps)]


def open_crisis(session: Session, *, principal: Principal, client_id: int, data: CrisisOpen) -> Crisis:
    """Open the client's crisis room; from an alert its figures and sample posts start the timeline."""
    client = clients_service.get(session=session, client_id=client_id)
    current = open_crisis_of(session, client_id)
    if current is not None:
        raise Conflict(f"crisis {current.id} (“{current.title}”) is still open for {client.name}; work in it or "
                       "close it first", field="alert_id" if data.alert_id else "type")
    alert = None
    if data.alert_id is not None:
        try:
            alert = get_alert(session, client_id=client_id, alert_id=data.alert_id)
        except NotFound:
            raise InvalidInput.on("alert_id", f"alert {data.alert_id} is not one of this client's alerts") from None
    playbook = playbook_for(session, client_id=client_id, type=data.type)
    now = utcnow()
    local = now.astimezone(ZoneInfo(client.timezone or "UTC"))
    title = data.title or f"{data.type.label}, {local:%-d %b %Y}"
    crisis = Crisis(client_id=client_id, type=data.type.value, status="open", title=title,
                    playbook_name=playbook.name, opened_by_id=principal.user_id,
                    opened_from_alert_id=alert.id if alert else None, opened_at=now)
    crisis.steps = _steps_from(playbook)
    session.add(crisis)
    session.flush()
    campaign = posts_service.create_campaign(session=session, client_id=client_id, data=CampaignIn(
        name=f"Crisis #{crisis.id}: {title}"[:200], major=True, color="#c62828",
        description="Holding statements of a crisis room: each needs a director's approval."))
    crisis.campaign_id = campaign.id
    _event(session, crisis, "note", principal.user_id, f"Crisis room opened ({data.type.label}); playbook "
                                                       f"“{playbook.name}”.")
    if alert is not None:
        alert.status = "crisis"
        _event(session, crisis, "alert", None, alert.message, alert_id=alert.id)
        for mention in alert_samples(session, alert):
            _event(session, crisis, "mention", None, "Sample post of the alert", mention_id=mention.id)
    if data.note:
        _event(session, crisis, "note", principal.user_id, data.note)
    _tell_team(session, crisis, f"Crisis room opened for {client.name}: {title}. Playbook: {playbook.name}.",
               urgent=True, but=principal.user_id)
    return crisis


def _require_open(crisis: Crisis) -> None:
    if crisis.status != "open":
        raise Conflict(f"crisis {crisis.id} is closed; its record can be read but not changed", field="status")


def update_crisis(session: Session, *, principal: Principal, crisis: Crisis, data: CrisisPatch) -> Crisis:
    """Rename, or change the type: the steps not done yet are replaced by the new type's playbook."""
    _require_open(crisis)
    if data.title is not None and data.title != crisis.title:
        _event(session, crisis, "decision", principal.user_id, f"Renamed “{crisis.title}” to “{data.title}”.")
        crisis.title = data.title
    if data.type is not None and data.type.value != crisis.type:
        playbook = playbook_for(session, client_id=crisis.client_id, type=data.type)
        done = [s for s in crisis.steps if s.done_at is not None]
        crisis.steps = done + _steps_from(playbook, start=max([s.position for s in done], default=-1) + 1)
        old = CrisisType(crisis.type).label
        crisis.type, crisis.playbook_name = data.type.value, playbook.name
        _event(session, crisis, "decision", principal.user_id,
               f"Type changed from {old} to {data.type.label}; playbook “{playbook.name}” (steps done are kept).")
    session.flush()
    return crisis


def decide(session: Session, *, principal: Principal, crisis: Crisis, text: str) -> CrisisEvent:
    """The director's decision: it becomes the crisis's strategy and the team is told."""
    _require_open(crisis)
    crisis.strategy, crisis.decided_by_id, crisis.decided_at = text, principal.user_id, utcnow()
    event = _event(session, crisis, "decision", principal.user_id, text)
    _tell_team(session, crisis, f"Decision in the crisis room “{crisis.title}”: {text}", urgent=True,
               but=principal.user_id)
    return event


def act(session: Session, *, principal: Principal, crisis: Crisis, text: str) -> CrisisEvent:
    """Something done (answered the top complaint, briefed the client)."""
    _require_open(crisis)
    return _event(session, crisis, "action", principal.user_id, text)


def note(session: Session, *, principal: Principal, crisis: Crisis, text: str) -> CrisisEvent:
    return _event(session, crisis, "note", principal.user_id, text)


def pin_mention(session: Session, *, principal: Principal, crisis: Crisis, mention_id: int, text: str) -> CrisisEvent:
    """Put one of the client's mentions on the timeline (a mention the client never matched is not found)."""
    _require_open(crisis)
    matched = session.scalar(select(MentionMatch.id).where(MentionMatch.mention_id == mention_id,
                                                           MentionMatch.client_id == crisis.client_id).limit(1))
    if matched is None:
        raise InvalidInput.on("mention_id", f"mention {mention_id} is not one of this client's mentions")
    return _event(session, crisis, "mention", principal.user_id, text or "Pinned mention", mention_id=mention_id)


def set_step(session: Session, *, principal: Principal, crisis: Crisis, step_id: int, done: bool,
             note_text: str = "") -> CrisisStep:
    """Tick a step off (or back on). A step the director owns is the director's to tick."""
    _require_open(crisis)
    step = next((s for s in crisis.steps if s.id == step_id), None)
    if step is None:
        raise NotFound(f"step {step_id} not found in crisis {crisis.id}")
    if step.owner_role == Role.DIRECTOR and principal.role_on(crisis.client_id) is not Role.DIRECTOR:
        raise Forbidden(f"“{step.title}” is the director's decision; ask a director to tick it")
    if done:
        step.done_at, step.done_by_id, step.note = utcnow(), principal.user_id, note_text
        _event(session, crisis, "action", principal.user_id, f"Step done: {step.title}"
               + (f" ({note_text})" if note_text else ""), step_id=step.id)
    else:
        step.done_at, step.done_by_id, step.note = None, None, ""
        _event(session, crisis, "action", principal.user_id, f"Step reopened: {step.title}", step_id=step.id)
    session.flush()
    return step


def pause_publishing(session: Session, *, principal: Principal, crisis: Crisis, reason: str = "") -> None:
    """Stop all of the client's scheduled publishing now (publishing's pause switch)."""
    _require_open(crisis)
    settings = posts_service.settings_for(session=session, client_id=crisis.client_id)
    if settings.paused:
        raise Conflict("publishing is already paused for this client", field="reason")
    posts_service.pause(session=session, client_id=crisis.client_id, user_id=principal.user_id,
                        reason=(reason or f"Crisis: {crisis.title}")[:500])
    _event(session, crisis, "pause", principal.user_id, "Publishing paused" + (f": {reason}" if reason else "."))


def resume_publishing(session: Session, *, principal: Principal, crisis: Crisis, mode: ResumeMode) -> list[Post]:
    missed = posts_service.resume(session=session, client_id=crisis.client_id, mode=mode)
    _event(session, crisis, "pause", principal.user_id,
           f"Publishing resumed ({mode.value.replace('_', ' ')}); {len(missed)} post(s) had come due meanwhile.")
    return missed


# --- holding statements --------------------------------------------------------------------------


def fill(template: str, *, client_name: str, zone: str) -> str:
    """A template with its placeholders filled ({client}, {date}: today in the client's zone)."""
    today = datetime.now(UTC).astimezone(ZoneInfo(zone or "UTC"))
    return template.replace("{client}", client_name).replace("{date}", f"{today:%-d %B %Y}")


def add_statement(session: Session, *, principal: Principal, crisis: Crisis, data: StatementIn) -> Post:
    """A holding statement as a post of the crisis's campaign, sent to approval at once."""
    _require_open(crisis)
    client = clients_service.get(session=session, client_id=crisis.client_id)
    text, name = data.text, data.template
    if name:
        playbook = playbook_for(session, client_id=crisis.client_id, type=CrisisType(crisis.type))
        template = next((t for t in playbook.statements if t.name.lower() == name.lower()), None)
        if template is None:
            names = ", ".join(t.name for t in playbook.statements) or "none"
            raise InvalidInput.on("template", f"the playbook “{playbook.name}” has no holding statement named "
                                              f"“{name}”; use one of: {names}")
        text = text or fill(template.text, client_name=client.name, zone=client.timezone)
    if not text:
        raise InvalidInput.on("text", "write the statement or pick a template of the playbook")
    post = posts_service.create_post(session=session, principal=principal, client_id=crisis.client_id, data=PostIn(
        title=f"Holding statement: {name or 'written'}"[:200], text=text, channel_ids=data.channel_ids,
        campaign_id=crisis.campaign_id, scheduled_at=data.scheduled_at))
    if post.status == "draft":
        posts_service.submit(session=session, principal=principal, post=post)
    _event(session, crisis, "statement", principal.user_id,
           f"Holding statement drafted ({name or 'written'}) and sent for approval.", post_id=post.id)
    return post


def statements(session: Session, *, crisis: Crisis) -> list[StatementOut]:
    if crisis.campaign_id is None:
        return []
    posts = session.scalars(select(Post).where(Post.client_id == crisis.client_id,
                                               Post.campaign_id == crisis.campaign_id).order_by(Post.id))
    return [statement_out(session, p) for p in posts]


def statement_out(session: Session, post: Post) -> StatementOut:
    needs = posts_service.approval_needs(session=session, post=post)
    return StatementOut(post_id=post.id, title=post.title, text=post.text, status=post.status,
                        approvals_missing=[c.value for c in needs.missing], approvals_given=[c.value for c in needs.given],
                        changes_requested=needs.changes_requested, scheduled_at=post.scheduled_at,
                        links=[t.remote_url for t in post.targets if t.remote_url])


def statement_post(session: Session, *, crisis: Crisis, post_id: int) -> Post:
    post = session.get(Post, post_id)
    if post is None or post.client_id != crisis.client_id or post.campaign_id != crisis.campaign_id:
        raise NotFound(f"holding statement {post_id} not found in crisis {crisis.id}")
    return post


def approve_statement(session: Session, *, principal: Principal, crisis: Crisis, post_id: int,
                      note_text: str = "") -> Post:
    """Approve a holding statement through publishing's approval (a director's word is what it waits for).
    A closed room's record is not changed: its statements are approved as posts, in publishing."""
    _require_open(crisis)
    post = statement_post(session, crisis=crisis, post_id=post_id)
    posts_service.approve(session=session, principal=principal, post=post, note=note_text)
    needs = posts_service.approval_needs(session=session, post=post)
    state = "approved, ready to publish" if not needs.missing else "still waiting for " + ", ".join(
        c.value for c in needs.missing)
    _event(session, crisis, "statement", principal.user_id, f"Holding statement {post.id} approved: {state}.",
           post_id=post.id)
    return post


# --- the curve and the post-mortem -----------------------------------------------------------------


def curve(session: Session, *, client_id: int, start: datetime, end: datetime) -> dict:
    """Mentions and negative mentions per bucket from ``start`` to ``end`` (at most CURVE_POINTS buckets)."""
    span = max((end - start).total_seconds(), 60.0)
    minutes = next((m for m in CURVE_STEPS if span / (m * 60) <= CURVE_POINTS), CURVE_STEPS[-1])
    seconds = minutes * 60
    first, last = int(start.timestamp()) // seconds, int(end.timestamp()) // seconds
    counts = detection.bucket_counts(session, client_id=client_id, topic="", first=first, last=last, seconds=seconds)
    points = []
    for index in range(first, last + 1):
        bucket = counts.get(index)
        at = datetime.fromtimestamp(index * seconds, UTC)
        points.append({"at": at.isoformat(), "volume": bucket.volume if bucket else 0,
                       "negative": bucket.negative if bucket else 0})
    return {"bucket_minutes": minutes, "points": points}


def _who(session: Session, ids) -> dict[int, str]:
    ids = {i for i in ids if i}
    return {u.id: u.name for u in session.scalars(select(User).where(User.id.in_(ids)))} if ids else {}


def postmortem(session: Session, *, crisis: Crisis, closed_at: datetime) -> tuple[dict, str]:
    """The record of the crisis as figures (JSON) and as a readable text."""
    before = min(max(closed_at - crisis.opened_at, timedelta(hours=6)), timedelta(days=7))
    alert = session.get(CrisisAlert, crisis.opened_from_alert_id) if crisis.opened_from_alert_id else None
    start = min(crisis.opened_at, alert.window_start if alert else crisis.opened_at) - before
    shape = curve(session, client_id=crisis.client_id, start=start, end=closed_at)
    opened_at = crisis.opened_at.isoformat()
    width = timedelta(minutes=shape["bucket_minutes"])
    during = [p for p in shape["points"] if datetime.fromisoformat(p["at"]) + width > crisis.opened_at]
    earlier = shape["points"][: len(shape["points"]) - len(during)]

    def totals(points):
        volume, negative = sum(p["volume"] for p in points), sum(p["negative"] for p in points)
        return {"buckets": len(points), "volume": volume, "negative": negative,
                "negative_share": round(negative / volume, 4) if volume else 0.0,
                "per_bucket": round(volume / len(points), 2) if points else 0.0}

    peak = max(shape["points"], key=lambda p: p["volume"], default=None)
    events = list(session.scalars(select(CrisisEvent).where(CrisisEvent.crisis_id == crisis.id)
                                  .order_by(CrisisEvent.at, CrisisEvent.id)))
    names = _who(session, [e.actor_id for e in events] + [s.done_by_id for s in crisis.steps]
                 + [crisis.opened_by_id, crisis.closed_by_id])
    steps = [{"title": s.title, "owner_role": s.owner_role, "done": s.done_at is not None,
              "done_at": s.done_at.isoformat() if s.done_at else None, "done_by": names.get(s.done_by_id, "")}
             for s in crisis.steps]
    record = {
        "opened_at": opened_at, "closed_at": closed_at.isoformat(),
        "duration_minutes": round((closed_at - crisis.opened_at).total_seconds() / 60),
        "type": crisis.type, "playbook": crisis.playbook_name, "strategy": crisis.strategy,
        "alert": None if alert is None else {
            "id": alert.id, "fired_at": alert.fired_at.isoformat(), "volume": alert.volume,
            "expected": alert.expected, "ratio": round(alert.volume / max(alert.expected, 0.5), 1),
            "negative_share": alert.negative_share, "usual_negative_share": alert.usual_negative_share,
            "top_terms": alert.top_terms, "score": alert.score},
        "curve": {**shape, "crisis_from": opened_at},
        "before": totals(earlier), "during": totals(during),
        "peak": peak,
        "steps": steps, "steps_done": sum(s["done"] for s in steps), "steps_total": len(steps),
        "decisions": [{"at": e.at.isoformat(), "by": names.get(e.actor_id, ""), "text": e.text}
                      for e in events if e.kind == "decision"],
        "pauses": [{"at": e.at.isoformat(), "by": names.get(e.actor_id, ""), "text": e.text}
                   for e in events if e.kind == "pause"],
        "statements": [s.model_dump(mode="json") for s in statements(session, crisis=crisis)],
    }
    return record, _postmortem_text(crisis, record)


def _postmortem_text(crisis: Crisis, r: dict) -> str:
    hours, minutes = divmod(r["duration_minutes"], 60)
    lines = [f"Post-mortem: {crisis.title}", f"Type: {CrisisType(crisis.type).label}. Playbook: {r['playbook']}.",
             f"Open for {hours} h {minutes} min ({r['opened_at'][:16]} to {r['closed_at'][:16]} UTC)."]
    if r["alert"]:
        a = r["alert"]
        lines.append(f"Alert: {a['volume']} mentions, {a['ratio']}x normal, negative share "
                     f"{a['negative_share']:.0%} (usually {a['usual_negative_share']:.0%}); top terms: "
                     + (", ".join(t for t, _ in a["top_terms"]) or "none") + ".")
    b, d = r["before"], r["during"]
    lines.append(f"Mentions per {r['curve']['bucket_minutes']} min: {b['per_bucket']} before, {d['per_bucket']} "
                 f"during; negative share {b['negative_share']:.0%} before, {d['negative_share']:.0%} during.")
    if r["peak"]:
        lines.append(f"Peak: {r['peak']['volume']} mentions at {r['peak']['at'][:16]} UTC.")
    if r["strategy"]:
        lines.append(f"Strategy: {r['strategy']}")
    lines.append(f"Steps done: {r['steps_done']} of {r['steps_total']}.")
    for step in r["steps"]:
        lines.append(f"  [{'x' if step['done'] else ' '}] {step['title']} ({step['owner_role'].replace('_', ' ')})")
    for decision in r["decisions"]:
        lines.append(f"Decision {decision['at'][:16]} by {decision['by'] or 'someone'}: {decision['text']}")
    for pause in r["pauses"]:
        lines.append(f"{pause['at'][:16]}: {pause['text']}")
    for s in r["statements"]:
        lines.append(f"Statement {s['post_id']} ({s['status']}): {s['text'][:200]}")
    lines.append(f"Summary: {crisis.summary}")
    return "\n".join(lines)


def close(session: Session, *, principal: Principal, crisis: Crisis, data: CloseIn) -> Crisis:
    """Close the crisis and write its post-mortem (publishing stays paused until someone resumes it)."""
    _require_open(crisis)
    now = utcnow()
    crisis.summary, crisis.closed_by_id = data.summary, principal.user_id
    _event(session, crisis, "decision", principal.user_id, f"Crisis closed: {data.summary}")
    crisis.postmortem, crisis.postmortem_text = postmortem(session, crisis=crisis, closed_at=now)
    crisis.status, crisis.closed_at = "closed", now
    session.flush()
    _tell_team(session, crisis, f"Crisis closed: {crisis.title}. The post-mortem is in the crisis room.",
               urgent=False, but=principal.user_id)
    return crisis


def events(session: Session, *, crisis: Crisis) -> list[CrisisEvent]:
    return list(session.scalars(select(CrisisEvent).where(CrisisEvent.crisis_id == crisis.id)
                                .order_by(CrisisEvent.at, CrisisEvent.id)))


def latest_mentions(session: Session, *, client_id: int, since: datetime, limit: int = 20) -> list[Mention]:
    """The client's newest mentions since ``since``, negative ones first (what the room keeps an eye on)."""
    return list(session.scalars(
        select(Mention).where(Mention.id.in_(select(MentionMatch.mention_id).where(
            MentionMatch.client_id == client_id, MentionMatch.created_at >= since,
            MentionMatch.duplicate.is_(False))))
        .order_by(Mention.created_at.desc(), Mention.id.desc()).limit(limit)))
