"""Listening API on SQLite and PostgreSQL: queries CRUD with positioned errors, the syntax check, mentions
with filters and paging, and isolation (B's people never see A's queries or mentions, approvers refused)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from socialdesk.listening import service as listening
from socialdesk.listening.service import IncomingMention

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def base(world, client_id=None):
    return f"/api/clients/{client_id or world.a_id}/listening"


def add_query(client, world, person="manager", client_id=None, **body):
    body = {"name": "Brand", "topic": "brand", "text": "alpha OR orchard", **body}
    response = client.post(f"{base(world, client_id)}/queries", json=body, headers=world[person].headers)
    assert response.status_code == 201, response.text
    return response.json()


def feed(world, posts):
    with world.database.session() as s:
        return listening.ingest(session=s, source="mastodon", posts=posts)


def mention(rid, text, minutes=0, **fields):
    return IncomingMention(remote_id=rid, text=text, created_at=T0 + timedelta(minutes=minutes), **fields)


def test_queries_crud_and_errors_with_position(client, world):
    created = add_query(client, world, name="Alpha brand", text='alpha AND "cider press"')
    assert created["enabled"] and created["topic"] == "brand" and created["created_by_id"] == world["manager"].id
    url = f"{base(world)}/queries"
    bad = client.post(url, json={"name": "Broken", "topic": "brand", "text": "alpha AND"},
                      headers=world["manager"].headers)
    assert bad.status_code == 422
    assert bad.json()["errors"] == [{"field": "text", "message": "at position 6: AND needs a term after it"}]
    assert client.post(url, json={"name": "x", "topic": "weather", "text": "a"},
                       headers=world["manager"].headers).status_code == 422
    clash = client.post(url, json={"name": "ALPHA BRAND", "topic": "brand", "text": "x"}, headers=world["analyst"].headers)
    assert clash.status_code == 409 and clash.json()["errors"][0]["field"] == "name"
    one = f"{url}/{created['id']}"
    changed = client.patch(one, json={"topic": "campaign", "enabled": False}, headers=world["community_manager"].headers)
    assert changed.status_code == 200 and (changed.json()["topic"], changed.json()["enabled"]) == ("campaign", False)
    wrong = client.patch(one, json={"text": 'alpha "open'}, headers=world["manager"].headers)
    assert wrong.json()["errors"] == [{"field": "text", "message": "at position 6: this quote is never closed"}]
    listed = client.get(url, headers=world["content_creator"].headers).json()
    assert [q["name"] for q in listed] == ["Alpha brand"]
    assert client.delete(one, headers=world["manager"].headers).status_code == 204
    assert client.get(one, headers=world["manager"].headers).status_code == 404


def test_check_says_how_a_query_is_read_or_where_it_is_wrong(client, world):
    url = f"{base(world)}/queries/check"
    ok = client.post(url, json={"text": "alpha OR orchard cider"}, headers=world["content_creator"].headers).json()
    assert ok == {"ok": True, "parsed": "alpha OR orchard AND cider", "error": None, "position": None, "caret": None}
    bad = client.post(url, json={"text": "alpha NEAR/5 (cider OR pear)"}, headers=world["analyst"].headers).json()
    assert bad["ok"] is False and bad["position"] == 6 and bad["error"].startswith("NEAR/5 joins two single words")
    assert bad["caret"] == "alpha NEAR/5 (cider OR pear)\n      ^"
    nul = client.post(url, json={"text": "alpha\x00"}, headers=world["analyst"].headers)
    assert nul.status_code == 422 and nul.json()["errors"][0]["field"] == "text"


def test_content_creators_read_and_approvers_and_outsiders_are_refused(client, world):
    url = f"{base(world)}/queries"
    body = {"name": "Nope", "topic": "brand", "text": "alpha"}
    assert client.post(url, json=body, headers=world["content_creator"].headers).status_code == 403
    assert client.post(url, json=body, headers=world["manager_read_only"].headers).status_code == 403
    assert client.get(url, headers=world["client_approver"].headers).status_code == 403
    assert client.get(f"{base(world)}/mentions", headers=world["client_approver"].headers).status_code == 403
    assert client.get(url, headers=world["outsider"].headers).status_code == 404
    assert client.get(url).status_code == 401


def test_mentions_are_visible_only_to_the_client_whose_query_matched(client, world):
    qa = add_query(client, world, name="Alpha", text="alpha")
    qb = add_query(client, world, person="outsider", client_id=world.b_id, name="Bravo", text="bravo")
    feed(world, [mention("1", "Alpha orchard cider is wonderful, I love it", 1, author_handle="fan@x.example",
                         author_followers=1200, lang="en"),
                 mention("2", "Bravo bakery bread was terrible, worst ever", 2),
                 mention("3", "nothing relevant at all", 3)])
    a_page = client.get(f"{base(world)}/mentions", headers=world["analyst"].headers).json()
    assert [m["remote_id"] for m in a_page["mentions"]] == ["1"]
    first = a_page["mentions"][0]
    assert first["queries"] == [{"id": qa["id"], "name": "Alpha", "topic": "brand"}]
    assert (first["sentiment"], first["author_followers"], first["lang"]) == ("positive", 1200, "en")
    b_page = client.get(f"{base(world, world.b_id)}/mentions", headers=world["outsider"].headers).json()
    assert [m["remote_id"] for m in b_page["mentions"]] == ["2"]
    assert b_page["mentions"][0]["queries"][0]["id"] == qb["id"]
    # A member of B asking under A, or for A's query id under B, gets nothing of A's.
    refused = client.get(f"{base(world)}/mentions", headers=world["outsider"].headers)
    assert refused.status_code == 404 and "Alpha orchard" not in refused.text
    crossed = client.get(f"{base(world, world.b_id)}/mentions?query_id={qa['id']}", headers=world["outsider"].headers)
    assert crossed.json()["mentions"] == []
    assert client.get(f"{base(world, world.b_id)}/queries/{qa['id']}", headers=world["outsider"].headers).status_code == 404
    assert client.patch(f"{base(world, world.b_id)}/queries/{qa['id']}", json={"enabled": False},
                        headers=world["outsider"].headers).status_code == 404


def test_mention_filters_duplicates_and_paging(client, world):
    add_query(client, world, name="Alpha", text="alpha", topic="brand")
    add_query(client, world, name="Rival", text="rival", topic="competitor")
    text = "Alpha orchard opens a new cider barn this weekend https://alpha.example/barn"
    feed(world, [mention("o", text, 0, author_handle="alphaorchard"),
                 mention("rt", "RT @alphaorchard: " + text, 1, author_handle="fan"),
                 mention("r", "rival orchard is awful and slow, terrible", 2, lang="fr"),
                 *[mention(f"p{i}", f"alpha post number {i} about apples today", 10 + i) for i in range(5)]])
    url = f"{base(world)}/mentions"
    h = world["manager"].headers
    got = client.get(url, headers=h).json()["mentions"]
    assert [m["remote_id"] for m in got][-2:] == ["r", "o"] and "rt" not in [m["remote_id"] for m in got]
    assert got[-1]["copies"] == 1
    with_dups = client.get(url, params={"include_duplicates": "true"}, headers=h).json()["mentions"]
    assert [m["remote_id"] for m in with_dups][-3:] == ["r", "rt", "o"] and with_dups[-2]["duplicate"]
    assert [m["remote_id"] for m in client.get(url, params={"topic": "competitor"}, headers=h).json()["mentions"]] == ["r"]
    assert [m["remote_id"] for m in client.get(url, params={"sentiment": "negative"}, headers=h).json()["mentions"]] \
        == ["r"]
    assert [m["remote_id"] for m in client.get(url, params={"lang": "fr"}, headers=h).json()["mentions"]] == ["r"]
    window = {"since": (T0 + timedelta(minutes=11)).isoformat(), "until": (T0 + timedelta(minutes=13)).isoformat()}
    assert [m["remote_id"] for m in client.get(url, params=window, headers=h).json()["mentions"]] == ["p2", "p1"]
    assert client.get(url, params={"since": "2026-11-02T09:00:00"}, headers=h).status_code == 422
    seen, cursor = [], None
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        body = client.get(url, params=params, headers=h).json()
        seen += [m["remote_id"] for m in body["mentions"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert seen == ["p4", "p3", "p2", "p1", "p0", "r", "o"]
    assert client.get(url, params={"cursor": "nonsense"}, headers=h).json()["errors"][0]["field"] == "cursor"


@pytest.mark.parametrize("hostile", ["<script>alert(1)</script> alpha", "alpha \x00\x1b[2J", "alpha " + "é" * 50_000])
def test_hostile_mentions_come_back_as_data(client, world, hostile):
    add_query(client, world, name="Alpha", text="alpha")
    feed(world, [mention("h", hostile, 0, author_name="<img src=x onerror=alert(1)>")])
    response = client.get(f"{base(world)}/mentions", headers=world["manager"].headers)
    assert response.headers["content-type"].startswith("application/json")
    got = response.json()["mentions"][0]
    assert "\x00" not in got["text"] and got["author_name"] == "<img src=x onerror=alert(1)>"
    assert got["clipped"] == (len(hostile) > listening.MAX_TEXT) and got["text_length"] == len(hostile.replace(
        "\x00", "").replace("\x1b", ""))
