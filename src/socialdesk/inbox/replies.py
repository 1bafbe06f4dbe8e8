"""Answering from the inbox: a reply goes out through the channel's network, threaded, exactly once.

The story, with the :class:`InboxReply` row as the truth:

1. **Check**: the text as the channel's network counts it (publishing's ``verdict_for``, the same
   check as the composer), the brand voice (a word to avoid blocks unless the sender confirms),
   the item answered (it belongs to the conversation; a direct message only where the network can
   keep the answer private).
2. **Write** the row (``sending``, a fresh marker: Mastodon's Idempotency-Key, Bluesky's record
   key, X's look-up) and **commit** before any network call.
3. **Send**. An unknown outcome (a timeout, a 5xx) is looked up with ``adapter.find`` at once, and
   a retry always looks up before it sends again.
4. **Record** and commit: ``sent`` (remote id, link, a ``replied`` event, the SLA clock stopped for
   a person's reply, a ``new`` conversation becomes ``open``) or ``failed`` with the network's
   message (retry allowed).

While a reply is ``sending``, ``sent_at`` holds when the current attempt began (a lease: an attempt
older than STALE_AFTER is taken as interrupted and may be retried); once sent, when it went out.
These functions commit: the row must be durable before the network is called.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from socialdesk.channels import service as channels_service
from socialdesk.channels.models import Channel
from socialdesk.clients import voice
from socialdesk.clients.models import Client
from socialdesk.db import utcnow
from socialdesk.inbox import sla
from socialdesk.inbox.models import Conversation, InboxEvent, InboxItem, InboxReply, SavedReply, is_long_running
from socialdesk.inbox.schemas import SavedReplyIn, Status
from socialdesk.kit import children
from socialdesk.kit.errors import Conflict, FieldError, InvalidInput, NotFound
from socialdesk.networks.base import NetworkError, OutgoingPost, Published
from socialdesk.publishing import service as posts_service
from socialdesk.publishing.timing import B32_SORTABLE, new_marker
from socialdesk.vault import service as vault_service
from socialdesk.vault.service import Vault

log = logging.getLogger("socialdesk.inbox")

STALE_AFTER = timedelta(minutes=2)  # an attempt still "sending" after this was interrupted
KEY = re.compile(rf"[{B32_SORTABLE[:16]}][{B32_SORTABLE}]{{12}}")  # a TID, as publishing.timing makes


class VoiceBlocked(InvalidInput):
    """The text uses words the brand avoids; ``findings`` say where. Send anyway with ``confirm_voice``."""

    def __init__(self, findings: list[voice.Finding]):
        blocking = voice.blocking(findings)
        errors = [FieldError("text", f.message) for f in blocking]
        errors.append(FieldError("confirm_voice", "the brand voice check blocks this text; confirm to send anyway"))
        super().__init__("; ".join(f.message for f in blocking), errors=errors)
        self.findings = findings


@dataclass(frozen=True)
class Draft:
    """A checked reply, ready to be written: what goes out, to which item, and the voice's findings."""

    text: str
    item: InboxItem
    findings: list[voice.Finding]


# --- checking ---------------------------------------------------------------------------------


def answered_item(session: Session, conversation: Conversation, channel: Channel, item_id: int | None) -> InboxItem:
    """The item a reply answers: the one named, else the newest one someone else wrote."""
    if item_id is not None:
        item = session.get(InboxItem, item_id) if 1 <= item_id <= children.MAX_ROW_ID else None
        if item is None or item.conversation_id != conversation.id:
            raise InvalidInput.on("item_id", f"item {item_id} is not in this conversation")
        return item
    items = session.scalars(select(InboxItem).where(InboxItem.conversation_id == conversation.id)
                            .order_by(InboxItem.created_at.desc(), InboxItem.id.desc()))
    for item in items:
        if not channel.account_id or item.author_remote_id != channel.account_id:
            return item
    raise InvalidInput.on("item_id", "the conversation has no message from someone else to answer")


def _with_mention(adapter, item: InboxItem, text: str) -> str:
    """Networks that notify only those @-mentioned get the author's handle first (unless it is there)."""
    handle = item.author_handle.strip().lstrip("@")
    if not getattr(adapter, "mention_in_replies", False) or not handle:
        return text
    if re.search(rf"(?<![\w@])@{re.escape(handle)}(?![\w@-]|\.\w)", text, re.IGNORECASE):
        return text
    return f"@{handle} {text}"


def fill(template: str, item: InboxItem) -> str:
    """A saved reply for this person: ``{name}`` is their display name (else handle), ``{handle}`` their handle."""
    handle = item.author_handle.strip().lstrip("@")
    name = item.author_name.strip() or handle
    return template.replace("{name}", name).replace("{handle}", f"@{handle}" if handle else "")


def draft(*, session: Session, conversation: Conversation, text: str | None, item_id: int | None = None,
          saved_reply_id: int | None = None, confirm_voice: bool = False, automatic: bool = False,
          adapter=None) -> Draft:
    """Check a reply without sending it: raises InvalidInput (per-network text) or VoiceBlocked."""
    channel = session.get(Channel, conversation.channel_id)
    adapter = adapter or channels_service.adapter_for(channel.network)
    item = answered_item(session, conversation, channel, item_id)
    if not (text or "").strip():
        if saved_reply_id is None:
            raise InvalidInput.on("text", "write a reply or choose a saved reply")
        text = fill(get_saved(session=session, client_id=conversation.client_id, saved_id=saved_reply_id).text, item)
    text = text.strip()
    if item.kind == "dm" and not getattr(adapter, "private_replies", False):
        raise InvalidInput.on("item_id", f"{channel.network} direct messages cannot be answered privately from "
                                         "here; answer on the network")
    text = _with_mention(adapter, item, text)
    verdict = posts_service.verdict_for(channel, text)
    if not verdict.valid:
        raise InvalidInput.on("text", verdict.message or f"not valid on {channel.network}")
    client = session.get(Client, conversation.client_id)
    findings = [] if automatic else voice.check_client(client, text)
    if voice.blocking(findings) and not confirm_voice:
        raise VoiceBlocked(findings)
    return Draft(text=text, item=item, findings=findings)


# --- sending ----------------------------------------------------------------------------------


def send(*, session: Session, vault: Vault, conversation: Conversation, text: str | None, author_id: int | None,
         item_id: int | None = None, saved_reply_id: int | None = None, confirm_voice: bool = False,
         automatic: bool = False, key: str | None = None, adapter=None) -> InboxReply:
    """Check, write (committed), send once, record (committed). A repeated ``key`` (a TID the form
    chose when it was shown) returns the reply already made for it instead of sending another."""
    if key is not None:
        if not KEY.fullmatch(key):
            raise InvalidInput.on("key", "must be a 13-character TID (as the reply form supplies), or left out")
        earlier = _by_marker(session, conversation, key)
        if earlier is not None:
            return earlier
    channel = session.get(Channel, conversation.channel_id)
    adapter = adapter or channels_service.adapter_for(channel.network)
    checked = draft(session=session, conversation=conversation, text=text, item_id=item_id,
                    saved_reply_id=saved_reply_id, confirm_voice=confirm_voice, automatic=automatic, adapter=adapter)
    now = utcnow()
    reply = InboxReply(conversation_id=conversation.id, client_id=conversation.client_id, channel_id=channel.id,
                       item_id=checked.item.id, author_id=author_id, text=checked.text, automatic=automatic,
                       marker=key or new_marker(), status="sending", url="", error="", created_at=now, sent_at=now)
    try:
        with session.begin_nested():
            session.add(reply)
    except IntegrityError:  # the same key from a second click, committed meanwhile
        earlier = _by_marker(session, conversation, key) if key else None
        if earlier is None:
            raise
        return earlier
    session.commit()
    return _deliver(session, vault, reply, channel, adapter, look_first=False)


def _by_marker(session: Session, conversation: Conversation, marker: str) -> InboxReply | None:
    row = session.scalar(select(InboxReply).where(InboxReply.marker == marker))
    if row is not None and row.conversation_id != conversation.id:
        raise Conflict("this reply key was used for another conversation; reload the form", field="key")
    return row


def retry(*, session: Session, vault: Vault, reply: InboxReply, adapter=None) -> InboxReply:
    """Send a failed (or interrupted) reply again: look it up first, so it never goes out twice."""
    now = utcnow()
    claimed = session.execute(
        update(InboxReply)
        .where(InboxReply.id == reply.id,
               or_(InboxReply.status == "failed",
                   and_(InboxReply.status == "sending", InboxReply.sent_at < now - STALE_AFTER)))
        .values(status="sending", sent_at=now, error="")
        .execution_options(synchronize_session=False)
    ).rowcount
    session.commit()
    session.refresh(reply)
    if claimed != 1:
        if reply.status == "sent":
            return reply  # nothing to do: it went out
        raise Conflict(f"reply {reply.id} is being sent right now; wait for its outcome", field="status")
    channel = session.get(Channel, reply.channel_id)
    return _deliver(session, vault, reply, channel, adapter or channels_service.adapter_for(channel.network),
                    look_first=True)


def _outgoing(session: Session, reply: InboxReply) -> OutgoingPost:
    item = session.get(InboxItem, reply.item_id) if reply.item_id else None
    conversation = session.get(Conversation, reply.conversation_id)
    extra = {str(k): str(v) for k, v in (item.extra or {}).items()} if item else {}
    return OutgoingPost(
        text=reply.text, marker=reply.marker, not_before=reply.created_at - timedelta(seconds=5),
        reply_to=item.remote_id if item else conversation.root_remote_id,
        reply_root=extra.get("root_uri") or conversation.root_remote_id, reply_extra=extra)


def _deliver(session: Session, vault: Vault, reply: InboxReply, channel: Channel, adapter, *,
             look_first: bool) -> InboxReply:
    post = _outgoing(session, reply)
    try:
        credentials = channels_service.credentials(session=session, vault=vault, channel=channel)
    except Exception as exc:  # noqa: BLE001 - a credential gone from the vault: say so on the reply
        return _failed(session, reply, NetworkError(getattr(exc, "message", "the channel's credential is missing; "
                                                                        "reconnect the channel")))
    session.commit()  # no transaction stays open while the network is called
    try:
        published = _attempt(adapter, channel, credentials, post, look_first)
    except NetworkError as exc:
        if exc.status == 401:
            fresh = _refreshed(session, vault, adapter, channel, credentials)
            if fresh is not None:
                try:
                    published = _attempt(adapter, channel, fresh, post, look_first or exc.unknown_outcome)
                except NetworkError as again:
                    return _failed(session, reply, again)
                return _sent(session, reply, published)
        if exc.unknown_outcome:
            try:
                found = adapter.find(base_url=channel.base_url, credentials=credentials, post=post)
            except NetworkError:
                found = None
            if found is not None:
                return _sent(session, reply, found)
        return _failed(session, reply, exc)
    except Exception as exc:  # noqa: BLE001 - an answer nobody expected: the outcome is unknown
        log.exception("inbox reply %s failed unexpectedly", reply.id)
        return _failed(session, reply, NetworkError(f"unexpected error: {type(exc).__name__}", unknown_outcome=True))
    return _sent(session, reply, published)


def _attempt(adapter, channel: Channel, credentials: dict[str, str], post: OutgoingPost, look_first: bool) -> Published:
    if look_first:
        found = adapter.find(base_url=channel.base_url, credentials=credentials, post=post)
        if found is not None:
            return found
    return adapter.publish(base_url=channel.base_url, credentials=credentials, post=post)


def _refreshed(session: Session, vault: Vault, adapter, channel: Channel,
               credentials: dict[str, str]) -> dict[str, str] | None:
    """New credentials when the network renews an expired token (X); stored in the vault at once."""
    try:
        renewed = adapter.refresh(base_url=channel.base_url, credentials=credentials)
    except NetworkError:
        return None
    if renewed is None:
        return None
    vault_service.put(session=session, vault=vault, name=channel.secret_name,
                      value=json.dumps(renewed.credentials), client_id=channel.client_id)
    session.commit()
    return renewed.credentials


def _event(session: Session, reply: InboxReply, kind: str, detail: str) -> None:
    session.add(InboxEvent(conversation_id=reply.conversation_id, client_id=reply.client_id,
                           actor_id=reply.author_id, kind=kind, detail=detail[:2000]))


def _sent(session: Session, reply: InboxReply, published: Published) -> InboxReply:
    now = utcnow()
    reply.status, reply.remote_id, reply.url = "sent", published.remote_id[:300], (published.url or "")[:1000]
    reply.error, reply.sent_at = "", now
    conversation = session.get(Conversation, reply.conversation_id)
    _event(session, reply, "auto_replied" if reply.automatic else "replied", reply.url or reply.remote_id)
    if not reply.automatic:
        # An automatic reply is no answer from a person: the response clock keeps running.
        sla.record_response(session, conversation, at=now, user_id=reply.author_id)
    if conversation.status == Status.NEW and not reply.automatic:
        conversation.status = Status.OPEN
    conversation.last_activity_at = max(conversation.last_activity_at, now)
    conversation.long_running = is_long_running(conversation)
    session.commit()
    return reply


def _failed(session: Session, reply: InboxReply, exc: NetworkError) -> InboxReply:
    reply.status = "failed"
    reply.error = exc.message
    if exc.unknown_outcome:
        reply.error += " (it may have reached the network; a retry looks it up before sending again)"
    _event(session, reply, "reply_failed", reply.error)
    session.commit()
    return reply


# --- reading ----------------------------------------------------------------------------------


def get_reply(*, session: Session, conversation: Conversation, reply_id: int) -> InboxReply:
    row = children.get_for(session, InboxReply, conversation.client_id, reply_id)
    if row.conversation_id != conversation.id:
        raise NotFound(f"inbox reply {reply_id} not found in this conversation")
    return row


def list_replies(*, session: Session, conversation: Conversation) -> list[InboxReply]:
    """The conversation's replies, oldest first (failed ones too: they can be retried)."""
    return list(session.scalars(select(InboxReply).where(InboxReply.conversation_id == conversation.id)
                                .order_by(InboxReply.created_at, InboxReply.id)))


# --- saved replies ----------------------------------------------------------------------------


def list_saved(*, session: Session, client_id: int) -> list[SavedReply]:
    return list(session.scalars(select(SavedReply).where(SavedReply.client_id == client_id)
                                .order_by(SavedReply.title, SavedReply.id)))


def get_saved(*, session: Session, client_id: int, saved_id: int) -> SavedReply:
    return children.get_for(session, SavedReply, client_id, saved_id)


def create_saved(*, session: Session, client_id: int, data: SavedReplyIn, user_id: int | None) -> SavedReply:
    row = SavedReply(client_id=client_id, title=data.title, text=data.text, created_by_id=user_id)
    session.add(row)
    session.flush()
    return row


def update_saved(*, session: Session, client_id: int, saved_id: int, data: SavedReplyIn) -> SavedReply:
    row = get_saved(session=session, client_id=client_id, saved_id=saved_id)
    row.title, row.text = data.title, data.text
    session.flush()
    return row


def delete_saved(*, session: Session, client_id: int, saved_id: int) -> None:
    session.delete(get_saved(session=session, client_id=client_id, saved_id=saved_id))
    session.flush()
