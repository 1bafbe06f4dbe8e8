"""Analytics insights on both databases: KPI statuses against hand-computed figures (and 'unknown' with
why), the engagement rate formula, follower growth across a gap, best times (thin history falls back to
labelled guidance and says n), recommendations carrying their evidence, top and bottom posts,
competitor share of voice adding up to 100 %, the agency's time use, and who may see what."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from socialdesk.analytics import insights
from socialdesk.analytics.models import AccountSnapshot, MetricsSyncState, PaidResult, PostMetricSnapshot
from socialdesk.channels.models import Channel
from socialdesk.clients import service as clients_service
from socialdesk.clients.models import KpiTarget
from socialdesk.clients.schemas import ClientCreate
from socialdesk.listening.models import ListeningQuery, Mention, MentionMatch
from socialdesk.publishing.models import IMPORTED, MediaFile, Post, PostEvent, PostTarget
from socialdesk.publishing.timing import new_marker

START, END = date(2026, 3, 1), date(2026, 3, 30)  # 30 days: a "month" target is not scaled


def make_client(session, name="Harbor Cider", tz="UTC") -> int:
    return clients_service.create(session=session, data=ClientCreate(name=name, timezone=tz)).id


def make_channel(session, client_id, network="x", name=None) -> int:
    ch = Channel(client_id=client_id, network=network, display_name=name or f"{network} account", handle="h",
                 base_url="https://example.invalid", account_id="1", status="ok")
    session.add(ch)
    session.flush()
    return ch.id


def followers(session, client_id, channel_id, values: dict[date, int | None]) -> None:
    for day, n in values.items():
        session.add(AccountSnapshot(client_id=client_id, channel_id=channel_id, day=day, followers=n, extra={},
                                    decreased=[]))
    session.flush()


_n = iter(range(1, 10**6))


def post(session, client_id, channel_id, network, at: datetime, *, text="A post", likes=0, reposts=0, replies=0,
         quotes=0, impressions=None, media_kind=None, link=None, days=(0, 1), gone_after=False) -> int:
    """A post published at ``at`` with snapshots on the given days after it (counts grow to the given
    values on the last one)."""
    media_ids = []
    if media_kind:
        m = MediaFile(client_id=client_id, filename="f", stored_as="x", sha256="0" * 64, kind=media_kind,
                      mime_type="video/mp4" if media_kind == "video" else "image/png", size_bytes=1)
        session.add(m)
        session.flush()
        media_ids = [m.id]
    p = Post(client_id=client_id, text=text, status="published", media_ids=media_ids, link=link)
    remote = f"r{next(_n)}"
    p.targets.append(PostTarget(client_id=client_id, channel_id=channel_id, network=network, marker=new_marker(),
                                state="published", remote_id=remote, published_at=at))
    session.add(p)
    session.flush()
    tid = p.targets[0].id
    for i, offset in enumerate(days):
        last = i == len(days) - 1
        share = 1 if last else 0.5

        def part(v):
            return None if v is None else int(v * share)

        session.add(PostMetricSnapshot(
            client_id=client_id, channel_id=channel_id, post_target_id=tid, network=network, remote_id=remote,
            day=at.date() + timedelta(days=offset), likes=part(likes), reposts=part(reposts), replies=part(replies),
            quotes=part(quotes), impressions=part(impressions), extra={}, decreased=[]))
    if gone_after:
        session.add(PostMetricSnapshot(
            client_id=client_id, channel_id=channel_id, post_target_id=tid, network=network, remote_id=remote,
            day=at.date() + timedelta(days=days[-1] + 1), gone=True, extra={}, decreased=[]))
    session.flush()
    return tid


def kpi(session, client_id, metric, target, period="month", unit=""):
    session.add(KpiTarget(client_id=client_id, metric=metric, target=target, period=period, unit=unit))
    session.flush()


def by_metric(results):
    return {k.metric: k for k in results}


def at(day: date, hour=10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, 0, tzinfo=UTC)


@pytest.fixture
def seeded(session):
    """One client, an X channel with impressions and a Mastodon channel without, a gap in X's snapshots."""
    cid = make_client(session)
    x = make_channel(session, cid, "x", "Harbor X")
    masto = make_channel(session, cid, "mastodon", "Harbor Mastodon")
    days = [START + timedelta(days=i) for i in range(30)]
    followers(session, cid, masto, {d: 1000 + i * 4 for i, d in enumerate(days)})  # 1000 -> 1116
    # X: 2000 -> 2145, nothing from the 10th to the 15th, and one day lower than the day before.
    x_days = {d: 2000 + i * 5 for i, d in enumerate(days) if not 9 <= i <= 14}
    x_days[days[20]] = x_days[days[19]] - 30
    followers(session, cid, x, x_days)
    post(session, cid, x, "x", at(days[2]), likes=10, reposts=5, replies=3, quotes=2, impressions=1000)  # 2 %
    post(session, cid, x, "x", at(days[5]), likes=20, reposts=5, replies=3, quotes=2, impressions=1000)  # 3 %
    post(session, cid, x, "x", at(days[8]), likes=40, reposts=5, replies=3, quotes=2, impressions=1000)  # 5 %
    # Mastodon reports no impressions: its rate is on followers at posting time (1000 + 4*3 = 1012).
    post(session, cid, masto, "mastodon", at(days[3]), likes=11, reposts=1, replies=0, quotes=None)
    return {"client": cid, "x": x, "masto": masto}


def test_kpi_statuses_match_hand_computed_figures(session, seeded):
    cid = seeded["client"]
    kpi(session, cid, "engagement_rate_percent", 4, unit="%")  # 100 / 3000 = 3.33 % -> 83 % of 4: amber
    kpi(session, cid, "followers", 3000, period="quarter")  # 1116 + 2145 = 3261 -> green
    kpi(session, cid, "follower_growth_percent", 20, unit="%")  # 261 / 3000 = 8.7 % -> red
    kpi(session, cid, "posts_published", 10)  # 4 -> red
    kpi(session, cid, "reach", 5000)  # no data source
    kpi(session, cid, "first_response_hours", 4)  # no conversations
    kpi(session, cid, "conversions", 10)  # no links, no paid results
    results = by_metric(insights.kpis(session=session, client_id=cid, start=START, end=END))

    rate = results["engagement_rate_percent"]
    assert rate.actual == pytest.approx(3.33, abs=0.01)
    assert rate.status == "amber"
    assert rate.numbers["engagements"] == 100 and rate.numbers["denominator"] == 3000
    assert rate.numbers["basis"] == "impressions" and rate.numbers["posts_left_out"] == 1
    assert "impressions" in rate.formula and "likes + reposts + replies + quotes" in rate.formula
    assert "3.33 %" in rate.sentence and "close to target" in rate.sentence

    assert results["followers"].actual == 3261 and results["followers"].status == "green"
    growth = results["follower_growth_percent"]
    assert growth.actual == pytest.approx(261 / 3000 * 100, abs=0.01) and growth.status == "red"
    assert results["posts_published"].actual == 4 and results["posts_published"].status == "red"

    for metric in ("reach", "first_response_hours", "conversions"):
        k = results[metric]
        assert k.status == "unknown" and k.actual is None, metric
        assert "no figure" in k.sentence, k.sentence
    assert "no data source" in results["reach"].sentence
    assert "no data source" in results["conversions"].sentence
    assert "No conversations" in results["first_response_hours"].sentence


def test_engagement_rate_uses_followers_when_no_post_reports_impressions(session):
    cid = make_client(session)
    masto = make_channel(session, cid, "mastodon")
    followers(session, cid, masto, {START: 800, START + timedelta(days=5): 1000})
    post(session, cid, masto, "mastodon", at(START + timedelta(days=2)), likes=16)  # 16 / 800 (day-2 count)
    post(session, cid, masto, "mastodon", at(START + timedelta(days=6)), likes=30, reposts=10)  # 40 / 1000
    kpi(session, cid, "engagement_rate_percent", 3)
    k = insights.kpis(session=session, client_id=cid, start=START, end=END)[0]
    assert k.numbers["basis"] == "followers"
    assert k.numbers["denominator"] == 1800 and k.numbers["engagements"] == 56
    assert k.actual == pytest.approx(56 / 1800 * 100, abs=0.01) and k.status == "green"
    assert "followers on the day of posting" in k.formula


def test_follower_growth_counts_the_change_across_a_gap_once_and_says_so(session, seeded):
    g = insights.follower_growth(session=session, client_id=seeded["client"], start=START, end=END)
    assert (g.first, g.last, g.change) == (3000, 3261, 261)
    assert g.gaps == 6 and "6 channel-days without a snapshot" in g.message
    board = insights.dashboard(session=session, client_id=seeded["client"], start=START, end=END)
    assert board.followers_delta.gaps, "the summed series shows the gap as a gap"
    assert any("went down" in n for n in board.notes)


def test_a_period_without_data_says_so_instead_of_dividing_by_zero(session):
    cid = make_client(session)
    make_channel(session, cid, "x")
    for metric in ("engagement_rate_percent", "follower_growth_percent", "followers", "impressions",
                   "cost_per_result", "share_of_voice_percent", "positive_sentiment_percent", "ad_spend"):
        kpi(session, cid, metric, 5)
    board = insights.dashboard(session=session, client_id=cid, start=START, end=END,
                               compare_start=START - timedelta(days=30), compare_end=START - timedelta(days=1))
    assert all(k.status == "unknown" for k in board.kpis), [(k.metric, k.status) for k in board.kpis]
    assert all(k.notes for k in board.kpis)
    assert board.period_rate.rate is None and board.what_works.message == "no post was published in the period"
    assert board.growth.message.startswith("no follower counts")
    assert board.best_times.fallback and "only 0 posts" in board.best_times.message


def test_cost_per_result_from_paid_results_and_no_results_to_divide_by(session):
    cid = make_client(session)
    kpi(session, cid, "cost_per_result", 20)
    session.add(PaidResult(client_id=cid, network="x", row_key="a", day=START, currency="EUR", spend=90,
                           clicks=10, conversions=None))
    session.flush()
    k = insights.kpis(session=session, client_id=cid, start=START, end=END)[0]
    assert k.actual == 9.0 and k.status == "green" and "÷ 10 clicks" in k.sentence
    session.add(PaidResult(client_id=cid, network="x", row_key="b", day=START + timedelta(days=1), currency="EUR",
                           spend=210, clicks=0, conversions=12))
    session.flush()
    k = insights.kpis(session=session, client_id=cid, start=START, end=END)[0]
    assert k.actual == 25.0 and k.status == "amber"  # 300 / 12, within 125 % of 20
    other = make_client(session, "Dry Goods")
    kpi(session, other, "cost_per_result", 20)
    session.add(PaidResult(client_id=other, network="x", row_key="c", day=START, currency="EUR", spend=50, clicks=0))
    session.flush()
    k = insights.kpis(session=session, client_id=other, start=START, end=END)[0]
    assert k.status == "unknown" and "no conversions or clicks to divide by" in k.sentence


def test_count_targets_are_scaled_to_the_period_and_say_so(session, seeded):
    kpi(session, seeded["client"], "posts_published", 7, period="week")
    k = insights.kpis(session=session, client_id=seeded["client"], start=START, end=END)[0]
    assert k.target_for_period == pytest.approx(30.0) and k.status == "red"
    assert "7 per week is 30 for these 30 days" in k.sentence


def test_a_metric_the_network_stopped_returning_is_named_and_left_out(session, seeded):
    session.add(MetricsSyncState(channel_id=seeded["x"], client_id=seeded["client"], error="",
                                 stopped={"post.impressions": "2026-03-20"}, report="", posts_read=0))
    session.flush()
    board = insights.dashboard(session=session, client_id=seeded["client"], start=START, end=END)
    assert any("stopped returning post impressions on 2026-03-20" in n for n in board.notes)
    masto = [p for p in board.what_works.top + board.what_works.bottom if p.network == "mastodon"]
    assert masto and masto[0].missing == ["quotes"] and masto[0].engagements == 12


def test_top_and_bottom_posts_rank_by_rate_and_a_deleted_post_keeps_its_last_counts(session, seeded):
    cid = seeded["client"]
    gone = post(session, cid, seeded["x"], "x", at(START + timedelta(days=12)), likes=90, reposts=10,
                impressions=1000, gone_after=True)  # 10 %, then deleted
    works = insights.what_works(session=session, client_id=cid, start=START, end=END)
    assert works.posts == 5 and works.rated == 5
    assert works.top[0].target_id == gone and works.top[0].gone and works.top[0].rate == pytest.approx(0.10)
    assert [round(p.rate, 4) for p in works.top] == [0.10, 0.05, 0.03]
    assert [round(p.rate, 4) for p in works.bottom] == [round(12 / 1012, 4), 0.02]
    assert works.bottom[0].network == "mastodon"
    assert works.median_rate == pytest.approx(0.03)
    types = {g.key: g for g in works.groups["network"]}
    assert types["x"].n == 4 and types["mastodon"].n == 1


def _history(session, cid, ch, end: date, tz="UTC"):
    """36 posts over 12 weeks: 10 videos on Tuesdays 09:00 at 6.0-6.9 %, 20 text posts at other times at 2 %,
    6 link posts at 0.6 % (the median post: 2 %)."""
    tuesdays = [end - timedelta(days=(end.weekday() - 1) % 7) - timedelta(weeks=w) for w in range(10)]
    for i, day in enumerate(tuesdays):
        post(session, cid, ch, "x", datetime(day.year, day.month, day.day, 9, 5, tzinfo=UTC),
             likes=60 + i, impressions=1000, media_kind="video", text="New pressing #cider")
    for i in range(20):
        day = end - timedelta(days=3 + i * 4)
        if day.weekday() == 1:
            day -= timedelta(days=1)
        post(session, cid, ch, "x", datetime(day.year, day.month, day.day, 15, 30, tzinfo=UTC),
             likes=20, impressions=1000, text="Orchard news " + "x" * 100)
    for i in range(6):
        day = end - timedelta(days=5 + i * 9)
        if day.weekday() == 1:
            day -= timedelta(days=1)
        post(session, cid, ch, "x", datetime(day.year, day.month, day.day, 19, 0, tzinfo=UTC),
             likes=6, impressions=1000, link="https://harbor.example/shop", text="Shop now")


def test_best_times_and_recommendations_from_the_clients_own_history(session):
    cid = make_client(session)
    ch = make_channel(session, cid, "x")
    _history(session, cid, ch, END)
    best = insights.best_times(session=session, client_id=cid, end=END)
    assert not best.fallback and best.n == 36 and best.source.startswith("this client's history: 36 posts")
    top = best.best[0]
    assert (top.weekday, top.hour, top.n) == (1, 9, 10)
    assert top.ratio == pytest.approx(0.0645 / 0.02, rel=0.01)  # median of 6.0..6.9 % over the 2 % median
    assert sum(c.n for row in best.cells for c in row) == 36
    recs = insights.recommendations(session=session, client_id=cid, end=END)
    texts = [r.text for r in recs]
    timing = next(r for r in recs if r.kind == "timing")
    assert timing.text.startswith("Video posts on Tuesday 08:00–10:00 got 3.2x the median engagement rate over "
                                  "the last 12 weeks, n=10"), texts
    assert timing.n == 10 and timing.weeks == 12 and timing.evidence["median_rate"] == pytest.approx(2.0)
    assert "Link posts got only 0.3x the median engagement rate over the last 12 weeks, n=6: rework or reduce them." \
        in texts, texts


def test_best_times_with_thin_history_use_the_labelled_fallback_and_say_n(session, seeded):
    best = insights.best_times(session=session, client_id=seeded["client"], end=END)
    assert best.fallback and best.n == 4
    assert "only 4 posts with an engagement rate" in best.message and f"at least {insights.MIN_HISTORY}" in best.message
    assert "not measured on this client" in best.source
    assert {(c.weekday, c.hour) for c in best.best} == set(insights.FALLBACK_SLOTS)
    recs = insights.recommendations(session=session, client_id=seeded["client"], end=END)
    assert recs[0].kind == "thin" and "n=4" in recs[0].text


def test_best_times_read_hours_in_the_clients_time_zone(session):
    cid = make_client(session, tz="America/New_York")
    ch = make_channel(session, cid, "x")
    _history(session, cid, ch, END)  # 09:05 UTC is 05:05 in New York in March (EDT from the 8th)
    best = insights.best_times(session=session, client_id=cid, end=END)
    assert best.zone == "America/New_York"
    assert best.best[0].weekday == 1 and best.best[0].hour in (4, 5)


def _mention(session, cid, query_id, topic, sentiment, n, day):
    for i in range(n):
        m = Mention(source="import", remote_id=f"m{next(_n)}", text="t", sentiment=sentiment,
                    created_at=datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=i % 20))
        session.add(m)
        session.flush()
        session.add(MentionMatch(mention_id=m.id, query_id=query_id, client_id=cid, topic=topic,
                                 created_at=m.created_at))
    session.flush()


def test_competitor_benchmarks_share_of_voice_adds_up_to_100(session):
    cid = make_client(session)
    queries = {}
    for name, topic in (("Us", "brand"), ("Rival One", "competitor"), ("Rival Two", "competitor"),
                        ("Quiet Rival", "competitor")):
        q = ListeningQuery(client_id=cid, name=name, topic=topic, text=name.lower())
        session.add(q)
        session.flush()
        queries[name] = q.id
    _mention(session, cid, queries["Us"], "brand", "positive", 4, START)
    _mention(session, cid, queries["Us"], "brand", "negative", 1, START)
    _mention(session, cid, queries["Rival One"], "competitor", "negative", 2, START + timedelta(days=1))
    _mention(session, cid, queries["Rival Two"], "competitor", "neutral", 1, START + timedelta(days=2))
    _mention(session, cid, queries["Rival Two"], "competitor", "neutral", 1, END + timedelta(days=2))  # outside
    comp = insights.competitors(session=session, client_id=cid, start=START, end=END)
    assert comp.total == 8
    assert sum(b.percent for b in comp.rows) == pytest.approx(100.0)
    assert comp.brand.mentions == 5 and comp.brand.percent == 62.5 and comp.brand.percents["positive"] == 80.0
    rivals = {b.name: b for b in comp.competitors}
    assert rivals["Rival One"].sentiment == {"positive": 0, "neutral": 0, "negative": 2}
    assert rivals["Quiet Rival"].mentions == 0 and rivals["Quiet Rival"].percent == 0.0
    kpi(session, cid, "share_of_voice_percent", 50)
    kpi(session, cid, "positive_sentiment_percent", 90)
    results = by_metric(insights.kpis(session=session, client_id=cid, start=START, end=END))
    assert results["share_of_voice_percent"].actual == 62.5 and results["share_of_voice_percent"].status == "green"
    assert results["positive_sentiment_percent"].actual == 80.0
    assert results["positive_sentiment_percent"].status == "amber"


def test_team_time_is_estimated_per_person_and_client_with_each_clients_share(session, world):
    """Hand-computed: on A 90 minutes, on B 30, so A takes 75 % of the team's 2 hours."""
    from socialdesk.crisis.models import Crisis, CrisisEvent
    from socialdesk.inbox.models import InboxEvent, InboxReply
    from socialdesk.publishing.models import Approval
    from socialdesk.reports.models import ReportDefinition, ReportShare

    a, b = world.a_id, world.b_id
    cm, cc, manager, director, analyst, approver, outsider = (world[k] for k in (
        "community_manager", "content_creator", "manager", "director", "analyst", "client_approver", "outsider"))
    start, end = datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC)
    when = datetime(2026, 3, 5, 12, tzinfo=UTC)

    def reply(at, automatic=False):
        session.add(InboxReply(conversation_id=world.conversation_id, client_id=a, channel_id=world.channel_id,
                               author_id=cm.id, text="thanks", automatic=automatic, marker=f"m{next(_n)}",
                               status="sent", created_at=at))

    def inbox_event(kind):
        session.add(InboxEvent(conversation_id=world.conversation_id, client_id=a, actor_id=cm.id, kind=kind, at=when))

    def created(client_id, who, at, imported=False):
        post = Post(client_id=client_id, text="x", created_by_id=who.id, created_at=at, media_ids=[])
        session.add(post)
        session.flush()
        session.add(PostEvent(post_id=post.id, client_id=client_id, actor_id=who.id, kind="created", at=at,
                              note=IMPORTED if imported else ""))

    def crisis_event(crisis, kind, actor):
        session.add(CrisisEvent(crisis_id=crisis.id, client_id=crisis.client_id, kind=kind,
                                actor_id=actor.id if actor else None, at=when))

    # Community manager on A: 3 replies by hand (4 min each) and 3 triage changes (1 min each) = 15 min.
    # Not counted: an automatic reply, one sent before the period, and the "replied" event of a reply.
    for _ in range(3):
        reply(when)
    reply(when, automatic=True)
    reply(start - timedelta(minutes=1))
    for kind in ("assigned", "assigned", "tags", "replied"):
        inbox_event(kind)
    # Content creator on A: 2 posts written (15 min each) and a listening query (10) = 40 min. Imported from
    # a CSV file, not timed: 4 posts in the period (one 3 s into it); one imported before it is not counted.
    created(a, cc, datetime(2026, 3, 2, 10, tzinfo=UTC))
    for offset in (0, 4, 8):
        created(a, cc, datetime(2026, 3, 3, 14, 0, offset, tzinfo=UTC), imported=True)
    created(a, cc, datetime(2026, 3, 3, 14, 0, 10, tzinfo=UTC))  # 2 s after an import: written by hand
    created(a, cc, start - timedelta(seconds=5), imported=True)
    created(a, cc, start + timedelta(seconds=3), imported=True)
    session.add(ListeningQuery(client_id=a, name="brand", topic="brand", text="alpha", created_by_id=cc.id,
                               created_at=when))
    # Manager on A: a team approval (3). The client approver's approval is the client's time: not counted.
    session.add(Approval(post_id=world.post_id, client_id=a, version=1, capacity="team", user_id=manager.id,
                         decision="approved", at=when))
    session.add(Approval(post_id=world.post_id, client_id=a, version=1, capacity="client", user_id=approver.id,
                         decision="approved", at=when))
    # Director on A: a crisis-room decision (10); the holding statement (a post) and the alert are not theirs.
    room_a, room_b = Crisis(client_id=a, type="other", title="Recall"), Crisis(client_id=b, type="other", title="Oven")
    session.add_all([room_a, room_b])
    session.flush()
    crisis_event(room_a, "decision", director)
    crisis_event(room_a, "statement", director)
    crisis_event(room_a, "alert", None)
    # Analyst on A: a report set up (20) and a report link shared (2) = 22 min.
    report = ReportDefinition(client_id=a, name="Monthly", sections=["summary"], created_by_id=analyst.id,
                              created_at=when)
    session.add(report)
    session.flush()
    session.add(ReportShare(client_id=a, definition_id=report.id, period="2026-02", token_hash="0" * 64,
                            prefix="abc", expires_at=end, created_by_id=analyst.id, created_at=when))
    # Outsider on B: a post written (15), a listening query (10), a crisis-room action (5) = 30 min.
    created(b, outsider, when)
    session.add(ListeningQuery(client_id=b, name="brand", topic="brand", text="bravo", created_by_id=outsider.id,
                               created_at=when))
    crisis_event(room_b, "action", outsider)
    session.flush()

    team = insights.time_use(session=session, client_ids=[a, b], start=start, end=end)
    assert (team.minutes, team.hours) == (120, 2.0)
    assert [(c.client_id, c.spent.minutes, c.spent.hours, c.spent.share) for c in team.clients] == [
        (a, 90, 1.5, 75.0), (b, 30, 0.5, 25.0)]
    assert team.clients[0].spent.posts_imported == 4 and team.clients[0].spent.counts["posts"] == 2
    rows = {(r.user_id, r.client_id): r.spent for r in team.rows}
    assert set(rows) == {(cm.id, a), (cc.id, a), (manager.id, a), (director.id, a), (analyst.id, a), (outsider.id, b)}
    assert (rows[(cm.id, a)].counts["replies"], rows[(cm.id, a)].counts["triage"], rows[(cm.id, a)].minutes) == (
        3, 3, 15)
    assert (rows[(cc.id, a)].counts["posts"], rows[(cc.id, a)].posts_imported, rows[(cc.id, a)].counts["queries"],
            rows[(cc.id, a)].minutes, rows[(cc.id, a)].hours, rows[(cc.id, a)].share) == (2, 4, 1, 40, 0.67, 33.3)
    assert (rows[(manager.id, a)].counts["approvals"], rows[(manager.id, a)].minutes) == (1, 3)
    assert (rows[(director.id, a)].counts["crisis_decisions"], rows[(director.id, a)].minutes) == (1, 10)
    assert (rows[(analyst.id, a)].counts["reports"], rows[(analyst.id, a)].counts["report_links"],
            rows[(analyst.id, a)].hours) == (1, 1, 0.37)
    assert rows[(outsider.id, b)].counts == {**dict.fromkeys(insights.MINUTES, 0), "posts": 1, "queries": 1,
                                             "crisis_actions": 1}
    assert [(p.name, p.spent.minutes, p.spent.share) for p in team.people] == [
        (cc.name, 40, 33.3), (outsider.name, 30, 25.0), (analyst.name, 22, 18.3), (cm.name, 15, 12.5),
        (director.name, 10, 8.3), (manager.name, 3, 2.5)]
    assert [r.user_id for r in team.rows][:1] == [cc.id] and team.rows[-1].client_id == b  # A first, most time first
    only_b = insights.time_use(session=session, client_ids=[b], start=start, end=end)
    assert [(c.client_id, c.spent.share) for c in only_b.clients] == [(b, 100.0)]


def test_overview_lists_only_the_clients_the_person_may_see(session, world):
    kpi(session, world.b_id, "posts_published", 4)
    session.add(PostEvent(post_id=world.post_id, client_id=world.a_id, actor_id=world["owner"].id, kind="created",
                          at=datetime.now(UTC)))
    session.commit()
    outsider = insights.overview(session=session, principal=world["outsider"].principal())
    assert [c.client_id for c in outsider.clients] == [world.b_id]
    assert outsider.clients[0].kpis[0].status == "red"  # nothing published on B
    assert all(t.client_id == world.b_id for t in outsider.time_use.rows)
    approver = insights.overview(session=session, principal=world["client_approver"].principal())
    assert [c.client_id for c in approver.clients] == [world.a_id]
    assert approver.time_use is None  # who did what is the agency's business, not the client's
    director = insights.overview(session=session, principal=world["director"].principal())
    assert {c.client_id for c in director.clients} == {world.a_id, world.b_id}
    assert [c.client_id for c in director.time_use.clients] == [world.a_id]  # the world's post, written today


def test_api_dashboard_and_isolation(client, world):
    a, b = world.a_id, world.b_id
    for who in ("analyst", "client_approver", "content_creator", "director"):
        r = client.get(f"/api/clients/{a}/analytics/dashboard", headers=world[who].headers,
                       params={"start": "2026-03-01", "end": "2026-03-30"})
        assert r.status_code == 200, (who, r.text)
    body = r.json()
    assert body["period"]["start"] == "2026-03-01" and body["kpis"][0]["metric"] == "followers"
    assert body["kpis"][0]["status"] == "unknown"
    outsider = world["outsider"].headers
    for path in ("dashboard", "kpis", "best-times", "recommendations"):
        r = client.get(f"/api/clients/{a}/analytics/{path}", headers=outsider)
        assert r.status_code == 404, path
        assert world.a_name not in r.text
    assert client.get(f"/api/clients/{b}/analytics/kpis", headers=outsider).status_code == 200
    r = client.get(f"/api/clients/{a}/analytics/dashboard", headers=world["analyst"].headers,
                   params={"start": "2026-03-30", "end": "2026-03-01"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "end"
    r = client.get(f"/api/clients/{a}/analytics/dashboard", headers=world["analyst"].headers,
                   params={"start": "2026-03-01", "end": "2026-03-30", "compare_start": "2026-02-01"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "compare_end"
    for params in ({"end": "0001-01-02"}, {"start": "9999-12-01", "end": "9999-12-31"}):
        for path in ("dashboard", "kpis"):
            r = client.get(f"/api/clients/{a}/analytics/{path}", headers=world["analyst"].headers, params=params)
            assert r.status_code == 422, (path, params, r.text)
    r = client.get(f"/api/clients/{a}/analytics/best-times", headers=world["analyst"].headers,
                   params={"end": "0001-01-02"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "end"
    r = client.get("/api/analytics/overview", headers=outsider)
    assert r.status_code == 200 and [c["client_id"] for c in r.json()["clients"]] == [b]


# --- response time and tracked links, hand-computed -------------------------------------------------


def _conversation(session, client_id, channel_id, began: datetime, seconds: int | None) -> None:
    """A conversation that began at ``began``, answered ``seconds`` later (None: still unanswered)."""
    from socialdesk.inbox.models import Conversation

    session.add(Conversation(
        client_id=client_id, channel_id=channel_id, network="mastodon", root_remote_id=f"c{next(_n)}",
        first_item_at=began, last_activity_at=began, item_count=1,
        first_response_at=None if seconds is None else began + timedelta(seconds=seconds),
        first_response_seconds=seconds))
    session.flush()


def test_first_response_kpi_is_the_median_of_the_inbox_first_responses_in_the_clients_days(session):
    """Guards the response-time KPI: its actual is the inbox report's MEDIAN first_response_seconds (linear
    interpolation between the middle two) of the conversations that began in the client's local days, in
    hours; unanswered conversations count as conversations but not in the median; other clients and days
    outside the period are left out; less is better: green at or below the target, amber up to 125 % of it,
    red above; an hour target is never scaled to the period's length."""
    quick = make_client(session, "Quick Cider")  # UTC
    slow = make_client(session, "Slow Cider", tz="America/New_York")
    q_ch, s_ch = make_channel(session, quick, "mastodon"), make_channel(session, slow, "mastodon")
    # Quick: answered in 1 h, 2 h, 3 h and 10 h, one unanswered -> median (2 h + 3 h) / 2 = 2.5 h.
    for day, seconds in ((2, 3600), (5, 36000), (9, 7200), (20, 10800), (25, None)):
        _conversation(session, quick, q_ch, at(START + timedelta(days=day)), seconds)
    _conversation(session, quick, q_ch, at(START - timedelta(days=1)), 1)  # before the period
    _conversation(session, quick, q_ch, at(END + timedelta(days=1)), 1)  # after it
    # Slow (New York: the period is 1 Mar 05:00 UTC to 31 Mar 04:00 UTC, DST from 8 Mar):
    # 5 h, 10 h and 12 h -> median 10 h. The 60 s answer began on 28 Feb local time and is not counted; the
    # 12 h one began on 30 Mar at 22:00 local (31 Mar UTC) and is.
    _conversation(session, slow, s_ch, datetime(2026, 3, 1, 3, 0, tzinfo=UTC), 60)
    _conversation(session, slow, s_ch, at(date(2026, 3, 10)), 18000)
    _conversation(session, slow, s_ch, at(date(2026, 3, 15)), 36000)
    _conversation(session, slow, s_ch, datetime(2026, 3, 31, 2, 0, tzinfo=UTC), 43200)
    kpi(session, quick, "first_response_hours", 8, period="week", unit="h")
    kpi(session, slow, "first_response_hours", 8, period="week", unit="h")

    k = insights.kpis(session=session, client_id=quick, start=START, end=END)[0]
    assert k.actual == 2.5 and k.status == "green" and k.better == "lower"
    assert k.target_for_period == 8.0, "an hour target is not scaled like a count"
    # p90: rank 3 × 0.9 = 2.7 of [3600, 7200, 10800, 36000] -> 10800 + 0.7 × 25200 = 28440 s.
    assert {k: v for k, v in k.numbers.items() if k != "p90_seconds"} == {
        "conversations": 5, "answered": 4, "median_seconds": 9000.0}
    assert k.numbers["p90_seconds"] == pytest.approx(28440)
    assert "median" in k.formula
    assert "2.50 h" not in k.sentence and "2.5 h" in k.sentence and "on target" in k.sentence
    assert "4 of 5 conversations answered" in k.sentence

    k = insights.kpis(session=session, client_id=slow, start=START, end=END)[0]
    assert k.numbers["conversations"] == 3 and k.numbers["median_seconds"] == 36000.0
    assert k.actual == 10.0 and k.status == "amber"  # 10 h = exactly 125 % of 8 h: still amber
    target = session.query(KpiTarget).filter_by(client_id=slow).one()
    target.target = 7.5  # 125 % of 7.5 h is 9.375 h < 10 h
    session.flush()
    k = insights.kpis(session=session, client_id=slow, start=START, end=END)[0]
    assert k.actual == 10.0 and k.status == "red" and "off target" in k.sentence
    target.target = 10
    session.flush()
    assert insights.kpis(session=session, client_id=slow, start=START, end=END)[0].status == "green"


def test_link_click_and_conversion_kpis_count_tracked_links_without_previews_and_scale_week_targets(session):
    """Guards the link KPIs: clicks are the client's tracked-link clicks in its local days, a link-preview
    fetch (``is_preview``) is not a click and a deduplicated repeat counts once; conversions and leads (kind
    'lead') are counted likewise; count targets per week are scaled to the 30 days looked at (× 30 / 7),
    a month target is not (30 days is within 10 % of a month); more is better: green at or above the
    target, amber from 80 % of it, red below."""
    from socialdesk.links.models import Conversion, LinkClick, TrackedLink

    cid = make_client(session, "Linked Cider", tz="Europe/Berlin")
    other = make_client(session, "Other Cider")
    links = {}
    for owner in (cid, other):
        link = TrackedLink(client_id=owner, code=f"k{next(_n)}", destination="https://example.invalid/shop")
        session.add(link)
        session.flush()
        links[owner] = link.id

    def click(when: datetime, *, owner=cid, preview=False, repeats=0):
        session.add(LinkClick(link_id=links[owner], client_id=owner, at=when, is_preview=preview, repeats=repeats))

    def conversion(when: datetime, kind="purchase", owner=cid):
        session.add(Conversion(client_id=owner, link_id=links[owner], at=when, kind=kind, source="server"))

    # Berlin: the period is 28 Feb 23:00 UTC to 30 Mar 22:00 UTC (summer time from 29 Mar).
    for i in range(38):
        click(at(START + timedelta(days=i % 30), hour=12), repeats=4 if i == 0 else 0)
    click(datetime(2026, 2, 28, 23, 30, tzinfo=UTC))  # 1 Mar 00:30 local: counted
    click(datetime(2026, 3, 30, 21, 30, tzinfo=UTC))  # 30 Mar 23:30 local: counted -> 40 clicks
    click(datetime(2026, 2, 28, 22, 30, tzinfo=UTC))  # 28 Feb 23:30 local: not counted
    click(datetime(2026, 3, 30, 22, 30, tzinfo=UTC))  # 31 Mar 00:30 local: not counted
    for i in range(7):  # link previews by bots: not clicks
        click(at(START + timedelta(days=i)), preview=True)
    for i in range(5):  # another client's clicks
        click(at(START + timedelta(days=i)), owner=other)
    for i in range(12):  # 12 conversions, 4 of them leads
        conversion(at(START + timedelta(days=2 * i)), kind="lead" if i % 3 == 0 else "purchase")
    conversion(datetime(2026, 3, 30, 22, 30, tzinfo=UTC))  # 31 Mar local: not counted
    conversion(at(START + timedelta(days=3)), owner=other)
    session.flush()
    kpi(session, cid, "link_clicks", 10, period="week")  # 10 × 30 / 7 = 42.86; 40 is 93 % of it -> amber
    kpi(session, cid, "conversions", 5, period="week")  # 5 × 30 / 7 = 21.43; 12 is 56 % of it -> red
    kpi(session, cid, "leads", 4, period="month")  # not scaled; 4 -> green
    results = by_metric(insights.kpis(session=session, client_id=cid, start=START, end=END))

    clicks = results["link_clicks"]
    assert clicks.actual == 40 and clicks.numbers == {"clicks": 40} and clicks.source == "tracked links"
    assert clicks.target_for_period == pytest.approx(10 * 30 / 7, abs=1e-4)
    assert clicks.status == "amber" and "close to target" in clicks.sentence
    assert "10 per week is 42.86 for these 30 days" in clicks.sentence
    conversions = results["conversions"]
    assert conversions.actual == 12 and conversions.numbers == {"conversions": 12}
    assert conversions.target_for_period == pytest.approx(5 * 30 / 7, abs=1e-4)
    assert conversions.status == "red" and "off target" in conversions.sentence
    leads = results["leads"]
    assert leads.actual == 4 and leads.target_for_period == 4.0 and leads.status == "green"
    assert "4 per month" in leads.sentence

    # 8 more human clicks make 48 >= 42.86: green; 8 more previews would have changed nothing.
    for i in range(8):
        click(at(START + timedelta(days=10 + i), hour=15))
    session.flush()
    assert by_metric(insights.kpis(session=session, client_id=cid, start=START, end=END))["link_clicks"].status == "green"
