"""Handoffs of inbox conversations to sales (leads) and customer service (support cases): delivered
after the commit to a webhook on a real local HTTP server (the JSON is checked) or by e-mail to a
real aiosmtpd server (text escaped in the HTML part), retried with back-off from Huey's schedule,
failed with the reason; a clear 422 when the client has no destination; only managers and
community managers may hand off. The conversation page offers the same: a button per configured
destination, and each handoff's delivery state."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from markupsafe import escape
from sqlalchemy import select
from test_notify import Mailbox, free_port, receiver  # noqa: F401 (fixtures)
from test_pages import forms_of, sign_in

from socialdesk.config import get_settings
from socialdesk.inbox import handoff as handoff_service
from socialdesk.inbox.models import Conversation, Handoff, InboxEvent, InboxItem, InboxNote, InboxSettings
from socialdesk.notify import tasks as notify_tasks
from socialdesk.tasks import shared_huey

# aiosmtpd warns when a login needs no TLS: these servers listen on loopback only.
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
SMTP_PASSWORD = "smtp-pa55word-never-shown"


@pytest.fixture
def huey(task_settings):
    """The shared Huey, inline, with an empty schedule (retries wait in it until run_due)."""
    instance = shared_huey()
    instance.flush()
    yield instance
    instance.flush()


def run_due(huey, *, within: timedelta) -> list:
    """Run the scheduled tasks due within ``within`` from now (as the worker's scheduler would)."""
    until = datetime.now(UTC).replace(tzinfo=None) + within
    tasks = huey.read_schedule(until)
    for task in tasks:
        huey.execute(task, timestamp=until)
    return tasks


@pytest.fixture
def conversation(world, database) -> int:
    """A conversation on A: two items from the public (one with markup), a reply thread, a team note."""
    at = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
    with database.session() as s:
        row = Conversation(client_id=world.a_id, channel_id=world.channel_id, network="mastodon",
                           root_remote_id="handoff-root", status="open", tags=["question"], tag_mask=1,
                           first_item_at=at, last_activity_at=at + timedelta(minutes=5), item_count=2,
                           author_handle="buyer@shop.example")
        row.items.append(InboxItem(client_id=world.a_id, channel_id=world.channel_id, remote_id="h1", kind="mention",
                                   author_handle="buyer@shop.example", author_name="Bea <Buyer>",
                                   author_url="https://shop.example/@buyer", author_followers=321,
                                   text="Do you ship 40 crates to Lyon? <b>urgent</b> & cheap",
                                   url="https://shop.example/@buyer/1", created_at=at))
        row.items.append(InboxItem(client_id=world.a_id, channel_id=world.channel_id, remote_id="h2", kind="reply",
                                   author_handle="buyer@shop.example", author_name="Bea <Buyer>",
                                   text="<script>alert('x')</script> call me", url="https://shop.example/@buyer/2",
                                   created_at=at + timedelta(minutes=5)))
        s.add(row)
        s.flush()
        s.add(InboxNote(conversation_id=row.id, client_id=world.a_id, author_id=world["manager"].id,
                        text="Known wholesaler, 3 orders last year", mentions=[]))
        return row.id


def destinations(database, client_id: int, **fields) -> None:
    with database.session() as s:
        row = s.get(InboxSettings, client_id) or InboxSettings(client_id=client_id)
        for name, value in fields.items():
            setattr(row, name, value)
        s.add(row)


def hand_off(client, world, conversation: int, kind: str, person: str = "community_manager"):
    return client.post(f"/api/clients/{world.a_id}/inbox/{conversation}/handoff", json={"kind": kind},
                       headers=world[person].headers)


def handoffs(client, world, conversation: int) -> list[dict]:
    response = client.get(f"/api/clients/{world.a_id}/inbox/{conversation}/handoffs", headers=world["owner"].headers)
    assert response.status_code == 200, response.text
    return response.json()


def test_a_lead_is_posted_to_the_webhook_with_the_whole_conversation(client, world, database, conversation, huey,
                                                                     receiver):
    destinations(database, world.a_id, lead_webhook_url=receiver.url("/crm/s3cret-hook"),
                 lead_email="sales@alpha-orchard.example")
    response = hand_off(client, world, conversation, "lead")
    assert response.status_code == 202, response.text
    assert response.json()["status"] == "pending" and response.json()["destination"] == "webhook"

    [request] = receiver.requests
    assert request["path"] == "/crm/s3cret-hook" and request["headers"]["Content-Type"] == "application/json"
    sent = receiver.json()
    assert sent["handoff"]["kind"] == "lead" and sent["handoff"]["by"]["name"] == world["community_manager"].name
    assert sent["client"] == {"id": world.a_id, "name": world.a_name}
    assert sent["conversation"]["link"] == f"http://testserver/clients/{world.a_id}/inbox/{conversation}"
    assert [(i["author"]["handle"], i["author"]["name"], i["text"], i["link"]) for i in sent["items"]] == [
        ("buyer@shop.example", "Bea <Buyer>", "Do you ship 40 crates to Lyon? <b>urgent</b> & cheap",
         "https://shop.example/@buyer/1"),
        ("buyer@shop.example", "Bea <Buyer>", "<script>alert('x')</script> call me", "https://shop.example/@buyer/2"),
    ]
    assert sent["items"][0]["author"]["followers"] == 321
    assert sent["notes"] == [{"at": sent["notes"][0]["at"], "author": world["manager"].name,
                              "text": "Known wholesaler, 3 orders last year"}]

    [row] = handoffs(client, world, conversation)
    assert (row["status"], row["attempts"], row["error"]) == ("delivered", 1, "")
    assert row["delivered_at"] and row["address"] == "http://127.0.0.1/…"  # the hook's secret path is not shown
    with database.session() as s:
        conv = s.get(Conversation, conversation)
        assert conv.tags == ["lead", "question"] and conv.tag_mask == 1 | 8
        kinds = [e.kind for e in s.scalars(select(InboxEvent).where(InboxEvent.conversation_id == conversation))]
        assert kinds == ["tags", "handoff"]
    listed = client.get(f"/api/clients/{world.a_id}/inbox?tag=lead", headers=world["owner"].headers).json()
    assert [c["id"] for c in listed] == [conversation]


def test_a_webhook_answering_500_is_retried_later_and_delivered_once(client, world, database, conversation, huey,
                                                                     receiver):
    destinations(database, world.a_id, support_webhook_url=receiver.url("/desk"))
    receiver.answers = [500]
    assert hand_off(client, world, conversation, "support").status_code == 202
    [row] = handoffs(client, world, conversation)
    assert (row["status"], row["attempts"]) == ("pending", 1) and "HTTP 500" in row["error"]
    # Not a support case: no lead tag.
    with database.session() as s:
        assert s.get(Conversation, conversation).tags == ["question"]

    assert run_due(huey, within=timedelta(seconds=5)) == []  # the retry waits its back-off (30 s)
    assert len(run_due(huey, within=timedelta(seconds=40))) == 1
    [row] = handoffs(client, world, conversation)
    assert (row["status"], row["attempts"], row["error"]) == ("delivered", 2, "")
    assert run_due(huey, within=timedelta(days=1)) == []  # nothing left to try
    assert len(receiver.requests) == 2 and receiver.json(0) == receiver.json(1)
    keys = {r["headers"]["Idempotency-Key"] for r in receiver.requests}
    assert keys == {f"socialdesk-handoff-{row['id']}"}  # the receiver can tell it is the same handoff


def test_a_handoff_fails_with_the_reason_once_its_attempts_are_spent(client, world, database, conversation, huey,
                                                                     receiver, monkeypatch):
    monkeypatch.setenv("SOCIALDESK_HANDOFF_ATTEMPTS", "3")
    get_settings.cache_clear()
    destinations(database, world.a_id, lead_webhook_url=receiver.url("/down"))
    receiver.answers = [503, 502, 500, 200]
    hand_off(client, world, conversation, "lead")
    waits = []
    for _ in range(3):
        scheduled = huey.scheduled()
        if not scheduled:
            break
        waits.append(round((scheduled[0].eta - datetime.now(UTC).replace(tzinfo=None)).total_seconds()))
        run_due(huey, within=timedelta(minutes=5))
    assert [w // 10 for w in waits] == [3, 6]  # 30 s, then 60 s
    [row] = handoffs(client, world, conversation)
    assert (row["status"], row["attempts"]) == ("failed", 3) and "HTTP 500" in row["error"]
    assert len(receiver.requests) == 3


def test_a_handoff_whose_queued_retry_was_lost_is_queued_again_and_delivered(client, world, database, conversation,
                                                                            huey, receiver):
    destinations(database, world.a_id, support_webhook_url=receiver.url("/desk"))
    receiver.answers = [500]
    hand_off(client, world, conversation, "support")
    [row] = handoffs(client, world, conversation)
    assert (row["status"], row["attempts"]) == ("pending", 1) and len(huey.scheduled()) == 1
    huey.flush()  # the queue lost the retry (a worker died holding it, Redis was emptied...)
    with database.session() as s:
        due = s.get(Handoff, row["id"]).next_attempt_at
        assert timedelta(seconds=25) < due - datetime.now(UTC) <= timedelta(seconds=30)
        assert handoff_service.requeue_stalled(session=s, now=due + timedelta(minutes=14)) == []  # not yet stalled
    assert notify_tasks.requeue_stalled_handoffs.call_local() == 0  # the sweep itself: nothing overdue now
    with database.session() as s:  # a quarter of an hour past its due time
        s.get(Handoff, row["id"]).next_attempt_at = datetime.now(UTC) - timedelta(minutes=16)
    assert notify_tasks.requeue_stalled_handoffs.call_local() == 1  # queued again; inline here, so delivered
    [row] = handoffs(client, world, conversation)
    assert (row["status"], row["attempts"]) == ("delivered", 2) and len(receiver.requests) == 2
    assert notify_tasks.requeue_stalled_handoffs.call_local() == 0
    with database.session() as s:
        assert s.get(Handoff, row["id"]).next_attempt_at is None


def test_a_refusal_that_cannot_change_fails_at_once(client, world, database, conversation, huey, receiver):
    destinations(database, world.a_id, lead_webhook_url=receiver.url("/gone"))
    receiver.answers = [404]
    hand_off(client, world, conversation, "lead")
    [row] = handoffs(client, world, conversation)
    assert (row["status"], row["attempts"]) == ("failed", 1) and "HTTP 404" in row["error"]
    assert huey.scheduled() == []


@pytest.fixture
def smtp(app, settings, monkeypatch, task_settings):
    """An aiosmtpd server that wants a login (without TLS, on loopback); the app and tasks point at it."""
    mailbox, port = Mailbox(), free_port()
    logins = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        logins.append((auth_data.login.decode(), auth_data.password.decode()))
        return AuthResult(success=auth_data.password.decode() == SMTP_PASSWORD, handled=False)

    controller = Controller(mailbox, hostname="127.0.0.1", port=port, authenticator=authenticator,
                            auth_required=True, auth_require_tls=False)
    controller.start()
    smtp_env = {"SOCIALDESK_SMTP_HOST": "127.0.0.1", "SOCIALDESK_SMTP_PORT": str(port),
                "SOCIALDESK_SMTP_USERNAME": "desk", "SOCIALDESK_SMTP_PASSWORD": SMTP_PASSWORD,
                "SOCIALDESK_SMTP_FROM": "desk@agency.example.com", "SOCIALDESK_SMTP_STARTTLS": "false"}
    for key, value in smtp_env.items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    app.state.settings = settings.model_copy(update={"smtp_host": "127.0.0.1"})
    try:
        yield mailbox, logins
    finally:
        controller.stop()


def test_a_support_case_is_emailed_with_the_conversation_escaped(client, world, database, conversation, huey, smtp,
                                                                 caplog):
    caplog.set_level(logging.DEBUG)
    mailbox, logins = smtp
    destinations(database, world.a_id, support_email="care@alpha-orchard.example")
    response = hand_off(client, world, conversation, "support", person="manager")
    assert response.status_code == 202 and response.json()["destination"] == "email"
    assert response.json()["address"] == "care@alpha-orchard.example"

    [(rcpt, message)] = mailbox.messages
    assert rcpt == ["care@alpha-orchard.example"] and logins == [("desk", SMTP_PASSWORD)]
    assert message["From"] == "desk@agency.example.com"
    assert message["Subject"] == f"Support case from mastodon: buyer@shop.example · {world.a_name}"
    plain = message.get_body(("plain",)).get_content()
    assert "Do you ship 40 crates to Lyon? <b>urgent</b> & cheap" in plain
    assert "<script>alert('x')</script> call me" in plain and "Known wholesaler, 3 orders last year" in plain
    assert f"Handed off by: {world['manager'].name}" in plain
    page = message.get_body(("html",)).get_content()
    assert "<script>" not in page and "<b>urgent</b>" not in page and "Bea <Buyer>" not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; call me" in page
    assert "Do you ship 40 crates to Lyon? &lt;b&gt;urgent&lt;/b&gt; &amp; cheap" in page
    assert "<strong>Bea &lt;Buyer&gt;</strong>" in page
    assert '<a href="https://shop.example/@buyer/1">link</a>' in page
    [row] = handoffs(client, world, conversation)
    assert row["status"] == "delivered"
    assert SMTP_PASSWORD not in caplog.text


def test_a_wrong_smtp_password_is_recorded_and_retried(client, world, database, conversation, huey, smtp,
                                                       monkeypatch):
    monkeypatch.setenv("SOCIALDESK_SMTP_PASSWORD", "wrong")
    get_settings.cache_clear()
    destinations(database, world.a_id, support_email="care@alpha-orchard.example")
    hand_off(client, world, conversation, "support")
    [row] = handoffs(client, world, conversation)
    assert row["status"] == "pending" and "535" in row["error"] and "wrong" not in row["error"]
    assert smtp[0].messages == [] and len(huey.scheduled()) == 1


def test_no_destination_is_a_422_naming_the_setting_to_fill_in(client, world, database, conversation, huey):
    response = hand_off(client, world, conversation, "lead")
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "kind"
    assert "lead_webhook_url or lead_email in the client's inbox settings" in response.json()["detail"]
    destinations(database, world.a_id, support_email="care@alpha-orchard.example")  # no SMTP server configured
    response = hand_off(client, world, conversation, "support")
    assert response.status_code == 422 and "SOCIALDESK_SMTP_HOST" in response.json()["detail"]
    bad = client.post(f"/api/clients/{world.a_id}/inbox/{conversation}/handoff", json={"kind": "sales"},
                      headers=world["manager"].headers)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "kind"
    with database.session() as s:
        assert s.scalars(select(Handoff)).all() == []
        assert s.get(Conversation, conversation).tags == ["question"]


@pytest.mark.parametrize(("person", "status"), [
    ("content_creator", 403), ("client_approver", 403), ("analyst", 403), ("outsider", 404),
    ("manager_read_only", 403), ("manager", 202), ("director", 202),
])
def test_only_managers_and_community_managers_hand_off(client, world, database, conversation, huey, receiver,
                                                       person, status):
    destinations(database, world.a_id, lead_webhook_url=receiver.url("/crm"))
    assert hand_off(client, world, conversation, "lead", person=person).status_code == status
    assert len(receiver.requests) == (1 if status == 202 else 0)


# --- the conversation page: the "Send to" buttons and the delivery state ------------------------------


def test_the_conversation_page_hands_off_and_shows_each_delivery(app, client, world, database, conversation, huey,
                                                                 receiver):
    page_url = f"/clients/{world.a_id}/inbox/{conversation}"
    browser = sign_in(app, world["community_manager"].email)
    page = browser.get(page_url).text
    assert "Send to sales (lead)" not in page and "Send to support (case)" not in page
    assert f'<a href="/clients/{world.a_id}/inbox/settings">inbox settings</a>' in page  # where a manager sets them

    destinations(database, world.a_id, lead_webhook_url=receiver.url("/crm/s3cret-hook"))
    page = browser.get(page_url).text
    assert "Send to sales (lead)" in page and "Send to support (case)" not in page  # only what is configured
    [form] = [f for f in forms_of(page) if "/handoff" in f]
    assert f'action="{page_url}/handoff"' in form and f'name="csrf_token" value="{browser.token}"' in form

    sent = browser.post(f"{page_url}/handoff", {"kind": "lead"})
    assert sent.status_code == 200 and sent.history[0].status_code == 303 and sent.url.query == b"saved=1"
    assert len(receiver.requests) == 1 and receiver.json()["conversation"]["id"] == conversation
    assert "Saved." in sent.text and "Lead to sales" in sent.text and "by webhook (http://127.0.0.1/…)" in sent.text
    assert '<mark class="reply-status status-delivered">delivered</mark>' in sent.text and "1 attempt" in sent.text
    assert "s3cret-hook" not in sent.text  # the hook's path is a secret
    [row] = handoffs(client, world, conversation)
    assert (row["status"], row["created_by_id"]) == ("delivered", world["community_manager"].id)

    # A receiver refusing it for good: failed at once, the reason and the attempts shown.
    destinations(database, world.a_id, support_webhook_url=receiver.url("/gone"))
    receiver.answers = [404]
    page = browser.post(f"{page_url}/handoff", {"kind": "support"}).text
    assert "Support case to customer service" in page and "status-failed\">failed</mark>" in page
    assert "the webhook answered HTTP 404: broken" in page and page.count("1 attempt") == 2


def test_the_page_refuses_a_bad_kind_or_a_missing_destination_naming_the_field(app, world, database, conversation,
                                                                                huey, receiver):
    page_url = f"/clients/{world.a_id}/inbox/{conversation}"
    destinations(database, world.a_id, lead_webhook_url=receiver.url("/crm"))
    browser = sign_in(app, world["manager"].email)
    for data, expected in (({"kind": "sales"}, "kind: Input should be &#39;lead&#39; or &#39;support&#39;"),
                           ({}, "kind: "),
                           ({"kind": "support"}, "kind: nowhere to send supports for this client: fill in "
                                                 "support_webhook_url or support_email in the client&#39;s inbox "
                                                 "settings")):
        answer = browser.post(f"{page_url}/handoff", data)
        assert answer.status_code == 422 and expected in answer.text, (data, answer.text[-3000:])
        assert 'class="field-error" id="kind-error"' in answer.text and "Send to sales (lead)" in answer.text
    assert receiver.requests == []
    with database.session() as s:
        assert s.scalars(select(Handoff)).all() == []


@pytest.mark.parametrize(("person", "status"), [
    ("content_creator", 403), ("analyst", 403), ("client_approver", 403), ("outsider", 404),
])
def test_only_those_who_may_hand_off_get_the_buttons_or_may_post(app, world, database, conversation, huey, receiver,
                                                                  person, status):
    page_url = f"/clients/{world.a_id}/inbox/{conversation}"
    destinations(database, world.a_id, lead_webhook_url=receiver.url("/crm"), support_email="care@alpha.example")
    browser = sign_in(app, world[person].email)
    page = browser.get(page_url)
    if page.status_code == 200:  # they read the conversation, but get no buttons
        assert "Send to sales (lead)" not in page.text and "/handoff" not in page.text
    assert browser.post(f"{page_url}/handoff", {"kind": "lead"}).status_code == status
    assert receiver.requests == []


def test_untrusted_text_on_the_handoff_part_of_the_page_is_escaped(app, world, database, conversation, huey, receiver):
    payload = "<script>alert('hook')</script><img src=x onerror=alert(2)>"
    destinations(database, world.a_id, lead_webhook_url=receiver.url("/crm"),
                 support_email="care@alpha.example")
    browser = sign_in(app, world["manager"].email)
    page_url = f"/clients/{world.a_id}/inbox/{conversation}"
    receiver.answers = [502]
    assert browser.post(f"{page_url}/handoff", {"kind": "lead"}).status_code == 200
    with database.session() as s:  # as a webhook answering with an HTML page would have it recorded
        s.scalars(select(Handoff)).one().error = f"the webhook answered HTTP 502: {payload}"
    page = browser.get(page_url).text
    assert "Will try again; last try: the webhook answered HTTP 502: " + str(escape(payload)) in page
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "Bea &lt;Buyer&gt;" in page and "<Buyer>" not in page  # the conversation's own text too
