"""Response-time promises: business-hours deadlines (weekends, several slots a day, DST), escalation
levels (each once, in order, to the right people), urgency at ingest, the response-time report
against hand-computed medians and 90th percentiles, the settings' validation and who may see or
change them, through the API and the pages."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from socialdesk.channels.models import Channel
from socialdesk.inbox import reports, sla
from socialdesk.inbox import service as inbox
from socialdesk.inbox.models import Conversation, InboxEvent, InboxSettings
from socialdesk.inbox.schemas import ConversationPatch, InboxSettingsIn
from socialdesk.publishing.models import Notification
from socialdesk.web.app import create_app
from test_inbox import T0, channel, entry  # noqa: F401  (channel is a fixture)
from test_pages import sign_in
from test_tasks import task_settings  # noqa: F401  (a fixture)

PARIS = ZoneInfo("Europe/Paris")
WEEKDAYS_9_TO_5 = [{"weekday": d, "start": "09:00", "end": "17:00"} for d in range(5)]
ANGRY = "This is terrible, the worst service ever. I am furious and disgusted."


def week(zone: str, slots: dict[int, list[tuple[str, str]]]) -> sla.OfficeWeek:
    days = tuple(tuple((time.fromisoformat(a), time.fromisoformat(b)) for a, b in slots.get(d, [])) for d in range(7))
    return sla.OfficeWeek(ZoneInfo(zone), days)


def business(**fields) -> InboxSettings:
    return InboxSettings(clock="business", target_minutes=fields.pop("target", 480),
                         limit_minutes=fields.pop("limit", 1440), near_breach_minutes=60, **fields)


def paris(*args) -> datetime:
    return datetime(*args, tzinfo=PARIS)


# --- the business clock ------------------------------------------------------------------------


def test_a_friday_evening_item_is_due_on_monday_and_breaches_on_wednesday():
    hours = week("Europe/Paris", {d: [("09:00", "17:00")] for d in range(5)})
    rules = business()
    friday_evening = paris(2026, 11, 20, 18, 30)
    assert sla.deadline(rules, friday_evening, 480, hours=hours) == paris(2026, 11, 23, 17, 0)
    assert sla.deadline(rules, friday_evening, 1440, hours=hours) == paris(2026, 11, 25, 17, 0)
    # Inside hours the clock runs at once: Friday 16:00 + 8 h = 1 h on Friday, 7 h on Monday.
    assert sla.deadline(rules, paris(2026, 11, 20, 16, 0), 480, hours=hours) == paris(2026, 11, 23, 16, 0)
    assert sla.business_seconds(rules, hours, friday_evening, paris(2026, 11, 23, 10, 15)) == 75 * 60
    calendar = InboxSettings(clock="calendar")
    assert sla.deadline(calendar, friday_evening, 480, hours=hours) == friday_evening + timedelta(hours=8)
    assert sla.business_seconds(calendar, hours, friday_evening, paris(2026, 11, 23, 10, 15)) == (63 * 60 + 45) * 60


def test_several_slots_a_day_skip_the_lunch_break():
    hours = week("Europe/Paris", {0: [("13:00", "17:00"), ("09:00", "12:00")]})
    rules = business()
    monday_11 = paris(2026, 11, 23, 11, 0)
    assert sla.deadline(rules, monday_11, 120, hours=hours) == paris(2026, 11, 23, 14, 0)
    assert sla.deadline(rules, monday_11, 300, hours=hours) == paris(2026, 11, 23, 17, 0)
    assert sla.deadline(rules, monday_11, 301, hours=hours) == paris(2026, 11, 30, 9, 1)  # next Monday
    assert sla.business_seconds(rules, hours, paris(2026, 11, 23, 8, 0), paris(2026, 11, 23, 20, 0)) == 7 * 3600


def test_the_dst_week_counts_real_hours():
    hours = week("Europe/Paris", {d: [("09:00", "17:00")] for d in range(5)})
    rules = business()
    # Clocks go forward on Sunday 29 March 2026: Friday 16:00 is 15:00 UTC, Monday 16:00 is 14:00 UTC.
    friday = paris(2026, 3, 27, 16, 0)
    due = sla.deadline(rules, friday, 480, hours=hours)
    assert due == paris(2026, 3, 30, 16, 0) and due.astimezone(UTC) == datetime(2026, 3, 30, 14, 0, tzinfo=UTC)
    assert sla.business_seconds(rules, hours, friday, due) == 8 * 3600
    # A night slot across the change lasts what really passed: 01:00-04:00 is 2 h in spring, 4 h in autumn.
    nights = week("Europe/Paris", {6: [("01:00", "04:00")]})
    spring = sla.business_seconds(rules, nights, paris(2026, 3, 28, 12, 0), paris(2026, 3, 30, 12, 0))
    autumn = sla.business_seconds(rules, nights, paris(2026, 10, 24, 12, 0), paris(2026, 10, 26, 12, 0))
    assert (spring, autumn) == (2 * 3600, 4 * 3600)
    saturday = paris(2026, 3, 28, 23, 0)  # 3 h: 2 h on the short Sunday night, 1 h the next Sunday
    assert sla.deadline(rules, saturday, 180, hours=nights) == paris(2026, 4, 5, 2, 0)
    # New York: 9-17 on the Monday after its autumn change (1 November 2026) is 14:00-22:00 UTC.
    ny = week("America/New_York", {0: [("09:00", "17:00")]})
    start = datetime(2026, 10, 31, 12, 0, tzinfo=UTC)
    assert sla.deadline(rules, start, 60, hours=ny) == datetime(2026, 11, 2, 15, 0, tzinfo=UTC)


def test_a_business_clock_without_office_hours_counts_like_the_calendar():
    hours = week("Europe/Paris", {})
    rules = business()
    start = paris(2026, 11, 20, 18, 30)
    assert sla.clock_in_effect(rules, hours) == "calendar"
    assert "no office hours" in sla.clock_note(rules, hours)
    assert sla.deadline(rules, start, 480, hours=hours) == start + timedelta(hours=8)
    assert sla.business_seconds(rules, hours, start, start + timedelta(hours=3)) == 3 * 3600


def test_ingest_places_deadlines_in_the_clients_clock_and_the_api_shows_time_left(session, channel, owner_client):
    cid = channel.client_id
    assert owner_client.put(f"/api/clients/{cid}/office-hours", json={
        "timezone": "Europe/Paris", "slots": WEEKDAYS_9_TO_5}).status_code == 200
    shown = owner_client.get(f"/api/clients/{cid}/inbox/settings").json()
    assert shown["clock"] == "calendar" and shown["target_minutes"] == 480 and shown["limit_minutes"] == 1440
    saved = owner_client.put(f"/api/clients/{cid}/inbox/settings", json={"clock": "business"})
    assert saved.status_code == 200 and saved.json()["clock_in_effect"] == "business"
    friday_evening = paris(2026, 11, 20, 18, 30)
    late = dataclasses.replace(entry(1), created_at=friday_evening)
    session.expire_all()
    inbox.ingest(session=session, channel=session.get(Channel, channel.id), entries=[late])
    session.commit()
    row = session.scalar(select(Conversation).where(Conversation.channel_id == channel.id))
    assert row.due_at == paris(2026, 11, 23, 17, 0) and row.breach_at == paris(2026, 11, 25, 17, 0)
    listed = owner_client.get(f"/api/clients/{cid}/inbox").json()[0]
    expected = (row.due_at - datetime.now(UTC)).total_seconds()
    assert abs(listed["due_in_seconds"] - expected) < 60 and listed["breach_in_seconds"] > listed["due_in_seconds"]
    assert sla.time_left(row, paris(2026, 11, 25, 18, 0)) == (-(49 * 3600), -3600)
    # The first answer on Monday 10:15 took 1 h 15 of office time, whatever the weekend lasted.
    sla.record_response(session, row, at=paris(2026, 11, 23, 10, 15), user_id=None)
    assert row.first_response_seconds == 75 * 60 and row.breached is False and sla.time_left(row) is None
    session.commit()
    # No office hours any more: the settings say the business clock falls back to the calendar.
    owner_client.put(f"/api/clients/{cid}/office-hours", json={"timezone": "Europe/Paris", "slots": []})
    shown = owner_client.get(f"/api/clients/{cid}/inbox/settings").json()
    assert shown["clock"] == "business" and shown["clock_in_effect"] == "calendar"
    assert "no office hours" in shown["clock_note"]


# --- escalation ----------------------------------------------------------------------------------


def _world_ingest(session, world, *entries):
    session.expire_all()
    inbox.ingest(session=session, channel=session.get(Channel, world.channel_id), entries=list(entries))
    session.commit()
    return {c.root_remote_id: c for c in session.scalars(select(Conversation).where(
        Conversation.channel_id == world.channel_id, Conversation.root_remote_id.in_([e.remote_id for e in entries])))}


def _told(session, since_id=0):
    return [(n.kind, n.user_id, n.urgent) for n in session.scalars(
        select(Notification).where(Notification.id > since_id).order_by(Notification.id))]


def _last_notification(session) -> int:
    return session.scalar(select(Notification.id).order_by(Notification.id.desc()).limit(1)) or 0


def test_escalation_fires_each_level_once_in_order_to_the_right_people(session, world):
    sla.update_settings(session=session, client_id=world.a_id, allow_private_urls=True,
                        data=InboxSettingsIn(target_minutes=60, limit_minutes=180, near_breach_minutes=30))
    session.commit()
    conv = _world_ingest(session, world, entry(1, text="When do you open?"))["r1"]
    mark = _last_notification(session)
    cm, manager = world["community_manager"].id, world["manager"].id
    directors = sorted([world["owner"].id, world["director"].id])
    assert sla.escalate_due(session, now=T0 + timedelta(minutes=60)) == []  # the target is 10:01 (entry 1)
    fired = sla.escalate_due(session, now=T0 + timedelta(minutes=62))
    assert [(e.level, e.notified) for e in fired] == [(1, (cm,))]  # unassigned: the community managers
    assert sla.escalate_due(session, now=T0 + timedelta(minutes=63)) == []  # once
    fired = sla.escalate_due(session, now=T0 + timedelta(minutes=152))  # 30 min before the limit (12:01)
    assert [(e.level, e.notified) for e in fired] == [(2, (manager,))]
    assert sla.escalate_due(session, now=T0 + timedelta(minutes=160)) == []
    fired = sla.escalate_due(session, now=T0 + timedelta(minutes=182))
    assert [(e.level, sorted(e.notified)) for e in fired] == [(3, directors)]
    assert sla.escalate_due(session, now=T0 + timedelta(minutes=300)) == []
    session.commit()
    session.refresh(conv)
    assert conv.escalation_level == 3 and conv.breached and conv.urgent
    assert _told(session, mark) == [("inbox_due", cm, False), ("inbox_near_breach", manager, False)] + [
        ("inbox_breach", d, True) for d in directors]
    events = [(e.kind, e.detail.split(":")[0]) for e in session.scalars(
        select(InboxEvent).where(InboxEvent.conversation_id == conv.id).order_by(InboxEvent.id))]
    assert events == [("escalated", "level 1 (target passed)"), ("escalated", "level 2 (near breach)"),
                      ("breached", "level 3 (breached)")]
    # An answer ends the waiting period; the next message starts a new one with every level unfired.
    sla.record_response(session, conv, at=T0 + timedelta(minutes=200), user_id=cm)
    assert conv.first_response_seconds == 199 * 60 and conv.escalation_level == 0 and conv.breached
    session.commit()
    _world_ingest(session, world, entry(300, root=1, kind="reply"))
    session.refresh(conv)
    assert conv.awaiting_since == T0 + timedelta(minutes=300) and conv.escalation_level == 0
    fired = sla.escalate_due(session, now=T0 + timedelta(minutes=361))
    assert [(e.conversation_id, e.level) for e in fired] == [(conv.id, 1)]


def test_a_late_run_fires_the_missing_levels_in_order_and_the_assignee_is_told(session, world):
    convs = _world_ingest(session, world, entry(1), entry(2, author="sam"))
    inbox.update(session=session, conversation=convs["r2"],
                 data=ConversationPatch(assignee_id=world["content_creator"].id))
    session.commit()
    mark = _last_notification(session)
    fired = sla.escalate_due(session, now=T0 + timedelta(hours=24, minutes=30))  # both breached meanwhile
    by_conv = [(e.conversation_id, e.level) for e in fired]
    assert by_conv == [(convs["r1"].id, 1), (convs["r1"].id, 2), (convs["r1"].id, 3),
                       (convs["r2"].id, 1), (convs["r2"].id, 2), (convs["r2"].id, 3)]
    told = _told(session, mark)
    assert ("inbox_due", world["content_creator"].id, False) in told  # the assignee, for the assigned one
    assert world["client_approver"].id not in {uid for _, uid, _ in told}
    # Found a day and more after its breach (history from a first sync): recorded, nobody woken.
    _world_ingest(session, world, dataclasses.replace(entry(3, author="old"), created_at=T0 - timedelta(days=5)))
    mark = _last_notification(session)
    fired = sla.escalate_due(session, now=T0)
    assert [e.level for e in fired] == [1, 2, 3] and all(e.silent and not e.notified for e in fired)
    assert _told(session, mark) == []


def test_the_worker_escalates_every_minute(task_settings, session, world):
    from huey.api import PeriodicTask

    from socialdesk.inbox import tasks as inbox_tasks
    from socialdesk.tasks import load_tasks

    load_tasks()
    periodic = inbox_tasks.escalate.task_class()
    assert isinstance(periodic, PeriodicTask) and periodic.validate_datetime(datetime(2030, 1, 1, 3, 17))
    recent = dataclasses.replace(entry(1), created_at=datetime.now(UTC) - timedelta(hours=9))
    conv = _world_ingest(session, world, recent)["r1"]  # 9 h old: past the 8 h target
    assert inbox_tasks.escalate.call_local() == 1
    assert inbox_tasks.escalate.call_local() == 0
    session.commit()  # end the snapshot this session read in
    session.refresh(conv)
    assert conv.escalation_level == 1


def test_done_conversations_are_not_escalated(session, world):
    conv = _world_ingest(session, world, entry(1))["r1"]
    inbox.update(session=session, conversation=conv, data=ConversationPatch(status="done"))
    assert sla.escalate_due(session, now=T0 + timedelta(days=2)) == []


# --- urgency -------------------------------------------------------------------------------------


def _by(n: int, followers: int, text: str, author: str = "star", root: int | None = None):
    base = entry(n, text=text, author=author, root=root, kind="reply" if root else "mention")
    recent = datetime.now(UTC) - timedelta(minutes=30 - n)  # an old complaint would be flagged without a call
    return dataclasses.replace(base, author=dataclasses.replace(base.author, followers=followers), created_at=recent)


def test_a_complaint_from_a_large_audience_is_urgent_once(session, world):
    mark = _last_notification(session)
    convs = _world_ingest(session, world, _by(1, 50_000, ANGRY), _by(2, 50_000, "Lovely apples, thank you!",
                                                                      author="fan"),
                          _by(3, 500, ANGRY, author="small"))
    assert (convs["r1"].urgent, convs["r2"].urgent, convs["r3"].urgent) == (True, False, False)
    assert _told(session, mark) == [("inbox_urgent", world["community_manager"].id, True)]
    _world_ingest(session, world, _by(4, 50_000, ANGRY, root=1))  # again in the same conversation: once
    assert _told(session, mark) == [("inbox_urgent", world["community_manager"].id, True)]
    # A conversation tagged complaint counts even when the words are calm; the assignee is told too.
    inbox.update(session=session, conversation=convs["r2"],
                 data=ConversationPatch(tags=["complaint"], assignee_id=world["manager"].id))
    session.commit()
    mark = _last_notification(session)
    _world_ingest(session, world, _by(5, 50_000, "Still waiting for the refund.", author="fan", root=2))
    session.refresh(convs["r2"])
    assert convs["r2"].urgent
    assert sorted(_told(session, mark)) == sorted([("inbox_urgent", world["community_manager"].id, True),
                                                   ("inbox_urgent", world["manager"].id, True)])
    assert session.scalar(select(InboxEvent.kind).where(InboxEvent.conversation_id == convs["r1"].id)) == "urgent"


# --- the report ----------------------------------------------------------------------------------


def test_percentiles_interpolate_between_ranks():
    assert reports.percentile([], 0.5) is None
    assert reports.percentile([42], 0.5) == 42 and reports.percentile([42], 0.9) == 42
    assert reports.percentile([60, 120, 180, 240], 0.5) == 150
    assert reports.percentile([60, 120, 300, 600, 3600], 0.9) == pytest.approx(2400)  # 600 + 0.6 * 3000


def test_the_report_per_client_and_member_matches_hand_computed_figures(session, world):
    conv = _world_ingest(session, world, *[entry(n * 10, author=f"p{n}") for n in range(1, 8)])
    cm, manager = world["community_manager"].id, world["manager"].id
    answers = {1: (60, cm), 2: (120, manager), 3: (300, cm), 4: (600, manager), 5: (86_700, cm)}
    for n, (seconds, who) in answers.items():
        row = conv[f"r{n * 10}"]
        sla.record_response(session, row, at=row.awaiting_since + timedelta(seconds=seconds), user_id=who)
    session.commit()
    # r60 stays unanswered past its limit (24 h); r70 is unanswered but still within it.
    now = T0 + timedelta(hours=24, minutes=65)
    report = reports.response_report(session=session, client_ids=[world.a_id, world.b_id], start=T0,
                                      end=T0 + timedelta(days=1), now=now)
    a, b = report.clients[0], report.clients[1]
    assert (a.client_name, b.client_name) == (world.a_name, world.b_name)
    assert (a.conversations, a.answered, a.breaches, a.open_past_limit) == (7, 5, 2, 1)  # r50 late, r60 waiting
    assert a.median_seconds == 300 and a.p90_seconds == pytest.approx(600 + 0.6 * (86_700 - 600))
    assert (b.conversations, b.median_seconds, b.volume_by_hour) == (0, None, [0] * 24)
    # Items at 09:10 ... 10:10 UTC are 10:10 ... 11:10 in Paris (winter time): 5 at 10 h, 2 at 11 h.
    assert a.volume_by_hour[10] == 5 and a.volume_by_hour[11] == 2 and sum(a.volume_by_hour) == 7
    members = {m.user_id: m for m in report.members}
    assert (members[cm].answered, members[cm].median_seconds, members[cm].breaches) == (3, 300, 1)
    assert members[cm].p90_seconds == pytest.approx(300 + 0.8 * (86_700 - 300))
    assert (members[manager].answered, members[manager].median_seconds) == (2, 360)
    assert members[manager].p90_seconds == pytest.approx(120 + 0.9 * 480)
    assert report.total.conversations == 7 and report.total.median_seconds == 300 and not report.empty
    # A period with nothing in it says so, and has no figures to divide.
    quiet = reports.response_report(session=session, client_ids=[world.a_id], start=T0 - timedelta(days=9),
                                    end=T0 - timedelta(days=8), now=now)
    assert quiet.empty and "No conversations" in quiet.message and quiet.total.median_seconds is None
    assert quiet.clients[0].answered == 0 and quiet.members == []


def test_members_carry_their_open_breaches_and_their_answers_by_hour(app, client, session, world, monkeypatch):
    def at(n: int, hour: int, minute: int):  # 20 November 2026, UTC (Paris is one hour ahead in winter)
        written = datetime(2026, 11, 20, hour, minute, tzinfo=UTC)
        return dataclasses.replace(entry(n, author=f"p{n}"), created_at=written)

    conv = _world_ingest(session, world, at(1, 7, 30), at(2, 9, 45), at(3, 9, 50), at(4, 13, 5), at(5, 22, 40),
                         at(6, 23, 30), at(7, 23, 50), at(8, 10, 0), at(9, 12, 0))
    cm, manager, creator = world["community_manager"].id, world["manager"].id, world["content_creator"].id
    answers = {1: (600, cm), 2: (1200, cm), 6: (60, cm), 3: (90_000, manager), 4: (300, manager)}  # r3 after 25 h
    for n, (seconds, who) in answers.items():
        row = conv[f"r{n}"]
        sla.record_response(session, row, at=row.awaiting_since + timedelta(seconds=seconds), user_id=who)
    for n, who in ((5, manager), (7, cm), (9, creator)):  # r8 stays unassigned
        inbox.update(session=session, conversation=conv[f"r{n}"], data=ConversationPatch(assignee_id=who))
    session.commit()
    # 21 Nov 23:00 UTC: r5 (limit 22:40), r8 (10:00) and r9 (12:00) wait past their limit, r7 (23:50) not yet.
    now = datetime(2026, 11, 21, 23, 0, tzinfo=UTC)
    monkeypatch.setattr(reports, "utcnow", lambda: now)  # the API and the page report as of then too
    report = reports.response_report(session=session, client_ids=[world.a_id], start=paris(2026, 11, 20, 0, 0),
                                     end=paris(2026, 11, 22, 0, 0))
    a = report.clients[0]
    assert (a.conversations, a.answered, a.breaches, a.open_past_limit) == (9, 5, 4, 3)  # r3 late; r5, r8, r9
    members = {m.user_id: m for m in report.members}
    assert set(members) == {cm, manager, creator}  # r7's assignee is within the limit, r8 nobody's
    hours = {uid: {h: n for h, n in enumerate(f.volume_by_hour) if n} for uid, f in members.items()}
    # cm answered r6 (00:30 Paris, 23:30 UTC), r1 (08:30) and r2 (10:45): 60, 600, 1200 s.
    m = members[cm]
    assert (m.answered, m.breaches, m.open_past_limit, m.median_seconds) == (3, 0, 0, 600)
    assert m.p90_seconds == pytest.approx(600 + 0.8 * 600) and hours[cm] == {0: 1, 8: 1, 10: 1}
    # The manager answered r3 (10:50 Paris) 25 h late and r4 (14:05) in 300 s, and still owes r5.
    m = members[manager]
    assert (m.answered, m.breaches, m.open_past_limit, m.median_seconds) == (2, 1, 1, 45_150)
    assert m.p90_seconds == pytest.approx(300 + 0.9 * 89_700) and hours[manager] == {10: 1, 14: 1}
    m = members[creator]
    assert (m.answered, m.breaches, m.open_past_limit, m.median_seconds, m.p90_seconds) == (0, 0, 1, None, None)
    assert hours[creator] == {}
    assert [m.user_id for m in report.members] == [cm, manager, creator]
    shown = client.get(f"/api/clients/{world.a_id}/inbox/report", headers=world["analyst"].headers,
                       params={"start": "2026-11-20T00:00:00", "end": "2026-11-22T00:00:00"})
    assert shown.status_code == 200, shown.text
    api = {m["user_id"]: m for m in shown.json()["members"]}
    assert {uid: (m["breaches"], m["open_past_limit"], m["volume_by_hour"]) for uid, m in api.items()} == {
        uid: (f.breaches, f.open_past_limit, f.volume_by_hour) for uid, f in members.items()}
    analyst = sign_in(app, world["analyst"].email)
    page = analyst.get(f"/clients/{world.a_id}/inbox/report", params={"start": "2026-11-20", "end": "2026-11-21"})
    assert page.status_code == 200, page.text
    table = page.text.split('id="report-members"')[1].split("</table>")[0]
    assert table.split('<th scope="row">Manager</th>')[1].split("</tr>")[0].endswith("<td>1</td><td>1</td>")
    assert table.split('<th scope="row">Content Creator</th>')[1].split("</tr>")[0].endswith("<td>0</td><td>1</td>")
    answered = page.text.split(f'id="volume-member-{cm}"')[1].split("</section>")[0]
    assert "3 first responses" in answered
    assert all(f"{h:02d}:00–{h:02d}:59: 1" in answered for h in (0, 8, 10)) and "09:00–09:59: 0" in answered
    assert "No first response" in page.text.split(f'id="volume-member-{creator}"')[1].split("</section>")[0]


def test_volume_by_hour_follows_a_quarter_hour_time_zone(session, channel, owner_client):
    cid = channel.client_id
    owner_client.put(f"/api/clients/{cid}/office-hours", json={"timezone": "Asia/Kathmandu", "slots": []})
    session.expire_all()
    # 09:10 UTC is 14:55 in Kathmandu (+05:45) and 09:20 UTC is 15:05.
    inbox.ingest(session=session, channel=session.get(Channel, channel.id), entries=[entry(10), entry(20)])
    session.commit()
    shown = owner_client.get(f"/api/clients/{cid}/inbox/report",
                             params={"start": "2026-11-20T00:00:00Z", "end": "2026-11-21T00:00:00Z"}).json()
    hours = shown["clients"][0]["volume_by_hour"]
    assert hours[14] == 1 and hours[15] == 1 and sum(hours) == 2
    assert shown["percentile_method"].startswith("linear") and shown["total"]["conversations"] == 2
    empty = owner_client.get(f"/api/clients/{cid}/inbox/report", params={"start": "2020-01-01", "end": "2020-01-02"})
    assert empty.status_code == 200 and empty.json()["empty"] and empty.json()["total"]["median_seconds"] is None
    reversed_ = owner_client.get(f"/api/clients/{cid}/inbox/report", params={"start": "2026-11-02", "end": "2026-11-01"})
    assert reversed_.status_code == 422 and reversed_.json()["errors"][0]["field"] == "end"
    far = owner_client.get(f"/api/clients/{cid}/inbox/report", params={"start": "0001-01-01T00:00:00"})
    assert far.status_code == 422 and far.json()["errors"][0]["field"] == "start"


# --- settings: validation and who may see or change them ---------------------------------------


def _errors(response) -> dict[str, str]:
    assert response.status_code == 422, response.text
    return {e["field"]: e["message"] for e in response.json()["errors"]}


def test_settings_validation_names_the_field_and_the_fix(owner_client, channel):
    url = f"/api/clients/{channel.client_id}/inbox/settings"
    errors = _errors(owner_client.put(url, json={"target_minutes": 600, "limit_minutes": 300}))
    assert "must not be longer than the limit" in errors["limit_minutes"]
    assert "lower target_minutes" in errors["limit_minutes"]
    assert "target_minutes" in _errors(owner_client.put(url, json={"target_minutes": 2000}))  # limit stays 1440
    assert "clock" in _errors(owner_client.put(url, json={"clock": "lunar"}))
    assert "target_minutes" in _errors(owner_client.put(url, json={"target_minutes": 1}))
    assert "urgent_followers" in _errors(owner_client.put(url, json={"urgent_followers": 0}))
    assert "near_breach_minutes" in _errors(owner_client.put(url, json={"near_breach_minutes": 1440}))
    assert "e-mail" in _errors(owner_client.put(url, json={"lead_email": "sales at example"}))["lead_email"]
    assert "https://" in _errors(owner_client.put(url, json={"support_webhook_url": "ftp://h.example/x"}))[
        "support_webhook_url"]
    saved = owner_client.put(url, json={"target_minutes": 120, "limit_minutes": 240, "lead_email": " Sales@Example.com ",
                                        "lead_webhook_url": "http://127.0.0.1:9/hook"})  # private allowed in tests
    assert saved.status_code == 200, saved.text
    body = saved.json()
    assert (body["target_minutes"], body["limit_minutes"], body["near_breach_minutes"]) == (120, 240, 60)
    assert body["lead_email"] == "sales@example.com" and body["lead_webhook_url"] == "http://127.0.0.1:9/hook"


def test_private_webhook_urls_are_refused_unless_allowed(settings, database, world):
    strict = create_app(settings.model_copy(update={"allow_private_urls": False}), database)
    with TestClient(strict) as api:
        url = f"/api/clients/{world.a_id}/inbox/settings"
        for hook in ("http://127.0.0.1:8080/leads", "https://[::1]/x", "http://localhost/x"):
            refused = api.put(url, json={"lead_webhook_url": hook}, headers=world["manager"].headers)
            errors = _errors(refused)
            assert "private or loopback" in errors["lead_webhook_url"] and "ALLOW_PRIVATE_URLS" in errors[
                "lead_webhook_url"]
        ok = api.put(url, json={"support_webhook_url": "https://93.184.215.14/hook"}, headers=world["manager"].headers)
        assert ok.status_code == 200, ok.text


def test_who_may_see_and_change_the_settings_and_the_report(client, world):
    url = f"/api/clients/{world.a_id}/inbox/settings"
    saved = client.put(url, json={"lead_webhook_url": "https://hooks.example.com/T0/secret-token"},
                       headers=world["manager"].headers)
    assert saved.status_code == 200 and saved.json()["lead_webhook_url"].endswith("secret-token")
    for who in ("content_creator", "community_manager", "analyst", "manager_read_only"):
        assert client.put(url, json={"target_minutes": 30}, headers=world[who].headers).status_code == 403, who
        shown = client.get(url, headers=world[who].headers)
        assert shown.status_code == 200 and shown.json()["lead_webhook_url"] == "https://hooks.example.com/…", who
    assert client.put(url, json={"target_minutes": 30}, headers=world["director"].headers).status_code == 200
    assert client.get(url, headers=world["client_approver"].headers).status_code == 403
    assert client.get(url, headers=world["outsider"].headers).status_code == 404
    report = f"/api/clients/{world.a_id}/inbox/report"
    assert client.get(report, headers=world["analyst"].headers).status_code == 200
    assert client.get(report, headers=world["client_approver"].headers).status_code == 403
    assert client.get(report, headers=world["outsider"].headers).status_code == 404
    across = client.get("/api/inbox/report", headers=world["client_approver"].headers)
    assert across.status_code == 200 and across.json()["clients"] == []
    names = [c["client_name"] for c in client.get("/api/inbox/report", headers=world["outsider"].headers).json()[
        "clients"]]
    assert names == [world.b_name]
    owner = [c["client_name"] for c in client.get("/api/inbox/report", headers=world["owner"].headers).json()["clients"]]
    assert owner == [world.a_name, world.b_name]


# --- the pages -----------------------------------------------------------------------------------


def test_the_settings_page_saves_for_managers_shows_errors_and_reads_for_others(app, world):
    manager = sign_in(app, world["manager"].email)
    page = manager.get(f"/clients/{world.a_id}/inbox/settings")
    assert page.status_code == 200 and 'name="target_minutes"' in page.text and "Every hour counts" in page.text
    form = {"target_minutes": "600", "limit_minutes": "300", "near_breach_minutes": "60", "clock": "business",
            "urgent_followers": "5000", "auto_reply_message": "", "lead_webhook_url": "", "lead_email": "",
            "support_webhook_url": "", "support_email": "nope"}
    refused = manager.post(f"/clients/{world.a_id}/inbox/settings", form)
    assert refused.status_code == 422
    assert "support email: must be an e-mail address" in refused.text and 'value="600"' in refused.text
    refused = manager.post(f"/clients/{world.a_id}/inbox/settings", {**form, "support_email": ""})
    assert refused.status_code == 422
    assert "limit minutes: the target (600 min) must not be longer than the limit" in refused.text
    saved = manager.post(f"/clients/{world.a_id}/inbox/settings", {**form, "limit_minutes": "900",
                                                                    "support_email": "care@alpha.example"})
    assert saved.status_code == 200 and saved.url.path.endswith("/inbox/settings") and "Saved." in saved.text
    # Client A has no office hours: the page says the business clock counts like the calendar.
    assert "no office hours" in saved.text and 'href="/clients/%d/office-hours"' % world.a_id in saved.text
    creator = sign_in(app, world["content_creator"].email)
    read = creator.get(f"/clients/{world.a_id}/inbox/settings")
    assert read.status_code == 200 and 'name="target_minutes"' not in read.text and "15 h" in read.text
    assert "care@alpha.example" in read.text and "A manager changes these settings" in read.text
    assert creator.post(f"/clients/{world.a_id}/inbox/settings", form).status_code == 403
    approver = sign_in(app, world["client_approver"].email)
    assert approver.get(f"/clients/{world.a_id}/inbox/settings").status_code == 403
    assert approver.get(f"/clients/{world.a_id}/inbox/report").status_code == 403
    assert approver.get("/inbox/report").status_code == 403


def test_the_report_pages_show_the_figures_and_say_when_there_is_nothing(app, session, world):
    conv = _world_ingest(session, world, entry(1), entry(2, author="sam"), entry(3, author="kim"))
    for n, seconds in ((1, 600), (2, 1800)):
        row = conv[f"r{n}"]
        sla.record_response(session, row, at=row.awaiting_since + timedelta(seconds=seconds),
                            user_id=world["community_manager"].id)
    session.commit()
    analyst = sign_in(app, world["analyst"].email)
    page = analyst.get(f"/clients/{world.a_id}/inbox/report", params={"start": "2026-11-20", "end": "2026-11-20"})
    assert page.status_code == 200, page.text
    total = page.text.split('id="report-total"')[1].split("</table>")[0]
    assert "<td>3</td><td>2</td><td>20 min</td><td>28 min</td>" in total  # median 1200 s, p90 600 + 0.9 * 1200
    members = page.text.split('id="report-members"')[1].split("</table>")[0]
    assert "Community Manager" in members and "<td>2</td><td>20 min</td>" in members
    assert "<svg" in page.text and "10:00–10:59: 3" in page.text  # 09:01 UTC is 10:01 in Paris
    quiet = analyst.get(f"/clients/{world.a_id}/inbox/report", params={"start": "2020-01-01", "end": "2020-01-31"})
    assert quiet.status_code == 200 and "No conversations began" in quiet.text and "Nothing came in" in quiet.text
    bad = analyst.get(f"/clients/{world.a_id}/inbox/report", params={"start": "2026-11-20", "end": "2026-11-01"})
    assert bad.status_code == 422 and "end: must be on or after the first day" in bad.text
    assert analyst.get(f"/clients/{world.a_id}/inbox/report", params={"end": "9999-12-31"}).status_code == 422
    director = sign_in(app, world["director"].email)
    across = director.get("/inbox/report", params={"start": "2026-11-20", "end": "2026-11-20"})
    assert across.status_code == 200 and world.a_name in across.text and world.b_name in across.text
    assert "All clients" in across.text


def test_two_first_syncs_of_a_client_at_once_share_one_settings_row(database, session, channel):
    # The first sync of two of a client's channels, in two workers: both find no settings row and make
    # one. The second waits for the first to commit and must then read its row, not fail on the key.
    import threading

    client_id = channel.client_id
    session.commit()
    outcome: dict = {}

    def second() -> None:
        try:
            with database.session(write=True) as s2:
                outcome["minutes"] = sla.settings_for(s2, client_id).target_minutes
        except Exception as exc:  # noqa: BLE001  (what the test reports)
            outcome["error"] = exc

    with database.session(write=True) as s1:
        assert session.get(InboxSettings, client_id) is None
        sla.settings_for(s1, client_id)
        worker = threading.Thread(target=second)
        worker.start()
        worker.join(0.5)  # it waits on this unit of work (the row's key, or SQLite's write lock)
    worker.join(20)
    assert not worker.is_alive() and "error" not in outcome, outcome
    assert outcome["minutes"] == 480
    session.commit()  # a fresh snapshot (SQLite's read transaction began before the two)
    assert session.scalar(select(func.count()).select_from(InboxSettings).where(
        InboxSettings.client_id == client_id)) == 1
