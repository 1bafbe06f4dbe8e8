"""The inbox: ingest what the networks fetched (no item twice), list conversations, triage them.

Sync is incremental: each channel keeps a cursor in :class:`SyncState`; a fetch returns what is newer,
the entries are ingested and the cursor advances in the same unit of work, so a crash between
the two only means the same entries are fetched (and ignored) again.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import func, or_, select, text, union_all
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from socialdesk.auth.models import User
from socialdesk.channels import service as channels_service
from socialdesk.channels.models import Channel
from socialdesk.clients import service as clients_service
from socialdesk.clients.models import Client
from socialdesk.db import utcnow
from socialdesk.inbox import sentiment as sentiment_model
from socialdesk.inbox import autoreply, sla
from socialdesk.inbox.models import (
    LONG_RUNNING,
    Conversation,
    InboxEvent,
    InboxItem,
    InboxNote,
    InboxReply,
    SyncState,
    is_long_running,
)
from socialdesk.inbox.permissions import INBOX_TRIAGE
from socialdesk.inbox.schemas import BulkTriage, ConversationPatch, Sentiment, Status, Tag, tag_mask
from socialdesk.inbox.sync_report import SyncReport, readable
from socialdesk.kit import bulk, children
from socialdesk.kit.authz import AgencyRole, Principal, Role
from socialdesk.kit.errors import FieldError, Forbidden, InvalidInput
from socialdesk.networks.base import InboxEntry, InboxPage, NetworkError
from socialdesk.notify import service as notify
from socialdesk.team import service as team_service
from socialdesk.team.models import Membership
from socialdesk.vault.service import Vault

MAX_TEXT = 20_000
# A listing over more clients than this is one IN-list query, not one query per client (SQLite allows
# 500 terms in a compound SELECT).
LISTING_UNION_MAX = 200


def _clip(value: str | None, size: int) -> str:
    return (value or "")[:size]


def ingest(*, session: Session, channel: Channel, entries: Sequence[InboxEntry]) -> int:
    """Store the entries not seen before on this channel; returns how many were new."""
    if not entries:
        return 0
    ids = list({e.remote_id for e in entries})
    seen = set()
    with bulk.custom_plans(session):
        for start in range(0, len(ids), 500):
            seen |= set(session.scalars(select(InboxItem.remote_id).where(
                InboxItem.channel_id == channel.id,
                bulk.any_of(session, InboxItem.remote_id, ids[start:start + 500]))))
    fresh: dict[str, InboxEntry] = {}
    for entry in entries:
        if entry.remote_id not in seen and entry.remote_id not in fresh:
            fresh[entry.remote_id] = entry
    if not fresh:
        return 0
    roots = {e.thread_root or e.in_reply_to or e.remote_id for e in fresh.values()}
    with bulk.custom_plans(session):
        conversations = {c.root_remote_id: c for c in session.scalars(select(Conversation).where(
            Conversation.channel_id == channel.id, bulk.any_of(session, Conversation.root_remote_id, list(roots))))}
    known = list(conversations.values())
    rules = sla.settings_for(session, channel.client_id)
    hours = sla.hours_for(session, channel.client_id)  # office hours once per batch
    rows: list[tuple[Conversation | _NewConversation, dict]] = []
    fresh_conversations: list[_NewConversation] = []
    # urgency is judged once all have ids
    complaints: list[tuple[Conversation | _NewConversation, str, int | None, datetime]] = []
    ingested_at = utcnow()
    for entry in sorted(fresh.values(), key=lambda e: e.created_at):
        root = entry.thread_root or entry.in_reply_to or entry.remote_id
        author = entry.author
        conversation = conversations.get(root)
        if conversation is None:
            conversation = conversations[root] = _NewConversation(
                channel, root[:300], entry.created_at, _clip(author.remote_id, 300), _clip(author.handle, 320),
                ingested_at)
            fresh_conversations.append(conversation)  # inserted in one statement below
        elif conversation.status in (Status.DONE, Status.WAITING):
            conversation.status = Status.OPEN  # the person wrote again
        conversation.item_count += 1
        newest = entry.created_at >= conversation.last_activity_at
        conversation.last_activity_at = max(conversation.last_activity_at, entry.created_at)
        conversation.long_running = is_long_running(conversation)
        compound, label = sentiment_model.score(entry.text)
        if newest or conversation.sentiment is None:
            conversation.sentiment = label
        sla.start_clock(session, conversation, at=entry.created_at, rules=rules, hours=hours)
        # Rows, not ORM objects: an item is never changed after ingest, and building and flushing an
        # object per item was most of an ingest's time (bench/inbox_ingest.py).
        rows.append((conversation, dict(
            client_id=channel.client_id, channel_id=channel.id,
            remote_id=entry.remote_id[:300], kind=entry.kind, author_remote_id=_clip(author.remote_id, 300),
            author_handle=_clip(author.handle, 320), author_name=_clip(author.display_name, 300),
            author_url=_clip(author.url, 1000), author_followers=author.followers, text=_clip(entry.text, MAX_TEXT),
            url=_clip(entry.url, 1000), in_reply_to=(entry.in_reply_to or None) and entry.in_reply_to[:300],
            lang=_clip(entry.lang, 20) or None, sentiment_score=compound, sentiment=label,
            extra=dict(entry.extra or {}), created_at=entry.created_at, ingested_at=ingested_at)))
        if author.followers is not None and author.followers >= rules.urgent_followers:
            complaints.append((conversation, label, author.followers, entry.created_at))
    with session.no_autoflush:  # the conversations seen before are written by _update_conversations
        _update_conversations(session, known)
        _insert_conversations(session, fresh_conversations)
        # Core, not the ORM bulk path: that splits the rows into a statement per run of equal None columns.
        bulk.insert_rows(session, InboxItem.__table__, [{**row, "conversation_id": c.id} for c, row in rows])
    for conversation in known:
        session.expire(conversation, ["items"])  # a collection loaded before does not show the new items
    for conversation, label, followers, at in complaints:
        if isinstance(conversation, _NewConversation):
            if label != "negative":  # it has no tags yet: only a negative item makes it urgent
                continue
            conversation = conversations[conversation.root_remote_id] = session.get(Conversation, conversation.id)
        sla.flag_urgent(session, conversation, sentiment=label, followers=followers, rules=rules, at=at)
    return len(fresh)


class _NewConversation:
    """A conversation first seen in this batch, as the ingest loop and the SLA clock use it: a row to
    insert, not an ORM object (building those was a fifth of an ingest's time, bench/inbox_ingest.py)."""

    COLUMNS = ("client_id", "channel_id", "network", "root_remote_id", "first_item_at", "last_activity_at",
               "author_remote_id", "author_handle", "created_at", "status", "tags", "tag_mask", "item_count",
               "urgent", "escalation_level", "breached", "sentiment", "awaiting_since", "due_at", "breach_at",
               "long_running")  # what is inserted; the id comes back
    __slots__ = (*COLUMNS, "id")

    def __init__(self, channel: Channel, root: str, at: datetime, author_remote_id: str, author_handle: str,
                 created_at: datetime) -> None:
        self.client_id, self.channel_id, self.network, self.root_remote_id = (channel.client_id, channel.id,
                                                                              channel.network, root)
        self.first_item_at = self.last_activity_at = at
        self.author_remote_id, self.author_handle, self.created_at = author_remote_id, author_handle, created_at
        self.status, self.tags, self.tag_mask, self.item_count = Status.NEW.value, [], 0, 0
        self.urgent, self.escalation_level, self.breached, self.long_running = False, 0, False, False
        self.sentiment = self.awaiting_since = self.due_at = self.breach_at = self.id = None

    def row(self) -> dict:
        return {name: getattr(self, name) for name in self.COLUMNS}


def _insert_conversations(session: Session, conversations: list[_NewConversation]) -> None:
    """Insert new conversations in one statement and give them their ids (the root is unique per channel)."""
    if not conversations:
        return
    returned = bulk.insert_rows(session, Conversation.__table__, [c.row() for c in conversations],
                                returning=("id", "channel_id", "root_remote_id"))
    ids = {(channel_id, root): row_id for row_id, channel_id, root in returned}
    for conversation in conversations:
        conversation.id = ids[(conversation.channel_id, conversation.root_remote_id)]


# What an ingest changes on a conversation seen before.
INGEST_CHANGES = ("status", "item_count", "last_activity_at", "long_running", "sentiment", "awaiting_since", "due_at",
                  "breach_at", "escalation_level")


def _update_conversations(session: Session, conversations: list[Conversation]) -> None:
    """Write what the ingest changed on conversations seen before in one executemany: the unit of work
    issued an UPDATE per run of conversations with the same changed columns (30 statements a page)."""
    changed = [c for c in conversations if sa_inspect(c).modified]
    if not changed:
        return
    bulk.update_rows(session, Conversation.__table__,
                     [{"id": c.id, **{name: getattr(c, name) for name in INGEST_CHANGES}} for c in changed],
                     INGEST_CHANGES)
    for conversation in changed:  # written: the unit of work must not write them again
        for name in INGEST_CHANGES:
            set_committed_value(conversation, name, getattr(conversation, name))


def sync_state(session: Session, channel: Channel) -> SyncState:
    state = session.get(SyncState, channel.id)
    if state is None:
        state = SyncState(channel_id=channel.id, client_id=channel.client_id, items_total=0)
        session.add(state)
        session.flush()
    return state


def sync_channel(*, session: Session, vault: Vault, channel: Channel, adapter=None, max_pages: int = 10) -> SyncState:
    """Fetch what is new on the channel and ingest it; an error is recorded on the sync state (not raised)."""
    state = sync_state(session, channel)
    if adapter is None and channel.network not in channels_service.ADAPTERS:
        state.last_report = "nothing to fetch: this channel's items are imported (reviews from CSV)"
        session.flush()
        return state
    adapter = adapter or channels_service.adapter_for(channel.network)
    cursor_guarded(session)
    report = SyncReport()
    started = utcnow()
    try:
        credentials = channels_service.credentials(session=session, vault=vault, channel=channel)
        _sync_pages(session, adapter, channel, credentials, state, report, max_pages)
    except NetworkError as exc:
        state.error, state.error_at = exc.message, utcnow()
    except Exception as exc:  # a network that answers nonsense: say so, keep what was ingested
        state.error, state.error_at = f"the network answered something unexpected ({type(exc).__name__})", utcnow()
    else:
        state.error, state.error_at = "", None
        state.synced_at = utcnow()
    state.last_report = report.text()
    session.flush()
    autoreply.after_ingest(session, channel, autoreply.ingested_since(session, channel, started), vault=vault)
    return state


def cursor_guarded(session: Session) -> None:
    """This unit of work stores items together with the cursor they were fetched up to: a commit lost in
    a crash loses both, and the next sync fetches those items again. So PostgreSQL need not wait for the
    disk at commit (synchronous_commit off, for this transaction only); SQLite in WAL mode with
    synchronous=NORMAL already does not wait."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL synchronous_commit TO OFF"))


def _sync_pages(session: Session, adapter, channel: Channel, credentials: dict[str, str], state: SyncState,
                report: SyncReport, max_pages: int) -> None:
    """Page until the cursor stops moving. A cursor older than the stored one is not taken (the
    adapter's ``later_cursor`` orders them), a cursor or page seen before in this sync ends it."""
    seen_cursors = {state.cursor}
    last_ids: list[str] | None = None
    for _ in range(max_pages):
        page = adapter.fetch_inbox(base_url=channel.base_url, credentials=credentials, cursor=state.cursor)
        if not isinstance(page, InboxPage) or not isinstance(page.entries, tuple | list):
            raise NetworkError(f"the {channel.network} adapter answered no page of entries", status=None)
        report.pages += 1
        report.malformed += [str(s) for s in page.skipped]
        report.notes += [str(n) for n in page.notes if str(n) not in report.notes]
        entries = readable(page.entries, report)
        ids = [e.remote_id for e in entries]
        if ids and ids == last_ids:
            report.notes.append("the network sent the same page twice; paging stopped there (nothing stored twice)")
            report.fetched += len(entries)
            break
        last_ids = ids
        new = ingest(session=session, channel=channel, entries=entries)
        report.fetched += len(entries)
        report.new += new
        state.items_total += new
        cursor = page.cursor if isinstance(page.cursor, str) and page.cursor else None
        kept = _later_cursor(adapter, state.cursor, cursor)
        if cursor is not None and kept != cursor:
            report.notes.append(f"the network handed back an older cursor ({cursor[:80]} after {state.cursor[:80]}); "
                                "the newer one was kept")
        moved = kept != state.cursor
        state.cursor = kept
        if moved and kept in seen_cursors:
            report.notes.append("the network's cursor came back to an earlier one; paging stopped there")
            break
        seen_cursors.add(kept)
        if not page.entries or not moved:
            break


def _later_cursor(adapter, old: str | None, new: str | None) -> str | None:
    """The cursor to keep: the new one unless the adapter can order its cursors and the old is later."""
    if new is None or old is None or new == old:
        return old if new is None else new
    order = getattr(adapter, "later_cursor", None)
    if order is None:
        return new
    try:
        return order(old, new)
    except (TypeError, ValueError):  # a cursor of another shape (e.g. from before an upgrade): take the new
        return new


# --- reading ----------------------------------------------------------------------------------


def inbox_clients(principal: Principal, visible_ids: Iterable[int]) -> list[int]:
    """The clients whose inbox this person sees: client approvers never see one."""
    return [cid for cid in visible_ids if principal.role_on(cid) not in (None, Role.CLIENT_APPROVER)]


def triage_clients(*, session: Session, principal: Principal) -> list[int]:
    """The clients where this person may triage the inbox."""
    visible = [c.id for c in clients_service.list_visible(session=session, principal=principal)]
    return [cid for cid in visible if principal.can(INBOX_TRIAGE, cid)]


def list_conversations(
    *,
    session: Session,
    client_ids: Sequence[int],
    channel_id: int | None = None,
    status: Status | None = None,
    assignee_id: int | None = None,
    unassigned: bool = False,
    tag: Tag | None = None,
    sentiment: Sentiment | None = None,
    urgent: bool | None = None,
    older_than: datetime | None = None,
    newer_than: datetime | None = None,
    before: datetime | None = None,
    before_id: int | None = None,
    limit: int = 50,
) -> list[Conversation]:
    """Conversations, newest activity first (``before`` pages back; with ``before_id``, the last
    conversation of the previous page, those active at that same instant with a smaller id come next, so
    a page boundary inside a run of equal times, as an import of dated reviews makes, skips none).
    ``older_than`` / ``newer_than`` bound the age: when the conversation began."""
    ids = sorted(set(client_ids))
    if not ids or limit < 1:
        return []
    conditions = []
    if channel_id is not None:
        conditions.append(Conversation.channel_id == channel_id)
    if status is not None:
        conditions.append(Conversation.status == status)
    if assignee_id is not None:
        conditions.append(Conversation.assignee_id == assignee_id)
    if unassigned:
        conditions.append(Conversation.assignee_id.is_(None))
    if tag is not None:
        conditions.append(Conversation.tag_mask.op("&")(tag_mask([tag])) != 0)
    if sentiment is not None:
        conditions.append(Conversation.sentiment == sentiment)
    if urgent is not None:
        conditions.append(Conversation.urgent.is_(urgent))
    if older_than is not None:
        conditions.append(Conversation.first_item_at < older_than)
    if newer_than is not None:  # active since it began: the activity bound stops the index range there
        conditions += [Conversation.first_item_at >= newer_than, Conversation.last_activity_at >= newer_than]
    if before is not None and before_id is not None:  # the range read from the index, the tie broken in it
        conditions += [Conversation.last_activity_at <= before,
                       or_(Conversation.last_activity_at < before, Conversation.id < before_id)]
    elif before is not None:
        conditions.append(Conversation.last_activity_at < before)
    # One client, one channel (a client's) or one assignee (on the clients they work on): read from that
    # one ordered index, the client condition checked in it.
    one_index = channel_id is not None or assignee_id is not None or len(ids) == 1
    # Neither SQLite nor PostgreSQL can merge the index ranges of an IN-list in order: they read every
    # matching row and sort. So, over several clients: no client condition when nobody else has
    # conversations (a director), a NOT IN checked on the index when few others do, else the newest
    # ``limit`` of each client, merged.
    others = [] if one_index else list(session.scalars(select(Client.id).where(
        Client.id.not_in(ids), select(Conversation.id).where(Conversation.client_id == Client.id).exists())))
    if older_than is None:
        top = _newest(session, ids, others, conditions, limit, one_index=one_index)
    else:
        # Began before ``older_than``, newest activity first: among the conversations active since that
        # bound few began before it, and reading them all to find those was the slowest listing. Three
        # disjoint ranges of activity, newest first: the long running ones active LONG_RUNNING after the
        # bound (their own small index), all of the LONG_RUNNING after the bound (a conversation active
        # then and begun before is either there or long running), and all that went quiet before it.
        bound = older_than + LONG_RUNNING
        top = []
        for extra in ([Conversation.long_running == True, Conversation.last_activity_at >= bound],  # noqa: E712
                      [Conversation.last_activity_at >= older_than, Conversation.last_activity_at < bound],
                      [Conversation.last_activity_at < older_than]):
            top += _newest(session, ids, others, [*conditions, *extra], limit - len(top), one_index=one_index)
            if len(top) >= limit:
                break
    if not top:
        return []
    rows = {c.id: c for c in session.scalars(select(Conversation).where(bulk.any_of(session, Conversation.id, top)))}
    return [rows[i] for i in top if i in rows]


def _newest(session: Session, ids: list[int], others: list[int], conditions: list, limit: int, *,
            one_index: bool) -> list[int]:
    """The ids of the newest ``limit`` conversations of the clients ``ids`` that meet the conditions, in
    the order of the listing (``others``: the other clients with conversations); ``one_index``: the
    conditions pick one ordered index (a client's, a channel's, an assignee's)."""
    newest_first = (Conversation.last_activity_at.desc(), Conversation.id.desc())
    if one_index:
        # The client condition only keeps out what belongs to clients the person does not work on.
        client = Conversation.client_id == ids[0] if len(ids) == 1 else bulk.any_of(session, Conversation.client_id, ids)
        query = select(Conversation.id).where(client, *conditions)
        return list(session.scalars(query.order_by(*newest_first).limit(limit)))
    if len(others) < len(ids) or len(ids) > LISTING_UNION_MAX:
        if others:
            conditions = [*conditions, Conversation.client_id.not_in(others) if len(others) < len(ids)
                          else Conversation.client_id.in_(ids)]
        query = select(Conversation.id, Conversation.client_id).where(*conditions)
        allowed = set(ids)  # a client that got its first conversation since ``others`` was read stays out
        return [i for i, cid in session.execute(query.order_by(*newest_first).limit(limit)) if cid in allowed]
    parts = [select(Conversation.id, Conversation.last_activity_at).where(Conversation.client_id == cid, *conditions)
             .order_by(*newest_first).limit(limit).subquery() for cid in ids]
    merged = union_all(*(select(part.c.id, part.c.last_activity_at) for part in parts)).subquery()
    return list(session.scalars(select(merged.c.id).order_by(merged.c.last_activity_at.desc(), merged.c.id.desc())
                                .limit(limit)))


def latest_items(session: Session, conversations: Sequence[Conversation]) -> dict[int, InboxItem]:
    """The newest item of each conversation (one index probe each, then one query for the items)."""
    if not conversations:
        return {}
    newest = (select(func.max(InboxItem.id)).where(InboxItem.conversation_id == Conversation.id)
              .correlate(Conversation).scalar_subquery())
    item_ids = [i for i in session.scalars(select(newest).where(
        bulk.any_of(session, Conversation.id, [c.id for c in conversations]))) if i is not None]
    if not item_ids:
        return {}
    return {i.conversation_id: i for i in session.scalars(select(InboxItem).where(
        bulk.any_of(session, InboxItem.id, item_ids)))}


def get_conversation(*, session: Session, client_id: int, conversation_id: int) -> Conversation:
    return children.get_for(session, Conversation, client_id, conversation_id)


def notes(*, session: Session, conversation: Conversation) -> list[InboxNote]:
    return list(session.scalars(select(InboxNote).where(InboxNote.conversation_id == conversation.id)
                                .order_by(InboxNote.id)))


# --- triage -----------------------------------------------------------------------------------


def update(*, session: Session, conversation: Conversation, data: ConversationPatch) -> Conversation:
    fields = data.model_dump(exclude_unset=True)
    if "assignee_id" in fields and fields["assignee_id"] is not None:
        uid = fields["assignee_id"]
        works_here = session.scalar(select(Membership.id).where(Membership.user_id == uid,
                                                               Membership.client_id == conversation.client_id,
                                                               Membership.role != Role.CLIENT_APPROVER))
        director = session.scalar(select(User.id).where(User.id == uid, User.agency_role.in_(["owner", "director"])))
        if works_here is None and director is None:
            raise InvalidInput.on("assignee_id", f"person {uid} does not work on this client")
    for key, value in fields.items():
        setattr(conversation, key, value)
    if "tags" in fields:
        conversation.tags = sorted({str(t) for t in fields["tags"] or []})
        conversation.tag_mask = tag_mask(conversation.tags)
    session.flush()
    return conversation


def add_note(*, session: Session, conversation: Conversation, author_id: int, text: str) -> InboxNote:
    """An internal note; the people who work on the client and are @-mentioned in it are notified."""
    people = mentioned(session=session, client_id=conversation.client_id, text=text)
    note = InboxNote(conversation_id=conversation.id, client_id=conversation.client_id, author_id=author_id, text=text,
                     mentions=[u.id for u in people])
    session.add(note)
    session.flush()
    told = [u.id for u in people if u.id != author_id]
    if told:
        writer = session.get(User, author_id)
        client = session.get(Client, conversation.client_id)
        who = writer.name if writer is not None else "Someone"
        notify.send(session, told, client_id=conversation.client_id, kind="inbox.mention",
                    message=f"{who} mentioned you in a note on {client.name if client else 'a client'}'s inbox: "
                            f"{text[:200]}",
                    link=f"/clients/{conversation.client_id}/inbox/{conversation.id}")
    return note


# --- @-mentions, history, bulk triage -----------------------------------------------------------

# "@cam.lee" or "@Cam": not an e-mail address (no word character or dot right before the @).
MENTION = re.compile(r"(?<![\w.@])@(\w[\w.\-]*)")


def mention_handles(user: User) -> set[str]:
    """What a teammate may be @-mentioned as: the e-mail's local part or the name without spaces
    (``cam.lee``, ``camlee``, ``cam_lee``), compared without case."""
    name = " ".join(user.name.split()).casefold()
    handles = {user.email.split("@", 1)[0].casefold(), name.replace(" ", ""), name.replace(" ", "."),
               name.replace(" ", "_")}
    return {h for h in handles if h}


def teammates(*, session: Session, client_id: int) -> list[User]:
    """The people who work on the client's inbox (its members other than approvers, and the directors)."""
    return [user for user, role in team_service.list_members(session=session, client_id=client_id)
            if role is not Role.CLIENT_APPROVER]


def teammate_names(*, session: Session, client_ids: Collection[int]) -> dict[int, str]:
    """id -> name of the people who work on any of these clients' inboxes (their members other than
    approvers, and the directors), in two queries however many clients: the all-clients inbox offers them
    as assignees, and ``teammates`` one client at a time took three queries a client."""
    ids = sorted(set(client_ids))
    if not ids:
        return {}
    members = session.execute(select(User.id, User.name).join(Membership, Membership.user_id == User.id).where(
        bulk.any_of(session, Membership.client_id, ids), Membership.role != Role.CLIENT_APPROVER,
        User.is_active.is_(True)).distinct())
    directors = session.execute(select(User.id, User.name).where(
        User.agency_role.in_([AgencyRole.OWNER, AgencyRole.DIRECTOR]), User.is_active.is_(True)))
    return dict([*members, *directors])


def mentioned(*, session: Session, client_id: int, text: str) -> list[User]:
    """The teammates on this client that ``text`` @-mentions (a unique first name counts too)."""
    words = {w.casefold() for w in MENTION.findall(text or "")}
    words |= {w.rstrip(".-") for w in words}  # "thanks @cam." ends a sentence
    if not words:
        return []
    people = teammates(session=session, client_id=client_id)
    firsts: dict[str, list[User]] = {}
    for user in people:
        first = user.name.split()[0].casefold() if user.name.split() else ""
        firsts.setdefault(first, []).append(user)
    found = {u.id: u for u in people if mention_handles(u) & words}
    for word in words:
        if len(firsts.get(word, [])) == 1:  # an ambiguous first name notifies nobody rather than the wrong one
            found.setdefault(firsts[word][0].id, firsts[word][0])
    return sorted(found.values(), key=lambda u: u.id)


@dataclass
class AuthorHistory:
    """A person from the public as their latest item shows them, and their conversations with a client."""

    author_remote_id: str
    handle: str = ""
    name: str = ""
    url: str = ""
    followers: int | None = None
    conversation_count: int = 0  # every conversation they wrote in, this one included
    item_count: int = 0
    first_seen_at: datetime | None = None
    last_seen_at: datetime | None = None
    conversations: list[Conversation] = field(default_factory=list)  # newest first, without ``exclude_id``


def author_history(*, session: Session, client_id: int, author_remote_id: str, network: str | None = None,
                   exclude_id: int | None = None, limit: int = 10) -> AuthorHistory:
    """The conversations this person wrote in on this client (ids are per network, hence ``network``)."""
    history = AuthorHistory(author_remote_id=author_remote_id)
    if not author_remote_id:
        return history  # an item without an author id (an imported review) has no history to find
    theirs = (select(InboxItem).join(Conversation, Conversation.id == InboxItem.conversation_id)
              .where(InboxItem.client_id == client_id, InboxItem.author_remote_id == author_remote_id))
    if network is not None:
        theirs = theirs.where(Conversation.network == network)
    latest = session.scalar(theirs.order_by(InboxItem.created_at.desc(), InboxItem.id.desc()).limit(1))
    if latest is None:
        return history
    history.handle, history.name, history.url = latest.author_handle, latest.author_name, latest.author_url
    history.followers = latest.author_followers
    stats = theirs.with_only_columns(func.count(InboxItem.id), func.count(func.distinct(InboxItem.conversation_id)),
                                     func.min(InboxItem.created_at), func.max(InboxItem.created_at))
    items, conversations, first, last = session.execute(stats.order_by(None)).one()
    history.item_count, history.conversation_count = items, conversations
    history.first_seen_at, history.last_seen_at = _aware(first), _aware(last)
    ids = theirs.with_only_columns(InboxItem.conversation_id).distinct()
    query = select(Conversation).where(Conversation.client_id == client_id, Conversation.id.in_(ids))
    if exclude_id is not None:
        query = query.where(Conversation.id != exclude_id)
    history.conversations = list(session.scalars(
        query.order_by(Conversation.last_activity_at.desc(), Conversation.id.desc()).limit(limit)))
    return history


def _aware(at: datetime | None) -> datetime | None:
    """Aggregates bypass the column type, so SQLite hands back naive (UTC) or text values."""
    if at is None or isinstance(at, datetime):
        return at.replace(tzinfo=UTC) if at is not None and at.tzinfo is None else at
    return datetime.fromisoformat(str(at)).replace(tzinfo=UTC)


def record_event(session: Session, conversation: Conversation, *, actor_id: int | None, kind: str,
                 detail: str = "") -> InboxEvent:
    row = InboxEvent(conversation_id=conversation.id, client_id=conversation.client_id, actor_id=actor_id,
                     kind=kind[:30], detail=detail)
    session.add(row)
    return row


def triage(*, session: Session, conversation: Conversation, data: ConversationPatch,
           actor_id: int | None) -> Conversation:
    """:func:`update`, and one history event per thing that changed."""
    status, assignee, tags = conversation.status, conversation.assignee_id, set(conversation.tags or [])
    update(session=session, conversation=conversation, data=data)
    if conversation.status != status:
        record_event(session, conversation, actor_id=actor_id, kind="status", detail=f"{status} → {conversation.status}")
    if conversation.assignee_id != assignee:
        person = session.get(User, conversation.assignee_id) if conversation.assignee_id else None
        record_event(session, conversation, actor_id=actor_id, kind="assigned",
                     detail=person.name if person is not None else "unassigned")
    now = set(conversation.tags or [])
    if now != tags:
        change = [f"+{t}" for t in sorted(now - tags)] + [f"−{t}" for t in sorted(tags - now)]
        record_event(session, conversation, actor_id=actor_id, kind="tags", detail=" ".join(change))
    session.flush()
    return conversation


def events(*, session: Session, conversation: Conversation) -> list[InboxEvent]:
    return list(session.scalars(select(InboxEvent).where(InboxEvent.conversation_id == conversation.id)
                                .order_by(InboxEvent.at, InboxEvent.id)))


def replies(*, session: Session, conversation: Conversation) -> list[InboxReply]:
    return list(session.scalars(select(InboxReply).where(InboxReply.conversation_id == conversation.id)
                                .order_by(InboxReply.created_at, InboxReply.id)))


def _ids(ids: Iterable[int]) -> str:
    ids = list(ids)
    return ("conversation " if len(ids) == 1 else "conversations ") + ", ".join(str(i) for i in ids)


def bulk_update(*, session: Session, client_ids: Iterable[int], conversation_ids: Sequence[int], patch: BulkTriage,
                actor_id: int | None = None) -> list[Conversation]:
    """One triage for many conversations, all or nothing. ``client_ids``: where the caller may triage;
    a conversation anywhere else (or unknown) refuses the whole request, naming it."""
    wanted = list(dict.fromkeys(conversation_ids))
    if not wanted:
        return []
    allowed = set(client_ids)
    rows = {c.id: c for c in session.scalars(select(Conversation).where(Conversation.id.in_(wanted)))}
    # Unknown and not-yours read the same, so the answer tells nothing about other clients.
    refused = [i for i in wanted if i not in rows or rows[i].client_id not in allowed]
    if refused:
        message = f"{_ids(refused)}: not found on a client where you may triage; nothing was changed"
        raise Forbidden(message, errors=[FieldError("conversation_ids", message)])
    fields = patch.model_dump(exclude_unset=True, include={"status", "assignee_id"})
    if fields.get("assignee_id") is not None:
        uid = fields["assignee_id"]
        strangers = []
        for client_id in sorted({c.client_id for c in rows.values()}):
            if uid not in {u.id for u in teammates(session=session, client_id=client_id)}:
                strangers += [i for i in wanted if rows[i].client_id == client_id]
        if strangers:
            raise InvalidInput.on("assignee_id", f"person {uid} does not work on the client of {_ids(strangers)}; "
                                                 "nothing was changed")
    add, remove = {str(t) for t in patch.tags_add}, {str(t) for t in patch.tags_remove}
    if add & remove:
        raise InvalidInput.on("tags_remove", f"{', '.join(sorted(add & remove))} cannot be added and removed at once")
    out = []
    for cid in wanted:
        conversation = rows[cid]
        change = dict(fields)
        if add or remove:
            change["tags"] = sorted((set(conversation.tags or []) | add) - remove)
        out.append(triage(session=session, conversation=conversation, data=ConversationPatch(**change),
                          actor_id=actor_id))
    return out


def sync_states(*, session: Session, channel_ids: Sequence[int]) -> dict[int, SyncState]:
    """The sync state of each channel that has one (for the channel page: last sync, error, report)."""
    if not channel_ids:
        return {}
    return {s.channel_id: s for s in session.scalars(select(SyncState).where(SyncState.channel_id.in_(list(channel_ids))))}
