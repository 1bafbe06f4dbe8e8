"""The one small interface every network adapter implements."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol


class NetworkError(Exception):
    """The network refused or could not be reached.

    ``status`` is the HTTP status it answered (None when it could not be reached at all);
    ``retry_after`` the seconds it asked to wait, when it said so (429 with ``Retry-After`` or a
    rate-limit reset header). The message never holds a credential.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        retry_after: int | None = None,
        unknown_outcome: bool = False,
        permanent: bool = False,
    ):
        super().__init__(message)
        self.message = message
        self.status = status
        self.retry_after = retry_after
        self.unknown_outcome = unknown_outcome  # the request may have taken effect (timeout, 5xx)
        self.permanent = permanent  # trying again will not help (the network refuses this content)

    @property
    def unreachable(self) -> bool:
        return self.status is None

    @property
    def bad_credentials(self) -> bool:
        return self.status in (401, 403)


@dataclass(frozen=True)
class AccountInfo:
    """Who a credential belongs to, as the network says."""

    account_id: str
    handle: str
    display_name: str = ""
    max_characters: int | None = None


@dataclass(frozen=True)
class MediaItem:
    """One file to attach, already checked against the network's media rules."""

    path: str  # a local file
    mime_type: str  # image/jpeg, image/png, image/gif, image/webp, video/mp4 ...
    alt_text: str = ""
    width: int | None = None
    height: int | None = None


@dataclass(frozen=True)
class OutgoingPost:
    """What to publish on one channel.

    ``marker`` is unique to this (post, channel) and stable across retries: adapters use it as the
    idempotency key where the network has one (Mastodon ``Idempotency-Key``), or to derive the
    record key (Bluesky rkey), and :meth:`NetworkAdapter.find` uses it to tell whether an earlier
    attempt whose outcome is unknown did reach the network. ``not_before`` is when the first
    attempt started (no earlier post can be ours).
    """

    text: str
    marker: str
    not_before: datetime
    media: tuple[MediaItem, ...] = ()
    link: str | None = None
    reply_to: str | None = None  # remote id of the post this one answers (a thread / first comment)
    reply_root: str | None = None  # remote id of the thread's first post (Bluesky needs both)
    langs: tuple[str, ...] = ()  # BCP 47 language tags of the text, when known
    # What the network said about the post answered (InboxEntry.extra): Bluesky's cids spare two
    # look-ups, Mastodon's visibility keeps an answer to a direct message private.
    reply_extra: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Published:
    """A post as it now exists on the network."""

    remote_id: str  # Mastodon status id, Bluesky at:// URI, X post id
    url: str  # where a person sees it
    extra: dict[str, str] = field(default_factory=dict)  # e.g. Bluesky's cid (needed to reply to it)


@dataclass(frozen=True)
class PostMetrics:
    """What the network says about one published post today. None: the network did not say (never 0)."""

    remote_id: str
    likes: int | None = None
    reposts: int | None = None  # boosts, reposts, retweets
    replies: int | None = None
    quotes: int | None = None
    impressions: int | None = None
    views: int | None = None  # video or post views, where the network counts them apart from impressions
    link_clicks: int | None = None
    gone: bool = False  # the post no longer exists on the network (deleted); every count is then None
    extra: dict[str, int] = field(default_factory=dict)  # what else the network counts (bookmarks, ...)


@dataclass(frozen=True)
class AccountMetrics:
    """The account's totals as the network shows them now (None: the network did not say)."""

    followers: int | None = None
    following: int | None = None
    posts: int | None = None
    extra: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class TokenRefresh:
    """New credentials after a refresh; the caller stores them in the vault."""

    credentials: dict[str, str]


class NetworkAdapter(Protocol):
    """Talks to one network on behalf of one account."""

    network: str

    def verify(self, *, base_url: str, credentials: dict[str, str]) -> AccountInfo:
        """Check the credentials against the network; raise NetworkError when they do not work."""
        ...

    def publish(self, *, base_url: str, credentials: dict[str, str], post: OutgoingPost) -> Published:
        """Send the post once. Raise NetworkError when the network refuses or cannot be reached;
        set ``NetworkError.unknown_outcome`` when the post may have been created (a timeout after
        sending, a 5xx) so the caller calls :meth:`find` before trying again."""
        ...

    def find(self, *, base_url: str, credentials: dict[str, str], post: OutgoingPost) -> Published | None:
        """The post an earlier attempt made for ``post.marker``, or None when there is none."""
        ...

    def delete(self, *, base_url: str, credentials: dict[str, str], remote_id: str) -> None:
        """Remove a published post (a post already gone is not an error)."""
        ...

    def refresh(self, *, base_url: str, credentials: dict[str, str]) -> TokenRefresh | None:
        """New credentials when the network lets an expired token be refreshed, else None."""
        ...

    def fetch_metrics(self, *, base_url: str, credentials: dict[str, str],
                      remote_ids: list[str]) -> dict[str, PostMetrics]:
        """Today's counts of these posts, by remote id. A post the network says is deleted comes back
        with ``gone=True``; one it said nothing about is left out (not guessed)."""
        ...

    def fetch_account(self, *, base_url: str, credentials: dict[str, str]) -> AccountMetrics:
        """The account's follower, following and post counts now."""
        ...


TIMEOUT_SECONDS = 15.0  # every call to a network gives up after this long (SOCIALDESK_NETWORK_TIMEOUT_SECONDS)


def count(value) -> int | None:
    """A count as a network sent it: a non-negative integer, else None (a bool, a string or -1 is no count)."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    return None


def scrub(message: str, credentials: dict[str, str]) -> str:
    """``message`` with any credential value blanked out (networks sometimes echo what they got)."""
    for value in credentials.values():
        if value and len(value) >= 4:
            message = message.replace(value, "***")
    return message


@dataclass(frozen=True)
class Author:
    """Who wrote an incoming item, as the network shows them (untrusted text: escape when shown)."""

    remote_id: str  # account id / DID
    handle: str
    display_name: str = ""
    url: str = ""
    followers: int | None = None  # reach, when the network says


@dataclass(frozen=True)
class InboxEntry:
    """One mention, reply, quote or direct message for the account, as fetched.

    ``remote_id`` is unique per channel and stable (status id, at:// URI, post id, DM event id);
    ``thread_root`` and ``in_reply_to`` are remote ids used to group a conversation (the root is the
    entry itself when it starts one); DMs use the network's conversation id as their root.
    """

    remote_id: str
    kind: str  # mention | reply | quote | dm
    author: Author
    text: str
    created_at: datetime
    url: str = ""
    in_reply_to: str | None = None
    thread_root: str | None = None
    lang: str | None = None
    extra: dict[str, str] = field(default_factory=dict)  # what replying needs (Bluesky cid, ...)


@dataclass(frozen=True)
class InboxPage:
    """A batch of entries, oldest first, and the cursor to ask from next time (None: keep the old one).

    An adapter whose cursors can be ordered also has ``later_cursor(old, new) -> str``, the later of two
    (per part, for a cursor of several parts): the sync keeps that one when a network hands back an older.
    """

    entries: tuple[InboxEntry, ...]
    cursor: str | None
    # Entries the network sent that could not be read (no id, an unreadable date ...), one line each:
    # skipped, so one bad entry never blocks the rest, and counted in the sync's report.
    skipped: tuple[str, ...] = ()
    # Anything else the sync's report should say (e.g. direct messages the token may not read).
    notes: tuple[str, ...] = ()
