"""Per-network text validation (socialdesk.networks): counting, entities, facets, limits and the CLI."""

from __future__ import annotations

import json
import random

import pytest
from twitter_text import parse_tweet
from typer.testing import CliRunner

from socialdesk.cli import app
from socialdesk.networks.rules import RULES
from socialdesk.networks.text import MastodonLimits, check, check_all, escape_little_text, limits_from_instance


def utf8_slice(text: str, facet: dict) -> str:
    """The substring a facet points at, found by slicing the UTF-8 bytes."""
    index = facet["index"]
    return text.encode()[index["byteStart"] : index["byteEnd"]].decode()


# ---- X: twitter-text v3 conformance-style cases -------------------------------------------------


@pytest.mark.parametrize(
    ("text", "weighted", "valid"),
    [
        ("a" * 280, 280, True),
        ("a" * 281, 281, False),
        ("中" * 140, 280, True),  # CJK weighs 2
        ("中" * 141, 282, False),
        ("https://example.com/a/very/long/path/that/is/longer/than/23", 23, True),
        ("example.com", 23, True),  # URLs without protocol count too
        ("😀", 2, True),
        ("👨\u200d👩\u200d👧\u200d👦", 2, True),  # ZWJ family
        ("👍🏻", 2, True),  # skin tone
        ("🇫🇷", 2, True),
        ("1️⃣", 2, True),
        ("❤️\u200d🔥", 2, True),  # Emoji 13.1, newer than twitter-text-parser's data
        ("e\u0301" * 280, 280, True),  # NFC first: e + combining acute is one é
        ("\u2014\u2019", 2, True),  # general punctuation ranges weigh 1
        ("a\ufeffb", 4, False),
        ("\ufffe", 2, False),
        ("", 0, False),
    ],
)
def test_x_weighted_length(text, weighted, valid):
    verdict = check("x", text)
    assert (verdict.weighted_length, verdict.valid) == (weighted, valid)
    assert verdict.length == weighted and verdict.limit == 280


def test_x_over_limit_message_ranges_and_permillage():
    verdict = check("x", "a" * 303)
    assert verdict.message == "X: 23 characters over the 280 limit (weighted)"
    assert (verdict.over_by, verdict.remaining, verdict.permillage) == (23, -23, 1082)
    assert (verdict.valid_range_start, verdict.valid_range_end, verdict.display_range_end) == (0, 279, 302)


def test_x_valid_range_counts_utf16_and_stops_at_an_invalid_character():
    assert check("x", "😀" * 141).valid_range_end == 279  # 140 emoji, two UTF-16 units each
    assert check("x", "abc\ufeffdef").valid_range_end == 2


def test_x_agrees_with_twitter_text_parser_on_random_texts():
    pieces = [*"ab 中é😀👍#@.\n", "👍🏻", "https://ex.com/p", "👨\u200d👩\u200d👧", "e\u0301", "🇫🇷", "\ufeff", "x.org", "\u2014", "\r\n"]
    rng = random.Random(7)
    for _ in range(400):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 180)))
        ours, theirs = check("x", text), parse_tweet(text)
        assert (ours.weighted_length, ours.valid, ours.permillage, ours.valid_range_end, ours.display_range_end) == (
            theirs.weightedLength, theirs.valid, theirs.permillage, max(0, theirs.validRangeEnd), theirs.displayRangeEnd
        ), text


def test_x_entities():
    text = "RT @alice: #Launch día #123 $AAPL me@mail.com @this_name_is_too_long https://ex.com/#frag @bob"
    entities = check("x", text).entities
    assert [m["screen_name"] for m in entities["mentions"]] == ["alice", "bob"]
    assert [h["hashtag"] for h in entities["hashtags"]] == ["Launch"]  # numeric-only and in-URL dropped
    assert [c["cashtag"] for c in entities["cashtags"]] == ["AAPL"]
    assert [u["url"] for u in entities["urls"]] == ["https://ex.com/#frag"]  # not mail.com: preceded by @
    start, end = entities["mentions"][0]["indices"]
    assert text[start:end] == "@alice"


def test_x_unicode_hashtag():
    assert [h["hashtag"] for h in check("x", "Vive le #café et #日本").entities["hashtags"]] == ["café", "日本"]


# ---- Bluesky ------------------------------------------------------------------------------------


def test_bluesky_graphemes_and_bytes_limits():
    family = check("bluesky", "👨\u200d👩\u200d👧" * 300)
    assert family.graphemes == 300 and family.bytes == 5400 and not family.valid
    assert family.message == "Bluesky: 2400 bytes over the 3000 limit (UTF-8 bytes)"
    assert check("bluesky", "é" * 300).valid and not check("bluesky", "é" * 301).valid


def test_bluesky_facets_use_utf8_byte_offsets():
    text = "Café déjà vu 😀 with @alice.bsky.social and @ghost.example.com: see example.com/menu). Also #Launch! #2024"
    dids = {"alice.bsky.social": "did:plc:alice"}
    verdict = check("bluesky", text, resolve_handle=dids.get)
    shapes = [(f["features"][0]["$type"].rsplit("#", 1)[1], utf8_slice(text, f)) for f in verdict.facets]
    assert shapes == [
        ("mention", "@alice.bsky.social"),
        ("link", "example.com/menu"),
        ("tag", "#Launch"),
    ]
    mention, link, tag = verdict.facets
    assert mention == {
        "index": {"byteStart": 26, "byteEnd": 44},
        "features": [{"$type": "app.bsky.richtext.facet#mention", "did": "did:plc:alice"}],
    }
    assert link["features"] == [{"$type": "app.bsky.richtext.facet#link", "uri": "https://example.com/menu"}]
    assert tag["features"] == [{"$type": "app.bsky.richtext.facet#tag", "tag": "Launch"}]
    assert verdict.unresolved_mentions == ["ghost.example.com"]


def test_bluesky_links_keep_full_urls_and_balanced_parentheses():
    text = "Read https://en.wikipedia.org/wiki/Rust_(language), then (https://ex.com/a?b=1)! Not a link: foo.notatld"
    facets = check("bluesky", text).facets
    assert [f["features"][0]["uri"] for f in facets] == [
        "https://en.wikipedia.org/wiki/Rust_(language)",
        "https://ex.com/a?b=1",
    ]
    assert [utf8_slice(text, f) for f in facets] == ["https://en.wikipedia.org/wiki/Rust_(language)", "https://ex.com/a?b=1"]


def test_bluesky_tags_drop_numeric_and_overlong():
    text = "#123 #ok #" + "a" * 65 + " #ünïcødé"
    assert [f["features"][0]["tag"] for f in check("bluesky", text).facets] == ["ok", "ünïcødé"]


def test_bluesky_mentions_without_resolver_are_unresolved():
    verdict = check("bluesky", "hi @bob.test and @nobody")  # "nobody" has no TLD: not a handle
    assert verdict.facets == [] and verdict.unresolved_mentions == ["bob.test"]


# ---- Mastodon -----------------------------------------------------------------------------------


def test_mastodon_counts_urls_as_23_and_remote_mentions_as_local():
    url = "https://example.com/" + "p" * 100
    text = f"Hi @alice@mastodon.social see {url} 😀"
    verdict = check("mastodon", text)
    assert verdict.graphemes == len("Hi @alice see ") + 23 + 2
    assert verdict.limit == 500 and verdict.valid


def test_mastodon_content_warning_counts_and_default_limit():
    assert check("mastodon", "a" * 490, content_warning="b" * 10).valid
    verdict = check("mastodon", "a" * 490, content_warning="b" * 11)
    assert verdict.message == "Mastodon: 1 characters over the 500 limit (graphemes)"


def test_mastodon_bare_domains_count_in_full():
    assert check("mastodon", "example.com").length == 11


def test_mastodon_instance_limits():
    instance = {"configuration": {"statuses": {"max_characters": 5000, "max_media_attachments": 8, "characters_reserved_per_url": 30}}}
    limits = limits_from_instance(instance)
    assert limits == MastodonLimits(max_characters=5000, characters_reserved_per_url=30, max_media_attachments=8)
    assert limits_from_instance({"max_characters": 1000}) == MastodonLimits(max_characters=1000)
    assert limits_from_instance({"configuration": {}}) == MastodonLimits()
    verdict = check("mastodon", "a" * 600 + " https://ex.com", instance_limits=instance["configuration"]["statuses"])
    assert (verdict.valid, verdict.limit, verdict.length) == (True, 5000, 631)
    assert check("mastodon", "a" * 600, instance_limits=limits).valid


# ---- the other networks -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("network", "limit"),
    [("linkedin", 3000), ("facebook", 63206), ("tiktok", 2200), ("pinterest", 800), ("instagram", 2200), ("youtube", 5000)],
)
def test_plain_limits_at_the_boundary(network, limit):
    assert check(network, "a" * limit).valid
    verdict = check(network, "a" * (limit + 1))
    assert not verdict.valid and verdict.over_by == 1 and verdict.message.startswith(RULES[verdict.network].label + ": 1 ")


def test_tiktok_counts_utf16_units_and_youtube_bytes():
    assert check("tiktok", "😀" * 1100).valid and not check("tiktok", "😀" * 1101).valid
    assert check("youtube", "é" * 2500).valid and check("youtube", "é" * 2501).over_by == 2


def test_youtube_forbids_angle_brackets_and_checks_the_title():
    assert "may not contain < or >" in check("youtube", "1 < 2").message
    verdict = check("youtube", "fine", title="t" * 101)
    assert verdict.counts["title_length"] == 101 and "title 1 characters over the 100 limit" in verdict.message
    assert "title may not contain" in check("youtube", "fine", title="<b>").message


def test_threads_counts_emoji_as_utf8_bytes_and_limits_links():
    assert check("threads", "😀" * 125).length == 500 and check("threads", "😀" * 125).valid
    assert not check("threads", "😀" * 126).valid
    assert check("threads", "👨\u200d👩\u200d👧" + "a" * 482).length == 500
    links = " ".join(f"https://ex{i}.com" for i in range(6))
    assert check("threads", links).message == "Threads: 6 links, at most 5 allowed"


def test_instagram_hashtag_and_mention_caps():
    assert check("instagram", " ".join(f"#tag{i}" for i in range(30))).valid
    assert check("instagram", " ".join(f"#tag{i}" for i in range(31))).message == "Instagram: 31 hashtags, at most 30 allowed"
    verdict = check("instagram", " ".join(f"@user.{i}" for i in range(21)) + " me@mail.com")
    assert verdict.counts["mentions"] == 21 and not verdict.valid


def test_linkedin_little_text_escaping():
    assert escape_little_text("Hi @team (new) #launch *bold* _x_ ~y~ [a]{b}<c>|d\\e") == (
        "Hi \\@team \\(new\\) \\#launch \\*bold\\* \\_x\\_ \\~y\\~ \\[a\\]\\{b\\}\\<c\\>\\|d\\\\e"
    )
    assert escape_little_text("plain, text: ok!") == "plain, text: ok!"


def test_check_all_covers_every_network_and_rejects_unknown_names():
    verdicts = check_all("Hello 👋 https://example.com #launch")
    assert set(verdicts) == set(RULES) and all(v.valid for v in verdicts.values())
    assert list(check_all("x", ["x", "bluesky"])) == ["x", "bluesky"]
    with pytest.raises(ValueError, match="unknown network 'blog'"):
        check("blog", "x")


def test_every_rule_names_its_source():
    assert all(rule.source and rule.limit > 0 for rule in RULES.values())


# ---- CLI ----------------------------------------------------------------------------------------


def test_cli_json_for_x_and_bluesky():
    runner = CliRunner()
    result = runner.invoke(app, ["text", "check", "--network", "x", "--json", "a" * 281])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert (data["weighted_length"], data["valid"], data["permillage"], data["valid_range_end"]) == (281, False, 1003, 279)
    assert set(data["entities"]) == {"urls", "mentions", "hashtags", "cashtags"}
    result = runner.invoke(app, ["text", "check", "-n", "bluesky", "--json", "Café see example.com #tag"])
    data = json.loads(result.output)
    assert data["graphemes"] == 25 and data["valid"] and len(data["facets"]) == 2


def test_cli_table_and_unknown_network():
    runner = CliRunner()
    result = runner.invoke(app, ["text", "check", "--network", "mastodon", "hello"], env={"COLUMNS": "200"})
    assert result.exit_code == 0 and "graphemes" in result.output
    result = runner.invoke(app, ["text", "check", "--network", "myspace", "hello"])
    assert result.exit_code == 1
    assert "--network" in result.output and "bluesky" in result.output and "pinterest" in result.output
