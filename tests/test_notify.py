"""Pushes to phone and chat through Apprise: a real local HTTP server receives json:// posts and an
aiosmtpd server receives mailto:// e-mails. Pushes follow the commit (never a rollback), rules hold
normal items in quiet hours and mutes while urgent ones get through, a failing endpoint is recorded
with its reason, and the Apprise URL (a secret) is never shown, returned or logged."""

from __future__ import annotations

import email
import json
import logging
import socket
import threading
from datetime import UTC, datetime, time, timedelta
from email import policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from socialdesk.notify import service as notify_service
from socialdesk.notify.models import PushDelivery, PushPreference, PushTarget
from socialdesk.vault.models import StoredSecret

SECRET = "tok3n-s3cret-path"


# --- real peers: an HTTP endpoint and an SMTP server on free loopback ports -----------------------


class Receiver:
    """A local HTTP server recording each POST; answers the codes queued in ``answers``, then 200."""

    def __init__(self):
        self.requests: list[dict] = []
        self.answers: list[int] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                receiver.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                code = receiver.answers.pop(0) if receiver.answers else 200
                self.send_response(code)
                self.send_header("content-type", "text/plain")
                self.end_headers()
                self.wfile.write(b"ok" if code < 400 else b"broken")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def json(self, index: int = -1) -> dict:
        return json.loads(self.requests[index]["body"])


@pytest.fixture
def receiver():
    with Receiver() as server:
        yield server


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Mailbox:
    """Messages an aiosmtpd server received (parsed), with their envelope recipients."""

    def __init__(self):
        self.messages: list[tuple[list[str], email.message.EmailMessage]] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((list(envelope.rcpt_tos),
                              email.message_from_bytes(envelope.content, policy=policy.default)))
        return "250 OK"


@pytest.fixture
def smtp_server():
    """An aiosmtpd server on a free port; yields (port, mailbox)."""
    mailbox, port = Mailbox(), free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, mailbox
    finally:
        controller.stop()


# --- helpers ------------------------------------------------------------------------------------


def me(api) -> int:
    return api.get("/api/auth/me").json()["id"]


def add_target(api, url: str, label: str = "My phone") -> dict:
    response = api.post("/api/push/targets", json={"label": label, "url": url})
    assert response.status_code == 201, response.text
    return response.json()


def notify(database, user_id: int, *, client_id=None, message="A post failed", urgent=False, kind="publish_failed"):
    with database.session() as s:
        return notify_service.send(s, [user_id], client_id=client_id, kind=kind, message=message,
                                   link="/clients/1/posts/2", urgent=urgent)[0].id


def deliveries(database, notification_id: int | None = None) -> list[PushDelivery]:
    with database.session() as s:
        query = select(PushDelivery).order_by(PushDelivery.id)
        if notification_id is not None:
            query = query.where(PushDelivery.notification_id == notification_id)
        return list(s.scalars(query))


def new_client(api, name: str) -> int:
    response = api.post("/api/clients", json={"name": name})
    assert response.status_code == 201, response.text
    return response.json()["id"]


def quiet_now(zone: str) -> dict:
    """Quiet hours from an hour ago to an hour ahead in ``zone`` (crossing midnight when it is near)."""
    local = datetime.now(UTC).astimezone(ZoneInfo(zone))
    return {"quiet_start": (local - timedelta(hours=1)).strftime("%H:%M"),
            "quiet_end": (local + timedelta(hours=1)).strftime("%H:%M"), "timezone": zone}


# --- tests --------------------------------------------------------------------------------------


def test_a_notification_is_pushed_to_a_json_endpoint_after_commit(owner_client, task_settings, database, receiver,
                                                                  caplog):
    caplog.set_level(logging.DEBUG)
    target = add_target(owner_client, receiver.url(f"/{SECRET}").replace("http://", "json://"))
    assert target["scheme"] == "json" and target["masked"] == "json://••••"
    nid = notify(database, me(owner_client), message="“Spring launch” could not be published on mastodon")

    assert len(receiver.requests) == 1 and receiver.requests[0]["path"] == f"/{SECRET}"
    body = receiver.json()
    assert body["title"] == "Publish failed"
    assert body["message"] == ("“Spring launch” could not be published on mastodon\n"
                               "http://testserver/clients/1/posts/2")
    [row] = deliveries(database, nid)
    assert (row.status, row.target_id, row.error) == ("sent", target["id"], "")
    # The URL is a secret: encrypted at rest, never answered, never logged.
    listed = owner_client.get("/api/push/targets")
    assert SECRET not in listed.text and listed.json()[0]["masked"] == "json://••••"
    with database.session() as s:
        stored = s.scalar(select(StoredSecret).where(StoredSecret.name == f"notify:{target['id']}"))
        assert stored.client_id is None and SECRET not in stored.ciphertext
    assert SECRET not in caplog.text and str(receiver.port) not in caplog.text


def test_a_rolled_back_notification_is_never_pushed(owner_client, task_settings, database, receiver):
    add_target(owner_client, receiver.url().replace("http://", "json://"))
    uid = me(owner_client)
    with pytest.raises(RuntimeError), database.session() as s:
        notify_service.send(s, [uid], client_id=None, kind="publish_failed", message="never happened")
        raise RuntimeError("the unit of work fails after notifying")
    notify(database, uid, message="this one happened")
    assert [json.loads(r["body"])["message"].split("\n")[0] for r in receiver.requests] == ["this one happened"]
    assert [d.status for d in deliveries(database)] == ["sent"]


def test_nobody_without_targets_gets_a_push_task(owner_client, task_settings, database, receiver):
    nid = notify(database, me(owner_client))
    assert receiver.requests == [] and deliveries(database, nid) == []


def test_quiet_hours_hold_a_normal_item_and_let_an_urgent_one_through(owner_client, task_settings, database,
                                                                      receiver):
    add_target(owner_client, receiver.url().replace("http://", "json://"))
    rule = owner_client.put("/api/push/rules/default", json=quiet_now("Pacific/Auckland"))
    assert rule.status_code == 200, rule.text
    uid = me(owner_client)
    held = notify(database, uid, message="routine")
    assert receiver.requests == [] and [d.status for d in deliveries(database, held)] == ["held_quiet"]

    urgent = notify(database, uid, message="A complaint from @big (250,000 followers)", urgent=True,
                    kind="inbox_urgent")
    assert len(receiver.requests) == 1
    assert receiver.json()["title"] == "URGENT · Inbox urgent"
    assert receiver.json()["message"].startswith("A complaint from @big")
    [row] = deliveries(database, urgent)
    assert row.status == "sent" and row.urgent


def test_a_client_mute_holds_that_client_only(owner_client, task_settings, database, receiver):
    add_target(owner_client, receiver.url().replace("http://", "json://"))
    a, b = new_client(owner_client, "Alder Cafe"), new_client(owner_client, "Birch Books")
    assert owner_client.put(f"/api/clients/{a}/push-rule", json={"muted": True}).status_code == 200
    uid = me(owner_client)
    muted = notify(database, uid, client_id=a, message="about Alder")
    loud = notify(database, uid, client_id=b, message="about Birch")
    assert [d.status for d in deliveries(database, muted)] == ["held_muted"]
    assert [d.status for d in deliveries(database, loud)] == ["sent"]
    assert len(receiver.requests) == 1 and receiver.json()["title"] == "Publish failed · Birch Books"
    urgent = notify(database, uid, client_id=a, message="Alder breach", urgent=True)
    assert [d.status for d in deliveries(database, urgent)] == ["sent"] and len(receiver.requests) == 2
    # The client rule replaces the default whole: quiet hours by default do not hold Birch's rule-less items...
    assert owner_client.put("/api/push/rules/default", json={"urgent_only": True}).status_code == 200
    held = notify(database, uid, client_id=b, message="about Birch again")
    assert [d.status for d in deliveries(database, held)] == ["held_muted"]
    # ... and dropping Alder's rule brings the default back for Alder.
    assert owner_client.delete(f"/api/clients/{a}/push-rule").status_code == 204
    rules = owner_client.get("/api/push/rules").json()
    assert [(r["client_id"], r["urgent_only"]) for r in rules] == [(None, True)]


def test_a_failing_endpoint_is_recorded_with_the_reason_not_the_url(owner_client, task_settings, database,
                                                                    receiver, caplog):
    caplog.set_level(logging.DEBUG)
    good = add_target(owner_client, receiver.url("/good").replace("http://", "json://"), label="Works")
    bad = add_target(owner_client, receiver.url(f"/{SECRET}").replace("http://", "json://"), label="Broken")
    closed = add_target(owner_client, f"json://127.0.0.1:{free_port()}/{SECRET}", label="Nobody home")
    receiver.answers = [200, 500]  # targets are tried in order: good, bad
    nid = notify(database, me(owner_client))
    rows = {d.target_id: d for d in deliveries(database, nid)}
    assert rows[good["id"]].status == "sent"
    assert rows[bad["id"]].status == "failed" and "error=500" in rows[bad["id"]].error
    assert rows[closed["id"]].status == "failed" and "connection error" in rows[closed["id"]].error.lower()
    for row in rows.values():
        assert SECRET not in row.error
    assert SECRET not in caplog.text
    shown = owner_client.get("/api/push/deliveries").json()
    assert {d["status"] for d in shown} == {"sent", "failed"} and SECRET not in json.dumps(shown)


def test_an_email_target_gets_the_message_as_plain_text(owner_client, task_settings, database,
                                                                   smtp_server):
    port, mailbox = smtp_server
    add_target(owner_client, f"mailto://127.0.0.1:{port}?from=desk@agency.example.com&to=olivia@agency.example.com"
                             "&mode=insecure", label="Work mail")
    nid = notify(database, me(owner_client), message="Mention from <script>alert(1)</script> & co", urgent=True)
    assert [d.status for d in deliveries(database, nid)] == ["sent"]
    [(rcpt, message)] = mailbox.messages
    assert rcpt == ["olivia@agency.example.com"] and message["subject"] == "URGENT · Publish failed"
    # Sent as plain text only: the public's markup cannot become HTML in a mail reader.
    assert [part.get_content_type() for part in message.walk() if not part.is_multipart()] == ["text/plain"]
    assert "Mention from <script>alert(1)</script> & co" in message.get_body(("plain",)).get_content()


def test_the_test_button_pushes_now_whatever_the_rules(owner_client, task_settings, receiver):
    target = add_target(owner_client, receiver.url().replace("http://", "json://"))
    owner_client.put("/api/push/rules/default", json={"muted": True})
    response = owner_client.post(f"/api/push/targets/{target['id']}/test")
    assert response.status_code == 200 and response.json()["status"] == "sent"
    assert "It works" in receiver.json()["message"]
    paused = owner_client.patch(f"/api/push/targets/{target['id']}", json={"enabled": False}).json()
    assert paused["enabled"] is False


def test_a_paused_or_removed_target_gets_nothing(owner_client, task_settings, database, receiver):
    target = add_target(owner_client, receiver.url().replace("http://", "json://"))
    owner_client.patch(f"/api/push/targets/{target['id']}", json={"enabled": False})
    notify(database, me(owner_client))
    assert receiver.requests == []
    assert owner_client.delete(f"/api/push/targets/{target['id']}").status_code == 204
    with database.session() as s:
        assert s.get(PushTarget, target["id"]) is None
        assert s.scalar(select(StoredSecret).where(StoredSecret.name == f"notify:{target['id']}")) is None


def _lost_notification(database, user_id: int, *, age: timedelta, claimed_ago: timedelta | None = None) -> int:
    """A notification written ``age`` ago whose push task never ran (the worker died, the queue was emptied)."""
    from socialdesk.publishing.models import Notification

    now = datetime.now(UTC)
    with database.session() as s:
        for target in s.scalars(select(PushTarget).where(PushTarget.user_id == user_id)):
            target.created_at = now - age - timedelta(minutes=1)  # the phone was set up before
        row = Notification(user_id=user_id, kind="crisis_alert", message="Mentions at 6x normal", urgent=True,
                           created_at=now - age, push_claimed_at=None if claimed_ago is None else now - claimed_ago)
        s.add(row)
        s.flush()
        return row.id


def test_a_push_whose_task_was_lost_is_sent_by_the_next_sweep_once(owner_client, task_settings, database,
                                                                   receiver):
    from socialdesk.notify import tasks as notify_tasks

    add_target(owner_client, receiver.url().replace("http://", "json://"))
    uid = me(owner_client)
    fresh = _lost_notification(database, uid, age=timedelta(seconds=10))
    assert notify_tasks.requeue_lost_pushes.call_local() == 0  # its task may still be on its way
    lost = _lost_notification(database, uid, age=timedelta(minutes=2))
    assert notify_tasks.requeue_lost_pushes.call_local() == 1  # queued again; inline here, so pushed
    assert [json.loads(r["body"])["message"] for r in receiver.requests] == ["Mentions at 6x normal"]
    assert [d.status for d in deliveries(database, lost)] == ["sent"] and deliveries(database, fresh) == []
    assert notify_tasks.requeue_lost_pushes.call_local() == 0  # delivered: not again
    assert notify_tasks.push_notification.call_local(lost) == 0  # the lost task turning up late sends nothing
    assert len(receiver.requests) == 1


def test_a_push_held_by_a_live_worker_is_left_to_it_and_taken_over_after_the_lease(owner_client, task_settings,
                                                                                   database, receiver):
    from socialdesk.notify import tasks as notify_tasks

    add_target(owner_client, receiver.url().replace("http://", "json://"))
    uid = me(owner_client)
    held = _lost_notification(database, uid, age=timedelta(minutes=5), claimed_ago=timedelta(minutes=4))
    assert notify_tasks.requeue_lost_pushes.call_local() == 0
    assert notify_tasks.push_notification.call_local(held) == 0 and receiver.requests == []  # claimed: not twice
    with database.session() as s:
        assert notify_service.lost_pushes(session=s, now=datetime.now(UTC) + timedelta(minutes=7)) == [held]
    stopped = _lost_notification(database, uid, age=timedelta(minutes=15), claimed_ago=timedelta(minutes=11))
    assert notify_tasks.requeue_lost_pushes.call_local() == 1  # its worker stopped before recording anything
    assert [d.notification_id for d in deliveries(database)] == [stopped]


def test_a_target_added_later_and_old_notifications_are_not_swept(owner_client, task_settings, database, receiver):
    from socialdesk.notify import tasks as notify_tasks

    uid = me(owner_client)
    _lost_notification(database, uid, age=timedelta(minutes=3))  # written before the person had a target
    _lost_notification(database, uid, age=timedelta(hours=7))  # the bell has it; too late for the phone
    add_target(owner_client, receiver.url().replace("http://", "json://"))
    assert notify_tasks.requeue_lost_pushes.call_local() == 0 and receiver.requests == []


def test_targets_and_rules_are_each_persons_own(world, client):
    owner, manager = world["owner"], world["manager"]
    made = client.post("/api/push/targets", json={"label": "Owner phone", "url": "ntfy://owner-topic-x1"},
                       headers=owner.headers)
    assert made.status_code == 201, made.text
    tid = made.json()["id"]
    assert client.get("/api/push/targets", headers=manager.headers).json() == []
    assert client.delete(f"/api/push/targets/{tid}", headers=manager.headers).status_code == 404
    assert client.post(f"/api/push/targets/{tid}/test", headers=manager.headers).status_code == 404
    # A client rule only on a client you work on (the outsider works on B only).
    assert client.put(f"/api/clients/{world.a_id}/push-rule", json={"muted": True},
                      headers=world["outsider"].headers).status_code == 404
    assert client.put(f"/api/clients/{world.a_id}/push-rule", json={"muted": True},
                      headers=world["client_approver"].headers).status_code == 200
    assert client.put("/api/push/rules/default", json={"muted": True},
                      headers=world["manager_read_only"].headers).status_code == 403


def test_bad_urls_and_rules_are_refused_naming_the_field(owner_client, settings, app):
    wrong = owner_client.post("/api/push/targets", json={"label": "x", "url": "https://example.com/not-apprise"})
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["field"] == "url"
    assert "ntfy://topic" in wrong.json()["detail"]
    app.state.settings = settings.model_copy(update={"allow_private_urls": False})
    private = owner_client.post("/api/push/targets", json={"label": "x", "url": "json://127.0.0.1:8080/hook"})
    assert private.status_code == 422 and "SOCIALDESK_ALLOW_PRIVATE_URLS" in private.json()["detail"]
    half = owner_client.put("/api/push/rules/default", json={"quiet_start": "22:00"})
    assert half.status_code == 422 and half.json()["errors"][0]["field"] == "quiet_end"
    zone = owner_client.put("/api/push/rules/default", json={"timezone": "Mars/Olympus"})
    assert zone.status_code == 422 and zone.json()["errors"][0]["field"] == "timezone"


@pytest.mark.parametrize(("start", "end", "local", "quiet"), [
    ("22:00", "07:00", "23:30", True),   # spans midnight: late evening
    ("22:00", "07:00", "06:59", True),   # spans midnight: early morning
    ("22:00", "07:00", "07:00", False),  # the end is not quiet any more
    ("22:00", "07:00", "12:00", False),
    ("12:00", "14:00", "13:00", True),
    ("12:00", "14:00", "11:59", False),
])
def test_quiet_hours_are_read_in_the_persons_time_zone(start, end, local, quiet):
    zone = "America/New_York"
    rule = PushPreference(quiet_start=time.fromisoformat(start), quiet_end=time.fromisoformat(end), timezone=zone,
                          muted=False, urgent_only=False)
    at = datetime.combine(datetime(2026, 7, 1).date(), time.fromisoformat(local), ZoneInfo(zone)).astimezone(UTC)
    assert notify_service.in_quiet_hours(rule, at) is quiet
    assert notify_service.hold_reason(rule, urgent=False, at=at) == ("held_quiet" if quiet else None)
    assert notify_service.hold_reason(rule, urgent=True, at=at) is None


def csrf_form(api, page: str, action: str, data: dict):
    """Post a form from ``page`` with the page's CSRF token, as a browser would."""
    import re

    html = api.get(page).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    return api.post(action, data={"csrf_token": token, **data}, follow_redirects=False)


def test_the_settings_page_adds_tests_and_removes_a_target_without_showing_its_url(owner_client, task_settings,
                                                                                   receiver):
    page = "/notifications/settings"
    assert 'href="/notifications/settings"' in owner_client.get("/notifications").text
    url = receiver.url(f"/{SECRET}").replace("http://", "json://")
    refused = csrf_form(owner_client, page, f"{page}/targets", {"label": "Phone <b>", "url": "nonsense"})
    assert refused.status_code == 422 and "not an Apprise URL" in refused.text and "nonsense" not in refused.text
    added = csrf_form(owner_client, page, f"{page}/targets", {"label": "Phone <b>", "url": url})
    assert added.status_code == 303
    shown = owner_client.get(page).text
    assert "Phone &lt;b&gt;" in shown and "json://••••" in shown and SECRET not in shown
    [target] = owner_client.get("/api/push/targets").json()
    tested = csrf_form(owner_client, page, f"{page}/targets/{target['id']}/test", {})
    assert tested.status_code == 200 and "Test to “Phone &lt;b&gt;”: Sent" in tested.text
    assert len(receiver.requests) == 1

    rule = csrf_form(owner_client, page, f"{page}/rules", {"quiet_start": "22:00", "quiet_end": "07:00",
                                                           "timezone": "Europe/Paris"})
    assert rule.status_code == 303
    assert "quiet 22:00–07:00 (Europe/Paris)" in owner_client.get(page).text
    half = csrf_form(owner_client, page, f"{page}/rules", {"quiet_start": "22:00", "timezone": "UTC"})
    assert half.status_code == 422 and "give both the start and the end" in half.text
    cid = new_client(owner_client, "Cedar Studio")
    client_rule = csrf_form(owner_client, page, f"{page}/rules", {"client_id": str(cid), "muted": "1",
                                                                  "timezone": "UTC"})
    assert client_rule.status_code == 303 and "<strong>Cedar Studio</strong>: Muted" in owner_client.get(page).text

    removed = csrf_form(owner_client, page, f"{page}/targets/{target['id']}/remove", {})
    assert removed.status_code == 303 and owner_client.get("/api/push/targets").json() == []
