"""The brand voice check (clients/voice.py): words to avoid (blocking, on word boundaries, any case;
inflections warn), emoji policy, hashtags, shouting, exclamation marks against a calm tone; and the
voice-check route."""

from __future__ import annotations

import pytest

from socialdesk.clients.voice import SPARING_EMOJI, Voice, blocking, check


def kinds(findings):
    return [f.kind for f in findings]


def test_a_word_to_avoid_is_found_in_any_case_on_word_boundaries_and_blocks():
    text = "Cheap seats! Not a cheapskate, but CHEAP, and cheap."
    found = check(text, Voice(words_to_avoid=("cheap",)))
    assert [(f.kind, text[f.start:f.end]) for f in found] == [("avoid", "Cheap"), ("avoid", "CHEAP"), ("avoid", "cheap")]
    assert all(f.blocking for f in found)
    assert found[0].message == 'uses "Cheap", a word to avoid'
    assert check("bcheap xcheap cheap_seat", Voice(words_to_avoid=("cheap",))) == []


def test_inflections_are_a_warning_not_a_block():
    text = "Cheaper than ever, the cheapest, priced cheaply; we hated hating"
    found = check(text, Voice(words_to_avoid=("cheap", "hate")))
    assert [text[f.start:f.end] for f in found] == ["Cheaper", "cheapest", "cheaply", "hated", "hating"]
    assert set(kinds(found)) == {"avoid_form"} and blocking(found) == []
    assert 'a form of "cheap"' in found[0].message
    # Doubled consonants and unrelated longer words are not derived.
    assert check("bigger, biggest, bigot", Voice(words_to_avoid=("big",))) == []


def test_a_phrase_matches_with_any_spacing_and_wins_over_its_own_word():
    text = "A Low\n  Cost option at low cost"
    found = check(text, Voice(words_to_avoid=("cost", "low cost")))
    assert [text[f.start:f.end] for f in found] == ["Low\n  Cost", "low cost"]


def test_positions_are_code_points_after_emoji():
    text = "🎉🎉 cheap"
    found = check(text, Voice(words_to_avoid=("cheap",), emoji_policy="freely"))
    assert [(f.start, f.end) for f in found] == [(3, 8)] and text[3:8] == "cheap"


@pytest.mark.parametrize(("policy", "text", "expected"), [
    ("none", "Thanks 🙏", ["emoji"]),
    ("none", "Thanks", []),
    ("sparingly", "Thanks " + "🙏" * SPARING_EMOJI, []),
    ("sparingly", "Thanks " + "🙏" * (SPARING_EMOJI + 1), ["emoji"]),
    ("freely", "🙏" * 10, []),
])
def test_emoji_policy(policy, text, expected):
    assert kinds(check(text, Voice(emoji_policy=policy))) == expected


def test_a_flag_and_a_family_count_as_one_emoji_each():
    found = check("🇫🇷 👨‍👩‍👧", Voice(emoji_policy="none"))
    assert [f.message for f in found] == ['uses the emoji "🇫🇷"; the brand uses no emoji',
                                          'uses the emoji "👨‍👩‍👧"; the brand uses no emoji']


def test_hashtags_beyond_the_limit_are_each_located():
    text = "New #menu #spring #vegan at https://example.com/#anchor"
    found = check(text, Voice(max_hashtags=1))
    assert [text[f.start:f.end] for f in found] == ["#spring", "#vegan"]  # a URL's fragment is no hashtag
    assert found[0].message == "3 hashtags; the brand uses at most 1 hashtag (remove #spring)"
    assert check(text, Voice(max_hashtags=None)) == []
    assert "no hashtags" in check("#one", Voice(max_hashtags=0))[0].message


def test_shouting_runs_and_all_caps_texts_but_not_brand_words_or_acronyms():
    text = "We are SO VERY SORRY about it"
    found = check(text, Voice())
    assert kinds(found) == ["shouting"] and text[found[0].start:found[0].end] == "SO VERY SORRY"
    assert check("Our FAQ and the EU rules", Voice()) == []  # two capitals words apart: no run
    assert kinds(check("THANK YOU SO MUCH FOR COMING", Voice())) == ["shouting"]
    assert check("IKEA HQ NYC", Voice(words_to_use=("ikea",))) == []


def test_exclamation_marks_against_a_calm_tone():
    calm = Voice(tone_words=("Warm", "Calm"))
    assert check("Thank you!", calm) == []
    found = check("Thank you! See you soon!", calm)
    assert kinds(found) == ["exclamation"] and "calm" in found[0].message
    assert kinds(check("Wow!!", calm)) == ["exclamation"]
    lively = Voice(tone_words=("playful",))
    assert check("Wow!! Yes!", lively) == []
    assert kinds(check("Wow!!!", lively)) == ["exclamation"]


def test_findings_come_in_text_order():
    text = "AMAZING DEALS TODAY!!! so cheap 🎉🎉🎉 #a #b"
    found = check(text, Voice(words_to_avoid=("cheap",), max_hashtags=1))
    assert [f.start for f in found] == sorted(f.start for f in found)
    assert set(kinds(found)) == {"shouting", "exclamation", "avoid", "emoji", "hashtags"}


def test_the_voice_check_route_uses_the_brand_profile(client, world):
    owner = world["owner"].headers
    cid = world.add_client("Calm Tea House")
    changed = client.patch(f"/api/clients/{cid}", headers=owner, json={
        "words_to_avoid": ["cheap"], "tone_words": ["calm"], "emoji_policy": "none", "max_hashtags": 1})
    assert changed.status_code == 200, changed.text
    answer = client.post(f"/api/clients/{cid}/voice-check", headers=owner, json={"text": "So cheap! Really! 🍵"})
    assert answer.status_code == 200
    body = answer.json()
    assert body["blocking"] is True
    assert [f["kind"] for f in body["findings"]] == ["avoid", "exclamation", "emoji"]
    assert body["findings"][0] == {"kind": "avoid", "message": 'uses "cheap", a word to avoid', "start": 3,
                                   "end": 8, "blocking": True}
    # Anyone on the team may check a text; a client approver may not (the brand profile is internal).
    a = world.a_id
    for who, status in (("content_creator", 200), ("analyst", 200), ("client_approver", 403), ("outsider", 404),
                        ("manager_read_only", 403)):
        assert client.post(f"/api/clients/{a}/voice-check", json={"text": "hi"},
                           headers=world[who].headers).status_code == status, who
