"""The inbox pages and their services: filters in the URL (and HTMX fragments), paging, bulk triage
all or nothing, @-mentions in notes notifying only people on the client, the author's history, triage
from the conversation page, who sees what (members of B never see A's conversations, approvers no
inbox at all) and public text escaped in the page source.

Conversations are written as rows (the sync path itself is exercised in tests/test_inbox.py and,
with hostile payloads, in tests/test_inbox_xss.py)."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta
from itertools import count

import pytest
from markupsafe import escape
from sqlalchemy import select

from socialdesk.channels.models import Channel
from socialdesk.inbox import service as inbox
from socialdesk.inbox.models import Conversation, InboxEvent, InboxItem, InboxNote, InboxReply
from socialdesk.inbox.schemas import BulkTriage, tag_mask
from socialdesk.kit.errors import Forbidden, InvalidInput
from socialdesk.publishing.models import Notification
from test_pages import forms_of, sign_in

_n = count(1)
NOW = datetime.now(UTC).replace(microsecond=0)
PARTIAL = {"accept": "text/html", "hx-request": "true", "hx-target": "inbox-list"}


def conversation(session, client_id: int, channel_id: int, text: str, *, at: datetime | None = None,
                 status: str = "new", tags=(), assignee_id: int | None = None, sentiment: str | None = "neutral",
                 urgent: bool = False, author: str = "pat", network: str = "mastodon", name: str | None = None,
                 url: str = "", author_url: str = "", items: int = 1) -> int:
    """A conversation of ``items`` items from ``author``, the last one at ``at`` (default: now)."""
    fresh(session)  # a read left open would make this write fail once the app has written
    at = at or NOW
    start = at - timedelta(minutes=items - 1)
    # Not "root<n>" nor "item<n>": the world's own conversation on this channel is named so, from another counter.
    row = Conversation(client_id=client_id, channel_id=channel_id, network=network,
                       root_remote_id=f"page-root{next(_n)}", status=status, tags=sorted(tags),
                       tag_mask=tag_mask(tags), first_item_at=start,
                       last_activity_at=at, item_count=items, author_remote_id=f"id-{author}",
                       author_handle=f"{author}@people.example", sentiment=sentiment, urgent=urgent,
                       assignee_id=assignee_id, escalation_level=0, breached=False, awaiting_since=start,
                       due_at=start + timedelta(hours=8), breach_at=start + timedelta(hours=24))
    for k in range(items):
        row.items.append(InboxItem(client_id=client_id, channel_id=channel_id, remote_id=f"page-item{next(_n)}",
                                   kind="mention" if k == 0 else "reply", author_remote_id=f"id-{author}",
                                   author_handle=f"{author}@people.example", author_name=name or author.title(),
                                   author_url=author_url, author_followers=321, url=url,
                                   text=text if k == items - 1 else f"{text} (earlier {k})",
                                   created_at=start + timedelta(minutes=k), sentiment=sentiment))
    session.add(row)
    session.commit()
    return row.id


def fresh(session) -> None:
    """End the test session's read so it sees what the app committed since."""
    session.commit()
    session.expire_all()


def b_channel(session, world) -> int:
    fresh(session)
    channel = Channel(client_id=world.b_id, network="mastodon", display_name="Bravo Mastodon", handle="bravo",
                      base_url="http://127.0.0.1:9", account_id="2", status="ok")
    session.add(channel)
    session.commit()
    return channel.id


def texts(page: str) -> list[str]:
    """The latest texts of the listed conversations, in order."""
    return [html.unescape(t).strip() for t in re.findall(r'<span class="kind">[^<]*</span>\s*([^<]*)', page)]


# --- the list: filters, HTMX, paging --------------------------------------------------------------


def test_the_client_inbox_filters_by_every_field_and_keeps_them_in_the_url(app, session, world):
    a, ch = world.a_id, world.channel_id
    cm = world["community_manager"]
    conversation(session, a, ch, "Where is my order?", tags=["question"], assignee_id=cm.id, at=NOW - timedelta(hours=1))
    conversation(session, a, ch, "Terrible service today", tags=["complaint"], sentiment="negative", urgent=True,
                 at=NOW - timedelta(minutes=30))
    conversation(session, a, ch, "Loved the cider", tags=["praise"], sentiment="positive", status="done",
                 at=NOW - timedelta(days=2))
    other = Channel(client_id=a, network="bluesky", display_name="Alpha Bluesky", handle="alpha.bsky", status="ok",
                    base_url="http://127.0.0.1:9", account_id="did:plc:alpha")
    session.add(other)
    session.commit()
    conversation(session, a, other.id, "Hello from the sky", network="bluesky", at=NOW - timedelta(minutes=5))
    browser = sign_in(app, cm.email)
    base = f"/clients/{a}/inbox"

    page = browser.get(base)
    assert page.status_code == 200
    assert texts(page.text) == ["Hello from the sky", "Terrible service today", "Where is my order?", "Loved the cider",
                                "Alpha inbox secret praise"]
    checks = {
        "status=done": ["Loved the cider"],
        "tag=complaint": ["Terrible service today"],
        "assignee=mine": ["Where is my order?"],
        f"assignee={cm.id}": ["Where is my order?"],
        "sentiment=positive": ["Loved the cider"],
        "urgent=1": ["Terrible service today"],
        "age=older-24h": ["Loved the cider", "Alpha inbox secret praise"],
        "age=newer-1h": ["Hello from the sky", "Terrible service today"],
        f"channel={other.id}": ["Hello from the sky"],
        "status=new&tag=question": ["Where is my order?"],
    }
    for query, expected in checks.items():
        answer = browser.get(f"{base}?{query}")
        assert answer.status_code == 200 and texts(answer.text) == expected, query
        # The filter bar shows what is applied, so a reload or a shared link keeps it.
        for pair in query.split("&"):
            key, value = pair.split("=")
            if key != "urgent":
                assert re.search(rf'<option value="{re.escape(value)}" selected>', answer.text), (query, key)
    unassigned = texts(browser.get(f"{base}?assignee=unassigned").text)
    assert "Where is my order?" not in unassigned and len(unassigned) == 4
    # HTMX asks for the list alone; the filters are in the URL it pushes (the form's hx-push-url).
    fragment = browser.http.get(f"{base}?tag=praise", headers=PARTIAL)
    assert fragment.text.lstrip().startswith('<div id="inbox-list"') and "<html" not in fragment.text
    assert texts(fragment.text) == ["Loved the cider"]
    full = browser.get(base)
    assert 'hx-get="/clients/%d/inbox"' % a in full.text and 'hx-push-url="true"' in full.text
    # Unknown filter values are ignored, never an error page.
    assert browser.get(f"{base}?status=bogus&tag=gossip&age=forever&assignee=;drop").status_code == 200
    # The time left is shown and styled by how close the limit is.
    row = re.search(r'<tr data-conv-row[^>]*class="conv-row clock-(\w+)[^"]*"[^>]*>(?:(?!</tr>).)*Where is my order',
                    page.text, re.S)
    assert row and row.group(1) == "ok" and "h" in re.search(r'class="clock clock-ok">([^<]+)<', page.text).group(1)


def test_time_left_is_styled_near_breach_and_breached(app, session, world):
    a, ch = world.a_id, world.channel_id
    near = conversation(session, a, ch, "Near the limit", at=NOW - timedelta(hours=23, minutes=30))
    over = conversation(session, a, ch, "Over the limit", at=NOW - timedelta(hours=30))
    page = sign_in(app, world["owner"].email).get(f"/clients/{a}/inbox").text
    for cid, state, words in ((near, "near", "min left"), (over, "breached", "over by")):
        row = re.search(rf'<tr data-conv-row data-id="{cid}"[^>]*>(.*?)</tr>', page, re.S)
        assert f"clock-{state}" in row.group(0) and words in row.group(1), row.group(0)


def test_older_pages_back_with_before_and_the_across_clients_inbox_names_clients(app, session, world):
    a, ch = world.a_id, world.channel_id
    for k in range(52):
        conversation(session, a, ch, f"Message number {k}", at=NOW - timedelta(minutes=k + 1))
    conversation(session, world.b_id, b_channel(session, world), "Bravo asks", at=NOW)
    browser = sign_in(app, world["owner"].email)
    first = browser.get("/inbox")
    shown = texts(first.text)
    assert len(shown) == 50 and shown[:2] == ["Bravo asks", "Message number 0"]
    assert world.b_name in first.text and world.a_name in first.text
    older = html.unescape(re.search(r'<a href="([^"]+)" hx-get="[^"]+" hx-target="#inbox-list"[^>]*>Older</a>',
                                    first.text).group(1))
    assert "before=" in older
    rest = texts(browser.get(older).text)
    assert rest == ["Message number 49", "Message number 50", "Message number 51", "Alpha inbox secret praise"]
    only_b = texts(browser.get(f"/inbox?client={world.b_id}").text)
    assert only_b == ["Bravo asks"]


def test_paging_back_through_conversations_active_at_the_same_instant_skips_none(app, client, session, world):
    """Reviews imported with a date only all start at one instant: the page boundary falls inside that run.
    The Older link and the API page by (time, id), so every conversation shows exactly once."""
    a, ch = world.a_id, world.channel_id
    made = {conversation(session, a, ch, f"Same instant {k}", at=NOW - timedelta(hours=2)) for k in range(57)}
    browser = sign_in(app, world["owner"].email)
    first = browser.get(f"/clients/{a}/inbox")
    older = html.unescape(re.search(r'<a href="([^"]+)" hx-get="[^"]+" hx-target="#inbox-list"[^>]*>Older</a>',
                                    first.text).group(1))
    assert "before_id=" in older
    shown = texts(first.text) + texts(browser.get(older).text)
    assert len(shown) == len(set(shown)) and {t for t in shown if t.startswith("Same instant")} \
        == {f"Same instant {k}" for k in range(57)}
    headers = world["owner"].headers
    page = client.get(f"/api/clients/{a}/inbox?limit=20", headers=headers).json()
    seen = [row["id"] for row in page]
    while len(page) == 20:
        last = page[-1]
        page = client.get(f"/api/clients/{a}/inbox", headers=headers, params={
            "limit": 20, "before": last["last_activity_at"], "before_id": last["id"]}).json()
        seen += [row["id"] for row in page]
    assert len(seen) == len(set(seen)) and made <= set(seen)
    timeless = client.get(f"/api/clients/{a}/inbox", headers=headers,  # time alone: strictly older only
                          params={"before": (NOW - timedelta(hours=2)).isoformat()}).json()
    assert not made & {row["id"] for row in timeless}


def test_imported_reviews_show_their_channel_and_the_channel_filter_offers_it(app, client, session, world):
    """The Reviews channel is not among the channels to publish to, but the inbox names it and filters by it."""
    a = world.a_id
    csv = "source,author,rating,text,created_at\nGoogle,Dana K.,5,Lovely cider,2025-06-01\n"
    made = client.post(f"/api/clients/{a}/inbox/reviews", files={"file": ("r.csv", csv.encode(), "text/csv")},
                       headers=world["manager"].headers)
    assert made.status_code == 201, made.text
    reviews = made.json()["channel_id"]
    fresh(session)
    review = session.scalar(select(Conversation.id).where(Conversation.channel_id == reviews))
    browser = sign_in(app, world["community_manager"].email)
    for base, name in ((f"/clients/{a}/inbox", "Reviews"), ("/inbox", f"{world.a_name} · Reviews")):
        page = browser.get(base).text
        row = re.search(rf'<tr data-conv-row data-id="{review}"[^>]*>(.*?)</tr>', page, re.S).group(1)
        assert '<small class="muted">Reviews</small>' in row, base
        assert f'<option value="{reviews}">{escape(name)}</option>' in page, base
        assert f'<option value="{world.channel_id}">' in page  # the connected channel still offered
        assert texts(browser.get(f"{base}?channel={reviews}").text) == ["Lovely cider"], base
    assert texts(browser.get(f"/clients/{a}/inbox?channel={world.channel_id}").text) == ["Alpha inbox secret praise"]


# --- bulk -----------------------------------------------------------------------------------------


def test_bulk_is_all_or_nothing_and_names_the_conversations_refused(client, session, world):
    a, ch = world.a_id, world.channel_id
    a1 = conversation(session, a, ch, "first", tags=["spam"])
    a2 = conversation(session, a, ch, "second")
    b1 = conversation(session, world.b_id, b_channel(session, world), "bravo")
    cm = world["community_manager"]

    refused = client.post("/api/inbox/bulk", headers=cm.headers,
                          json={"conversation_ids": [a1, a2, b1], "status": "done"})
    assert refused.status_code == 403 and f"conversation {b1}:" in refused.json()["detail"]
    assert refused.json()["errors"][0]["field"] == "conversation_ids"
    unknown = client.post("/api/inbox/bulk", headers=cm.headers, json={"conversation_ids": [a1, 999_999], "status": "done"})
    assert unknown.status_code == 403 and "999999" in unknown.json()["detail"]
    fresh(session)
    assert {session.get(Conversation, i).status for i in (a1, a2)} == {"new"}

    # The analyst sees A's inbox but may not triage it; a read-only token changes nothing.
    analyst = client.post("/api/inbox/bulk", headers=world["analyst"].headers,
                          json={"conversation_ids": [a1], "status": "open"})
    assert analyst.status_code == 403 and str(a1) in analyst.json()["detail"]
    read_only = client.post("/api/inbox/bulk", headers=world["manager_read_only"].headers,
                            json={"conversation_ids": [a1], "status": "open"})
    assert read_only.status_code == 403

    done = client.post("/api/inbox/bulk", headers=cm.headers,
                       json={"conversation_ids": [a1, a2], "status": "done", "assignee_id": cm.id,
                             "tags_add": ["lead"], "tags_remove": ["spam"]})
    assert done.status_code == 200, done.text
    body = done.json()
    assert body["updated"] == 2 and {c["status"] for c in body["conversations"]} == {"done"}
    assert [c["tags"] for c in body["conversations"]] == [["lead"], ["lead"]]
    assert client.get("/api/inbox", headers=cm.headers, params={"tag": "lead"}).json()[0]["assignee_id"] == cm.id
    fresh(session)
    kinds = session.scalars(select(InboxEvent.kind).where(InboxEvent.conversation_id == a1).order_by(InboxEvent.id))
    assert list(kinds) == ["status", "assigned", "tags"]
    history = client.get(f"/api/clients/{a}/inbox/{a1}/events", headers=world["analyst"].headers).json()
    assert [(e["kind"], e["detail"], e["actor_id"]) for e in history] == [
        ("status", "new → done", cm.id), ("assigned", cm.name, cm.id), ("tags", "+lead −spam", cm.id)]
    assert client.get(f"/api/clients/{a}/inbox/{a1}/events", headers=world["outsider"].headers).status_code == 404

    # The assignee must work on every conversation's client: the owner may triage A and B, but the
    # community manager only works on A, so B's conversation refuses the whole request.
    owner = world["owner"]
    wrong = client.post("/api/inbox/bulk", headers=owner.headers,
                        json={"conversation_ids": [a2, b1], "assignee_id": cm.id, "status": "open"})
    assert wrong.status_code == 422 and f"conversation {b1}" in wrong.json()["detail"]
    fresh(session)
    assert session.get(Conversation, a2).status == "done"
    unassign = client.post("/api/inbox/bulk", headers=owner.headers, json={"conversation_ids": [a2, b1],
                                                                         "assignee_id": None, "status": "open"})
    assert unassign.status_code == 200 and [c["assignee_id"] for c in unassign.json()["conversations"]] == [None, None]


def test_bulk_update_service_refuses_clients_outside_the_callers_and_clashing_tags(session, world):
    a, ch = world.a_id, world.channel_id
    a1 = conversation(session, a, ch, "one")
    b1 = conversation(session, world.b_id, b_channel(session, world), "two")
    with pytest.raises(Forbidden) as refused:
        inbox.bulk_update(session=session, client_ids=[a], conversation_ids=[a1, b1],
                          patch=BulkTriage(conversation_ids=[a1, b1], status="done"))
    assert str(b1) in refused.value.message and str(a1) not in refused.value.message.split(":")[0]
    with pytest.raises(InvalidInput) as clash:
        inbox.bulk_update(session=session, client_ids=[a], conversation_ids=[a1],
                          patch=BulkTriage(conversation_ids=[a1], tags_add=["lead"], tags_remove=["lead"]))
    assert clash.value.errors[0].field == "tags_remove"
    assert session.get(Conversation, a1).status == "new"


def test_bulk_from_the_list_page_with_and_without_htmx(app, session, world):
    a, ch = world.a_id, world.channel_id
    a1 = conversation(session, a, ch, "one", at=NOW - timedelta(minutes=2))
    a2 = conversation(session, a, ch, "two", at=NOW - timedelta(minutes=1))
    browser = sign_in(app, world["community_manager"].email)
    page = browser.get(f"/clients/{a}/inbox?status=new")
    for form in forms_of(page.text):
        assert f'name="csrf_token" value="{browser.token}"' in form
    plain = browser.post("/inbox/bulk", [("ids", a1), ("ids", a2), ("status", "waiting"), ("assignee", "me"),
                                         ("tags_add", "question"), ("next", f"/clients/{a}/inbox?status=new")])
    assert plain.history[0].status_code == 303 and plain.url.path == f"/clients/{a}/inbox"
    assert plain.url.query == b"status=new"
    fresh(session)
    rows = [session.get(Conversation, i) for i in (a1, a2)]
    assert {r.status for r in rows} == {"waiting"} and {r.assignee_id for r in rows} == {world["community_manager"].id}
    assert [r.tags for r in rows] == [["question"], ["question"]]

    swapped = browser.post("/inbox/bulk", [("ids", a1), ("status", "done"), ("next", f"/clients/{a}/inbox")],
                           headers=PARTIAL)
    assert swapped.status_code == 200 and swapped.text.lstrip().startswith('<div id="inbox-list"')
    assert "1 conversation updated." in swapped.text
    nothing = browser.post("/inbox/bulk", [("status", "done"), ("next", f"/clients/{a}/inbox")], headers=PARTIAL)
    assert nothing.status_code == 422 and "tick at least one conversation" in nothing.text
    b1 = conversation(session, world.b_id, b_channel(session, world), "bravo")
    mixed = browser.post("/inbox/bulk", [("ids", a2), ("ids", b1), ("status", "done"), ("next", "https://evil.example/")])
    assert mixed.status_code == 422 and f"conversation {b1}:" in mixed.text and "nothing was changed" in mixed.text
    fresh(session)
    assert session.get(Conversation, a2).status == "waiting"


# --- the conversation page: triage, notes with @-mentions, history, the author ----------------------


def test_a_mention_in_a_note_notifies_only_people_who_work_on_the_client(client, app, session, world):
    a = world.a_id
    cm, analyst, outsider = world["community_manager"], world["analyst"], world["outsider"]
    approver, owner = world["client_approver"], world["owner"]
    local = cm.email.split("@")[0]
    text = (f"@{local} please call them back; @Analyst. knows the order. Not @outsider, not @clientapprover, "
            f"not mail to {analyst.email}, and @olivia.owner wrote this.")
    browser = sign_in(app, owner.email)
    page = browser.get(f"/clients/{a}/inbox/{world.conversation_id}")
    assert f"@{local}" in page.text or "@communitymanager" in page.text  # the form lists who may be mentioned
    answer = browser.post(f"/clients/{a}/inbox/{world.conversation_id}/notes", {"text": text})
    assert answer.status_code == 200 and answer.history[0].status_code == 303
    note = session.scalar(select(InboxNote).where(InboxNote.conversation_id == world.conversation_id))
    assert sorted(note.mentions) == sorted([cm.id, analyst.id, owner.id])
    told = session.execute(select(Notification.user_id, Notification.link, Notification.kind)
                           .where(Notification.kind == "inbox.mention")).all()
    assert sorted(uid for uid, _, _ in told) == sorted([cm.id, analyst.id])  # not the writer, outsider, approver
    assert {link for _, link, _ in told} == {f"/clients/{a}/inbox/{world.conversation_id}"}
    shown = browser.get(f"/clients/{a}/inbox/{world.conversation_id}").text
    assert "Mentioned: " in shown and cm.name in shown

    # Through the API too; a first name shared by two teammates notifies neither.
    world.add_user("dana_one", roles={a: world["manager"].roles[a]}, name="Dana One")
    world.add_user("dana_two", roles={a: world["manager"].roles[a]}, name="Dana Two")
    made = client.post(f"/api/clients/{a}/inbox/{world.conversation_id}/notes", headers=cm.headers,
                       json={"text": "@dana can you look, and @danatwo"})
    assert made.status_code == 201 and made.json()["mentions"] == [world["dana_two"].id]
    fresh(session)
    latest = session.scalars(select(InboxNote).order_by(InboxNote.id.desc())).first()
    assert latest.mentions == [world["dana_two"].id]


def test_triage_from_the_conversation_page_records_the_history(app, session, world):
    a = world.a_id
    cm = world["community_manager"]
    cid = world.conversation_id
    browser = sign_in(app, cm.email)
    saved = browser.post(f"/clients/{a}/inbox/{cid}", [("status", "waiting"), ("assignee_id", str(cm.id)),
                                                       ("tags_shown", "1"), ("tags", "lead"), ("tags", "question")])
    assert saved.status_code == 200 and saved.url.query == b"saved=1"
    fresh(session)
    row = session.get(Conversation, cid)
    assert (row.status, row.assignee_id, row.tags) == ("waiting", cm.id, ["lead", "question"])
    done = browser.post(f"/clients/{a}/inbox/{cid}", {"status": "done"})  # the quick "Mark done" form
    assert done.status_code == 200
    fresh(session)
    assert (row := session.get(Conversation, cid)).status == "done" and row.tags == ["lead", "question"]
    page = browser.get(f"/clients/{a}/inbox/{cid}").text
    assert "waiting → done" in page and "+lead +question" in page and f"Assigned — {cm.name}" in page
    stranger = browser.post(f"/clients/{a}/inbox/{cid}", {"assignee_id": str(world["outsider"].id)})
    assert stranger.status_code == 422 and "does not work on this client" in stranger.text
    # An analyst reads the conversation but gets no triage form, and posting one is refused.
    analyst = sign_in(app, world["analyst"].email)
    assert 'name="tags_shown"' not in analyst.get(f"/clients/{a}/inbox/{cid}").text
    assert analyst.post(f"/clients/{a}/inbox/{cid}", {"status": "open"}).status_code == 403


def test_the_conversation_shows_items_oldest_first_with_our_replies_and_the_authors_history(client, app, session,
                                                                                             world):
    a, ch = world.a_id, world.channel_id
    old1 = conversation(session, a, ch, "Last year question", author="robin", at=NOW - timedelta(days=300),
                        tags=["question"], status="done")
    old2 = conversation(session, a, ch, "Spring praise", author="robin", at=NOW - timedelta(days=60), items=2)
    current = conversation(session, a, ch, "Now a complaint", author="robin", name="Robin Ray", items=2,
                           author_url="https://people.example/@robin", at=NOW - timedelta(minutes=5))
    conversation(session, a, ch, "Someone else", author="sam")
    conversation(session, world.b_id, b_channel(session, world), "Robin on Bravo", author="robin")
    conversation(session, a, ch, "Robin elsewhere", author="robin", network="bluesky")  # another network's ids
    first_item = session.scalars(select(InboxItem).where(InboxItem.conversation_id == current)
                                 .order_by(InboxItem.id)).first()
    session.add(InboxReply(conversation_id=current, client_id=a, channel_id=ch, item_id=first_item.id,
                           author_id=world["community_manager"].id, text="Sorry to hear that, DM us", marker="m-1",
                           status="sent", created_at=first_item.created_at + timedelta(seconds=30),
                           sent_at=first_item.created_at + timedelta(seconds=30), url="https://m.example/@alpha/9"))
    session.commit()

    history = inbox.author_history(session=session, client_id=a, author_remote_id="id-robin", network="mastodon",
                                   exclude_id=current)
    assert [c.id for c in history.conversations] == [old2, old1]
    assert (history.conversation_count, history.item_count) == (3, 5)
    assert history.name == "Robin Ray" and history.followers == 321
    assert history.first_seen_at < NOW - timedelta(days=299)

    api = client.get(f"/api/clients/{a}/inbox/{current}/author", headers=world["analyst"].headers)
    assert api.status_code == 200
    assert [c["id"] for c in api.json()["conversations"]] == [old2, old1] and api.json()["conversation_count"] == 3
    assert client.get(f"/api/clients/{a}/inbox/{current}/author",
                      headers=world["outsider"].headers).status_code == 404

    page = sign_in(app, world["analyst"].email).get(f"/clients/{a}/inbox/{current}").text
    order = [page.index(t) for t in ("Now a complaint (earlier 0)", "Sorry to hear that, DM us", "Now a complaint<")]
    assert order == sorted(order)  # items oldest first, our reply between them
    assert "3 conversations, 5 messages" in page and f'href="/clients/{a}/inbox/{old1}"' in page
    assert "Robin on Bravo" not in page and "Robin elsewhere" not in page
    assert 'href="https://people.example/@robin"' in page and "321 followers" in page


# --- who sees what, and escaping -------------------------------------------------------------------


def test_members_of_b_never_see_a_and_approvers_see_no_inbox(app, session, world):
    a, cid = world.a_id, world.conversation_id
    conversation(session, world.b_id, b_channel(session, world), "Bravo only question")
    outsider = sign_in(app, world["outsider"].email)
    mine = outsider.get("/inbox")
    assert mine.status_code == 200 and "Bravo only question" in mine.text and 'href="/inbox"' in mine.text
    for url in ("/inbox", f"/inbox?client={a}", f"/inbox?channel={world.channel_id}", "/inbox?status=new"):
        answer = outsider.get(url).text
        assert not [s for s in world.a_secrets if s.lower() in answer.lower()], url
    for url in (f"/clients/{a}/inbox", f"/clients/{a}/inbox/{cid}", f"/clients/{a}/inbox?status=new"):
        answer = outsider.get(url)
        assert answer.status_code == 404 and "Alpha inbox secret praise" not in answer.text, url
    # A conversation of A under B's address is not found either.
    assert outsider.get(f"/clients/{world.b_id}/inbox/{cid}").status_code == 404
    refused = outsider.post("/inbox/bulk", [("ids", cid), ("status", "done"), ("next", f"/clients/{a}/inbox")])
    assert refused.status_code == 422 and "Alpha inbox secret praise" not in refused.text
    assert outsider.post(f"/clients/{a}/inbox/{cid}/notes", {"text": "hi"}).status_code == 404
    fresh(session)
    assert session.get(Conversation, cid).status == "new"

    approver = sign_in(app, world["client_approver"].email)
    assert 'href="/inbox"' not in approver.get("/").text
    assert approver.get("/inbox").status_code == 403
    for url in (f"/clients/{a}/inbox", f"/clients/{a}/inbox/{cid}"):
        answer = approver.get(url)
        assert answer.status_code == 403 and "Alpha inbox secret praise" not in answer.text
    assert "/inbox" not in approver.get(f"/clients/{a}").text
    assert approver.post(f"/clients/{a}/inbox/{cid}", {"status": "done"}).status_code == 403


PAYLOAD = '<script>alert(1)</script><img src=x onerror=alert(2)>"\'><svg onload=alert(3)>{{7*7}}'


def test_public_text_names_and_links_are_escaped_and_javascript_links_are_not_links(app, session, world):
    a, ch = world.a_id, world.channel_id
    cid = conversation(session, a, ch, PAYLOAD, name=PAYLOAD, author="evil", url="javascript:alert(4)",
                       author_url="  JavaScript:alert(5)")
    browser = sign_in(app, world["owner"].email)
    escaped = str(escape(PAYLOAD))
    for url in (f"/clients/{a}/inbox", "/inbox", f"/clients/{a}/inbox/{cid}"):
        page = browser.get(url).text
        assert escaped in page, url
        assert "<script>alert" not in page and "<img src=x" not in page and "<svg onload" not in page
        assert "onerror=alert(2)>" not in page.replace(escaped, "")
        assert not re.search(r'href="\s*javascript:', page, re.I) and ">49<" not in page
        for form in forms_of(page):
            assert f'name="csrf_token" value="{browser.token}"' in form
    detail = browser.get(f"/clients/{a}/inbox/{cid}").text
    assert "javascript:alert(4)" in detail  # shown as text, so the team sees what was sent
