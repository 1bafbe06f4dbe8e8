"""Posts from composer to network: checks per network, scheduling and time zones, approvals, the
pause switch, queues, and exactly-once publishing against a real Mastodon peer (mastodon-mock)
with its fault injection."""

from __future__ import annotations

import threading
import time
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select, update

from socialdesk.db import Database
from socialdesk.networks.base import OutgoingPost
from socialdesk.networks.mastodon import MastodonAdapter
from socialdesk.publishing import service as posts_service
from socialdesk.publishing.dispatch import Dispatcher, claim_due
from socialdesk.publishing.models import PostTarget
from socialdesk.vault.service import Vault
from test_channels import TOKEN, _client, _connect, fault

NOW = lambda: datetime.now(UTC)  # noqa: E731


def _statuses(peer, text: str, token: str = TOKEN) -> list[dict]:
    """alice's statuses on the peer whose text contains ``text``."""
    me = httpx.get(f"{peer.base_url}/api/v1/accounts/verify_credentials",
                   headers={"Authorization": f"Bearer {token}"}).json()
    found = httpx.get(f"{peer.base_url}/api/v1/accounts/{me['id']}/statuses", params={"limit": 40},
                      headers={"Authorization": f"Bearer {token}"}).json()
    return [s for s in found if text in s["content"]]


@pytest.fixture
def channel(owner_client, mastodon_peer):
    cid = _client(owner_client)
    response = _connect(owner_client, cid, mastodon_peer.base_url)
    assert response.status_code == 201, response.text
    return cid, response.json()["id"]


@pytest.fixture
def dispatcher(settings):
    database = Database(settings.resolved_database_url)
    yield Dispatcher(database, Vault.from_settings(settings), media_root=settings.ensure_data_dir() / "media",
                     threads=4, poll=0.05)
    database.dispose()


def _post(api, cid, channel_id, text, **extra):
    response = api.post(f"/api/clients/{cid}/posts", json={"text": text, "channel_ids": [channel_id], **extra})
    assert response.status_code == 201, response.text
    return response.json()


def test_a_post_scheduled_now_is_published_once_with_its_link(owner_client, channel, dispatcher, mastodon_peer):
    cid, ch = channel
    tag = uuid.uuid4().hex[:10]
    post = _post(owner_client, cid, ch, f"Spring range is here {tag}", link="https://example.com/spring")
    assert post["status"] == "draft" and post["targets"][0]["state"] == "draft"
    scheduled = owner_client.post(f"/api/clients/{cid}/posts/{post['id']}/schedule", json={"now": True}).json()
    assert scheduled["status"] == "scheduled"
    assert dispatcher.run_once() == {"published": 1}
    assert dispatcher.run_once() == {}  # nothing twice
    done = owner_client.get(f"/api/clients/{cid}/posts/{post['id']}").json()
    target = done["targets"][0]
    assert done["status"] == "published" and target["state"] == "published"
    on_network = _statuses(mastodon_peer, tag)
    assert len(on_network) == 1 and on_network[0]["id"] == target["remote_id"]
    assert "example.com/spring" in on_network[0]["content"]  # the link went with the text
    assert target["remote_url"] == on_network[0]["url"]
    kinds = [e["kind"] for e in owner_client.get(f"/api/clients/{cid}/posts/{post['id']}/history").json()]
    assert kinds == ["created", "scheduled", "published"]


def test_text_over_the_limit_names_the_network_and_by_how_much(owner_client, channel, session):
    cid, ch = channel
    response = owner_client.post(f"/api/clients/{cid}/posts", json={"text": "a" * 512, "channel_ids": [ch]})
    assert response.status_code == 422
    error = response.json()["errors"][0]
    assert error["field"] == "text" and "Mastodon" in error["message"] and "12" in error["message"], error
    variant = owner_client.post(f"/api/clients/{cid}/posts",
                                json={"text": "short", "channel_ids": [ch], "variants": {"mastodon": "b" * 501}})
    assert variant.status_code == 422 and variant.json()["errors"][0]["field"] == "variants.mastodon"
    stray = owner_client.post(f"/api/clients/{cid}/posts",
                              json={"text": "short", "channel_ids": [ch], "variants": {"x": "for X"}})
    assert stray.status_code == 422 and stray.json()["errors"][0]["field"] == "variants.x"
    session.commit()
    assert session.execute(select(PostTarget)).all() == []  # nothing half written


def test_times_in_the_past_and_dst_gaps(owner_client, channel):
    cid, ch = channel
    assert owner_client.patch(f"/api/clients/{cid}", json={"timezone": "America/New_York"}).status_code == 200
    post = _post(owner_client, cid, ch, "Time test")
    past = owner_client.post(f"/api/clients/{cid}/posts/{post['id']}/schedule",
                             json={"scheduled_at": "2020-01-01T09:00:00"})
    assert past.status_code == 422
    assert past.json()["errors"][0]["field"] == "scheduled_at" and "in the past" in past.json()["errors"][0]["message"]
    year = NOW().year + 1
    spring = datetime(year, 3, 8)
    sunday = spring + timedelta(days=(6 - spring.weekday()) % 7)  # second Sunday of March, America
    gap = owner_client.post(f"/api/clients/{cid}/posts/{post['id']}/schedule",
                            json={"scheduled_at": f"{sunday:%Y-%m-%d}T02:30:00"}).json()
    assert gap["scheduled_at"].startswith(f"{sunday:%Y-%m-%d}T07:30")  # 03:30 EDT
    assert "does not exist" in gap["schedule_note"] and "03:30" in gap["schedule_note"]
    aware = owner_client.post(f"/api/clients/{cid}/posts/{post['id']}/schedule",
                              json={"scheduled_at": f"{year}-07-01T09:00:00+02:00"}).json()
    assert aware["scheduled_at"].startswith(f"{year}-07-01T07:00") and aware["schedule_note"] == ""
    bad_zone = owner_client.patch(f"/api/clients/{cid}", json={"timezone": "Mars/Olympus"})
    assert bad_zone.status_code == 422


def test_team_approval_edit_goes_back_to_review_and_history(owner_client, channel):
    cid, ch = channel
    owner_client.put(f"/api/clients/{cid}/publishing", json={"approval_policy": "team"}).raise_for_status()
    post = _post(owner_client, cid, ch, "Needs a second pair of eyes",
                 scheduled_at=(NOW() + timedelta(hours=2)).isoformat())
    assert post["status"] == "in_review" and post["targets"][0]["state"] == "draft"
    needs = owner_client.get(f"/api/clients/{cid}/posts/{post['id']}/approvals").json()
    assert needs["missing"] == ["team"]
    # The owner is a director: the director's approval covers the team's.
    approved = owner_client.post(f"/api/clients/{cid}/posts/{post['id']}/approve", json={"note": "fine"}).json()
    assert approved["status"] == "scheduled" and approved["targets"][0]["state"] == "scheduled"
    edited = owner_client.put(f"/api/clients/{cid}/posts/{post['id']}",
                              json={"text": "Needs a second pair of eyes!", "channel_ids": [ch]}).json()
    assert edited["status"] == "in_review" and edited["version"] == 2
    assert edited["targets"][0]["state"] == "draft"  # not published while unapproved
    changes = owner_client.post(f"/api/clients/{cid}/posts/{post['id']}/request-changes",
                                json={"note": "say which range"}).json()
    assert changes["status"] == "changes_requested"
    owner_client.post(f"/api/clients/{cid}/posts/{post['id']}/comments", json={"note": "on it"}).raise_for_status()
    kinds = [e["kind"] for e in owner_client.get(f"/api/clients/{cid}/posts/{post['id']}/history").json()]
    assert kinds == ["created", "scheduled", "approved", "edited", "back_to_review", "changes_requested", "comment"]


def test_roles_in_approval(client, world):
    """A manager may not approve their own post; a client approver approves as the client; a
    major campaign also needs the director."""
    a = world.a_id
    manager, approver, creator = world["manager"], world["client_approver"], world["content_creator"]
    api = lambda who: {"headers": who.headers}  # noqa: E731
    client.put(f"/api/clients/{a}/publishing", json={"approval_policy": "client"},
               **api(world["owner"])).raise_for_status()
    campaign = client.post(f"/api/clients/{a}/campaigns", json={"name": "Launch", "major": True},
                           **api(manager)).json()
    body = {"text": "Launch day", "channel_ids": [world.channel_id], "campaign_id": campaign["id"]}
    post = client.post(f"/api/clients/{a}/posts", json=body, **api(creator)).json()
    sent = client.post(f"/api/clients/{a}/posts/{post['id']}/submit", **api(creator)).json()
    assert sent["status"] == "in_review"
    needs = client.get(f"/api/clients/{a}/posts/{post['id']}/approvals", **api(approver)).json()
    assert needs["missing"] == ["client", "director"]
    assert client.post(f"/api/clients/{a}/posts/{post['id']}/approve", json={},
                       **api(creator)).status_code == 403  # a creator does not approve
    after_client = client.post(f"/api/clients/{a}/posts/{post['id']}/approve", json={}, **api(approver)).json()
    assert after_client["status"] == "in_review"
    assert client.get(f"/api/clients/{a}/posts/{post['id']}/approvals", **api(approver)).json()["missing"] == ["director"]
    done = client.post(f"/api/clients/{a}/posts/{post['id']}/approve", json={}, **api(world["director"])).json()
    assert done["status"] == "approved"
    own = client.post(f"/api/clients/{a}/posts", json={"text": "Mine", "channel_ids": [world.channel_id]},
                      **api(manager)).json()
    client.put(f"/api/clients/{a}/publishing", json={"approval_policy": "team"}, **api(manager)).raise_for_status()
    client.post(f"/api/clients/{a}/posts/{own['id']}/submit", **api(manager)).raise_for_status()
    refused = client.post(f"/api/clients/{a}/posts/{own['id']}/approve", json={}, **api(manager))
    assert refused.status_code == 403 and "another manager" in refused.json()["detail"]
    # Approvers were told.
    told = client.get("/api/notifications", **api(approver)).json()
    assert any(n["kind"] == "approval_requested" for n in told)


def test_pause_stops_publishing_and_resume_asks_or_publishes(owner_client, channel, dispatcher, mastodon_peer):
    cid, ch = channel
    tag = uuid.uuid4().hex[:10]
    post = _post(owner_client, cid, ch, f"Paused {tag}")
    owner_client.post(f"/api/clients/{cid}/publishing/pause", json={"reason": "crisis"}).raise_for_status()
    owner_client.post(f"/api/clients/{cid}/posts/{post['id']}/schedule", json={"now": True}).raise_for_status()
    assert dispatcher.run_once() == {}
    assert _statuses(mastodon_peer, tag) == []
    held = owner_client.post(f"/api/clients/{cid}/publishing/resume", json={"mode": "ask"}).json()
    assert [p["id"] for p in held] == [post["id"]] and held[0]["targets"][0]["state"] == "held"
    assert dispatcher.run_once() == {}  # held posts wait for a decision
    owner_client.post(f"/api/clients/{cid}/posts/{post['id']}/retry").raise_for_status()
    assert dispatcher.run_once() == {"published": 1}
    assert len(_statuses(mastodon_peer, tag)) == 1
    not_paused = owner_client.post(f"/api/clients/{cid}/publishing/resume", json={"mode": "publish_now"})
    assert not_paused.status_code == 409


def test_resume_shift_moves_missed_posts_by_the_pause(owner_client, channel, session):
    cid, ch = channel
    post = _post(owner_client, cid, ch, "Shift me")
    owner_client.post(f"/api/clients/{cid}/publishing/pause", json={}).raise_for_status()
    owner_client.post(f"/api/clients/{cid}/posts/{post['id']}/schedule", json={"now": True}).raise_for_status()
    session.execute(update(posts_service.PublishingSettings).values(paused_at=NOW() - timedelta(hours=1)))
    session.commit()
    moved = owner_client.post(f"/api/clients/{cid}/publishing/resume", json={"mode": "shift"}).json()
    due = datetime.fromisoformat(moved[0]["targets"][0]["due_at"])
    assert timedelta(minutes=59) < due - NOW() < timedelta(minutes=61)


def test_a_crash_after_sending_is_found_not_sent_again(owner_client, channel, dispatcher, mastodon_peer, settings):
    """A worker sent the post and died before writing it down: the next worker looks it up."""
    cid, ch = channel
    tag = uuid.uuid4().hex[:10]
    post = _post(owner_client, cid, ch, f"Crash test {tag}")
    owner_client.post(f"/api/clients/{cid}/posts/{post['id']}/schedule", json={"now": True}).raise_for_status()
    database = dispatcher.database
    with database.session() as s:
        [claim] = claim_due(s, limit=5)
        target = s.get(PostTarget, claim.target_id)
        marker = target.marker
    # The dead worker's send, with the row's marker (then it "dies": nothing recorded).
    MastodonAdapter().publish(base_url=mastodon_peer.base_url, credentials={"access_token": TOKEN},
                              post=OutgoingPost(text=f"Crash test {tag}", marker=marker, not_before=NOW()))
    with database.session() as s:  # its lease runs out
        s.execute(update(PostTarget).values(lease_until=NOW() - timedelta(seconds=1)))
    assert dispatcher.run_once() == {"published": 1}
    with database.session() as s:
        row = s.get(PostTarget, claim.target_id)
        assert row.attempts == 2 and not row.in_flight and row.state == "published"
    assert len(_statuses(mastodon_peer, tag)) == 1


def test_server_errors_and_rate_limits_retry_without_duplicates(owner_client, channel, dispatcher, mastodon_peer):
    cid, ch = channel
    tag = uuid.uuid4().hex[:10]
    post = _post(owner_client, cid, ch, f"Flaky {tag}")
    owner_client.post(f"/api/clients/{cid}/posts/{post['id']}/schedule", json={"now": True}).raise_for_status()
    with fault(mastodon_peer, match={"method": "POST", "path": "/api/v1/statuses"},
               effect={"type": "status", "status": 503}, count=1):
        assert dispatcher.run_once() == {"scheduled": 1}
    with dispatcher.database.session() as s:
        row = s.scalar(select(PostTarget).where(PostTarget.post_id == post["id"]))
        assert row.in_flight and "503" in row.last_error  # unknown outcome: look before the next send
        s.execute(update(PostTarget).values(due_at=NOW()))
    with fault(mastodon_peer, match={"method": "POST", "path": "/api/v1/statuses"},
               effect={"type": "ratelimit", "headers": {"Retry-After": "120"}}, count=1):
        assert dispatcher.run_once() == {"scheduled": 1}
    with dispatcher.database.session() as s:
        row = s.scalar(select(PostTarget).where(PostTarget.post_id == post["id"]))
        wait = (row.due_at - NOW()).total_seconds()
        assert 100 < wait <= 120 and "429" in row.last_error  # the instance's Retry-After, not a guess
        s.execute(update(PostTarget).values(due_at=NOW()))
    assert dispatcher.run_once() == {"published": 1}
    assert len(_statuses(mastodon_peer, tag)) == 1


def test_a_revoked_token_fails_the_post_marks_the_channel_and_tells_the_team(owner_client, channel, dispatcher,
                                                                             mastodon_peer):
    cid, ch = channel
    post = _post(owner_client, cid, ch, "Token gone")
    owner_client.post(f"/api/clients/{cid}/posts/{post['id']}/schedule", json={"now": True}).raise_for_status()
    with fault(mastodon_peer, match={"path": "/api/v1/statuses"}, effect={"type": "status", "status": 401}):
        assert dispatcher.run_once() == {"failed": 1}
    failed = owner_client.get(f"/api/clients/{cid}/posts/{post['id']}").json()
    assert failed["status"] == "failed" and "reconnect" in failed["targets"][0]["last_error"]
    assert owner_client.get(f"/api/clients/{cid}/channels/{ch}").json()["status"] == "error"
    told = owner_client.get("/api/notifications").json()
    assert told[0]["kind"] == "publish_failed" and "Token gone" in told[0]["message"]
    # One-click retry once the channel works again.
    retried = owner_client.post(f"/api/clients/{cid}/posts/{post['id']}/retry").json()
    assert retried["targets"][0]["state"] == "scheduled"
    assert dispatcher.run_once() == {"published": 1}


def test_two_workers_never_claim_the_same_target(owner_client, channel, dispatcher):
    cid, ch = channel
    for i in range(30):
        post = _post(owner_client, cid, ch, f"Race {i}")
        owner_client.post(f"/api/clients/{cid}/posts/{post['id']}/schedule", json={"now": True}).raise_for_status()
    claimed: list[int] = []
    lock = threading.Lock()

    def worker():
        while True:
            with dispatcher.database.session() as s:
                got = claim_due(s, limit=3)
            if not got:
                return
            with lock:
                claimed.extend(c.target_id for c in got)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(claimed) == 30 and len(set(claimed)) == 30


def test_queue_takes_the_next_free_slot(owner_client, channel):
    cid, ch = channel
    owner_client.patch(f"/api/clients/{cid}", json={"timezone": "Europe/Paris"}).raise_for_status()
    for weekday in range(7):
        owner_client.post(f"/api/clients/{cid}/queue-slots",
                          json={"channel_id": ch, "weekday": weekday, "time": "09:00"}).raise_for_status()
    dupe = owner_client.post(f"/api/clients/{cid}/queue-slots", json={"channel_id": ch, "weekday": 0, "time": "09:00"})
    assert dupe.status_code == 409
    bad = owner_client.post(f"/api/clients/{cid}/queue-slots", json={"channel_id": ch, "weekday": 0, "time": "25:00"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "time"
    first = owner_client.post(f"/api/clients/{cid}/posts/{_post(owner_client, cid, ch, 'Q1')['id']}/queue").json()
    second = owner_client.post(f"/api/clients/{cid}/posts/{_post(owner_client, cid, ch, 'Q2')['id']}/queue").json()
    a, b = (datetime.fromisoformat(p["scheduled_at"]) for p in (first, second))
    from zoneinfo import ZoneInfo

    assert a.astimezone(ZoneInfo("Europe/Paris")).hour == 9 and b - a == timedelta(days=1)
    assert a > NOW()


def test_channel_of_another_client_and_unknown_media_are_refused(owner_client, channel):
    cid, ch = channel
    other = _client(owner_client, "Other Co")
    response = owner_client.post(f"/api/clients/{other}/posts", json={"text": "x", "channel_ids": [ch]})
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "channel_ids.0"
    media = owner_client.post(f"/api/clients/{cid}/posts", json={"text": "x", "channel_ids": [ch], "media_ids": [999]})
    assert media.status_code == 422 and media.json()["errors"][0]["field"] == "media_ids"



def _state(database: Database, post_id: int) -> str:
    with database.session() as s:
        return s.scalar(select(PostTarget.state).where(PostTarget.post_id == post_id))


def test_a_slow_send_keeps_its_claim_while_its_worker_lives(owner_client, channel, settings, mastodon_peer):
    """The instance takes two and a half leases to answer: the sending worker renews its lease, so
    no other worker takes the post over (and sends it again) while the first still waits."""
    cid, ch = channel
    tag = uuid.uuid4().hex[:10]
    post = _post(owner_client, cid, ch, f"Slow network {tag}")
    owner_client.post(f"/api/clients/{cid}/posts/{post['id']}/schedule", json={"now": True}).raise_for_status()
    database = Database(settings.resolved_database_url)
    sender = Dispatcher(database, Vault.from_settings(settings), media_root=settings.ensure_data_dir() / "media",
                        threads=1, poll=0.05, lease=timedelta(seconds=2))
    stop = threading.Event()
    worker = threading.Thread(target=sender.run, args=(stop,))
    try:
        with fault(mastodon_peer, match={"method": "POST", "path": "/api/v1/statuses"},
                   effect={"type": "latency", "delay_ms": 5000}, count=1):
            worker.start()
            took: list = []
            deadline = time.monotonic() + 20
            while _state(database, post["id"]) == "scheduled" and time.monotonic() < deadline:
                time.sleep(0.02)  # the worker claims it first (else the other worker would send it: fair)
            while time.monotonic() < deadline:
                if _state(database, post["id"]) == "published":
                    break
                with database.session(write=True) as s:
                    took += claim_due(s, limit=5)  # another worker, looking every 0.2 s
                time.sleep(0.2)
    finally:
        stop.set()
        worker.join()
        database.dispose()
    with Database(settings.resolved_database_url).session() as s:
        row = s.scalar(select(PostTarget).where(PostTarget.post_id == post["id"]))
        seen = (row.state, row.attempts, row.last_error, row.lease_until)
    assert took == [], seen
    assert seen[0] == "published" and seen[1] == 1 and seen[3] is None, seen
    assert len(_statuses(mastodon_peer, tag)) == 1
