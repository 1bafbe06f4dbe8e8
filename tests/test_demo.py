"""`socialdesk demo`: a realistic agency on an empty database, refused on a used one.

The demo also fills the last eight weeks of activity (inbox, listening, a crisis, analytics, tracked links),
built through the domain services only. One database per backend is seeded with all of it for the module
(`seeded`) and only read by the tests that use it.
"""

from __future__ import annotations

import shutil
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from conftest import scratch_pg_database
from cryptography.fernet import Fernet
from fastapi.testclient import TestClient
from markupsafe import escape
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from test_cli import cli, failed, ok  # noqa: F401 (cli is a fixture)

from socialdesk.analytics import insights
from socialdesk.analytics import service as analytics_service
from socialdesk.analytics.models import PaidResult, PostMetricSnapshot
from socialdesk.analytics.tasks import due_channels
from socialdesk.auth import service as auth_service
from socialdesk.auth.models import User
from socialdesk.channels import service as channels_service
from socialdesk.channels.models import Channel
from socialdesk.channels.service import ADAPTERS
from socialdesk.clients import service as clients_service
from socialdesk.clients.models import Client, LogEntry
from socialdesk.config import Settings
from socialdesk.crisis import detection
from socialdesk.crisis import service as crisis_service
from socialdesk.crisis.models import Crisis, CrisisAlert, CrisisEvent
from socialdesk.db import Database
from socialdesk.demo import activity as demo_activity
from socialdesk.demo import service as demo_service
from socialdesk.demo.data import CLIENTS, DEFAULT_PASSWORD, GIPFEL, HARBOR, PEOPLE
from socialdesk.inbox import service as inbox_service
from socialdesk.inbox import views as inbox_views
from socialdesk.inbox.models import Conversation, InboxItem, InboxNote
from socialdesk.kit.authz import AgencyRole, Role
from socialdesk.kit.errors import Conflict, InvalidInput
from socialdesk.links import service as links_service
from socialdesk.links.models import Conversion, LinkClick, TrackedLink
from socialdesk.listening import service as listening_service
from socialdesk.listening.models import ListeningQuery, Mention, MentionMatch
from socialdesk.publishing import service as publishing_service
from socialdesk.publishing.models import Campaign, Notification
from socialdesk.web.app import create_app

pytestmark = pytest.mark.xdist_group("demo")  # one process seeds the module's agency once per backend

PRIYA = next(p for p in PEOPLE if p.name == "Priya Raman")
DIRECTOR = next(p for p in PEOPLE if p.agency_role == AgencyRole.OWNER)
TOPICS = {"brand", "competitor", "campaign", "industry"}


def _settings(tmp_path, url: str) -> Settings:
    return Settings(data_dir=tmp_path / "data", database_url=url, secret_key="test-secret-key-" + "x" * 32,
                    vault_keys=Fernet.generate_key().decode(), task_backend="immediate", auto_migrate=False,
                    base_url="http://testserver", allow_private_urls=True)


@contextmanager
def empty_database(request, backend: str, tmp) -> Iterator[str]:
    """The URL of a new migrated, empty database of ``backend``."""
    if backend == "sqlite":
        path = tmp / f"demo-{uuid.uuid4().hex[:8]}.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    with scratch_pg_database("sd_demo", template=request.getfixturevalue("pg_template")) as (_, url):
        yield url


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def seeded(request, tmp_path_factory):
    """A database of this backend seeded with the whole demo, activity included (read only by the tests)."""
    tmp = tmp_path_factory.mktemp("demo")
    with empty_database(request, request.param, tmp) as url:
        settings = _settings(tmp, url)
        database = Database(url)
        now = datetime.now(UTC)
        with database.session() as session:
            result = demo_service.seed(session=session, settings=settings, now=now)
        yield SimpleNamespace(settings=settings, database=database, result=result, now=now, backend=request.param)
        database.dispose()


@pytest.fixture
def seen(seeded):
    """A session on the seeded database whose changes, if any, are rolled back."""
    with seeded.database.sessionmaker() as session:
        yield session
        session.rollback()


@pytest.fixture
def director(seeded):
    """A browser signed in as the demo's director on the seeded database."""
    with TestClient(create_app(seeded.settings, seeded.database)) as browser:
        response = browser.post("/api/auth/login", json={"email": DIRECTOR.email, "password": DEFAULT_PASSWORD})
        assert response.status_code == 200, response.text
        browser.headers["x-csrf-token"] = response.json()["csrf_token"]
        yield browser


def clients_of(session: Session) -> dict[str, Client]:
    return {c.name: c for c in session.scalars(select(Client))}


# --- profiles and team (unchanged by the activity) -----------------------------------------------------


@pytest.mark.parametrize("backend", ["sqlite"])  # the seed itself runs on both backends in ``seeded``
def test_demo_command_fills_an_empty_database_then_refuses(cli, database):  # noqa: F811 (the fixture)
    out = ok(cli("demo"))
    assert "Created 6 clients and 11 accounts" in out
    assert PRIYA.email in out and f"Password for the new accounts: {DEFAULT_PASSWORD}" in out
    assert "Activity of the last eight weeks" in out and "alert, crisis room open" in out

    out = failed(cli("demo"))
    assert out.startswith("Error: the database already has 6 clients") and "--force" in out

    out = ok(cli("demo", "--force"))  # nothing missing: nothing added
    assert "Created 0 clients (kept 6 existing) and 0 accounts" in out and "Activity of the last" not in out
    with database.session() as session:
        assert session.scalar(select(func.count(Client.id))) == 6
        assert session.scalar(select(func.count(User.id))) == len(PEOPLE)
        assert session.scalar(select(func.count(Crisis.id))) == 1  # the forced run made no second activity
        assert session.scalar(select(func.count(ListeningQuery.id))) == 5 * len(CLIENTS)


def test_demo_without_activity_makes_profiles_and_team_only(cli, database):  # noqa: F811 (the fixture)
    out = ok(cli("demo", "--no-activity"))
    assert "Created 6 clients and 11 accounts" in out and "Activity of the last" not in out
    with database.session() as session:
        assert session.scalar(select(func.count(Client.id))) == 6
        assert session.scalar(select(func.count(LogEntry.id))) >= 18
        for model in (Channel, Conversation, InboxItem, InboxNote, ListeningQuery, Mention, CrisisAlert, Crisis,
                      Campaign, PostMetricSnapshot, PaidResult, TrackedLink, LinkClick, Conversion, Notification):
            assert session.scalar(select(func.count()).select_from(model)) == 0, model.__name__


def test_demo_clients_have_full_brand_profiles(seen):
    clients = list(seen.scalars(select(Client)))
    assert len(clients) >= 5
    assert len({c.timezone for c in clients}) >= 4
    for client in clients:
        assert client.voice_description and client.tone_words and client.words_to_avoid, client.name
        assert client.demographics and client.business_goals and client.outside_hours_message, client.name
        assert len(client.personas) >= 2 and all(p.platforms and p.cares_about for p in client.personas), client.name
        assert len(client.kpi_targets) >= 3, client.name
        assert client.office_hours and client.contacts, client.name
        log = clients_service.list_log(session=seen, client_id=client.id)
        assert len(log) >= 3 and all(entry.author is not None for entry in log), client.name
        assert len({entry.kind for entry in log}) >= 3, client.name
    harbor = clients_service.get_by_name(session=seen, name="Harbor & Vine")
    assert harbor.timezone == "America/Los_Angeles"
    assert [(s.weekday, f"{s.start:%H:%M}", f"{s.end:%H:%M}") for s in harbor.office_hours] == [
        (day, "11:00", "15:00") for day in range(4)
    ]


def test_demo_team_members_see_different_clients(seen):
    all_ids = {c.id for c in seen.scalars(select(Client))}
    users = list(seen.scalars(select(User)))
    assert sum(u.agency_role == AgencyRole.OWNER for u in users) == 1
    visible = {}
    for user in users:
        principal = auth_service.principal_for(session=seen, user=user)
        visible[user.email] = {c.id for c in clients_service.list_visible(session=seen, principal=principal)}
        if user.agency_role == AgencyRole.MEMBER:
            assert principal.client_roles, user.email
    members = [u.email for u in users if u.agency_role == AgencyRole.MEMBER]
    assert len(members) >= 8
    partial = [email for email in members if visible[email] and visible[email] < all_ids]
    assert len(partial) >= 5
    assert len({frozenset(visible[email]) for email in partial}) >= 3  # not everyone sees the same clients
    roles = {role for u in users for _, role in auth_service.principal_for(session=seen, user=u).client_roles.items()}
    assert {Role.MANAGER, Role.COMMUNITY_MANAGER, Role.CONTENT_CREATOR, Role.ANALYST, Role.CLIENT_APPROVER} <= roles
    entries = seen.scalar(select(func.count(LogEntry.id)))
    assert entries >= 18


def test_demo_service_refuses_a_database_with_clients_and_checks_the_password(database):
    with database.session() as session:
        with pytest.raises(InvalidInput, match="password"):
            demo_service.seed(session=session, password="short")
    with database.session() as session:  # the activity is left out here: `seeded` below has it
        demo_service.seed(session=session, password="another demo password", activity=False)
    with database.session() as session:
        with pytest.raises(Conflict, match="already has 6 clients"):
            demo_service.seed(session=session)


def test_seeding_is_refused_on_the_seeded_database_and_changes_nothing(seeded, seen):
    before = seen.scalar(select(func.count(Mention.id)))
    with pytest.raises(Conflict, match="already has 6 clients"):
        demo_service.seed(session=seen, settings=seeded.settings)
    assert seen.scalar(select(func.count(Mention.id))) == before


def test_demo_user_signs_in(seeded):
    with TestClient(create_app(seeded.settings, seeded.database)) as browser:
        response = browser.post("/api/auth/login", json={"email": PRIYA.email, "password": DEFAULT_PASSWORD})
        assert response.status_code == 200, response.text
        me = response.json()
        assert me["name"] == "Priya Raman" and len(me["client_roles"]) == len(PRIYA.roles)
        names = sorted(c["name"] for c in browser.get("/api/clients").json())
        assert names == sorted(PRIYA.roles)


def test_step_count_matches_the_steps_seed_takes(database):
    labels: list[str] = []
    with database.session() as session:
        demo_service.seed(session=session, activity=False, on_step=labels.append)
    assert len(labels) == demo_service.step_count(activity=False)
    assert demo_service.step_count() == demo_service.step_count(activity=False) + len(CLIENTS) + 1


# --- the activity ------------------------------------------------------------------------------------


def test_every_client_has_an_inbox_in_triage_with_on_time_and_breached_clocks(seeded, seen):
    now = datetime.now(UTC)
    notes_with_mentions = 0
    for name, client in clients_of(seen).items():
        conversations = inbox_service.list_conversations(session=seen, client_ids=[client.id], limit=100)
        assert len(conversations) >= 8, name
        statuses = Counter(c.status for c in conversations)
        assert {"new", "open", "done"} <= set(statuses) and len(statuses) >= 3, (name, statuses)
        tags = {t for c in conversations for t in c.tags or []}
        assert {"complaint", "praise"} <= tags, (name, tags)
        clocks = {inbox_views.clock(c, now).state for c in conversations}
        assert {"ok", "breached"} <= clocks, (name, clocks)
        mates = {u.id for u in inbox_service.teammates(session=seen, client_id=client.id)}
        assigned = [c.assignee_id for c in conversations if c.assignee_id]
        assert assigned and set(assigned) <= mates, name
        latest = inbox_service.latest_items(seen, conversations)
        assert all(item.kind == "review" for item in latest.values()), name
        assert len({item.extra.get("source") for item in latest.values()}) >= 2, name  # Google, Yelp, ...
        notes = list(seen.scalars(select(InboxNote).where(InboxNote.client_id == client.id)))
        assert notes, name
        notes_with_mentions += sum(bool(n.mentions) for n in notes)
        # The Reviews channel has no network: it is not a publishing channel and nothing would sync it.
        assert channels_service.list_for(session=seen, client_id=client.id) == [], name
    assert notes_with_mentions >= 3
    told = set(seen.scalars(select(Notification.kind).distinct()))
    assert "inbox.mention" in told and {"inbox_due", "inbox_near_breach", "inbox_breach"} & told, told


def test_no_demo_channel_is_ever_polled_over_the_network(seen):
    networks = set(seen.scalars(select(Channel.network)))
    assert networks == {"reviews"}
    assert not networks & {str(n) for n in ADAPTERS}  # the inbox sync takes only these (inbox.tasks.sync_all)
    assert due_channels(seen) == []  # the daily metrics collection (analytics.tasks.collect_due)


def test_every_client_listens_to_four_topics_with_both_tones_languages_reach_and_rhythm(seen):
    languages = {HARBOR: {"en"}, GIPFEL: {"de", "en"}, "Menya Hoshizora": {"ja", "en"},
                 "Bondi Bright Dental": {"en"}, "Ledgerleaf": {"en", "fr"}, "Maison Roux": {"fr", "en"}}
    for name, client in clients_of(seen).items():
        queries = listening_service.list_queries(session=seen, client_id=client.id)
        assert {q.topic for q in queries} == TOPICS, name
        tones = defaultdict(set)
        for topic, label in seen.execute(
                select(MentionMatch.topic, Mention.sentiment).join(Mention, Mention.id == MentionMatch.mention_id)
                .where(MentionMatch.client_id == client.id).distinct()):
            tones[topic].add(label)
        for topic in TOPICS:
            assert {"positive", "negative"} <= tones[topic], (name, topic, tones[topic])
        mentions = list(seen.scalars(select(Mention).where(Mention.id.in_(
            select(MentionMatch.mention_id).where(MentionMatch.client_id == client.id)))))
        assert len(mentions) >= 300, name
        assert {m.lang for m in mentions} == languages[name], name
        assert any((m.author_followers or 0) >= 10_000 for m in mentions), name
        assert sum(bool(m.hashtags) or "#" in m.text for m in mentions) > len(mentions) / 3, name
        duplicates = seen.scalar(select(func.count()).select_from(MentionMatch).where(
            MentionMatch.client_id == client.id, MentionMatch.duplicate.is_(True)))
        assert 0 < duplicates < len(mentions) / 3, name
        days = {m.created_at.date() for m in mentions}
        assert max(days) - min(days) >= timedelta(days=49), name
        zone = ZoneInfo(client.timezone)
        hours = Counter(m.created_at.astimezone(zone).hour for m in mentions)
        assert sum(hours[h] for h in range(1, 5)) * 3 < sum(hours[h] for h in range(16, 20)), (name, hours)


def test_the_crisis_client_has_the_detector_s_alert_and_an_open_crisis_room(seen):
    clients = clients_of(seen)
    gipfel = clients[GIPFEL]
    [alert] = crisis_service.list_alerts(seen, client_ids=list(c.id for c in clients.values()))
    assert alert.client_id == gipfel.id and alert.topic == "" and alert.status == "crisis"
    assert alert.volume >= detection.MIN_VOLUME and alert.volume >= detection.MIN_RATIO * alert.expected
    assert alert.negative_share >= 0.6 and "glut" in {t for t, _ in alert.top_terms}
    assert "Possible crisis for Gipfelwerk Outdoor" in alert.message and alert.sample_mention_ids
    assert seen.scalar(select(func.count()).select_from(Notification).where(
        Notification.kind == "crisis_alert", Notification.client_id == gipfel.id)) >= 3

    [room] = crisis_service.list_crises(seen, client_id=gipfel.id)
    assert room.status == "open" and room.type == "defective_product" and room.opened_from_alert_id == alert.id
    events = crisis_service.events(seen, crisis=room)
    kinds = Counter(e.kind for e in events)
    assert kinds["decision"] >= 2 and kinds["pause"] == 1 and kinds["alert"] == 1 and kinds["mention"] >= 2
    assert room.strategy and any(s.done_at for s in room.steps)
    assert publishing_service.settings_for(session=seen, client_id=gipfel.id).paused
    assert seen.scalar(select(func.count(Crisis.id)).where(Crisis.client_id != gipfel.id)) == 0


def test_the_other_clients_normal_rhythm_pages_no_one(seen):
    for name, client in clients_of(seen).items():
        if name != GIPFEL:  # what the worker's sweep does first for each client after the demo
            assert detection.run(seen, client_id=client.id) == [], name
    seen.rollback()


def test_analytics_dashboards_have_kpis_recommendations_benchmarks_and_imports(seen):
    statuses = Counter()
    for name, client in clients_of(seen).items():
        start, end = insights.default_period(client)
        board = insights.dashboard(session=seen, client_id=client.id, start=start, end=end)
        known = [k for k in board.kpis if k.status != "unknown"]
        assert known and all(k.actual is not None and k.source for k in known), name
        statuses.update(k.status for k in board.kpis)
        assert board.recommendations, name
        assert board.competitors.competitors and board.competitors.total, name
        assert board.competitors.brand.mentions and not board.competitors.message, name
        snapshots = analytics_service.post_snapshots(session=seen, client_id=client.id, start=start - timedelta(
            days=40), end=end)
        assert len({s.remote_id for s in snapshots}) >= 10 and all(s.source == "import" for s in snapshots), name
        assert analytics_service.reporting_currency(session=seen, client_id=client.id), name
    assert {"green", "amber", "red"} <= set(statuses), statuses
    paid = dict(seen.execute(select(PaidResult.client_id, func.count()).group_by(PaidResult.client_id)).all())
    assert len(paid) >= 4 and min(paid.values()) >= 10


def test_tracked_links_have_clicks_previews_and_conversions(seen):
    with_links = 0
    for name, client in clients_of(seen).items():
        links = links_service.list_links(session=seen, client_id=client.id)
        if not links:
            continue
        with_links += 1
        counts = links_service.counts_for(session=seen, client_id=client.id, link_ids=[link.id for link in links])
        assert all(c.clicks > 0 and c.previews > 0 for c in counts.values()), name
        assert all(link.utm_source and link.utm_medium == "social" for link in links), name
        lines, total = links_service.stats(session=seen, client_id=client.id, start=datetime.now(UTC) - timedelta(
            days=40), end=datetime.now(UTC))
        assert total.clicks == sum(c.clicks for c in counts.values()), name
    assert with_links >= 5
    assert seen.scalar(select(func.count(Conversion.id))) >= 500


def test_the_director_sees_the_activity_on_every_page(seeded, seen, director):
    clients = clients_of(seen)
    harbor, gipfel = clients[HARBOR], clients[GIPFEL]

    page = director.get(f"/clients/{harbor.id}/inbox")
    assert page.status_code == 200
    assert str(escape("Thank you, Harbor & Vine!")) in page.text and "Thank you, Harbor & Vine!" not in page.text
    assert "clock-breached" in page.text and "clock-ok" in page.text

    for client in clients.values():
        views, _ = listening_service.list_mentions(session=seen, client_id=client.id, limit=5)
        page = director.get(f"/clients/{client.id}/listening")
        assert page.status_code == 200, client.name
        assert str(escape(views[0].mention.text)) in page.text, client.name

        page = director.get(f"/clients/{client.id}/analytics")
        assert page.status_code == 200, client.name
        start, end = insights.default_period(client)
        sentences = [k.sentence for k in insights.kpis(session=seen, client_id=client.id, start=start, end=end)
                     if k.status != "unknown"]
        assert str(escape(sentences[0])) in page.text, client.name

        data = director.get(f"/api/clients/{client.id}/analytics/dashboard").json()
        assert {k["status"] for k in data["kpis"]} - {"unknown"}, client.name
        assert data["competitors"]["total"] > 0 and data["recommendations"], client.name

    page = director.get(f"/clients/{gipfel.id}/crisis")
    assert page.status_code == 200 and "Leaking Glut 2 rental stoves" in page.text
    [room] = crisis_service.list_crises(seen, client_id=gipfel.id)
    page = director.get(f"/clients/{gipfel.id}/crisis/{room.id}")
    assert page.status_code == 200
    decision = next(e.text for e in crisis_service.events(seen, crisis=room) if e.kind == "decision")
    assert str(escape(decision)) in page.text
    [alert] = crisis_service.list_alerts(seen, client_ids=[gipfel.id])
    sample = crisis_service.alert_samples(seen, alert)[0]
    assert str(escape(sample.text)) in director.get(f"/clients/{gipfel.id}/crisis/alerts/{alert.id}").text

    api = director.get(f"/api/clients/{gipfel.id}/crisis/alerts").json()
    assert [a["id"] for a in api] == [alert.id]


@pytest.mark.parametrize("seeded", ["sqlite"], indirect=True)  # what is drawn does not depend on the backend
def test_two_seeds_give_the_same_counts(request, seeded, tmp_path):
    with empty_database(request, seeded.backend, tmp_path) as url:
        database = Database(url)
        try:
            labels: list[str] = []
            with database.session() as session:
                again = demo_service.seed(session=session, settings=seeded.settings, now=seeded.now,
                                          on_step=labels.append)
            assert len(labels) == demo_service.step_count()  # the command's progress bar ends full
            assert list(again.activity) == [c.name for c in CLIENTS]
            assert {name: a.counts() for name, a in again.activity.items()} == {
                name: a.counts() for name, a in seeded.result.activity.items()}
            with database.session() as session, seeded.database.session() as first:
                for model in (Conversation, InboxNote, ListeningQuery, Mention, MentionMatch, CrisisEvent, Campaign,
                              PostMetricSnapshot, PaidResult, TrackedLink, LinkClick, Conversion):
                    assert (session.scalar(select(func.count()).select_from(model))
                            == first.scalar(select(func.count()).select_from(model))), model.__name__
        finally:
            database.dispose()


def test_plans_cover_every_demo_client():
    assert set(demo_activity.PLANS) == {c.name for c in CLIENTS}
    assert demo_activity.CRISIS_CLIENT in demo_activity.PLANS and demo_activity.PLANS[GIPFEL].crisis
