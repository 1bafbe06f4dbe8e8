"""Listening dashboards on SQLite and PostgreSQL: mentions seeded through ingest with known counts give exact
volumes per local hour and day (time zones with DST and half-hour offsets), sentiment shares, share of
voice adding up to 100, top terms without stop words, hashtags, rising terms; an empty period says so; CSV
exports quote and neutralise formulas; pages and routes keep clients apart and escape hostile text."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest

from socialdesk.clients import service as clients_service
from socialdesk.clients.models import Client
from socialdesk.clients.schemas import ClientCreate
from socialdesk.kit.errors import InvalidInput
from socialdesk.listening import dashboard as dash
from socialdesk.listening import export
from socialdesk.listening import service as listening
from socialdesk.listening.schemas import QueryIn
from socialdesk.listening.service import IncomingMention

_n = iter(range(1, 10**9))
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def post(text, when, **fields) -> IncomingMention:
    return IncomingMention(remote_id=f"p{next(_n)}", text=text, created_at=when, **fields)


def new_client(session, name="Acme Bikes", zone="UTC") -> int:
    row = clients_service.create(session=session, data=ClientCreate(name=f"{name} {next(_n)}", timezone=zone))
    session.flush()
    return row.id


def query(session, client_id, text, name=None, topic="brand"):
    return listening.create_query(session=session, client_id=client_id, user_id=None,
                                  data=QueryIn(name=name or f"q{next(_n)}", topic=topic, text=text))


def ingest(session, client_id, posts, source="mastodon"):
    result = listening.ingest(session=session, source=source, posts=posts, client_ids=[client_id])
    assert not result.rejected, result.rejected
    session.flush()
    return result


# --- volume ---------------------------------------------------------------------------------------


def test_volume_per_local_day_and_topic_counts_each_mention_once_per_topic(session):
    cid = new_client(session, zone="America/New_York")  # EST, UTC-5, from 1 November 2026
    query(session, cid, "acme", name="Acme")
    query(session, cid, "acme bike", name="Acme bikes")  # a second brand query: a post matched by both counts once
    query(session, cid, "globex", name="Globex", topic="competitor")
    ingest(session, cid, [
        post("acme bike day one", at("2026-11-02T05:00:00")),  # 00:00 local, 2 Nov
        post("acme and globex side by side", at("2026-11-03T03:00:00")),  # 22:00 local, still 2 Nov
        post("globex only", at("2026-11-03T06:00:00")),  # 01:00 local, 3 Nov
        post("acme late", at("2026-11-05T04:59:00")),  # 23:59 local, 4 Nov
        post("acme too early", at("2026-11-02T04:59:00")),  # 23:59 local, 1 Nov: outside
        post("acme too late", at("2026-11-05T05:00:00")),  # 00:00 local, 5 Nov: outside
        post("nothing matches here", at("2026-11-03T06:00:00")),
    ])
    p = dash.day_period(first=date(2026, 11, 2), last=date(2026, 11, 4), zone="America/New_York")
    assert p.bucket == "day" and p.start == at("2026-11-02T05:00:00") and p.end == at("2026-11-05T05:00:00")
    v = dash.volume(session=session, client_id=cid, period=p)
    assert [s.date() for s in v.starts] == [date(2026, 11, 2), date(2026, 11, 3), date(2026, 11, 4)]
    assert all(s.hour == 0 and str(s.tzinfo) == "America/New_York" for s in v.starts)
    assert v.series == {"brand": [2, 0, 1], "competitor": [1, 1, 0]}
    assert v.total == [2, 1, 1]  # the post naming both is one mention in the total
    assert v.peak == 2
    only = dash.volume(session=session, client_id=cid, period=p, topic="competitor")
    assert only.series == {"competitor": [1, 1, 0]} and only.total == [1, 1, 0]
    assert dash.total_mentions(session=session, client_id=cid, period=p) == 4


def test_volume_days_across_a_dst_change_and_hours_in_a_half_hour_zone(session):
    paris = new_client(session, zone="Europe/Paris")  # summer time ends 25 October 2026, 03:00 -> 02:00
    query(session, paris, "acme")
    ingest(session, paris, [
        post("acme one", at("2026-10-24T22:30:00")),  # 00:30 CEST on the 25th
        post("acme two", at("2026-10-25T22:59:00")),  # 23:59 CET on the 25th (a 25-hour day)
        post("acme three", at("2026-10-25T23:00:00")),  # 00:00 CET on the 26th
    ])
    p = dash.day_period(first=date(2026, 10, 25), last=date(2026, 10, 26), zone="Europe/Paris")
    v = dash.volume(session=session, client_id=paris, period=p)
    assert v.total == [2, 1]
    assert (p.end - p.start) == timedelta(hours=49)

    kolkata = new_client(session, zone="Asia/Kolkata")  # UTC+05:30: local hours begin at half past in UTC
    query(session, kolkata, "acme")
    ingest(session, kolkata, [
        post("acme a", at("2026-11-02T09:29:00")),  # 14:59 local
        post("acme b", at("2026-11-02T09:30:00")),  # 15:00 local
        post("acme c", at("2026-11-02T10:20:00")),  # 15:50 local
        post("acme d", at("2026-11-02T10:40:00")),  # 16:10 local
    ])
    p = dash.period(start=datetime(2026, 11, 2, 14, 0), end=datetime(2026, 11, 2, 17, 0), zone="Asia/Kolkata")
    assert p.bucket == "hour"
    v = dash.volume(session=session, client_id=kolkata, period=p)
    assert [s.strftime("%H:%M") for s in v.starts] == ["14:00", "15:00", "16:00"]
    assert v.total == [1, 2, 1]


def test_period_defaults_and_refusals_name_the_field():
    p = dash.period(now=NOW)
    assert (p.start, p.end, p.bucket) == (NOW - timedelta(days=7), NOW, "day")
    assert dash.period(start=NOW - timedelta(hours=30), end=NOW).bucket == "hour"
    with pytest.raises(InvalidInput) as caught:
        dash.period(start=NOW, end=NOW)
    assert caught.value.errors[0].field == "end"
    with pytest.raises(InvalidInput) as caught:
        dash.period(start=NOW - timedelta(days=500), end=NOW)
    assert caught.value.errors[0].field == "start"
    with pytest.raises(InvalidInput) as caught:
        dash.period(start=NOW - timedelta(days=60), end=NOW, bucket="hour")
    assert caught.value.errors[0].field == "bucket"


# --- sentiment and share of voice -----------------------------------------------------------------


def test_sentiment_share_per_topic_adds_up_to_100(session):
    cid = new_client(session)
    query(session, cid, "acme")
    query(session, cid, "globex", topic="competitor")
    ingest(session, cid, [
        post("I love acme, wonderful and great", NOW - timedelta(hours=5)),
        post("acme is terrible, awful, I hate it", NOW - timedelta(hours=4)),
        post("acme store opens at nine", NOW - timedelta(hours=3)),
        post("globex is wonderful, I love it", NOW - timedelta(hours=2)),
        post("globex makes me happy and glad", NOW - timedelta(hours=1)),
    ])
    shares = {s.topic: s for s in dash.sentiment_share(session=session, client_id=cid,
                                                        period=dash.period(end=NOW, now=NOW))}
    assert list(shares) == ["all", "brand", "competitor"]
    assert shares["brand"].counts == {"positive": 1, "neutral": 1, "negative": 1}
    assert shares["brand"].percents == {"positive": 33.4, "neutral": 33.3, "negative": 33.3}
    assert shares["competitor"].counts == {"positive": 2, "neutral": 0, "negative": 0}
    assert shares["competitor"].percents == {"positive": 100.0, "neutral": 0.0, "negative": 0.0}
    assert shares["all"].total == 5 and shares["all"].percents == {"positive": 60.0, "neutral": 20.0,
                                                                    "negative": 20.0}
    for s in shares.values():
        assert round(sum(s.percents.values()), 6) == 100.0


def test_share_of_voice_brand_against_each_competitor_query_sums_to_100(session):
    cid = new_client(session, name="Acme")
    query(session, cid, "acme", name="Acme brand")
    query(session, cid, "acme shop", name="Acme shop")
    query(session, cid, "globex", name="Globex", topic="competitor")
    query(session, cid, "initech", name="Initech", topic="competitor")
    query(session, cid, "umbrella", name="Umbrella", topic="competitor")  # never mentioned
    query(session, cid, "bikes", name="Bikes", topic="industry")  # not a voice in the comparison
    t = NOW - timedelta(hours=6)
    ingest(session, cid, [
        post("acme shop is open", t), post("acme again", t + timedelta(minutes=1)),
        post("acme and globex", t + timedelta(minutes=2)), post("globex news", t + timedelta(minutes=3)),
        post("initech launch", t + timedelta(minutes=4)), post("bikes everywhere", t + timedelta(minutes=5)),
        post("acme bikes", t + timedelta(minutes=6)),
    ])
    voices = dash.share_of_voice(session=session, client_id=cid, period=dash.period(end=NOW, now=NOW))
    assert [(v.kind, v.name, v.mentions) for v in voices] == [
        ("brand", session.get(Client, cid).name, 4), ("competitor", "Globex", 2),
        ("competitor", "Initech", 1), ("competitor", "Umbrella", 0)]
    assert [v.percent for v in voices] == [57.1, 28.6, 14.3, 0.0]
    assert round(sum(v.percent for v in voices), 6) == 100.0
    assert dash.shares([1, 1, 1]) == [33.4, 33.3, 33.3]
    assert dash.shares([0, 0]) == [0.0, 0.0]
    assert sum(dash.shares([2, 3, 7, 11, 13])) == pytest.approx(100.0)


# --- authors, terms, hashtags ---------------------------------------------------------------------


def test_top_authors_by_mentions_and_by_reach(session):
    cid = new_client(session)
    query(session, cid, "acme")
    t = NOW - timedelta(hours=3)
    ingest(session, cid, [
        post("acme one", t, author_handle="fan@m.example", author_name="Fan", author_followers=10),
        post("acme two", t + timedelta(minutes=1), author_handle="fan@m.example", author_name="Fan",
             author_followers=12),
        post("acme three", t + timedelta(minutes=2), author_handle="fan@m.example", author_followers=11),
        post("acme star", t + timedelta(minutes=3), author_handle="star@m.example", author_name="Star",
             author_followers=90_000),
        post("acme quiet", t + timedelta(minutes=4), author_handle="quiet@m.example"),
        post("acme quiet again", t + timedelta(minutes=5), author_handle="quiet@m.example"),
        post("acme nobody", t + timedelta(minutes=6)),
    ])
    p = dash.period(end=NOW, now=NOW)
    by_mentions = dash.top_authors(session=session, client_id=cid, period=p)
    assert [(a.handle, a.mentions, a.followers) for a in by_mentions] == [
        ("fan@m.example", 3, 12), ("quiet@m.example", 2, None), ("star@m.example", 1, 90_000)]
    assert by_mentions[0].name == "Fan"
    by_reach = dash.top_authors(session=session, client_id=cid, period=p, by="reach")
    assert [(a.handle, a.followers) for a in by_reach] == [("star@m.example", 90_000), ("fan@m.example", 12)]
    with pytest.raises(InvalidInput):
        dash.top_authors(session=session, client_id=cid, period=p, by="likes")


def test_top_terms_leave_out_stop_words_links_and_handles_and_hashtags_have_their_own_table(session):
    cid = new_client(session)
    query(session, cid, "acme OR velo")
    t = NOW - timedelta(hours=3)
    ingest(session, cid, [
        post("The battery of the Acme bike is great https://acme.example/battery-page #Acme", t,
             hashtags=("acme",)),
        post("Is the acme battery any good? @shop@m.example says yes #EBike", t + timedelta(minutes=1)),
        post("Acme: battery battery battery and the frame", t + timedelta(minutes=2), hashtags=("ebike",)),
        post("Le vélo Acme et la batterie, c'est très bien pour nous #Vélo", t + timedelta(minutes=3)),
    ])
    p = dash.period(end=NOW, now=NOW)
    terms, tags = dash.terms_and_hashtags(session=session, client_id=cid, period=p)
    counts = {t.term: t.mentions for t in terms.terms}
    assert counts["acme"] == 4
    assert counts["battery"] == 3  # once per mention, however often a mention repeats it
    assert {"bike", "frame", "good", "great", "velo", "batterie"} <= set(counts)
    for stop in ("the", "of", "is", "and", "any", "le", "la", "et", "est", "tres", "pour", "nous", "c", "https"):
        assert stop not in counts, stop
    assert "example" not in counts and "page" not in counts and "shop" not in counts  # link and handle gone
    assert [t.term for t in terms.terms][:2] == ["acme", "battery"]
    assert (terms.read, terms.total, terms.sampled) == (4, 4, False)
    assert {t.term: t.mentions for t in tags.terms} == {"acme": 1, "ebike": 2, "velo": 1}
    with_pairs = dash.top_terms(session=session, client_id=cid, period=p, bigrams=True, limit=100)
    assert {t.term: t.mentions for t in with_pairs.terms}["acme battery"] == 2  # "acme: battery" too: punctuation only separates
    assert dash.terms_of("The the THE of") == set()


def test_terms_count_a_near_duplicate_group_once_and_a_small_sample_says_it_is_one(session):
    cid = new_client(session)
    query(session, cid, "acme")
    t = NOW - timedelta(hours=3)
    copies = [post(f"RT @fan{i}: acme recall notice for every owner of the model", t + timedelta(minutes=i))
              for i in range(5)]
    ingest(session, cid, copies + [post("acme recall rumours are everywhere", t + timedelta(minutes=9))])
    p = dash.period(end=NOW, now=NOW)
    assert dash.total_mentions(session=session, client_id=cid, period=p) == 6  # copies are volume
    terms = {t.term: t.mentions for t in dash.top_terms(session=session, client_id=cid, period=p).terms}
    assert terms["recall"] == 2 and terms["notice"] == 1
    sampled = dash.top_terms(session=session, client_id=cid, period=p, sample=1)
    assert (sampled.read, sampled.total, sampled.sampled) == (1, 2, True)
    assert {t.term: t.mentions for t in sampled.terms}["rumours"] == 2  # scaled to the whole


# --- rising terms ---------------------------------------------------------------------------------


def test_rising_terms_pick_a_term_new_today_and_not_the_everyday_ones(session):
    cid = new_client(session)
    query(session, cid, "acme")
    posts = []
    for day in range(1, 29):  # every day of the baseline: four posts on acme batteries, "frame" every third day
        when = NOW - timedelta(days=day, hours=1)
        posts += [post(f"acme battery lasts all day long, ride {day} {k}", when + timedelta(minutes=k))
                  for k in range(4)]
        if day % 3 == 0:
            posts.append(post(f"acme frame colour {day}", when + timedelta(minutes=5)))
    today = NOW - timedelta(hours=2)
    posts += [post(f"acme battery recall announced {i}", today + timedelta(minutes=i)) for i in range(4)]
    posts += [post("acme frame frame frame and frame", today + timedelta(minutes=10)),
              post("acme frame again", today + timedelta(minutes=11)),
              post("acme frame thrice", today + timedelta(minutes=12))]
    posts.append(post("acme recall wobble", today + timedelta(minutes=20)))  # wobble: new, but under the minimum
    ingest(session, cid, posts)
    rising = dash.rising_terms(session=session, client_id=cid, end=NOW)
    found = {r.term: r for r in rising.terms}
    assert list(found)[0] == "recall"
    assert (found["recall"].recent, found["recall"].baseline_per_day, found["recall"].new) == (5, 0.0, True)
    assert found["recall"].ratio == 6.0  # (5 + 1) / (0 + 1)
    assert list(found)[1] == "announced" and found["announced"].new and found["announced"].ratio == 5.0
    # frame: 3 today against 9 in 28 days (0.32 a day): (3 + 1) / (9 / 28 + 1) = 3.03, rising but not new
    assert (found["frame"].recent, found["frame"].baseline_per_day, found["frame"].new) == (3, 0.32, False)
    assert found["frame"].ratio == 3.03
    # every day's words: acme 8 today against 121 / 28 = 4.32 a day (ratio 1.69), battery 4 against 4
    assert "battery" not in found and "acme" not in found
    assert "wobble" not in found  # seen once: under the minimum count
    assert (rising.recent_read, rising.baseline_read, rising.baseline_total) == (8, 121, 121)
    assert rising.window_start == NOW - timedelta(hours=24)


def test_an_empty_period_says_no_mentions_without_dividing_by_zero(session):
    cid = new_client(session)
    query(session, cid, "acme", topic="brand")
    query(session, cid, "globex", topic="competitor", name="Globex")
    board = dash.dashboard(session=session, client_id=cid, period=dash.period(end=NOW, now=NOW), now=NOW)
    assert board.empty and board.message == "No mentions in this period." and board.total == 0
    # seven days back from noon touch eight local days
    assert board.volume.total == [0] * 8 and board.volume.series == {} and board.volume.peak == 0
    assert board.sentiment[0].percents == {"positive": 0.0, "neutral": 0.0, "negative": 0.0}
    assert [v.percent for v in board.share_of_voice] == [0.0, 0.0]
    assert board.terms.terms == [] and board.rising.terms == [] and board.topics == ["brand", "competitor"]
    for name in export.TABLES:
        header, rows = export.table(board, name)
        assert header and (rows == [] or name in ("volume", "sentiment", "share_of_voice"))


# --- CSV ------------------------------------------------------------------------------------------

HOSTILE = [
    'acme, "quoted", and a comma',
    "acme line one\nline two\r\nline three",
    "=HYPERLINK(\"http://evil.example\",\"acme\")",
    "+acme+1",
    "-2+3 acme",
    "@SUM(1+1) acme",
    "\tacme tab",
]


def test_mentions_csv_header_quoting_and_formula_neutralising(session):
    cid = new_client(session)
    query(session, cid, "acme")
    t = NOW - timedelta(hours=3)
    ingest(session, cid, [post(text, t + timedelta(minutes=i), author_name="=cmd|' /C calc'!A0",
                               author_handle=f"@h{i}@m.example", url="https://m.example/@h/1")
                          for i, text in enumerate(HOSTILE)])
    text = "".join(export.lines(export.MENTION_COLUMNS, export.mention_rows(session=session, client_id=cid)))
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows[0] == list(export.MENTION_COLUMNS)
    body = {r[rows[0].index("text")] for r in rows[1:]}
    assert len(rows) == 1 + len(HOSTILE)
    assert 'acme, "quoted", and a comma' in body
    assert "acme line one\nline two\r\nline three" in body
    assert "'=HYPERLINK(\"http://evil.example\",\"acme\")" in body
    assert {"'+acme+1", "'-2+3 acme", "'@SUM(1+1) acme", "'\tacme tab"} <= body
    for r in rows[1:]:
        for value in r:
            assert not value.startswith(export.FORMULA_START), value
        assert r[rows[0].index("author_name")] == "'=cmd|' /C calc'!A0"
        assert r[rows[0].index("author_handle")].startswith("'@h")
    assert export.cell(-0.5) == -0.5 and export.cell(None) == "" and export.cell(True) == "yes"


def test_dashboard_tables_as_csv(session):
    cid = new_client(session, zone="Europe/Paris")
    query(session, cid, "acme", name="=Acme brand")
    query(session, cid, "globex", name="-Globex", topic="competitor")
    ingest(session, cid, [post("acme battery #launch", NOW - timedelta(hours=3), author_handle="a@m.example",
                               author_followers=5),
                          post("globex battery", NOW - timedelta(hours=2), author_handle="b@m.example")])
    board = dash.dashboard(session=session, client_id=cid, period=dash.period(end=NOW, now=NOW), now=NOW)
    header, rows = export.table(board, "share_of_voice")
    text = "".join(export.lines(header, rows))
    parsed = list(csv.reader(io.StringIO(text, newline="")))
    assert parsed[0] == ["name", "kind", "mentions", "percent"]
    assert parsed[2] == ["'-Globex", "competitor", "1", "50.0"]
    header, rows = export.table(board, "volume")
    assert header == ["bucket_start", "all", "brand", "competitor"] and len(rows) == 8
    assert sum(r[1] for r in rows) == 2
    assert export.table(board, "hashtags")[1] == [["#launch", 1]]
    with pytest.raises(InvalidInput):
        export.table(board, "secrets")
    assert export.filename("Acme Bikes & Co", "mentions", NOW, NOW) == "acme-bikes-co-mentions-2026-11-20-2026-11-20.csv"


# --- pages and routes -----------------------------------------------------------------------------

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def seed_a(world, *, hostile=True) -> dict:
    """Queries and mentions on client A (a brand, a competitor), a hostile post among them, with copies."""
    now = datetime.now(UTC).replace(microsecond=0)
    with world.database.session() as s:
        brand = query(s, world.a_id, "alpha", name="Alpha brand")
        rival = query(s, world.a_id, "rival", name="Rival <b>Co</b>", topic="competitor")
        posts = [post(f"alpha apples are wonderful {i}", now - timedelta(hours=3, minutes=i),
                      author_handle=f"fan{i}@m.example") for i in range(3)]
        posts.append(post("rival cider is awful", now - timedelta(hours=2), author_handle="critic@m.example"))
        posts += [post(f"RT @orig{i}: alpha harvest recall notice for the orchard today", now - timedelta(hours=1, minutes=i))
                  for i in range(3)]
        if hostile:
            posts.append(post(f"alpha {XSS} {{{{7*7}}}}", now - timedelta(minutes=30), author_name=XSS,
                              author_handle='evil"><svg onload=alert(2)>@x.example', url="javascript:alert(3)"))
        ingest(s, world.a_id, posts)
        return {"brand": brand.id, "rival": rival.id}


def test_dashboard_page_draws_svg_charts_tables_and_escapes_mention_text(world, client):
    ids = seed_a(world)
    owner = world["owner"].headers
    page = client.get(f"/clients/{world.a_id}/listening", headers=owner)
    assert page.status_code == 200, page.text
    html = page.text
    assert '<svg class="chart volume-chart"' in html and "<polyline" in html
    assert '<svg class="chart sentiment-chart"' in html and 'class="sentiment-positive"' in html
    assert '<svg class="chart voice-chart"' in html
    assert "<script>alert" not in html and "<img src=x" not in html and "<svg onload" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    assert 'href="javascript:' not in html and ">javascript:alert(3)</span>" in html  # a bad link is only text
    assert "Rival &lt;b&gt;Co&lt;/b&gt;" in html and "{{7*7}}" in html
    assert "+2 copies" in html  # the recall post and its two reposts: shown once
    assert 'href="/clients/%d/listening/queries"' % world.a_id in html
    assert f"/api/clients/{world.a_id}/listening/mentions.csv?" in html
    assert f"/api/clients/{world.a_id}/listening/dashboard.csv?" in html and "table=terms" in html
    # the nav and the client home link to the dashboard
    home = client.get(f"/clients/{world.a_id}", headers=owner).text
    assert f'href="/clients/{world.a_id}/listening"' in home

    # filters: the list through HTMX, sentiment and query
    part = client.get(f"/clients/{world.a_id}/listening/mentions?sentiment=negative", headers={**owner, "HX-Request": "true"})
    assert part.status_code == 200 and "rival cider is awful" in part.text and "wonderful" not in part.text
    part = client.get(f"/clients/{world.a_id}/listening/mentions?query={ids['brand']}&duplicates=1",
                      headers={**owner, "HX-Request": "true"})
    assert part.text.count("harvest recall notice") == 3 and "rival cider" not in part.text
    assert client.get(f"/clients/{world.a_id}/listening?range=24h&topic=competitor", headers=owner).status_code == 200
    bad = client.get(f"/clients/{world.a_id}/listening?start=2026-13-01", headers=owner)
    assert bad.status_code == 422 and "give a day as YYYY-MM-DD" in bad.text

    # the same figures as JSON and CSV
    api = client.get(f"/api/clients/{world.a_id}/listening/dashboard", headers=owner)
    assert api.status_code == 200, api.text
    body = api.json()
    assert body["total"] == 8 and not body["empty"]
    assert [(v["kind"], v["mentions"]) for v in body["share_of_voice"]] == [("brand", 7), ("competitor", 1)]
    assert sum(v["percent"] for v in body["share_of_voice"]) == pytest.approx(100.0)
    assert {t["term"] for t in body["terms"]["terms"]} >= {"alpha", "apples", "harvest"}
    got = client.get(f"/api/clients/{world.a_id}/listening/mentions.csv", headers=owner)
    assert got.status_code == 200 and got.headers["content-type"].startswith("text/csv")
    assert got.headers["content-disposition"].startswith('attachment; filename="alpha-orchard-cooperative-mentions-')
    rows = list(csv.reader(io.StringIO(got.text, newline="")))
    assert rows[0] == list(export.MENTION_COLUMNS) and len(rows) == 1 + 6  # the two copies are not listed
    hostile = next(r for r in rows if r[export.MENTION_COLUMNS.index("author_name")].startswith("<script>"))
    assert hostile[export.MENTION_COLUMNS.index("author_handle")] == 'evil"><svg onload=alert(2)>@x.example'
    got = client.get(f"/api/clients/{world.a_id}/listening/dashboard.csv?table=share_of_voice", headers=owner)
    assert list(csv.reader(io.StringIO(got.text, newline="")))[1:] == [
        [world.a_name, "brand", "7", "87.5"], ["Rival <b>Co</b>", "competitor", "1", "12.5"]]
    refused = client.get(f"/api/clients/{world.a_id}/listening/mentions.csv?lang=%00zz", headers=owner)
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "lang"  # before any CSV is sent
    wrong = client.get(f"/api/clients/{world.a_id}/listening/dashboard.csv?table=passwords", headers=owner)
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["field"] == "table"
    assert client.get(f"/api/clients/{world.a_id}/listening/dashboard?start=2026-01-02T00:00:00Z"
                      "&end=2026-01-01T00:00:00Z", headers=owner).json()["errors"][0]["field"] == "end"


def test_empty_dashboard_page_says_no_mentions(world, client):
    page = client.get(f"/clients/{world.b_id}/listening", headers=world["owner"].headers)
    assert page.status_code == 200
    assert "No mentions in this period." in page.text and "has no listening queries yet" in page.text
    body = client.get(f"/api/clients/{world.b_id}/listening/dashboard", headers=world["owner"].headers).json()
    assert body["empty"] and body["message"] == "No mentions in this period." and body["total"] == 0


def test_a_member_of_b_finds_nothing_of_a_and_client_approvers_never_see_listening(world, client):
    seed_a(world, hostile=False)
    a = world.a_id
    reads = [f"/clients/{a}/listening", f"/clients/{a}/listening/queries", f"/api/clients/{a}/listening/dashboard",
             f"/api/clients/{a}/listening/mentions.csv", f"/api/clients/{a}/listening/dashboard.csv?table=terms"]
    for url in reads:
        outsider = client.get(url, headers=world["outsider"].headers)
        assert outsider.status_code == 404, url
        assert "alpha apples" not in outsider.text and "Alpha brand" not in outsider.text
        approver = client.get(url, headers=world["client_approver"].headers)
        assert approver.status_code == 403, url
        assert "alpha apples" not in approver.text
        assert client.get(url, headers=world["analyst"].headers).status_code == 200, url
    hx = {"HX-Request": "true"}
    assert client.get(f"/clients/{a}/listening/mentions", headers={**world["outsider"].headers, **hx}).status_code == 404
    assert client.get(f"/clients/{a}/listening/mentions", headers={**world["client_approver"].headers, **hx}
                      ).status_code == 403
    # the approver's pages offer no way in
    home = client.get(f"/clients/{a}", headers=world["client_approver"].headers).text
    assert "/listening" not in home
    # a content creator reads but does not change queries
    creator = world["content_creator"].headers
    assert client.get(f"/clients/{a}/listening/queries", headers=creator).status_code == 200
    assert client.post(f"/clients/{a}/listening/queries", headers=creator,
                       data={"name": "x", "topic": "brand", "text": "x"}).status_code == 403
    assert client.post(f"/clients/{a}/listening/queries", headers=world["outsider"].headers,
                       data={"name": "x", "topic": "brand", "text": "x"}).status_code == 404


def test_queries_editor_checks_live_with_a_caret_and_adds_edits_switches_and_deletes(world, client):
    a = world.a_id
    manager = world["manager"].headers
    check = client.post(f"/clients/{a}/listening/queries/check", headers=manager,
                        data={"text": 'alpha AND (cider OR "new press"'})
    assert check.status_code == 200
    assert "At position 10: this parenthesis is never closed" in check.text
    assert '<pre class="query-caret"' in check.text and "          ^" in check.text
    ok = client.post(f"/clients/{a}/listening/queries/check", headers=manager, data={"text": "alpha cider"})
    assert "Understood as" in ok.text
    hostile = client.post(f"/clients/{a}/listening/queries/check", headers=manager, data={"text": "<script>x("})
    assert "<script>" not in hostile.text and "&lt;script&gt;" in hostile.text

    bad = client.post(f"/clients/{a}/listening/queries", headers=manager,
                      data={"name": "Cider", "topic": "brand", "text": "alpha colour:red", "enabled": "1"})
    assert bad.status_code == 422 and "at position 6: unknown field colour:" in bad.text
    added = client.post(f"/clients/{a}/listening/queries", headers=manager, follow_redirects=False,
                        data={"name": "Cider", "topic": "brand", "text": "alpha cider", "enabled": "1"})
    assert added.status_code == 303
    with world.database.session() as s:
        row = next(q for q in listening.list_queries(session=s, client_id=a) if q.name == "Cider")
    listed = client.get(f"/clients/{a}/listening/queries", headers=manager).text
    assert "alpha cider" in listed and f'action="/clients/{a}/listening/queries/{row.id}/enabled"' in listed
    edit = client.get(f"/clients/{a}/listening/queries/{row.id}", headers=manager)
    assert edit.status_code == 200 and "Change “Cider”" in edit.text
    saved = client.post(f"/clients/{a}/listening/queries/{row.id}", headers=manager, follow_redirects=False,
                        data={"name": "Cider press", "topic": "campaign", "text": "alpha press*", "enabled": "1"})
    assert saved.status_code == 303
    off = client.post(f"/clients/{a}/listening/queries/{row.id}/enabled", headers=manager, data={"enabled": "0"},
                      follow_redirects=False)
    assert off.status_code == 303
    with world.database.session() as s:
        q = listening.get_query(session=s, client_id=a, query_id=row.id)
        assert (q.name, q.topic, q.text, q.enabled) == ("Cider press", "campaign", "alpha press*", False)
    # another client's query id under A is not found
    with world.database.session() as s:
        other = query(s, world.b_id, "bravo", name="Bravo")
    assert client.get(f"/clients/{a}/listening/queries/{other.id}", headers=manager).status_code == 404
    gone = client.post(f"/clients/{a}/listening/queries/{row.id}/delete", headers=manager, follow_redirects=False)
    assert gone.status_code == 303
    with world.database.session() as s:
        assert all(q.id != row.id for q in listening.list_queries(session=s, client_id=a))


# --- in Chromium ----------------------------------------------------------------------------------

BROWSER_DOM_CHECK = """() => {
  const bad = [];
  for (const el of document.querySelectorAll("*")) {
    for (const attr of el.getAttributeNames()) {
      if (attr.startsWith("on") || attr.startsWith("hx-on")) bad.push(`${el.tagName} ${attr}`);
    }
  }
  for (const s of document.querySelectorAll("script")) {
    if (!s.src || new URL(s.src).origin !== location.origin) bad.push("script " + (s.src || s.textContent.slice(0, 40)));
  }
  const tags = ["iframe", "object", "embed", "svg", "math", "base", "marquee", "video", "img", "style", "meta", "form", "details", "input"];
  for (const where of document.querySelectorAll("#mentions-list, .queries-table td:first-child, .queries-table code")) {
    for (const tag of tags) for (const el of where.querySelectorAll(tag)) bad.push("element " + tag + " in untrusted text");
  }
  for (const el of document.querySelectorAll("main svg *")) {
    if (["script", "foreignObject", "a", "image", "use"].includes(el.tagName)) bad.push("svg child " + el.tagName);
  }
  for (const a of document.querySelectorAll("a[href]")) {
    if (!["http:", "https:"].includes(a.protocol)) bad.push("link " + a.getAttribute("href"));
  }
  return bad;
}"""


@pytest.mark.browser
def test_in_chromium_the_dashboard_draws_its_svg_charts_and_no_hostile_mention_runs(tmp_path):
    from playwright.sync_api import expect, sync_playwright

    from live import free_port, serve
    from socialdesk.auth import service as auth_service
    from socialdesk.config import Settings
    from socialdesk.kit.authz import AgencyRole
    from socialdesk.web.app import create_app
    from test_browser import CHROMIUM, CHROMIUM_ARGS, CSP_LISTENER
    from test_inbox_xss import BAD_URLS, HOOK, PAYLOADS

    port = free_port()
    settings = Settings(data_dir=tmp_path / "data", secret_key="listening-browser-" + "x" * 32,
                        task_backend="immediate", auto_migrate=True, base_url=f"http://127.0.0.1:{port}")
    app = create_app(settings)
    email, password = "olivia@agency.example.com", "correct horse battery staple"
    now = datetime.now(UTC).replace(microsecond=0)
    with serve(app, port) as url:
        with app.state.database.session() as s:
            auth_service.create_user(session=s, email=email, name="Olivia Owner", password=password,
                                     agency_role=AgencyRole.OWNER)
            cid = new_client(s, name="Acme Bikes", zone="Europe/Paris")
            query(s, cid, "acme", name="Acme")
            query(s, cid, "globex", name='Globex <img src=x onerror=__xssHit(900)>', topic="competitor")
            posts = [post(f"acme {payload}", now - timedelta(hours=1, minutes=n), author_name=payload,
                          author_handle=f"u{n}{payload}@evil.example", author_followers=n,
                          url=BAD_URLS[n % len(BAD_URLS)], hashtags=(payload[:40],))
                     for n, payload in enumerate(PAYLOADS)]
            posts += [post("globex is awful and broken", now - timedelta(days=2)),
                      post("acme is wonderful, I love it", now - timedelta(days=3))]
            ingest(s, cid, posts)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            context = browser.new_context(base_url=url, viewport={"width": 1400, "height": 900})
            context.add_init_script(CSP_LISTENER)
            context.add_init_script(HOOK)
            page = context.new_page()
            page.set_default_timeout(10_000)
            problems, dialogs = [], []
            page.on("console", lambda m: m.type in ("error", "warning") and problems.append(f"{m.type}: {m.text}"))
            page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            page.goto("/login")
            page.get_by_label("E-mail").fill(email)
            page.get_by_label("Password").fill(password)
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_url(url + "/")

            def clean(where):
                page.wait_for_timeout(200)  # let onload / autofocus / htmx load triggers fire if anything got in
                assert page.evaluate("window.__xss") == [], where
                assert dialogs == [], where
                assert page.evaluate(BROWSER_DOM_CHECK) == [], where
                assert problems == [], (where, problems)

            page.goto(f"/clients/{cid}/listening")
            # The charts are drawn: a line per topic with a point per day, stacked sentiment bars, voice bars.
            expect(page.locator("svg.volume-chart")).to_be_visible()
            assert page.locator("svg.volume-chart polyline").count() == 3  # all, brand, competitor
            assert page.locator("svg.volume-chart .topic-brand circle").count() == 8
            assert page.locator("svg.sentiment-chart rect").count() >= 3
            assert page.locator("svg.voice-chart rect").count() == 2
            box = page.locator("svg.volume-chart").bounding_box()
            assert box and box["width"] > 400 and box["height"] > 100
            stroke = page.eval_on_selector("svg.volume-chart .topic-brand polyline",
                                           "el => getComputedStyle(el).stroke")
            assert stroke == "rgb(59, 91, 219)"  # coloured by the stylesheet: the CSP allows no inline style
            shown = page.locator("#mentions-list").inner_text()
            assert "<script>__xssHit(1)</script>" in shown and "{{7*7}}" in shown
            assert "Globex <img src=x onerror=__xssHit(900)>" in page.locator("#share-of-voice").inner_text()
            clean("dashboard")

            page.locator("#mentions select[name=sentiment]").select_option("neutral")
            page.wait_for_function("() => !document.querySelector('#mentions-list').innerText.includes('wonderful')")
            clean("after the HTMX filter")

            page.goto(f"/clients/{cid}/listening/queries")
            page.locator("textarea[name=text]").fill('acme AND (launch OR "new bike"')
            expect(page.locator("#query-check pre.query-caret")).to_contain_text("^")
            expect(page.locator("#query-check")).to_contain_text("At position 9: this parenthesis is never closed")
            clean("queries editor")
            browser.close()
