"""The crisis room: opened from an alert or by hand, the playbook picked by type and edited by directors, the
director decides and the community manager executes, the pause switch, holding statements through approval,
the post-mortem with its curve, and isolation between clients."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from socialdesk.crisis.models import Crisis, CrisisAlert
from socialdesk.crisis.playbooks import DEFAULTS
from socialdesk.crisis.schemas import CrisisType
from socialdesk.listening import service as listening
from socialdesk.listening.models import Mention
from socialdesk.listening.schemas import QueryIn
from socialdesk.publishing import dispatch
from socialdesk.publishing.models import Notification, Post, PostTarget, PublishingSettings


@pytest.fixture
def api(client, world, task_settings):
    """Call the API as one of the world's people: api("community_manager", "post", url, json=...)."""

    def call(who: str, method: str, url: str, **kwargs):
        client.cookies.clear()
        return client.request(method.upper(), url, headers=world[who].headers, **kwargs)

    return call


def mentions(database, world, rows: list[tuple[datetime, str]]) -> list[int]:
    """Ingest posts about Alpha Orchard through listening; returns their mention ids."""
    with database.session() as s:
        if not listening.list_queries(session=s, client_id=world.a_id):
            listening.create_query(session=s, client_id=world.a_id, user_id=None,
                                   data=QueryIn(name="Brand", topic="brand", text='"alpha orchard"'))
    posts = [listening.IncomingMention(remote_id=f"m{at.timestamp()}-{i}", text=text, lang="en", created_at=at,
                                       author_handle=f"person{i}") for i, (at, text) in enumerate(rows)]
    with database.session() as s:
        listening.ingest(session=s, source="test", posts=posts)
    with database.session() as s:
        return list(s.scalars(select(Mention.id).order_by(Mention.id)))


def an_alert(database, world) -> int:
    """An alert on A as detection writes it (detection itself is tested in test_crisis_alerts.py)."""
    now = datetime.now(UTC)
    ids = mentions(database, world, [(now - timedelta(seconds=i), f"alpha orchard juice made me sick {i}")
                                     for i in range(3)])
    with database.session() as s:
        row = CrisisAlert(client_id=world.a_id, topic="", window_start=now - timedelta(minutes=5), window_end=now,
                          volume=48, expected=3.2, negative=40, negative_share=0.83, usual_negative_share=0.1,
                          score=1.0, reason="both", top_terms=[["sick", 30], ["juice", 22]],
                          sample_mention_ids=ids[:3], message="Possible crisis for Alpha: 48 mentions, 15.0x normal")
        s.add(row)
        s.flush()
        return row.id


def open_crisis(api, world, who="community_manager", **body):
    response = api(who, "post", f"/api/clients/{world.a_id}/crises", json={"type": "defective_product", **body})
    assert response.status_code == 201, response.text
    return response.json()


def test_a_crisis_opened_from_an_alert_follows_the_type_s_playbook_and_starts_its_timeline(api, world, database):
    alert_id = an_alert(database, world)
    room = open_crisis(api, world, alert_id=alert_id)
    expected = DEFAULTS[CrisisType.DEFECTIVE_PRODUCT]
    assert room["playbook_name"] == expected["name"] and room["status"] == "open"
    assert [(s["title"], s["owner_role"]) for s in room["steps"]] == [
        (s["title"], s["owner_role"]) for s in expected["steps"]]
    assert room["opened_from_alert_id"] == alert_id and room["title"].startswith("Defective product")
    events = api("manager", "get", f"/api/clients/{world.a_id}/crises/{room['id']}/events").json()
    assert [e["kind"] for e in events] == ["note", "alert", "mention", "mention", "mention"]
    assert "48 mentions" in events[1]["text"] and events[1]["ref"] == {"alert_id": alert_id}
    assert api("analyst", "get", f"/api/clients/{world.a_id}/crisis/alerts/{alert_id}").json()["status"] == "crisis"
    # One room per client at a time.
    again = api("manager", "post", f"/api/clients/{world.a_id}/crises", json={"type": "trolls"})
    assert again.status_code == 409 and f"crisis {room['id']}" in again.json()["detail"]
    with database.session() as s:
        told = {n.user_id for n in s.scalars(select(Notification).where(Notification.kind == "crisis"))}
    assert told == {world[k].id for k in ("owner", "director", "manager")}  # the opener is not told
    # Every type has its own playbook with owners and holding statements.
    assert len({p["name"] for p in api("manager", "get", f"/api/clients/{world.a_id}/crisis/playbooks").json()}) == 6


def test_directors_edit_playbooks_for_the_agency_and_per_client(api, world):
    playbook = {"name": "Troll handling, Alpha edition", "summary": "Do not feed them.",
                "steps": [{"title": "Screenshot everything", "owner_role": "community_manager"},
                          {"title": "Decide whether to answer once", "owner_role": "director"}],
                "statements": [{"name": "Facts", "text": "The facts about {client} are here."}]}
    url = f"/api/clients/{world.a_id}/crisis/playbooks/trolls"
    assert api("manager", "put", url, json=playbook).status_code == 403
    assert api("community_manager", "put", "/api/crisis/playbooks/trolls", json=playbook).status_code == 403
    bad = api("director", "put", url, json={**playbook, "steps": [{"title": "x", "owner_role": "client_approver"}]})
    assert bad.status_code == 422 and "steps" in bad.json()["errors"][0]["field"]
    saved = api("director", "put", url, json=playbook)
    assert saved.status_code == 200 and saved.json()["source"] == "client"
    agency = api("owner", "put", "/api/crisis/playbooks/trolls", json={**playbook, "name": "Agency trolls"})
    assert agency.status_code == 200 and agency.json()["source"] == "agency"

    room = open_crisis(api, world, type="trolls")
    assert room["playbook_name"] == "Troll handling, Alpha edition"
    assert [s["title"] for s in room["steps"]] == ["Screenshot everything", "Decide whether to answer once"]
    b_books = {p["type"]: p for p in api("outsider", "get", f"/api/clients/{world.b_id}/crisis/playbooks").json()}
    assert b_books["trolls"]["name"] == "Agency trolls" and b_books["trolls"]["source"] == "agency"
    assert b_books["other"]["source"] == "default"
    reset = api("director", "delete", url)
    assert reset.json()["name"] == "Agency trolls"


def test_the_community_manager_executes_and_the_director_decides(api, world):
    room = open_crisis(api, world)
    base = f"/api/clients/{world.a_id}/crises/{room['id']}"
    theirs = next(s for s in room["steps"] if s["owner_role"] == "community_manager")
    directors = next(s for s in room["steps"] if s["owner_role"] == "director")
    done = api("community_manager", "put", f"{base}/steps/{theirs['id']}", json={"note": "paused at 09:12"})
    assert done.status_code == 200 and done.json()["done_at"] and done.json()["done_by_id"] == world["community_manager"].id
    refused = api("community_manager", "put", f"{base}/steps/{directors['id']}", json={})
    assert refused.status_code == 403 and "director" in refused.json()["detail"]
    assert api("community_manager", "post", f"{base}/decisions", json={"text": "Recall batch 12"}).status_code == 403
    assert api("community_manager", "post", f"{base}/close", json={"summary": "over"}).status_code == 403
    assert api("community_manager", "patch", base, json={"type": "trolls"}).status_code == 403
    assert api("analyst", "post", f"{base}/actions", json={"text": "x"}).status_code == 403
    assert api("analyst", "post", f"{base}/notes", json={"text": "Volume is falling"}).status_code == 201
    decided = api("director", "post", f"{base}/decisions", json={"text": "Recall batch 12 and apologise"})
    assert decided.status_code == 201
    assert api("director", "put", f"{base}/steps/{directors['id']}", json={}).status_code == 200
    assert api("community_manager", "post", f"{base}/actions", json={"text": "Answered the top 20 posts"}
               ).status_code == 201
    detail = api("community_manager", "get", base).json()
    assert detail["strategy"] == "Recall batch 12 and apologise" and detail["decided_by_id"] == world["director"].id
    kinds = [e["kind"] for e in api("manager", "get", f"{base}/events").json()]
    assert kinds.count("decision") == 1 and kinds.count("action") == 3 and kinds.count("note") == 2
    # The director changes the type: the steps done are kept, the rest follow the new playbook.
    changed = api("director", "patch", base, json={"type": "campaign_mistake"}).json()
    titles = [s["title"] for s in changed["steps"]]
    assert titles[:2] == [theirs["title"], directors["title"]]
    assert titles[2:] == [s["title"] for s in DEFAULTS[CrisisType.CAMPAIGN_MISTAKE]["steps"]]


def test_one_click_pauses_all_scheduled_publishing_and_resuming_is_the_director_s(api, world, database):
    post_id = world.fresh_post("scheduled")
    with database.session() as s:  # due a minute ago: a worker would take it now
        s.execute(update(PostTarget).where(PostTarget.post_id == post_id)
                  .values(due_at=datetime.now(UTC) - timedelta(minutes=1)))
    room = open_crisis(api, world)
    base = f"/api/clients/{world.a_id}/crises/{room['id']}"
    paused = api("community_manager", "post", f"{base}/pause", json={"reason": "Salmonella reports"})
    assert paused.status_code == 200 and paused.json()["publishing_paused"] is True
    with database.session() as s:
        assert s.get(PublishingSettings, world.a_id).pause_reason == "Salmonella reports"
        assert dispatch.claim_due(s) == []  # the due post is not taken
    assert api("community_manager", "post", f"{base}/pause", json={}).status_code == 409
    assert api("community_manager", "post", f"{base}/resume", json={"mode": "publish_now"}).status_code == 403
    resumed = api("director", "post", f"{base}/resume", json={"mode": "ask"})
    assert resumed.status_code == 200 and resumed.json()["publishing_paused"] is False
    with database.session() as s:
        assert {t.state for t in s.scalars(select(PostTarget).where(PostTarget.post_id == post_id))} == {"held"}
    kinds = [e["text"] for e in api("manager", "get", f"{base}/events").json() if e["kind"] == "pause"]
    assert kinds[0].startswith("Publishing paused") and "1 post(s) had come due" in kinds[1]


def test_a_holding_statement_goes_through_approval_before_it_can_be_published(api, world, database):
    room = open_crisis(api, world)
    base = f"/api/clients/{world.a_id}/crises/{room['id']}"
    unknown = api("community_manager", "post", f"{base}/statements",
                  json={"template": "Nope", "channel_ids": [world.channel_id]})
    assert unknown.status_code == 422 and "Safety first" in unknown.json()["detail"]
    soon = (datetime.now(UTC) + timedelta(minutes=30)).isoformat()
    made = api("community_manager", "post", f"{base}/statements",
               json={"template": "Safety first", "channel_ids": [world.channel_id], "scheduled_at": soon})
    assert made.status_code == 201, made.text
    statement = made.json()
    assert statement["status"] == "in_review" and statement["approvals_missing"] == ["director"]
    assert "{date}" not in statement["text"] and "Your safety comes first" in statement["text"]
    post_id = statement["post_id"]
    # Not schedulable past approval through publishing either.
    api("community_manager", "post", f"/api/clients/{world.a_id}/posts/{post_id}/schedule",
        json={"scheduled_at": soon})
    with database.session() as s:
        post = s.get(Post, post_id)
        assert post.status == "in_review" and {t.state for t in post.targets} == {"draft"}
    assert api("community_manager", "post", f"{base}/statements/{post_id}/approve", json={}).status_code == 403
    team = api("manager", "post", f"{base}/statements/{post_id}/approve", json={"note": "fine by me"}).json()
    assert team["status"] == "in_review" and team["approvals_missing"] == ["director"]
    final = api("director", "post", f"{base}/statements/{post_id}/approve", json={}).json()
    assert final["status"] == "scheduled" and final["approvals_missing"] == []
    with database.session() as s:
        assert {t.state for t in s.get(Post, post_id).targets} == {"scheduled"}
    listed = api("analyst", "get", f"{base}/statements").json()
    assert [s["post_id"] for s in listed] == [post_id]
    texts = [e["text"] for e in api("manager", "get", f"{base}/events").json() if e["kind"] == "statement"]
    assert len(texts) == 3 and "approved, ready to publish" in texts[-1]


def test_closing_writes_the_post_mortem_with_the_volume_and_sentiment_curve(api, world, database):
    now = datetime.now(UTC)
    rows = [(now - timedelta(hours=3, minutes=i * 10), f"alpha orchard cider is lovely {i}") for i in range(6)]
    rows += [(now - timedelta(minutes=i), f"alpha orchard juice is terrible and made me sick {i}") for i in range(12)]
    mentions(database, world, rows)
    room = open_crisis(api, world)
    with database.session() as s:  # the room was opened 20 minutes ago
        s.execute(update(Crisis).where(Crisis.id == room["id"]).values(opened_at=now - timedelta(minutes=20)))
    base = f"/api/clients/{world.a_id}/crises/{room['id']}"
    api("director", "post", f"{base}/decisions", json={"text": "Pull the batch"})
    api("community_manager", "put", f"{base}/steps/{room['steps'][0]['id']}", json={})
    closed = api("director", "post", f"{base}/close", json={"summary": "Batch pulled, sentiment back to normal"})
    assert closed.status_code == 200, closed.text
    pm = closed.json()["postmortem"]
    assert closed.json()["status"] == "closed" and pm["duration_minutes"] in (19, 20, 21)
    curve = pm["curve"]
    assert curve["bucket_minutes"] == 5 and sum(p["volume"] for p in curve["points"]) == 18
    assert sum(p["negative"] for p in curve["points"]) >= 12
    assert pm["during"]["volume"] == 12 and pm["before"]["volume"] == 6
    assert pm["during"]["negative_share"] == 1.0 and pm["before"]["negative_share"] < 0.5
    assert pm["steps_done"] == 1 and pm["steps_total"] == len(room["steps"])
    assert [d["text"] for d in pm["decisions"]][0] == "Pull the batch"
    text = closed.json()["postmortem_text"]
    assert text.startswith("Post-mortem:") and "Steps done: 1 of" in text and "Pull the batch" in text
    assert "Batch pulled" in text
    # A closed crisis is a record: nothing changes it any more.
    assert api("community_manager", "post", f"{base}/actions", json={"text": "late"}).status_code == 409
    assert api("manager", "post", f"/api/clients/{world.a_id}/crises", json={"type": "other"}).status_code == 201


def test_crises_stay_inside_their_client_and_client_approvers_see_none(api, world, database):
    alert_id = an_alert(database, world)
    room = open_crisis(api, world, alert_id=alert_id)
    a = f"/api/clients/{world.a_id}"
    for url in (f"{a}/crises", f"{a}/crises/{room['id']}", f"{a}/crises/{room['id']}/events",
                f"{a}/crisis/alerts", f"{a}/crisis/alerts/{alert_id}", f"{a}/crisis/playbooks"):
        outsider = api("outsider", "get", url)
        assert outsider.status_code == 404 and world.a_name not in outsider.text
        assert api("client_approver", "get", url).status_code == 403
        assert api("content_creator", "get", url).status_code == 200
    assert api("outsider", "get", "/api/crisis/alerts").json() == []
    assert [x["id"] for x in api("analyst", "get", "/api/crisis/alerts").json()] == [alert_id]
    assert api("client_approver", "get", "/api/crisis/alerts").json() == []
    # B's own rooms list never shows A's, and A's ids do not work under B.
    assert api("outsider", "get", f"/api/clients/{world.b_id}/crises").json() == []
    assert api("outsider", "get", f"/api/clients/{world.b_id}/crises/{room['id']}").status_code == 404
    assert api("outsider", "post", f"/api/clients/{world.b_id}/crises",
               json={"type": "other", "alert_id": alert_id}).status_code == 422


def test_the_crisis_pages_show_the_alert_escaped_and_run_the_room(api, world, database):
    now = datetime.now(UTC)
    ids = mentions(database, world, [(now, "alpha orchard <script>alert('x')</script> made me sick"),
                                     (now - timedelta(seconds=5), "alpha orchard <img src=x onerror=alert(1)> juice")])
    alert_id = an_alert(database, world)
    with database.session() as s:
        s.get(CrisisAlert, alert_id).sample_mention_ids = ids[:2]
    a = f"/clients/{world.a_id}"
    home = api("community_manager", "get", a)
    assert f'href="{a}/crisis"' in home.text
    assert f'href="{a}/crisis"' not in api("client_approver", "get", a).text
    page = api("community_manager", "get", f"{a}/crisis/alerts/{alert_id}")
    assert page.status_code == 200 and "15.0× normal" in page.text and "83 %" in page.text
    assert "<script>alert(" not in page.text and "&lt;script&gt;alert(" in page.text
    assert "<img src=x" not in page.text and "<svg" in page.text
    assert api("client_approver", "get", f"{a}/crisis").status_code == 403
    assert api("outsider", "get", f"{a}/crisis").status_code == 404

    opened = api("community_manager", "post", f"{a}/crisis/open", data={"type": "dissatisfied_customers",
                                                                        "alert_id": str(alert_id)},
                 follow_redirects=False)
    assert opened.status_code == 303
    room_url = opened.headers["location"]
    room = api("community_manager", "get", room_url)
    assert room.status_code == 200 and "<polyline" in room.text and "Pause all scheduled publishing" in room.text
    assert DEFAULTS[CrisisType.DISSATISFIED_CUSTOMERS]["steps"][0]["title"].split(" (")[0] in room.text
    assert "&lt;script&gt;" in room.text and "<script>alert(" not in room.text
    assert api("community_manager", "post", f"{room_url}/pause", data={"reason": "Crisis"},
               follow_redirects=False).status_code == 303
    assert "is paused" in api("community_manager", "get", room_url).text
    assert api("community_manager", "post", f"{room_url}/decide", data={"text": "x"}).status_code == 403
    made = api("community_manager", "post", f"{room_url}/statements",
               data={"template": "Acknowledge", "channel_ids": str(world.channel_id)}, follow_redirects=False)
    assert made.status_code == 303
    assert "waiting for: director" in api("manager", "get", room_url).text
    closed = api("director", "post", f"{room_url}/close", data={"summary": "Refunds sent, calm again"},
                 follow_redirects=False)
    assert closed.status_code == 303
    final = api("analyst", "get", room_url).text
    assert "Post-mortem" in final and "Refunds sent, calm again" in final and "<polyline" in final


def test_the_director_edits_a_client_s_playbook_on_its_page(api, world):
    page = f"/clients/{world.a_id}/crisis/playbooks/trolls"
    shown = api("director", "get", page)
    first = DEFAULTS[CrisisType.TROLLS]["steps"][0]
    assert shown.status_code == 200 and "The built-in playbook" in shown.text
    assert f'{first["owner_role"].replace("_", " ")}: {first["title"]}' in shown.text  # the form holds it as text
    assert f'href="/clients/{world.a_id}/crisis/playbooks/trolls"' in api("director", "get",
                                                                          f"/clients/{world.a_id}/crisis").text
    form = {"name": "Alpha trolls", "summary": "Do not feed them.",
            "steps": "community manager: Screenshot <script>alert(1)</script> everything\n\n"
                     "Director: Decide whether to answer once",
            "statements": "Facts\nThe facts about {client} are here.\n---\nLater\nWe will say more on {date}."}
    wrong_role = api("director", "post", page, data={**form, "steps": "community manager: ok\nclient approver: no"})
    assert wrong_role.status_code == 422 and "Steps: line 2:" in wrong_role.text and "client approver: no" in wrong_role.text
    unknown = api("director", "post", page, data={**form, "steps": "nobody: no"})
    assert unknown.status_code == 422 and "line 1: &#39;nobody&#39; is not a role that owns steps" in unknown.text
    no_colon = api("director", "post", page, data={**form, "steps": "Screenshot everything"})
    assert no_colon.status_code == 422 and "line 1 needs the owner" in no_colon.text
    assert api("manager", "post", page, data=form).status_code == 403
    assert "<form method=\"post\" action=\"" + page not in api("manager", "get", page).text  # read only

    saved = api("director", "post", page, data=form, follow_redirects=False)
    assert saved.status_code == 303
    books = {p["type"]: p for p in api("director", "get", f"/api/clients/{world.a_id}/crisis/playbooks").json()}
    assert books["trolls"]["source"] == "client" and books["trolls"]["name"] == "Alpha trolls"
    assert [(s["owner_role"], s["title"]) for s in books["trolls"]["steps"]] == [
        ("community_manager", "Screenshot <script>alert(1)</script> everything"),
        ("director", "Decide whether to answer once")]
    assert [t["name"] for t in books["trolls"]["statements"]] == ["Facts", "Later"]
    again = api("manager", "get", page).text
    assert "This client&#39;s own playbook" in again or "This client's own playbook" in again
    assert "<script>alert(1)" not in again and "&lt;script&gt;alert(1)" in again
    room = open_crisis(api, world, type="trolls")
    assert [s["title"] for s in room["steps"]][1] == "Decide whether to answer once"

    assert api("director", "post", f"{page}/reset", follow_redirects=False).status_code == 303
    assert "The built-in playbook" in api("director", "get", page).text


def test_directors_edit_the_agency_s_playbooks_on_their_page(api, world):
    page = "/crisis/playbooks/defective_product"
    assert api("manager", "get", page).status_code == 403
    assert api("manager", "post", page, data={"name": "x", "steps": "director: y"}).status_code == 403
    shown = api("owner", "get", page)
    assert shown.status_code == 200 and "The built-in playbook" in shown.text and 'href="/crisis/playbooks/' in shown.text
    form = {"name": "Recall drill", "summary": "", "steps": "analyst: Count the affected orders\ndirector: Recall?",
            "statements": ""}
    assert api("owner", "post", page, data=form, follow_redirects=False).status_code == 303
    b_books = {p["type"]: p for p in api("outsider", "get", f"/api/clients/{world.b_id}/crisis/playbooks").json()}
    assert b_books["defective_product"]["source"] == "agency"
    assert [s["owner_role"] for s in b_books["defective_product"]["steps"]] == ["analyst", "director"]
    client_page = api("director", "get", f"/clients/{world.b_id}/crisis/playbooks/defective_product").text
    assert "Recall drill" in client_page and "this client has none of its own" in client_page
    assert api("owner", "post", f"{page}/reset", follow_redirects=False).status_code == 303
    assert "The built-in playbook" in api("owner", "get", page).text
