"""The text limits of each network, as data, each with the source it comes from.

Sources are summarised in shared/docs/network-rules.md; "unit" says how the network counts a character.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from socialdesk.clients.schemas import Network

Unit = Literal["weighted", "graphemes", "utf16", "bytes", "threads"]


@dataclass(frozen=True)
class Rule:
    """One network's text limits; zero or None means "no such limit"."""

    network: Network
    label: str
    limit: int
    unit: Unit
    source: str
    byte_limit: int | None = None
    max_hashtags: int | None = None
    max_mentions: int | None = None
    max_links: int | None = None
    forbidden: str = ""
    title_limit: int | None = None
    url_length: int | None = None
    notes: tuple[str, ...] = field(default=())


TWITTER_TEXT_V3 = "twitter-text config/v3.json (twitter/twitter-text), via PyPI twitter-text-parser 3.0.0"

RULES: dict[Network, Rule] = {
    rule.network: rule
    for rule in (
        Rule(Network.X, "X", 280, "weighted", TWITTER_TEXT_V3, url_length=23),
        Rule(
            Network.BLUESKY, "Bluesky", 300, "graphemes",
            "lexicon app.bsky.feed.post (maxGraphemes 300, maxLength 3000); facets per atproto rich-text/detection.ts",
            byte_limit=3000,
        ),
        Rule(
            Network.MASTODON, "Mastodon", 500, "graphemes",
            "Mastodon StatusLengthValidator; per instance GET /api/v2/instance configuration.statuses",
            url_length=23,
        ),
        Rule(
            Network.LINKEDIN, "LinkedIn", 3000, "utf16",
            "LinkedIn Posts API commentary (little text format; reserved characters must be escaped)",
            notes=("counted on the unescaped text",),
        ),
        Rule(
            Network.INSTAGRAM, "Instagram", 2200, "utf16",
            "Instagram Graph API media caption (third-party summaries); 30 hashtags (a 5-hashtag cap is rolling out)",
            max_hashtags=30, max_mentions=20,
        ),
        Rule(Network.FACEBOOK, "Facebook", 63206, "utf16", "Facebook page post limit (third-party summaries)"),
        Rule(
            Network.THREADS, "Threads", 500, "threads",
            "Threads API text posts: 500 characters, emoji counted as their UTF-8 bytes, at most 5 links",
            max_links=5,
        ),
        Rule(Network.TIKTOK, "TikTok", 2200, "utf16", "TikTok Content Posting API video caption (UTF-16 runes)"),
        Rule(
            Network.YOUTUBE, "YouTube", 5000, "bytes",
            "YouTube Data API videos resource: description <= 5000 bytes, title <= 100 characters, no < or >",
            forbidden="<>", title_limit=100,
        ),
        Rule(
            Network.PINTEREST, "Pinterest", 800, "utf16",
            "Pinterest API pins: title 100, description 800, alt text 500, link 2048",
            title_limit=100,
        ),
    )
}

SUPPORTED: tuple[Network, ...] = tuple(RULES)
