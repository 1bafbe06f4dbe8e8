"""Which requests for a short link are link previews, not people: counted apart as "previews".

Social networks fetch a link as soon as it is posted (and, on the fediverse, once per instance) to
draw its card; browsers may prefetch it. Neither is a visit.
"""

from __future__ import annotations

from collections.abc import Mapping

# Lower-cased substrings of the user agents of known link-preview fetchers.
PREVIEW_AGENTS = (
    "slackbot",  # Slackbot-LinkExpanding
    "twitterbot",
    "facebookexternalhit",
    "facebookcatalog",
    "discordbot",
    "telegrambot",
    "whatsapp",
    "cardyb",  # Bluesky's card service
    "http.rb",  # Mastodon's fetcher: "http.rb/5.1.1 (Mastodon/4.2.0; +https://...)"
    "mastodon/",
    "linkedinbot",
    "skypeuripreview",
    "embedly",
    "pinterestbot",
    "redditbot",
    "iframely",
    "vkshare",
    "applebot",
    "googlebot",
    "bingbot",
    "bingpreview",
)
PREFETCH_HEADERS = ("purpose", "sec-purpose", "x-purpose", "x-moz")


def is_preview(method: str, user_agent: str | None, headers: Mapping[str, str]) -> bool:
    """A HEAD request, a prefetch, a known preview bot, or no user agent at all."""
    if method.upper() == "HEAD":
        return True
    if any("prefetch" in headers.get(name, "").lower() for name in PREFETCH_HEADERS):
        return True
    agent = (user_agent or "").lower()
    return not agent or any(marker in agent for marker in PREVIEW_AGENTS)


# Referrer hosts that say which network a click came from (when the link itself names none).
REFERRER_NETWORKS = {
    "bsky.app": "bluesky", "t.co": "x", "x.com": "x", "twitter.com": "x", "facebook.com": "facebook",
    "m.facebook.com": "facebook", "l.facebook.com": "facebook", "lm.facebook.com": "facebook",
    "instagram.com": "instagram", "l.instagram.com": "instagram", "linkedin.com": "linkedin",
    "lnkd.in": "linkedin", "youtube.com": "youtube", "threads.net": "threads", "pinterest.com": "pinterest",
    "tiktok.com": "tiktok",
}


def network_of(referrer_host: str | None) -> str | None:
    if not referrer_host:
        return None
    host = referrer_host.removeprefix("www.")
    return REFERRER_NETWORKS.get(host)
