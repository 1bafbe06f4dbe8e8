"""Publishing due posts exactly once, whatever happens to the workers and the networks.

The protocol, all of it on the :class:`PostTarget` row:

1. **Claim** (one statement, committed): a due target (``scheduled`` and ``due_at`` passed, or
   ``publishing`` with an expired lease, i.e. its worker died) becomes ``publishing`` with a fresh
   ``claim_token`` and ``lease_until``. On PostgreSQL the candidates are locked with ``FOR UPDATE
   SKIP LOCKED`` so workers never wait on each other; SQLite serialises writers anyway. The same
   statement copies ``in_flight`` into ``needs_lookup`` and sets ``in_flight``: a target whose last
   attempt may have reached the network is looked up before anything is sent again.
2. **Send**, outside any transaction: ``find`` first when ``needs_lookup``, then ``publish`` with
   the row's ``marker`` (Mastodon's Idempotency-Key, Bluesky's record key, X's lookup).
3. **Record**, fenced by the claim token: only the worker that still holds the claim writes the
   outcome. The network's id is stored once; ``in_flight`` is cleared only when the outcome is known.

While a worker sends, it keeps renewing the leases of the targets it holds (every third of the
lease): a slow send (a video upload, a network taking its time, a loaded machine) keeps its claim
for as long as its worker lives, and only a dead worker's claims run out. A worker killed anywhere
leaves either an unclaimed row (nothing happened) or a ``publishing`` row whose lease runs out,
after which another worker looks the post up before sending.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path

from sqlalchemy import func, or_, select, text, update
from sqlalchemy.orm import Session

from socialdesk.channels import service as channels_service
from socialdesk.channels.models import Channel
from socialdesk.crisis.models import Crisis
from socialdesk.db import Database, utcnow
from socialdesk.kit.errors import DomainError
from socialdesk.networks.base import MediaItem, NetworkError, OutgoingPost, Published
from socialdesk.publishing import service as posts_service
from socialdesk.publishing.models import MediaFile, Post, PostTarget, PublishingSettings
from socialdesk.publishing.schemas import TargetState
from socialdesk.publishing.timing import backoff, sibling_marker
from socialdesk.vault import service as vault_service
from socialdesk.vault.service import Vault

log = logging.getLogger("socialdesk.publishing")

DEFAULT_LEASE = timedelta(seconds=60)
MAX_ATTEMPTS = 8
MAX_HOLD = timedelta(minutes=30)  # a send still going after this long stops renewing its lease


@dataclass(frozen=True)
class Claim:
    target_id: int
    token: str
    needs_lookup: bool


def _due(now: datetime):
    return or_(
        (PostTarget.state == TargetState.SCHEDULED) & (PostTarget.due_at <= now),
        (PostTarget.state == TargetState.PUBLISHING) & (PostTarget.lease_until < now),
    )


def _not_held_by_a_pause():
    """The client is not paused, or the post is a holding statement of the client's open crisis: the
    crisis room pauses everything else so that the statements it approves are what goes out."""
    paused = select(PublishingSettings.client_id).where(PublishingSettings.paused.is_(True))
    statements = (
        select(Post.id)
        .join(Crisis, (Crisis.campaign_id == Post.campaign_id) & (Crisis.client_id == Post.client_id))
        .where(Crisis.status == "open")
    )
    return or_(PostTarget.client_id.not_in(paused), PostTarget.post_id.in_(statements))


def claim_due(session: Session, *, now: datetime | None = None, limit: int = 10,
              lease: timedelta = DEFAULT_LEASE) -> list[Claim]:
    """Atomically take up to ``limit`` due targets of unpaused clients, and the holding statements of a
    paused client's open crisis (commit right after)."""
    now = now or utcnow()
    candidates = (
        select(PostTarget.id)
        .where(_due(now), _not_held_by_a_pause())
        .order_by(PostTarget.due_at)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        candidates = candidates.with_for_update(skip_locked=True)
    token = uuid.uuid4().hex
    rows = session.execute(
        update(PostTarget)
        .where(PostTarget.id.in_(candidates.scalar_subquery()), _due(now))
        .values(
            state=TargetState.PUBLISHING,
            claim_token=token,
            lease_until=now + lease,
            attempts=PostTarget.attempts + 1,
            needs_lookup=PostTarget.needs_lookup | PostTarget.in_flight,  # SET sees the old values
            in_flight=True,
            first_attempt_at=func.coalesce(PostTarget.first_attempt_at, now),
        )
        .returning(PostTarget.id, PostTarget.needs_lookup)
        .execution_options(synchronize_session=False)
    ).all()
    return [Claim(row.id, token, bool(row.needs_lookup)) for row in rows]


def renew_leases(session: Session, claims: list[Claim], *, now: datetime | None = None,
                 lease: timedelta = DEFAULT_LEASE) -> int:
    """Push back the leases of targets this worker is still sending (only where its claim still
    holds: the row's token is one of the claims'); returns how many rows were renewed."""
    if not claims:
        return 0
    now = now or utcnow()
    result = session.execute(
        update(PostTarget)
        .where(PostTarget.id.in_([c.target_id for c in claims]),
               PostTarget.claim_token.in_({c.token for c in claims}),
               PostTarget.state == TargetState.PUBLISHING)
        .values(lease_until=now + lease)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


@dataclass
class _Job:
    """What a claimed target needs to be sent, read in one short transaction."""

    network: str
    base_url: str
    credentials: dict[str, str]
    post: OutgoingPost
    comment: OutgoingPost | None
    channel_id: int


class Publisher:
    """Sends claimed targets. One per process; thread-safe (each call opens its own sessions)."""

    def __init__(self, database: Database, vault: Vault, *, media_root: Path,
                 adapter_for=channels_service.adapter_for):
        self.database = database
        self.vault = vault
        self.media_root = media_root
        self.adapter_for = adapter_for

    # -- step 2 and 3 ------------------------------------------------------------------------

    def publish(self, claim: Claim) -> str:
        """Send one claimed target and record the outcome; returns the target's new state."""
        try:
            with self.database.session() as session:  # reads only
                job = self._job(session, claim)
        except DomainError as exc:  # a credential missing from the vault, a media file gone
            return self._record_failure(claim, NetworkError(exc.message, permanent=True))
        if job is None:
            return "lost"  # another worker holds it now
        adapter = self.adapter_for(job.network)
        try:
            result = self._send(adapter, job, claim.needs_lookup)
        except NetworkError as exc:
            if exc.status == 401:
                refreshed = self._refresh(adapter, job, claim)
                if refreshed is not None:
                    try:
                        result = self._send(adapter, refreshed, claim.needs_lookup or exc.unknown_outcome)
                    except NetworkError as again:
                        return self._record_failure(claim, again)
                    return self._record_success(claim, result, adapter, job)
            return self._record_failure(claim, exc)
        except Exception as exc:  # a bug or an answer nobody expected: the outcome is unknown
            log.exception("publishing target %s failed unexpectedly", claim.target_id)
            return self._record_failure(
                claim, NetworkError(f"unexpected error: {type(exc).__name__}", unknown_outcome=True))
        return self._record_success(claim, result, adapter, job)

    @staticmethod
    def _send(adapter, job: _Job, look_first: bool) -> Published:
        if look_first:
            found = adapter.find(base_url=job.base_url, credentials=job.credentials, post=job.post)
            if found is not None:
                return found
        return adapter.publish(base_url=job.base_url, credentials=job.credentials, post=job.post)

    def _refresh(self, adapter, job: _Job, claim: Claim) -> _Job | None:
        try:
            refreshed = adapter.refresh(base_url=job.base_url, credentials=job.credentials)
        except NetworkError:
            return None
        if refreshed is None:
            return None
        with self.database.session(write=True) as session:
            channel = session.get(Channel, job.channel_id)
            vault_service.put(session=session, vault=self.vault, name=channel.secret_name,
                              value=json.dumps(refreshed.credentials), client_id=channel.client_id)
        return _Job(job.network, job.base_url, refreshed.credentials, job.post, job.comment, job.channel_id)

    def _job(self, session: Session, claim: Claim) -> _Job | None:
        target = session.scalar(select(PostTarget).where(PostTarget.id == claim.target_id,
                                                         PostTarget.claim_token == claim.token))
        if target is None:
            return None
        post = target.post
        channel = session.get(Channel, target.channel_id)
        credentials = channels_service.credentials(session=session, vault=self.vault, channel=channel)
        media = ()
        if post.media_ids:
            files = {m.id: m for m in session.scalars(select(MediaFile).where(MediaFile.id.in_(post.media_ids)))}
            root = self.media_root
            media = tuple(
                MediaItem(path=str(root / files[i].stored_as), mime_type=files[i].mime_type,
                          alt_text=files[i].alt_text, width=files[i].width, height=files[i].height)
                for i in post.media_ids if i in files
            )
        not_before = (target.first_attempt_at or utcnow()) - timedelta(seconds=5)
        outgoing = OutgoingPost(
            text=posts_service.text_for(post.text, post.link, target.network, target.text),
            marker=target.marker,
            not_before=not_before,
            media=media,
            link=post.link if target.network == "bluesky" else None,
        )
        comment = None
        if post.first_comment:
            comment = OutgoingPost(text=post.first_comment, marker=sibling_marker(target.marker),
                                   not_before=not_before)
        return _Job(target.network, channel.base_url, credentials, outgoing, comment, channel.id)

    def _fenced(self, session: Session, claim: Claim) -> PostTarget | None:
        """The claimed row, if this worker still holds the claim.

        On PostgreSQL the outcome is committed without waiting for the disk flush: the claim itself
        was flushed (with ``in_flight`` set), so an outcome lost in a server crash only means the
        next worker looks the post up before sending — never a second post."""
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text("SET LOCAL synchronous_commit = off"))
        return session.scalar(select(PostTarget).where(PostTarget.id == claim.target_id,
                                                       PostTarget.claim_token == claim.token)
                              .with_for_update())

    def _record_success(self, claim: Claim, result: Published, adapter, job: _Job) -> str:
        with self.database.session(write=True) as session:
            target = self._fenced(session, claim)
            if target is None:
                log.warning("target %s was published as %s but its claim was lost", claim.target_id, result.remote_id)
                return "lost"
            target.state = TargetState.PUBLISHED
            target.remote_id, target.remote_url, target.remote_extra = result.remote_id, result.url, dict(result.extra)
            target.published_at = utcnow()
            target.in_flight = target.needs_lookup = False
            target.claim_token = target.lease_until = None
            target.last_error = ""
            post = target.post
            posts_service.record_event(session, post, None, "published", f"on {target.network}: {result.url}",
                                 target_id=target.id)
            posts_service.refresh_status(post)
            comment_id = target.comment_remote_id
        if job.comment is not None and comment_id is None:
            self._send_comment(claim, adapter, job, result)
        return TargetState.PUBLISHED

    def _send_comment(self, claim: Claim, adapter, job: _Job, parent: Published) -> None:
        """The first comment: a reply to the post just published (sent at most once)."""
        comment = OutgoingPost(text=job.comment.text, marker=job.comment.marker, not_before=job.comment.not_before,
                               reply_to=parent.remote_id, reply_root=parent.remote_id)
        try:
            sent = adapter.publish(base_url=job.base_url, credentials=job.credentials, post=comment)
            note, remote = f"first comment published: {sent.url}", sent.remote_id
        except NetworkError as exc:
            note, remote = f"first comment not published: {exc.message}", None
        with self.database.session(write=True) as session:
            target = session.get(PostTarget, claim.target_id)
            target.comment_remote_id = remote
            posts_service.record_event(session, target.post, None, "comment_published" if remote else "comment_failed",
                                 note, target_id=target.id)

    def _record_failure(self, claim: Claim, exc: NetworkError) -> str:
        now = utcnow()
        with self.database.session(write=True) as session:
            target = self._fenced(session, claim)
            if target is None:
                return "lost"
            post = target.post
            target.claim_token = target.lease_until = None
            target.last_error = exc.message
            definite = not exc.unknown_outcome
            if definite:
                target.in_flight = False
                target.needs_lookup = False
            channel = session.get(Channel, target.channel_id)
            credential_refused = exc.status == 401 or (exc.status == 403 and not exc.permanent)
            if credential_refused:
                channel.status, channel.last_error = "error", exc.message
                target.last_error = f"{exc.message} — the network refused the channel's credential; reconnect it"
            give_up = exc.permanent or credential_refused or target.attempts >= MAX_ATTEMPTS
            if give_up:
                target.state, target.due_at = TargetState.FAILED, None
                if target.attempts >= MAX_ATTEMPTS and not exc.permanent:
                    target.last_error = f"gave up after {target.attempts} attempts: {target.last_error}"
                    if target.in_flight:
                        target.last_error += " (the last attempt may have reached the network; check the channel)"
                posts_service.record_event(session, post, None, "failed", f"on {target.network}: {target.last_error}",
                                     target_id=target.id)
                posts_service.refresh_status(post)
                posts_service.notify_failure(session, post, target)
                return TargetState.FAILED
            wait = timedelta(seconds=exc.retry_after) if exc.retry_after else backoff(target.attempts)
            target.state, target.due_at = TargetState.SCHEDULED, now + wait
            posts_service.record_event(session, post, None, "retrying",
                                 f"on {target.network} in {int(wait.total_seconds())} s: {exc.message}",
                                 target_id=target.id)
            return TargetState.SCHEDULED


class Dispatcher:
    """The loop a worker runs: claim what is due, publish it on a pool of threads, repeat."""

    def __init__(self, database: Database, vault: Vault, *, threads: int = 8, poll: float = 0.25,
                 lease: timedelta = DEFAULT_LEASE, media_root: Path, adapter_for=channels_service.adapter_for):
        self.database = database
        self.publisher = Publisher(database, vault, media_root=media_root, adapter_for=adapter_for)
        self.threads = threads
        self.poll = poll
        self.lease = lease
        self.name = f"{socket.gethostname()}:{os.getpid()}"
        self._busy = 0
        self._free = threading.Condition()
        self._held: dict[int, tuple[Claim, float]] = {}  # target id -> (claim, monotonic time taken)

    def claim(self, limit: int, now: datetime | None = None) -> list[Claim]:
        with self.database.session(write=True) as session:
            return claim_due(session, now=now, limit=limit, lease=self.lease)

    def run_once(self, now: datetime | None = None, limit: int = 100) -> dict[str, int]:
        """Claim and publish what is due now, in this thread (tests, `socialdesk publish due`)."""
        outcomes: dict[str, int] = {}
        for claim in self.claim(limit, now):
            state = str(self.publisher.publish(claim))
            outcomes[state] = outcomes.get(state, 0) + 1
        return outcomes

    def _done(self, claim: Claim, _future) -> None:
        with self._free:
            self._busy -= 1
            self._held.pop(claim.target_id, None)
            self._free.notify()

    def renew(self) -> int:
        """Renew the leases of the targets being sent (not of one held longer than ``MAX_HOLD``)."""
        limit = time.monotonic() - MAX_HOLD.total_seconds()
        with self._free:
            held = [claim for claim, since in self._held.values() if since > limit]
        if not held:
            return 0
        with self.database.session(write=True) as session:
            return renew_leases(session, held, lease=self.lease)

    def _keep_leases(self, done: threading.Event) -> None:
        every = max(0.2, self.lease.total_seconds() / 3)
        while not done.wait(every):
            try:
                self.renew()
            except Exception:  # the database is away for a moment: the next round tries again
                log.exception("renewing the leases of the posts being sent failed")

    def run(self, stop: threading.Event) -> None:
        """Until ``stop`` is set: keep every thread busy with due targets. A thread that finishes
        wakes the loop at once; with nothing due, it looks again every ``poll`` seconds. The leases
        of the targets being sent are renewed until the last send is over."""
        sent = threading.Event()
        keeper = threading.Thread(target=self._keep_leases, args=(sent,), name="publish-leases", daemon=True)
        keeper.start()
        try:
            self._run(stop)
        finally:
            sent.set()
            keeper.join()

    def _run(self, stop: threading.Event) -> None:
        with ThreadPoolExecutor(self.threads, thread_name_prefix="publish") as pool:
            while not stop.is_set():
                with self._free:
                    while self._busy >= self.threads and not stop.is_set():
                        self._free.wait(0.5)
                    free = self.threads - self._busy
                try:
                    claims = self.claim(free)
                except Exception:  # the database is away for a moment: try again shortly
                    log.exception("claiming due posts failed")
                    stop.wait(1.0)
                    continue
                if not claims:
                    stop.wait(self.poll)
                    continue
                with self._free:
                    self._busy += len(claims)
                    taken = time.monotonic()
                    self._held.update((claim.target_id, (claim, taken)) for claim in claims)
                for claim in claims:
                    pool.submit(self._publish_logged, claim).add_done_callback(partial(self._done, claim))

    def _publish_logged(self, claim: Claim) -> None:
        try:
            self.publisher.publish(claim)
        except Exception:  # the database went away mid-record: the lease will expire and another try follows
            log.exception("recording the outcome of target %s failed", claim.target_id)


def start_in_thread(dispatcher: Dispatcher) -> tuple[threading.Thread, threading.Event]:
    stop = threading.Event()
    thread = threading.Thread(target=dispatcher.run, args=(stop,), name="dispatcher", daemon=True)
    thread.start()
    return thread, stop
