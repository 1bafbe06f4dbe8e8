"""Posts from draft to scheduled: writing, per-network checks, approvals, scheduling, the pause switch.

Publishing itself (claiming due targets and talking to the networks) is in :mod:`.dispatch`.
Every change to a post leaves a :class:`PostEvent`, so its history says who did what.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import tempfile
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from socialdesk.auth.models import User
from socialdesk.channels.models import Channel
from socialdesk.clients import service as clients_service
from socialdesk.db import utcnow
from socialdesk.kit import children
from socialdesk.kit.authz import AgencyRole, Principal, Role
from socialdesk.kit.errors import Conflict, FieldError, Forbidden, InvalidInput, NotFound
from socialdesk.networks import text as text_rules
from socialdesk.notify import service as notify_service
from socialdesk.publishing.models import (
    Approval,
    Campaign,
    MediaFile,
    Notification,
    Post,
    PostEvent,
    PostTarget,
    PublishingSettings,
    QueueSlot,
)
from socialdesk.publishing.schemas import (
    EDITABLE_STATUSES,
    FINAL_TARGET_STATES,
    ApprovalNeeds,
    ApprovalPolicy,
    Capacity,
    CampaignIn,
    CheckIn,
    PostIn,
    PostStatus,
    QueueSlotIn,
    ResumeMode,
    ScheduleIn,
    SettingsIn,
    TargetState,
)
from socialdesk.publishing.timing import new_marker, resolve_local
from socialdesk.team.models import Membership

# --- settings and the pause switch ------------------------------------------------------------


def settings_for(*, session: Session, client_id: int) -> PublishingSettings:
    row = session.get(PublishingSettings, client_id)
    if row is None:
        row = PublishingSettings(client_id=client_id)
        session.add(row)
        session.flush()
    return row


def update_settings(*, session: Session, client_id: int, data: SettingsIn) -> PublishingSettings:
    row = settings_for(session=session, client_id=client_id)
    for key, value in data.model_dump().items():
        setattr(row, key, value)
    session.flush()
    return row


def pause(*, session: Session, client_id: int, user_id: int | None, reason: str = "") -> PublishingSettings:
    """Stop all of the client's scheduled publishing now (a post already being sent finishes)."""
    row = settings_for(session=session, client_id=client_id)
    if not row.paused:
        row.paused, row.paused_at, row.paused_by_id, row.pause_reason = True, utcnow(), user_id, reason
    session.flush()
    return row


def resume(*, session: Session, client_id: int, mode: ResumeMode, now: datetime | None = None) -> list[Post]:
    """Resume publishing. Posts that came due during the pause are held for a decision (``ask``),
    sent now (``publish_now``) or moved later by the length of the pause (``shift``).
    Returns the posts that were due during the pause."""
    now = now or utcnow()
    row = settings_for(session=session, client_id=client_id)
    if not row.paused:
        raise Conflict("publishing is not paused for this client", field="mode")
    paused_for = now - (row.paused_at or now)
    missed = list(session.scalars(
        select(PostTarget).where(PostTarget.client_id == client_id, PostTarget.state == TargetState.SCHEDULED,
                                 PostTarget.due_at <= now)
    ))
    for target in missed:
        if mode is ResumeMode.ASK:
            target.state = TargetState.HELD
        elif mode is ResumeMode.SHIFT:
            target.due_at = target.due_at + paused_for
        else:
            target.due_at = now
    posts = {t.post_id: t.post for t in missed}
    for post in posts.values():
        if mode is ResumeMode.SHIFT and post.scheduled_at:
            post.scheduled_at = post.scheduled_at + paused_for
        record_event(session, post, None, "resumed", f"publishing resumed ({mode.value})")
    row.paused, row.paused_at, row.paused_by_id, row.pause_reason = False, None, None, ""
    session.flush()
    return list(posts.values())


# --- campaigns ---------------------------------------------------------------------------------


def list_campaigns(*, session: Session, client_id: int) -> list[Campaign]:
    return children.list_for(session, Campaign, client_id)


def get_campaign(*, session: Session, client_id: int, campaign_id: int) -> Campaign:
    return children.get_for(session, Campaign, client_id, campaign_id)


def _campaign_name_free(session: Session, client_id: int, name: str, except_id: int | None = None) -> None:
    clash = session.scalar(select(Campaign).where(Campaign.client_id == client_id, Campaign.name == name))
    if clash is not None and clash.id != except_id:
        raise Conflict(f"a campaign named {name!r} already exists for this client", field="name")


def create_campaign(*, session: Session, client_id: int, data: CampaignIn) -> Campaign:
    _campaign_name_free(session, client_id, data.name)
    row = Campaign(client_id=client_id, **data.model_dump())
    session.add(row)
    session.flush()
    return row


def update_campaign(*, session: Session, client_id: int, campaign_id: int, data: CampaignIn) -> Campaign:
    row = get_campaign(session=session, client_id=client_id, campaign_id=campaign_id)
    _campaign_name_free(session, client_id, data.name, except_id=row.id)
    for key, value in data.model_dump().items():
        setattr(row, key, value)
    session.flush()
    return row


def delete_campaign(*, session: Session, client_id: int, campaign_id: int) -> None:
    session.delete(get_campaign(session=session, client_id=client_id, campaign_id=campaign_id))
    session.flush()


# --- posts: reading ----------------------------------------------------------------------------


def get_post(*, session: Session, client_id: int, post_id: int) -> Post:
    return children.get_for(session, Post, client_id, post_id)


def list_posts(
    *,
    session: Session,
    client_ids: Iterable[int],
    start: datetime | None = None,
    end: datetime | None = None,
    status: PostStatus | None = None,
    campaign_id: int | None = None,
    unscheduled: bool = False,
    limit: int = 500,
) -> list[Post]:
    """Posts of these clients; with ``start``/``end`` those scheduled in [start, end)."""
    query = select(Post).where(Post.client_id.in_(list(client_ids)))
    if start is not None:
        query = query.where(Post.scheduled_at >= start)
    if end is not None:
        query = query.where(Post.scheduled_at < end)
    if unscheduled:
        query = query.where(Post.scheduled_at.is_(None))
    if status is not None:
        query = query.where(Post.status == status)
    if campaign_id is not None:
        query = query.where(Post.campaign_id == campaign_id)
    query = query.order_by(Post.scheduled_at.is_(None), Post.scheduled_at, Post.id).limit(limit)
    return list(session.scalars(query))


def history(*, session: Session, post: Post) -> list[PostEvent]:
    return list(session.scalars(select(PostEvent).where(PostEvent.post_id == post.id).order_by(PostEvent.id)))


# --- posts: what each network gets --------------------------------------------------------------


def text_for(text: str, link: str | None, network: str, variant: str | None) -> str:
    """The text sent to ``network``: its variant or the post's text; the link is appended on networks
    that show links inline (Bluesky gets it as a link card instead)."""
    text = variant if variant is not None else text
    if link and network != "bluesky" and link not in text:
        text = f"{text.rstrip()}\n\n{link}" if text.strip() else link
    return text


def verdict_for(channel: Channel, text: str) -> text_rules.Verdict:
    """``text`` checked the way ``channel``'s network counts it (a Mastodon channel: its instance's limit)."""
    limits = text_rules.MastodonLimits(max_characters=channel.max_characters) \
        if channel.network == "mastodon" and channel.max_characters else None
    return text_rules.check(channel.network, text, instance_limits=limits)


def check_channels(*, session: Session, client_id: int, data: CheckIn) -> list[dict]:
    """The composer's live counter: each selected channel's verdict on the text it would get."""
    out = []
    for cid in data.channel_ids:
        channel = children.get_for(session, Channel, client_id, cid)
        text = text_for(data.text, data.link, channel.network, data.variants.get(channel.network))
        out.append({"channel_id": cid, "network": channel.network, "text": text,
                    **verdict_for(channel, text).to_dict()})
    return out


def _check_texts(post: Post, channels: dict[int, Channel], variants: dict[str, str]) -> list[FieldError]:
    errors: list[FieldError] = []
    for channel in channels.values():
        variant = variants.get(channel.network)
        field = f"variants.{channel.network}" if variant is not None else "text"
        verdict = verdict_for(channel, text_for(post.text, post.link, channel.network, variant))
        if not verdict.valid:
            errors.append(FieldError(field, verdict.message or f"not valid on {channel.network}"))
        if post.first_comment:
            comment = verdict_for(channel, post.first_comment)
            if not comment.valid:
                errors.append(FieldError("first_comment", comment.message or f"not valid on {channel.network}"))
    return errors


def _check_media(session: Session, client_id: int, media_ids: list[int], channels: dict[int, Channel],
                 require_alt: bool) -> list[FieldError]:
    if not media_ids:
        needs = {c.network for c in channels.values()} & {"instagram", "tiktok", "youtube", "pinterest"}
        return [FieldError("media_ids", f"{n} needs an image or a video") for n in sorted(needs)]
    files = {m.id: m for m in session.scalars(select(MediaFile).where(MediaFile.id.in_(media_ids),
                                                                      MediaFile.client_id == client_id))}
    missing = [i for i in media_ids if i not in files]
    if missing:
        return [FieldError("media_ids", f"media {missing[0]} not found for this client; upload it first")]
    from socialdesk.networks import media as media_rules

    items = [(media_rules.MediaInfo(kind=f.kind, mime_type=f.mime_type, size_bytes=f.size_bytes, width=f.width,
                                    height=f.height, duration_seconds=f.duration_seconds, frames=f.frames),
              f.alt_text)
             for f in (files[i] for i in media_ids)]
    errors = []
    for network in sorted({c.network for c in channels.values()}):
        for problem in media_rules.check_media(network, items, require_alt_text=require_alt):
            errors.append(FieldError("media_ids", problem))
    return errors


# --- posts: writing ----------------------------------------------------------------------------


def _channels(session: Session, client_id: int, channel_ids: list[int]) -> dict[int, Channel]:
    found = {c.id: c for c in session.scalars(select(Channel).where(Channel.id.in_(channel_ids),
                                                                     Channel.client_id == client_id))}
    for position, cid in enumerate(channel_ids):
        if cid not in found:
            raise InvalidInput.on(f"channel_ids.{position}", f"channel {cid} is not one of this client's channels")
    return found


def _apply(session: Session, post: Post, data: PostIn) -> None:
    """Copy ``data`` onto ``post`` and its targets after checking it against every network."""
    client_id = post.client_id
    if data.campaign_id is not None:
        try:
            get_campaign(session=session, client_id=client_id, campaign_id=data.campaign_id)
        except NotFound:
            raise InvalidInput.on("campaign_id", f"campaign {data.campaign_id} not found for this client") from None
    channels = _channels(session, client_id, data.channel_ids)
    variants = {n.value: v for n, v in data.variants.items()}
    unused = set(variants) - {c.network for c in channels.values()}
    if unused:
        raise InvalidInput.on(f"variants.{sorted(unused)[0]}", "no channel of this network is selected; "
                              "remove the variant or add such a channel")
    post.title, post.text, post.link, post.first_comment = data.title, data.text, data.link, data.first_comment
    post.media_ids, post.campaign_id = list(data.media_ids), data.campaign_id
    policy = settings_for(session=session, client_id=client_id)
    errors = _check_texts(post, channels, variants)
    errors += _check_media(session, client_id, data.media_ids, channels, policy.require_alt_text)
    if errors:
        raise InvalidInput("; ".join(f"{e.field}: {e.message}" for e in errors), errors=errors)
    existing = {t.channel_id: t for t in post.targets}
    for target in list(post.targets):
        if target.channel_id not in channels:
            if target.state in (TargetState.PUBLISHING, TargetState.PUBLISHED):
                raise InvalidInput.on("channel_ids", f"already sent to channel {target.channel_id}; it cannot be removed")
            post.targets.remove(target)
    for cid, channel in channels.items():
        target = existing.get(cid)
        if target is None:
            target = PostTarget(client_id=client_id, channel_id=cid, network=channel.network, marker=new_marker(),
                                state=TargetState.DRAFT)
            post.targets.append(target)
        target.text = variants.get(channel.network)


def create_post(*, session: Session, principal: Principal, client_id: int, data: PostIn,
                now: datetime | None = None, origin: str = "") -> Post:
    """A new draft (scheduled when ``data`` says when); ``origin`` notes where it came from (``IMPORTED``)."""
    post = Post(client_id=client_id, created_by_id=principal.user_id, status=PostStatus.DRAFT)
    session.add(post)
    _apply(session, post, data)
    session.flush()
    record_event(session, post, principal.user_id, "created", origin)
    if data.scheduled_at is not None:
        schedule(session=session, principal=principal, post=post, data=ScheduleIn(scheduled_at=data.scheduled_at),
                 now=now)
    return post


def update_post(*, session: Session, principal: Principal, post: Post, data: PostIn,
                now: datetime | None = None) -> Post:
    """Edit a post. A post that was approved goes back to review (the approval was for the old words)."""
    if post.status not in EDITABLE_STATUSES:
        raise Conflict(f"a {PostStatus(post.status).label.lower()} post cannot be edited", field="status")
    was = PostStatus(post.status)
    _apply(session, post, data)
    post.version += 1
    post.updated_at = utcnow()
    record_event(session, post, principal.user_id, "edited")
    needs = approval_needs(session=session, post=post)
    if was in (PostStatus.APPROVED, PostStatus.SCHEDULED, PostStatus.IN_REVIEW) and needs.required:
        _unschedule_targets(post)
        post.status = PostStatus.IN_REVIEW
        record_event(session, post, principal.user_id, "back_to_review", "edited after approval: needs approval again"
               if was is not PostStatus.IN_REVIEW else "edited during review")
        _notify_approvers(session, post, needs.missing)
    if data.scheduled_at is not None:
        schedule(session=session, principal=principal, post=post, data=ScheduleIn(scheduled_at=data.scheduled_at),
                 now=now)
    elif post.status == PostStatus.SCHEDULED and post.scheduled_at:
        _schedule_targets(post, post.scheduled_at)
    session.flush()
    return post


def delete_post(*, session: Session, post: Post) -> None:
    if any(t.state in (TargetState.PUBLISHING, TargetState.PUBLISHED) for t in post.targets):
        raise Conflict("this post has been sent to a network; cancel what is left instead", field="status")
    session.delete(post)
    session.flush()


def cancel(*, session: Session, principal: Principal, post: Post) -> Post:
    """Stop whatever has not been sent yet."""
    if any(t.state == TargetState.PUBLISHING for t in post.targets):
        raise Conflict("this post is being sent right now; try again in a moment", field="status")
    for target in post.targets:
        if target.state not in FINAL_TARGET_STATES:
            target.state, target.due_at = TargetState.CANCELLED, None
    record_event(session, post, principal.user_id, "cancelled")
    refresh_status(post)
    if post.status not in (PostStatus.PUBLISHED, PostStatus.PARTLY_PUBLISHED):
        post.status = PostStatus.CANCELLED
    session.flush()
    return post


# --- approvals ---------------------------------------------------------------------------------


def approval_needs(*, session: Session, post: Post) -> ApprovalNeeds:
    policy = settings_for(session=session, client_id=post.client_id)
    required: list[Capacity] = []
    if policy.approval_policy == ApprovalPolicy.TEAM:
        required.append(Capacity.TEAM)
    elif policy.approval_policy == ApprovalPolicy.CLIENT:
        required.append(Capacity.CLIENT)
    if post.campaign_id is not None and policy.major_needs_director:
        campaign = session.get(Campaign, post.campaign_id)
        if campaign is not None and campaign.major:
            required.append(Capacity.DIRECTOR)
    decisions = list(session.scalars(select(Approval).where(Approval.post_id == post.id,
                                                            Approval.version == post.version)
                                     .order_by(Approval.id)))
    given: set[Capacity] = set()
    changes = False
    for decision in decisions:
        capacity = Capacity(decision.capacity)
        if decision.decision == "changes_requested":
            changes = True
            continue
        given.add(capacity)
        if capacity is Capacity.DIRECTOR:
            given.add(Capacity.TEAM)  # the director's word covers the team's
    return ApprovalNeeds(required=required, given=sorted(given), missing=[c for c in required if c not in given],
                         changes_requested=changes)


def _capacity(principal: Principal, post: Post) -> Capacity:
    role = principal.role_on(post.client_id)
    if role is Role.DIRECTOR:
        return Capacity.DIRECTOR
    if role is Role.CLIENT_APPROVER:
        return Capacity.CLIENT
    if role is Role.MANAGER:
        if post.created_by_id == principal.user_id:
            raise Forbidden("you wrote this post; another manager or a director approves it")
        return Capacity.TEAM
    raise Forbidden("your role on this client does not approve posts")


def submit(*, session: Session, principal: Principal, post: Post, now: datetime | None = None) -> Post:
    """Ask for approval (or approve at once when the client needs none)."""
    if post.status not in (PostStatus.DRAFT, PostStatus.CHANGES_REQUESTED, PostStatus.FAILED):
        raise Conflict(f"only a draft can be submitted; this post is {PostStatus(post.status).label.lower()}",
                       field="status")
    needs = approval_needs(session=session, post=post)
    record_event(session, post, principal.user_id, "submitted")
    if needs.missing:
        post.status = PostStatus.IN_REVIEW
        _notify_approvers(session, post, needs.missing)
    else:
        _approved(session, post, now=now)
    session.flush()
    return post


def approve(*, session: Session, principal: Principal, post: Post, note: str = "", now: datetime | None = None) -> Post:
    if post.status not in (PostStatus.IN_REVIEW, PostStatus.CHANGES_REQUESTED, PostStatus.DRAFT):
        raise Conflict(f"this post is {PostStatus(post.status).label.lower()}, not waiting for approval",
                       field="status")
    capacity = _capacity(principal, post)
    session.add(Approval(post_id=post.id, client_id=post.client_id, version=post.version, capacity=capacity,
                         user_id=principal.user_id, decision="approved", note=note))
    session.execute(delete(Approval).where(Approval.post_id == post.id, Approval.version == post.version,
                                           Approval.user_id == principal.user_id,
                                           Approval.decision == "changes_requested"))
    session.flush()
    record_event(session, post, principal.user_id, "approved", f"as {capacity.value}" + (f": {note}" if note else ""))
    needs = approval_needs(session=session, post=post)
    if needs.missing or needs.changes_requested:
        post.status = PostStatus.CHANGES_REQUESTED if needs.changes_requested else PostStatus.IN_REVIEW
        if not needs.changes_requested:
            _notify_approvers(session, post, needs.missing)
    else:
        _approved(session, post, now=now)
    session.flush()
    return post


def request_changes(*, session: Session, principal: Principal, post: Post, note: str) -> Post:
    if post.status not in (PostStatus.IN_REVIEW, PostStatus.APPROVED, PostStatus.SCHEDULED):
        raise Conflict(f"this post is {PostStatus(post.status).label.lower()}, not waiting for approval",
                       field="status")
    if not note:
        raise InvalidInput.on("note", "say what should change")
    capacity = _capacity(principal, post)
    session.add(Approval(post_id=post.id, client_id=post.client_id, version=post.version, capacity=capacity,
                         user_id=principal.user_id, decision="changes_requested", note=note))
    _unschedule_targets(post)
    post.status = PostStatus.CHANGES_REQUESTED
    record_event(session, post, principal.user_id, "changes_requested", note)
    if post.created_by_id:
        notify(session, [post.created_by_id], client_id=post.client_id, kind="changes_requested",
               message=f"Changes requested on “{post_label(post)}”: {note}", link=_post_link(post))
    session.flush()
    return post


def comment(*, session: Session, principal: Principal, post: Post, note: str) -> PostEvent:
    event = record_event(session, post, principal.user_id, "comment", note)
    session.flush()
    return event


def _approved(session: Session, post: Post, *, now: datetime | None) -> None:
    post.status = PostStatus.APPROVED
    if post.scheduled_at is not None:
        if post.scheduled_at < (now or utcnow()) - timedelta(minutes=1):
            post.schedule_note = "the approval came after the scheduled time; choose a new time"
            record_event(session, post, None, "schedule_missed", post.schedule_note)
            return
        post.status = PostStatus.SCHEDULED
        _schedule_targets(post, post.scheduled_at)


# --- scheduling --------------------------------------------------------------------------------


def resolve_time(*, session: Session, client_id: int, data: ScheduleIn, now: datetime | None = None
                 ) -> tuple[datetime, str]:
    """The instant asked for, and a note when a local time had to be resolved (DST)."""
    now = now or utcnow()
    if data.now:
        return now, ""
    at, note = data.scheduled_at, ""
    if at.tzinfo is None:
        zone = clients_service.get(session=session, client_id=client_id).timezone
        resolved = resolve_local(at, zone)
        at, note = resolved.at, resolved.note
    at = at.astimezone(UTC)
    if at < now - timedelta(seconds=30):
        zone = clients_service.get(session=session, client_id=client_id).timezone
        local = at.astimezone(ZoneInfo(zone))
        raise InvalidInput.on("scheduled_at", f"{local:%Y-%m-%d %H:%M} {zone} is in the past; choose a later time "
                              "or publish now")
    return at, note


def schedule(*, session: Session, principal: Principal, post: Post, data: ScheduleIn,
             now: datetime | None = None) -> Post:
    """Set when the post goes out. Without the approvals it needs, it goes to review first."""
    if post.status in (PostStatus.PUBLISHED, PostStatus.PARTLY_PUBLISHED, PostStatus.CANCELLED,
                       PostStatus.PUBLISHING):
        raise Conflict(f"a {PostStatus(post.status).label.lower()} post cannot be scheduled", field="status")
    at, note = resolve_time(session=session, client_id=post.client_id, data=data, now=now)
    post.scheduled_at, post.schedule_note = at, note
    needs = approval_needs(session=session, post=post)
    record_event(session, post, principal.user_id, "scheduled", f"for {at:%Y-%m-%d %H:%M} UTC" + (f" ({note})" if note else ""))
    if needs.missing:
        if post.status != PostStatus.IN_REVIEW:
            post.status = PostStatus.IN_REVIEW
            _notify_approvers(session, post, needs.missing)
        _unschedule_targets(post)
    else:
        post.status = PostStatus.SCHEDULED
        _schedule_targets(post, at)
    session.flush()
    return post


def unschedule(*, session: Session, principal: Principal, post: Post) -> Post:
    if post.status != PostStatus.SCHEDULED:
        raise Conflict("this post is not scheduled", field="status")
    if any(t.state == TargetState.PUBLISHING for t in post.targets):
        raise Conflict("this post is being sent right now", field="status")
    _unschedule_targets(post)
    post.scheduled_at, post.status = None, PostStatus.APPROVED
    record_event(session, post, principal.user_id, "unscheduled")
    session.flush()
    return post


def move(*, session: Session, principal: Principal, post: Post, data: ScheduleIn, now: datetime | None = None) -> Post:
    """Move a post on the calendar (drag and drop): a new time, the same approvals."""
    if post.status not in (PostStatus.SCHEDULED, PostStatus.APPROVED, PostStatus.DRAFT, PostStatus.IN_REVIEW,
                           PostStatus.CHANGES_REQUESTED):
        raise Conflict(f"a {PostStatus(post.status).label.lower()} post cannot be moved", field="status")
    if post.status in (PostStatus.DRAFT, PostStatus.IN_REVIEW, PostStatus.CHANGES_REQUESTED):
        at, note = resolve_time(session=session, client_id=post.client_id, data=data, now=now)
        post.scheduled_at, post.schedule_note = at, note
        record_event(session, post, principal.user_id, "moved", f"to {at:%Y-%m-%d %H:%M} UTC")
        session.flush()
        return post
    return schedule(session=session, principal=principal, post=post, data=data, now=now)


def retry(*, session: Session, principal: Principal, post: Post, target_id: int | None = None) -> Post:
    """Send the failed targets (or one of them) again, now."""
    failed = [t for t in post.targets if t.state == TargetState.FAILED and (target_id is None or t.id == target_id)]
    held = [t for t in post.targets if t.state == TargetState.HELD and (target_id is None or t.id == target_id)]
    if not failed and not held:
        raise Conflict("nothing to retry: no failed or held channel on this post", field="target_id")
    now = utcnow()
    for target in failed + held:
        target.state, target.due_at, target.last_error = TargetState.SCHEDULED, now, ""
        target.attempts = 0
    post.status = PostStatus.SCHEDULED
    record_event(session, post, principal.user_id, "retried", ", ".join(t.network for t in failed + held))
    session.flush()
    return post


def _schedule_targets(post: Post, at: datetime) -> None:
    for target in post.targets:
        if target.state in (TargetState.DRAFT, TargetState.SCHEDULED, TargetState.HELD, TargetState.FAILED):
            target.state, target.due_at = TargetState.SCHEDULED, at


def _unschedule_targets(post: Post) -> None:
    for target in post.targets:
        if target.state in (TargetState.SCHEDULED, TargetState.HELD):
            target.state, target.due_at = TargetState.DRAFT, None


def refresh_status(post: Post) -> None:
    """The post's status from its targets' fates, once publishing has started."""
    states = {TargetState(t.state) for t in post.targets}
    if not states or not states & {TargetState.PUBLISHING, TargetState.PUBLISHED, TargetState.FAILED}:
        return
    if states & {TargetState.PUBLISHING, TargetState.SCHEDULED}:
        post.status = PostStatus.PUBLISHING if TargetState.PUBLISHING in states else post.status
        return
    published = TargetState.PUBLISHED in states
    failed = TargetState.FAILED in states
    if published and failed:
        post.status = PostStatus.PARTLY_PUBLISHED
    elif published:
        post.status = PostStatus.PUBLISHED
    elif failed:
        post.status = PostStatus.FAILED


# --- queues ------------------------------------------------------------------------------------


def list_slots(*, session: Session, client_id: int) -> list[QueueSlot]:
    return list(session.scalars(select(QueueSlot).where(QueueSlot.client_id == client_id)
                                .order_by(QueueSlot.channel_id, QueueSlot.weekday, QueueSlot.time)))


def add_slot(*, session: Session, client_id: int, data: QueueSlotIn) -> QueueSlot:
    _channels(session, client_id, [data.channel_id])
    clash = session.scalar(select(QueueSlot).where(QueueSlot.channel_id == data.channel_id,
                                                   QueueSlot.weekday == data.weekday, QueueSlot.time == data.time))
    if clash is not None:
        raise Conflict("this channel already has a slot at that time", field="time")
    row = QueueSlot(client_id=client_id, **data.model_dump())
    session.add(row)
    session.flush()
    return row


def delete_slot(*, session: Session, client_id: int, slot_id: int) -> None:
    session.delete(children.get_for(session, QueueSlot, client_id, slot_id))
    session.flush()


def next_free_slot(*, session: Session, client_id: int, channel_ids: list[int], now: datetime | None = None,
                   horizon_days: int = 56) -> datetime:
    """The first queue slot after now (client's local time) shared by all the channels at which none of
    them has a post yet."""
    now = now or utcnow()
    zone = ZoneInfo(clients_service.get(session=session, client_id=client_id).timezone)
    slots = list(session.scalars(select(QueueSlot).where(QueueSlot.client_id == client_id,
                                                         QueueSlot.channel_id.in_(channel_ids))))
    by_channel: dict[int, set[tuple[int, str]]] = {cid: set() for cid in channel_ids}
    for slot in slots:
        by_channel[slot.channel_id].add((slot.weekday, slot.time))
    common = set.intersection(*by_channel.values()) if by_channel else set()
    if not common:
        raise InvalidInput.on("channel_ids", "these channels have no queue slot in common; add queue slots first")
    taken = {
        (t.channel_id, t.due_at)
        for t in session.scalars(select(PostTarget).where(PostTarget.channel_id.in_(channel_ids),
                                                          PostTarget.due_at >= now,
                                                          PostTarget.state.in_([TargetState.SCHEDULED,
                                                                                TargetState.HELD])))
    }
    local_today = now.astimezone(zone).date()
    for day in range(horizon_days):
        date = local_today + timedelta(days=day)
        for weekday, hhmm in sorted(s for s in common if s[0] == date.weekday()):
            hour, minute = map(int, hhmm.split(":"))
            at = resolve_local(datetime(date.year, date.month, date.day, hour, minute), str(zone)).at
            if at <= now + timedelta(seconds=30):
                continue
            if any((cid, at) in taken for cid in channel_ids):
                continue
            return at
    raise InvalidInput.on("channel_ids", f"every queue slot of the next {horizon_days} days is taken; add slots")


def add_to_queue(*, session: Session, principal: Principal, post: Post, now: datetime | None = None) -> Post:
    at = next_free_slot(session=session, client_id=post.client_id, channel_ids=[t.channel_id for t in post.targets],
                        now=now)
    return schedule(session=session, principal=principal, post=post, data=ScheduleIn(scheduled_at=at), now=now)


# --- history and notifications ------------------------------------------------------------------


def record_event(session: Session, post: Post, actor_id: int | None, kind: str, note: str = "",
                 target_id: int | None = None) -> PostEvent:
    if post.id is None:
        session.flush()
    event = PostEvent(post_id=post.id, client_id=post.client_id, actor_id=actor_id, kind=kind, version=post.version,
                      note=note, target_id=target_id)
    session.add(event)
    return event


def post_label(post: Post) -> str:
    label = post.title or " ".join(post.text.split())
    return label[:60] + ("…" if len(label) > 60 else "")


def _post_link(post: Post) -> str:
    return f"/clients/{post.client_id}/posts/{post.id}"


def notify(session: Session, user_ids: Iterable[int], *, client_id: int | None, kind: str, message: str,
           link: str = "") -> None:
    notify_service.send(session, user_ids, client_id=client_id, kind=kind, message=message, link=link)


def team_to_tell(session: Session, client_id: int, roles: Iterable[Role]) -> list[int]:
    """People holding one of ``roles`` on the client, plus the agency's directors."""
    members = session.scalars(select(Membership.user_id).where(Membership.client_id == client_id,
                                                               Membership.role.in_([r.value for r in roles])))
    directors = session.scalars(select(User.id).where(User.agency_role.in_([AgencyRole.OWNER, AgencyRole.DIRECTOR]),
                                                      User.is_active.is_(True)))
    return sorted(set(members) | set(directors))


def _notify_approvers(session: Session, post: Post, missing: Iterable[Capacity]) -> None:
    roles = set()
    for capacity in missing:
        roles |= {Capacity.TEAM: {Role.MANAGER}, Capacity.CLIENT: {Role.CLIENT_APPROVER},
                  Capacity.DIRECTOR: {Role.DIRECTOR}}[capacity]
    people = [u for u in team_to_tell(session, post.client_id, roles) if u != post.created_by_id]
    notify(session, people, client_id=post.client_id, kind="approval_requested",
           message=f"“{post_label(post)}” waits for your approval", link=_post_link(post))


def notify_failure(session: Session, post: Post, target: PostTarget) -> None:
    people = set(team_to_tell(session, post.client_id, {Role.MANAGER, Role.COMMUNITY_MANAGER}))
    if post.created_by_id:
        people.add(post.created_by_id)
    notify(session, people, client_id=post.client_id, kind="publish_failed",
           message=f"“{post_label(post)}” could not be published on {target.network}: {target.last_error}",
           link=_post_link(post))


def list_notifications(*, session: Session, user_id: int, unread_only: bool = False, limit: int = 100
                       ) -> list[Notification]:
    query = select(Notification).where(Notification.user_id == user_id)
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    return list(session.scalars(query.order_by(Notification.id.desc()).limit(limit)))


def mark_read(*, session: Session, user_id: int) -> int:
    result = session.execute(update(Notification).where(Notification.user_id == user_id,
                                                        Notification.read_at.is_(None)).values(read_at=utcnow()))
    return result.rowcount or 0


def feed_token(*, session: Session, client_id: int) -> str:
    row = settings_for(session=session, client_id=client_id)
    if not row.feed_token:
        row.feed_token = secrets.token_urlsafe(24)
        session.flush()
    return row.feed_token


# --- media library ------------------------------------------------------------------------------

MAX_UPLOAD_BYTES = 512 * 1024 * 1024


def media_root(data_dir) -> Path:
    return Path(data_dir) / "media"


def save_media(*, session: Session, root, client_id: int, filename: str, source, user_id: int | None,
               alt_text: str = "") -> MediaFile:
    """Store an upload (a binary file object) in the client's library after probing what it really is.
    A file that is not an image or video the product knows is refused and nothing is kept."""
    from socialdesk.networks import media as media_rules  # Pillow and mutagen load on first upload

    folder = Path(root) / str(client_id)
    folder.mkdir(parents=True, exist_ok=True)
    digest, size = hashlib.sha256(), 0
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".upload-")
    try:
        with os.fdopen(fd, "wb") as out:
            while chunk := source.read(1024 * 1024):
                size += len(chunk)
                if size > MAX_UPLOAD_BYTES:
                    raise InvalidInput.on("file", f"is larger than {MAX_UPLOAD_BYTES // 2**20} MB; no network takes it")
                digest.update(chunk)
                out.write(chunk)
        if size == 0:
            raise InvalidInput.on("file", "is empty; choose an image or a video")
        try:
            info = media_rules.probe(tmp)
        except media_rules.MediaError as exc:
            raise InvalidInput.on("file", str(exc)) from None
        name = f"{digest.hexdigest()}{_EXTENSIONS.get(info.mime_type, '')}"
        os.replace(tmp, folder / name)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    row = MediaFile(client_id=client_id, filename=(Path(filename or "upload").name)[:255], stored_as=f"{client_id}/{name}",
                    sha256=digest.hexdigest(), kind=info.kind, mime_type=info.mime_type, size_bytes=info.size_bytes,
                    width=info.width, height=info.height, duration_seconds=info.duration_seconds,
                    frames=info.frames, alt_text=alt_text, uploaded_by_id=user_id)
    session.add(row)
    session.flush()
    return row


_EXTENSIONS = {"image/jpeg": ".jpg", "image/png": ".png", "image/gif": ".gif", "image/webp": ".webp",
               "video/mp4": ".mp4", "video/quicktime": ".mov"}


def list_media(*, session: Session, client_id: int) -> list[MediaFile]:
    return list(session.scalars(select(MediaFile).where(MediaFile.client_id == client_id)
                                .order_by(MediaFile.id.desc())))


def get_media(*, session: Session, client_id: int, media_id: int) -> MediaFile:
    return children.get_for(session, MediaFile, client_id, media_id)


def set_alt_text(*, session: Session, client_id: int, media_id: int, alt_text: str) -> MediaFile:
    row = get_media(session=session, client_id=client_id, media_id=media_id)
    row.alt_text = alt_text
    session.flush()
    return row


def delete_media(*, session: Session, client_id: int, media_id: int) -> None:
    """Remove a file from the library unless a post still to be published uses it."""
    row = get_media(session=session, client_id=client_id, media_id=media_id)
    pending = session.scalars(select(Post).where(
        Post.client_id == client_id,
        Post.status.not_in([PostStatus.PUBLISHED, PostStatus.PARTLY_PUBLISHED, PostStatus.CANCELLED])))
    user = next((p for p in pending if media_id in (p.media_ids or [])), None)
    if user is not None:
        raise Conflict(f"post {user.id} uses this file; remove it from the post first", field="media_id")
    session.delete(row)
    session.flush()
