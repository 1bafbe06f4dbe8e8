"""Client reports on SQLite and PostgreSQL: numbers built from seeded analytics, the engagement rate, best
times (measured and the labelled fallback) and competitor benchmarks equal to the Analytics dashboard's for
the same client and days, an empty period said in words, the PDF drawn by WeasyPrint and read back with
pdftoppm (pages with ink) and pdftotext (every chosen section title, the client's name), the command line,
scheduled e-mail to a real aiosmtpd server once per period with the PDF attached, share links without
signing in (that report only, expiry, withdrawal) and isolation between clients."""

from __future__ import annotations

import email
import email.policy
import io
import subprocess
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller
from PIL import Image
from sqlalchemy import select, update
from live import free_port
from typer.testing import CliRunner

from socialdesk.analytics import insights
from socialdesk.analytics.models import AccountSnapshot, PaidResult, PostMetricSnapshot, TrackedPost
from socialdesk.clients.models import KpiTarget
from socialdesk.clients.schemas import WEEKDAYS
from socialdesk.config import get_settings
from socialdesk.listening.models import ListeningQuery, Mention, MentionMatch
from socialdesk.publishing.models import Post, PostTarget
from socialdesk.publishing.timing import new_marker
from socialdesk.reports import periods, render, service
from socialdesk.reports.models import SECTIONS, ReportDelivery, ReportShare

OCTOBER = periods.parse("2026-10")


def _point_settings_at(monkeypatch, settings) -> None:
    """get_settings() (read by the command line and by tasks) describes the test's database and data folder."""
    for key, value in {"SOCIALDESK_DATA_DIR": str(settings.data_dir),
                       "SOCIALDESK_DATABASE_URL": settings.resolved_database_url,
                       "SOCIALDESK_SECRET_KEY": settings.secret_key.get_secret_value(),
                       "SOCIALDESK_VAULT_KEYS": settings.vault_keys.get_secret_value(),
                       "SOCIALDESK_TASK_BACKEND": settings.task_backend,
                       "SOCIALDESK_BASE_URL": settings.base_url}.items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()


@pytest.fixture
def task_settings(settings, monkeypatch):
    """Tasks read get_settings() when they run, as in a worker; the shared Huey runs them inline."""
    from socialdesk.tasks import load_tasks

    _point_settings_at(monkeypatch, settings)
    huey = load_tasks()
    was = huey.immediate
    huey.immediate = True
    yield settings
    huey.immediate = was
    get_settings.cache_clear()


@pytest.fixture
def cli(settings, monkeypatch):
    """Run `socialdesk ARGS...` on the test database."""
    from socialdesk.cli import app

    _point_settings_at(monkeypatch, settings)
    runner = CliRunner()

    def run(*args: str):
        get_settings.cache_clear()
        return runner.invoke(app, list(args))

    yield run
    get_settings.cache_clear()


class Mailbox:
    """Messages a real aiosmtpd server received, parsed, with their envelope recipients."""

    def __init__(self):
        self.messages: list[tuple[list[str], email.message.EmailMessage]] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((list(envelope.rcpt_tos), email.message_from_bytes(envelope.content,
                                                                                policy=email.policy.default)))
        return "250 OK"


def seed_analytics(session, world) -> None:
    """Client A's channel: followers 1,000 on 1 Sep rising 10 a day to 1,600 on 31 Oct (a gap on 15 Oct);
    three posts published in October, with cumulative likes; a paid result."""
    day, followers = date(2026, 9, 1), 1000
    while day <= date(2026, 10, 31):
        if day != date(2026, 10, 15):
            session.add(AccountSnapshot(client_id=world.a_id, channel_id=world.channel_id, day=day,
                                        followers=followers, following=10, posts=5))
        day += timedelta(days=1)
        followers += 10
    published = {"p1": datetime(2026, 10, 5, 9, 30, tzinfo=UTC), "p2": datetime(2026, 10, 12, 9, 10, tzinfo=UTC),
                 "p3": datetime(2026, 10, 20, 17, 0, tzinfo=UTC)}
    for remote_id, at in published.items():
        session.add(TrackedPost(client_id=world.a_id, channel_id=world.channel_id, remote_id=remote_id,
                                published_at=at))
    # p1 gains 100 likes over its first days, p2 40, p3 7 (and 2 replies); impressions 10 per like.
    for remote_id, gains in {"p1": [60, 30, 10], "p2": [25, 15], "p3": [5, 2]}.items():
        total, first = 0, published[remote_id].date()
        for offset, gain in enumerate(gains):
            total += gain
            session.add(PostMetricSnapshot(client_id=world.a_id, channel_id=world.channel_id, network="mastodon",
                                           remote_id=remote_id, day=first + timedelta(days=offset), likes=total,
                                           reposts=0, replies=2 if remote_id == "p3" else 0, quotes=None,
                                           impressions=10 * total))
    # September: one post with 20 likes, so October's interactions can be compared.
    session.add(PostMetricSnapshot(client_id=world.a_id, channel_id=world.channel_id, network="mastodon",
                                   remote_id="s1", day=date(2026, 9, 10), likes=20, reposts=0, replies=0))
    from decimal import Decimal

    session.add(PaidResult(client_id=world.a_id, network="mastodon", ad="Autumn", row_key="k1", day=date(2026, 10, 3),
                           currency="EUR", spend=Decimal("50.00"), impressions=5000, clicks=100, conversions=4))
    session.commit()


def definition(session, world, **fields):
    from socialdesk.reports.schemas import DefinitionIn

    data = DefinitionIn(**{"name": "Monthly report", "sections": list(SECTIONS), **fields})
    row = service.create_definition(session=session, client_id=world.a_id, data=data, user_id=world["owner"].id)
    session.commit()
    return row


def test_build_reads_the_seeded_numbers_and_compares_them(session, world):
    seed_analytics(session, world)
    report = service.build(session=session, client_id=world.a_id, period=OCTOBER, sections=list(SECTIONS))
    kpis = {f.label: f for f in report.section("kpis").figures}
    assert kpis["Followers at the end"].value == 1600 and kpis["Followers at the end"].previous == 1290
    assert kpis["New followers"].value == 300  # 1,300 on 1 Oct to 1,600 on 31 Oct, across the gap
    assert kpis["New followers"].previous == 290
    gained = kpis["Interactions gained (likes, shares, replies, quotes)"]
    assert gained.value == 100 + 40 + 7 + 2 and gained.previous == 20
    assert kpis["Impressions gained"].value == 1470
    assert round(gained.change_percent) == 645
    # The seeded posts were made outside socialdesk: the dashboard's engagement rate has none to rate.
    assert kpis["Engagement rate"].value is None
    [goal] = report.section("kpis").rows  # A's one KPI target (followers), read by analytics.insights
    assert goal[2] == 1600 and goal[3] in ("on track", "close", "behind")
    top = report.section("top_posts").rows
    assert [row[2] for row in top] == [100, 40, 9]
    times = report.section("best_times")  # no post of socialdesk's in the history: the labelled fallback
    assert times.rows and all(row[2] == "general guidance, not measured on this client" for row in times.rows)
    paid = {f.label: f.value for f in report.section("paid").figures}
    assert paid["Spend"] == 50 and float(paid["Cost per click"]) == 0.5 and float(paid["Cost per conversion"]) == 12.5
    engagement = report.section("engagement")
    assert sum(engagement.chart["values"]) == 149 and len(engagement.chart["values"]) == 31
    assert "1 day without data" in " ".join(report.section("audience_growth").text)
    happened = " ".join(report.summary.happened)
    assert "gained 300 followers in October 2026 and now have 1,600" in happened
    assert "149 times" in happened and "September 2026" in happened
    assert report.summary.matters and report.summary.next
    assert report.to_dict()["sections"][1]["figures"][0]["change_percent"] is not None


PARIS = ZoneInfo("Europe/Paris")  # client A's time zone


def published(session, world, at: datetime, *, likes: int, reposts: int = 0, impressions: int | None = None) -> int:
    """A post published from socialdesk on A's channel at ``at``, with its counts on the next day's snapshot."""
    post = Post(client_id=world.a_id, text=f"Post at {at:%d %b %H:%M}", status="published", media_ids=[])
    remote = f"pub-{new_marker()}"
    post.targets.append(PostTarget(client_id=world.a_id, channel_id=world.channel_id, network="mastodon",
                                   marker=new_marker(), state="published", remote_id=remote, published_at=at))
    session.add(post)
    session.flush()
    session.add(PostMetricSnapshot(client_id=world.a_id, channel_id=world.channel_id,
                                   post_target_id=post.targets[0].id, network="mastodon", remote_id=remote,
                                   day=at.astimezone(UTC).date() + timedelta(days=1), likes=likes, reposts=reposts,
                                   replies=0, quotes=0, impressions=impressions))
    session.flush()
    return post.targets[0].id


def _best_rows(section) -> list[tuple[str, str]]:
    return [(row[0], row[1]) for row in section.rows]


def test_best_times_with_thin_history_are_the_dashboards_labelled_fallback_with_n(session, world):
    seed_analytics(session, world)
    for day, hour, likes in ((6, 18, 30), (13, 18, 40), (20, 8, 5), (27, 8, 6)):  # 4 posts: too few to measure
        published(session, world, datetime(2026, 10, day, hour, tzinfo=PARIS), likes=likes, impressions=1000)
    session.commit()
    report = service.build(session=session, client_id=world.a_id, period=OCTOBER,
                           sections=["best_times", "recommendations"])
    dashboard = insights.dashboard(session=session, client_id=world.a_id, start=OCTOBER.start, end=OCTOBER.end)
    expected = insights.best_times(session=session, client_id=world.a_id, end=OCTOBER.end)
    assert dashboard.best_times == expected and expected.fallback and expected.n == 4
    section = report.section("best_times")
    assert _best_rows(section) == [(WEEKDAYS[c.weekday], f"{c.hour:02d}:00–{c.hour + 1:02d}:00")
                                   for c in expected.best]
    assert {row[2] for row in section.rows} == {"general guidance, not measured on this client"}
    text = " ".join(section.text)
    assert "n = 4 posts" in text and "12 weeks from 9 Aug 2026 to 31 Oct 2026" in text
    assert "Only 4 posts with an engagement rate" in text and "not measured on this client" in text
    # Thin history gives no measured advice on when to post, in the section or in the recommendations.
    assert not any("Publish the most important posts" in line for line in report.section("recommendations").text)
    assert "general guidance" in " ".join(render.html(report).split())


def test_best_times_from_enough_history_are_the_dashboards_with_n_per_time(session, world):
    """36 posts in the 12 weeks up to 31 October: 10 on Tuesdays at 09:05 Paris time at 6.0-6.9 %, 20 at
    other times at 2 %, 6 at 0.6 %; the dashboard's best time is Tuesday 09:00 with n=10."""
    end = OCTOBER.end
    tuesdays = [end - timedelta(days=(end.weekday() - 1) % 7) - timedelta(weeks=w) for w in range(10)]
    for i, day in enumerate(tuesdays):
        published(session, world, datetime(day.year, day.month, day.day, 9, 5, tzinfo=PARIS), likes=60 + i,
                  impressions=1000)
    for i in range(20):
        day = end - timedelta(days=3 + i * 4)
        day -= timedelta(days=1) if day.weekday() == 1 else timedelta(0)
        published(session, world, datetime(day.year, day.month, day.day, 15, 30, tzinfo=PARIS), likes=20,
                  impressions=1000)
    for i in range(6):
        day = end - timedelta(days=5 + i * 9)
        day -= timedelta(days=1) if day.weekday() == 1 else timedelta(0)
        published(session, world, datetime(day.year, day.month, day.day, 19, 0, tzinfo=PARIS), likes=6,
                  impressions=1000)
    session.commit()
    report = service.build(session=session, client_id=world.a_id, period=OCTOBER,
                           sections=["best_times", "recommendations"])
    dashboard = insights.dashboard(session=session, client_id=world.a_id, start=OCTOBER.start, end=OCTOBER.end)
    expected = insights.best_times(session=session, client_id=world.a_id, end=end)
    assert dashboard.best_times == expected and not expected.fallback and expected.n == 36
    section = report.section("best_times")
    assert section.rows == [[WEEKDAYS[c.weekday], f"{c.hour:02d}:00–{c.hour + 1:02d}:00", c.n,
                             round(100 * c.median_rate, 2), f"{c.ratio:.1f}x"] for c in expected.best]
    assert section.rows[0] == ["Tuesday", "09:00–10:00", 10, 6.45, "3.2x"]
    text = " ".join(section.text)
    assert "n = 36 posts" in text and "this client's history: 36 posts over 12 weeks" in text
    assert "general guidance" not in text and "Europe/Paris" in text
    advice = report.section("recommendations").text
    assert any(line.startswith("Publish the most important posts on Tuesdays around 09:00, when posts got 3.2x "
                               "the median engagement rate over the last 12 weeks (n=10)") for line in advice), advice


def test_the_engagement_rate_is_the_dashboards_for_the_period_and_the_comparison(session, world):
    seed_analytics(session, world)  # 149 interactions gained on posts made outside socialdesk
    published(session, world, datetime(2026, 10, 8, 12, tzinfo=PARIS), likes=25, reposts=5, impressions=1000)
    published(session, world, datetime(2026, 10, 16, 12, tzinfo=PARIS), likes=12)  # no impressions: left out
    older = session.get(PostTarget, published(session, world, datetime(2026, 9, 9, 12, tzinfo=PARIS), likes=5,
                                              impressions=500))
    session.add(PostMetricSnapshot(client_id=world.a_id, channel_id=world.channel_id, post_target_id=older.id,
                                   network="mastodon", remote_id=older.remote_id, day=date(2026, 10, 3), likes=9,
                                   reposts=0, replies=0, quotes=0, impressions=700))  # 4 more likes in October
    session.add(KpiTarget(client_id=world.a_id, metric="engagement_rate_percent", target=2, period="month",
                          unit="%"))
    session.commit()
    report = service.build(session=session, client_id=world.a_id, period=OCTOBER,
                           sections=["kpis", "engagement"])
    dashboard = insights.dashboard(session=session, client_id=world.a_id, start=OCTOBER.start, end=OCTOBER.end,
                                   compare_start=report.compare.start, compare_end=report.compare.end)
    assert dashboard.period_rate.rate == pytest.approx(0.03) and dashboard.compare_rate.rate == pytest.approx(0.01)
    engagement = {f.label: f for f in report.section("engagement").figures}
    kpis = {f.label: f for f in report.section("kpis").figures}
    for figure in (engagement["Engagement rate"], kpis["Engagement rate"]):
        assert figure.value == 100 * dashboard.period_rate.rate
        assert figure.previous == 100 * dashboard.compare_rate.rate and round(figure.change_percent) == 200
    target = next(row for row in report.section("kpis").rows if row[0] == dashboard.kpis[-1].label)
    assert target[2] == dashboard.kpis[-1].actual == 3.0
    # The report's own count keeps its own name, and says how it differs from the rate.
    assert engagement["Interactions gained"].value == 149 + 30 + 12 + 4
    assert not any("per 100 impressions" in label for label in (*engagement, *kpis))
    text = " ".join(report.section("engagement").text)
    assert "Engagement rate (the Analytics dashboard's) = (likes + reposts + replies + quotes) ÷ impressions" in text
    assert "30 engagements ÷ 1,000 impressions over 1 of 2 posts = 3.00 % (1 post without impressions left out)" \
        in text
    assert "Interactions gained = for every post with figures" in text and "not the engagement rate" in text


def _mentions(session, world, query_id: int, topic: str, sentiment: str, n: int, day: date) -> None:
    for i in range(n):
        at = datetime(day.year, day.month, day.day, 10 + i, tzinfo=UTC)
        mention = Mention(source="import", remote_id=f"m-{new_marker()}", text="t", sentiment=sentiment,
                          created_at=at)
        session.add(mention)
        session.flush()
        session.add(MentionMatch(mention_id=mention.id, query_id=query_id, client_id=world.a_id, topic=topic,
                                 created_at=at))
    session.flush()


def test_the_competitor_section_shows_share_of_voice_and_sentiment_like_the_dashboard(session, world):
    queries = {}
    for name, topic in (("Alpha", "brand"), ("Rival One", "competitor"), ("Rival Two", "competitor")):
        query = ListeningQuery(client_id=world.a_id, name=name, topic=topic, text=name.lower())
        session.add(query)
        session.flush()
        queries[name] = query.id
    october, september = date(2026, 10, 10), date(2026, 9, 10)
    _mentions(session, world, queries["Alpha"], "brand", "positive", 4, october)
    _mentions(session, world, queries["Alpha"], "brand", "negative", 1, october)
    _mentions(session, world, queries["Rival One"], "competitor", "positive", 1, october)
    _mentions(session, world, queries["Rival One"], "competitor", "negative", 3, october)
    _mentions(session, world, queries["Rival Two"], "competitor", "neutral", 1, october)
    _mentions(session, world, queries["Alpha"], "brand", "neutral", 1, september)
    _mentions(session, world, queries["Rival One"], "competitor", "neutral", 3, september)
    session.commit()
    report = service.build(session=session, client_id=world.a_id, period=OCTOBER, sections=["competitors"])
    section = report.section("competitors")
    assert section.columns == ["Who", "Mentions", "Share of voice (%)", "Positive (%)", "Neutral (%)", "Negative (%)"]
    assert section.rows == [[world.a_name, 5, 50.0, 80.0, 0.0, 20.0], ["Rival One", 4, 40.0, 25.0, 0.0, 75.0],
                            ["Rival Two", 1, 10.0, 0.0, 100.0, 0.0]]
    board = insights.competitors(session=session, client_id=world.a_id, start=OCTOBER.start, end=OCTOBER.end)
    assert section.rows == [[b.name, b.mentions, b.percent, b.percents["positive"], b.percents["neutral"],
                             b.percents["negative"]] for b in board.rows]
    [share] = section.figures
    assert (share.label, share.value, share.previous) == ("Share of voice", 50.0, 25.0)
    flat = " ".join(render.html(report).split())
    assert "Share of voice (%)" in flat and "Negative (%)" in flat and "Rival One" in flat


def test_an_empty_period_says_so_instead_of_dividing_by_zero(session, world):
    report = service.build(session=session, client_id=world.b_id, period=periods.parse("2026-W42"),
                           sections=list(SECTIONS), comparison="year_ago")
    assert not report.has_data
    assert report.compare.key == "2025-W42"
    assert "We have no figures for week 42 of 2026" in report.summary.happened[0]
    for key in SECTIONS:
        if key not in ("summary", "next_steps", "recommendations"):
            section = report.section(key)
            assert section.empty or all(f.value in (None, 0) for f in section.figures), key
    assert all(f.change_percent is None for f in report.section("kpis").figures)
    assert "No follower counts were collected" in report.section("audience_growth").message
    html = render.html(report)
    assert "We have no figures" in html and "Infinity" not in html and "NaN" not in html


@pytest.mark.parametrize("text, expected", [("2026-10", ("2026-10-01", "2026-10-31")),
                                            ("2026-W01", ("2025-12-29", "2026-01-04")),
                                            ("2026-02-10..2026-02-20", ("2026-02-10", "2026-02-20"))])
def test_periods_are_read_from_their_written_forms(text, expected):
    period = periods.parse(text)
    assert (period.start.isoformat(), period.end.isoformat()) == expected
    assert periods.compared(periods.parse("2026-03"), "previous").key == "2026-02"
    assert periods.compared(periods.parse("2026-03"), "year_ago").key == "2025-03"


@pytest.mark.parametrize("text", ["2026-13", "October", "2026-W54", "2026-10-05..2026-10-01", ""])
def test_a_bad_period_names_the_field_and_the_forms(text):
    from socialdesk.kit.errors import InvalidInput

    with pytest.raises(InvalidInput) as caught:
        periods.parse(text)
    assert caught.value.errors[0].field == "period"
    assert "YYYY-MM" in caught.value.message and "YYYY-Www" in caught.value.message


def _png_logo(color: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (120, 40), color).save(out, "PNG")
    return out.getvalue()


def _pdf_pages(pdf: bytes, tmp_path: Path) -> tuple[list[Path], str]:
    source = tmp_path / "report.pdf"
    source.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "50", "-png", str(source), str(tmp_path / "page")], check=True)
    text = subprocess.run(["pdftotext", "-layout", str(source), "-"], check=True, capture_output=True,
                          text=True).stdout
    return sorted(tmp_path.glob("page-*.png")), text


def test_the_pdf_has_every_chosen_section_the_client_name_logos_and_inked_pages(session, world, settings, tmp_path):
    seed_analytics(session, world)
    (tmp_path / "logo.png").write_bytes(_png_logo("#cc0000"))
    with open(tmp_path / "logo.png", "rb") as f:
        service.set_client_logo(session=session, settings=settings, client_id=world.a_id, source=f)
    from socialdesk.reports.schemas import AgencyBrandingIn

    service.set_agency_branding(session=session, data=AgencyBrandingIn(name="Northwind Agency", color="#0f766e"))
    session.commit()
    row = definition(session, world, next_steps="Post the harvest video on Tuesday\nReply to every review")
    report = service.build_for(session=session, definition=row, period=OCTOBER, settings=settings)
    pdf = render.pdf(report)
    assert pdf.startswith(b"%PDF")
    pages, text = _pdf_pages(pdf, tmp_path)
    info = subprocess.run(["pdfinfo", str(tmp_path / "report.pdf")], capture_output=True, text=True).stdout
    count = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))
    assert len(pages) == count >= 2
    for page in pages:
        with Image.open(page) as image:
            grey = image.convert("L")
            inked = sum(grey.histogram()[:200])
            assert inked > 500, f"{page.name} is (nearly) blank"
    flat = " ".join(text.split())
    for title in SECTIONS.values():
        assert title in flat, title
    assert world.a_name in flat and "Northwind Agency" in flat
    assert "Post the harvest video on Tuesday" in flat and f"Page 1 of {count}" in flat
    images = subprocess.run(["pdfimages", "-list", str(tmp_path / "report.pdf")], capture_output=True,
                            text=True).stdout
    assert len(images.strip().splitlines()) > 2  # the client's logo, drawn on the cover and in the header
    with Image.open(pages[0]) as cover:  # the brand colours are drawn (the client's red logo among them)
        colors = cover.convert("RGB").getcolors(maxcolors=1 << 24)
        assert any(r > 180 and g < 80 and b < 80 for _, (r, g, b) in colors)


def _pixels_near(page: Path, rgb: tuple[int, int, int], tolerance: int = 40) -> int:
    """How many pixels of a rendered page are within ``tolerance`` of ``rgb`` on every channel."""
    with Image.open(page) as image:
        return sum(n for n, color in image.convert("RGB").getcolors(maxcolors=1 << 24)
                   if all(abs(c - want) <= tolerance for c, want in zip(color, rgb, strict=True)))


def test_the_pdf_carries_the_agency_logo_and_the_clients_brand_color(session, world, settings, tmp_path):
    """Guards report branding: the agency's logo (set with set_agency_logo) is drawn on the cover and in the
    running header of every page, and the client's brand_color colours the cover band, the headings and the
    charts. Before either is set, neither colour is on any page, so the counts come from the branding."""
    from socialdesk.clients.models import Client
    from socialdesk.reports.schemas import AgencyBrandingIn

    green, sky = (0, 255, 0), (0, 160, 255)  # the agency logo's pure green, the client's brand colour #00a0ff
    seed_analytics(session, world)
    service.set_agency_branding(session=session, data=AgencyBrandingIn(name="Northwind Agency", color="#0f766e"))
    session.commit()
    row = definition(session, world)

    def rendered(folder: str) -> list[Path]:
        (tmp_path / folder).mkdir()
        report = service.build_for(session=session, definition=row, period=OCTOBER, settings=settings)
        return _pdf_pages(render.pdf(report), tmp_path / folder)[0]

    plain = rendered("plain")
    assert session.get(Client, world.a_id).brand_color != "#00a0ff"
    assert [_pixels_near(p, green) for p in plain] == [0] * len(plain), "no agency logo yet: no green"
    assert [_pixels_near(p, sky) for p in plain] == [0] * len(plain), "another brand colour: no #00a0ff"

    (tmp_path / "agency.png").write_bytes(_png_logo("#00ff00"))
    with open(tmp_path / "agency.png", "rb") as f:
        service.set_agency_logo(session=session, settings=settings, source=f)
    session.get(Client, world.a_id).brand_color = "#00a0ff"
    session.commit()
    pages = rendered("branded")
    assert len(pages) == len(plain) >= 2
    greens, skies = [_pixels_near(p, green) for p in pages], [_pixels_near(p, sky) for p in pages]
    # At 50 dpi the 120 × 40 logo is ~62 × 21 pixels on the cover and ~44 × 15 in each page's header (28 px high).
    assert greens[0] >= 1800, greens
    assert all(g >= 500 for g in greens[1:]), greens
    # The cover's band and title, then the section headings and charts drawn in the brand colour.
    assert skies[0] >= 1000, skies
    assert sum(skies[1:]) >= 1000, skies


def test_only_the_chosen_sections_are_in_the_pdf(session, world, settings, tmp_path):
    row = definition(session, world, sections=["kpis", "top posts"])
    _, text = _pdf_pages(render.pdf(service.build_for(session=session, definition=row, period=OCTOBER)), tmp_path)
    flat = " ".join(text.split())
    assert "Key figures" in flat and "Top posts" in flat
    assert "Audience growth" not in flat and "Paid & ROI" not in flat


def test_cli_writes_a_pdf_and_an_html_page_and_refuses_a_bad_period(cli, session, world, tmp_path):
    seed_analytics(session, world)
    out, page = tmp_path / "out.pdf", tmp_path / "out.html"
    result = cli("report", "render", world.a_name, "--period", "2026-10", "--pdf", str(out), "--html", str(page))
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"%PDF") and world.a_name in page.read_text()
    _, text = _pdf_pages(out.read_bytes(), tmp_path)
    assert "Summary" in text and "1,600" in text
    bad = cli("report", "render", world.a_name, "--period", "2026/10", "--pdf", str(tmp_path / "x.pdf"))
    assert bad.exit_code == 1 and "--period" in bad.output and "YYYY-MM" in bad.output and "YYYY-Www" in bad.output
    assert not (tmp_path / "x.pdf").exists()
    unknown = cli("report", "render", "Nobody Ltd", "--period", "2026-10", "--pdf", str(tmp_path / "y.pdf"))
    assert unknown.exit_code == 1 and "no client is named 'Nobody Ltd'" in unknown.output
    compare = cli("report", "render", world.a_name, "--period", "2026-10", "--compare", "lastyear", "--pdf", str(out))
    assert compare.exit_code == 1 and "--compare" in compare.output


@pytest.fixture
def smtp(task_settings, monkeypatch):
    mailbox, port = Mailbox(), free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    for key, value in {"SOCIALDESK_SMTP_HOST": "127.0.0.1", "SOCIALDESK_SMTP_PORT": str(port),
                       "SOCIALDESK_SMTP_FROM": "reports@agency.example.com",
                       "SOCIALDESK_SMTP_STARTTLS": "false"}.items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    try:
        yield mailbox
    finally:
        controller.stop()


def test_scheduled_reports_are_mailed_once_per_period_with_the_pdf(session, world, smtp):
    from socialdesk.reports import tasks

    row = definition(session, world, schedule="monthly", recipients=["cleo@alpha-orchard.example"],
                     sections=["summary", "kpis"])
    weekly = definition(session, world, name="Weekly", period_kind="week", schedule="weekly",
                        recipients=["dan@alpha-orchard.example"], sections=["summary"])
    off = definition(session, world, name="By hand", recipients=["eve@alpha-orchard.example"])
    assert tasks.send_due.call_local() == 2
    assert tasks.send_due.call_local() == 0  # the same periods are not sent again
    assert len(smtp.messages) == 2
    by_rcpt = {rcpt[0]: message for rcpt, message in smtp.messages}
    monthly_mail = by_rcpt["cleo@alpha-orchard.example"]
    [attachment] = [part for part in monthly_mail.iter_attachments()]
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_content().startswith(b"%PDF")
    body = monthly_mail.get_body(("plain",)).get_content()
    assert "What happened" in body and "What we do next" in body and world.a_name in monthly_mail["Subject"]
    session.expire_all()
    rows = session.scalars(select(ReportDelivery).order_by(ReportDelivery.id)).all()
    assert [(r.definition_id, r.status) for r in rows] == [(row.id, "sent"), (weekly.id, "sent")]
    today = date.today()
    assert rows[0].period == periods.last_complete("month", today).key or rows[0].period.startswith(str(today.year - 1))
    assert off.id not in {r.definition_id for r in rows}


def test_a_failed_sending_is_recorded_and_not_repeated_by_the_schedule(session, world, task_settings, monkeypatch):
    from socialdesk.reports import tasks

    monkeypatch.setenv("SOCIALDESK_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SOCIALDESK_SMTP_PORT", str(free_port()))  # nothing listens
    get_settings.cache_clear()
    definition(session, world, schedule="monthly", recipients=["cleo@alpha-orchard.example"], sections=["kpis"])
    assert tasks.send_due.call_local() == 1
    assert tasks.send_due.call_local() == 0
    session.expire_all()
    [row] = session.scalars(select(ReportDelivery)).all()
    assert row.status == "failed" and "could not be reached" in row.error


def test_a_share_link_shows_that_report_only_without_signing_in_and_expires_or_is_withdrawn(client, session, world):
    seed_analytics(session, world)
    row = definition(session, world, sections=["summary", "kpis", "audience_growth"])
    other = definition(session, world, name="Secret quarterly plan", sections=["kpis"])
    made = client.post(f"/api/clients/{world.a_id}/reports/{row.id}/shares", headers=world["manager"].headers,
                       json={"period": "2026-10", "days": 7})
    assert made.status_code == 201, made.text
    url = made.json()["url"]
    token = url.rsplit("/", 1)[-1]
    assert token.startswith("sdr_") and len(token) > 40
    assert session.scalar(select(ReportShare.token_hash)) != token  # only the digest is stored
    session.commit()  # end this read: SQLite lets a stale reader write no more
    client.cookies.clear()
    page = client.get(f"/r/{token}")
    assert page.status_code == 200, page.text
    assert world.a_name in page.text and "October 2026" in page.text and "1,600" in page.text
    assert "Secret quarterly plan" not in page.text and world.b_name not in page.text
    assert "/clients/" not in page.text and "Sign out" not in page.text
    assert page.headers["cache-control"] == "no-store"
    pdf = client.get(f"/r/{token}/pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    # The link opens nothing else: not the API, not the client's pages.
    assert client.get(f"/api/clients/{world.a_id}/reports/{other.id}/preview").status_code == 401
    assert client.get(f"/r/{token}x").status_code == 404
    # Expiry.
    session.execute(update(ReportShare).values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    session.commit()
    gone = client.get(f"/r/{token}")
    assert gone.status_code == 410 and "expired" in gone.text and world.a_name not in gone.text
    # Withdrawal.
    second = client.post(f"/api/clients/{world.a_id}/reports/{row.id}/shares", headers=world["analyst"].headers,
                         json={"period": "2026-10"}).json()
    second_token = second["url"].rsplit("/", 1)[-1]
    assert client.get(f"/r/{second_token}").status_code == 200
    revoked = client.delete(f"/api/clients/{world.a_id}/reports/shares/{second['id']}",
                            headers=world["manager"].headers)
    assert revoked.status_code == 204
    assert client.get(f"/r/{second_token}").status_code == 410
    assert client.get(f"/r/{second_token}/pdf").status_code == 410


def test_members_of_another_client_cannot_build_or_share_its_reports(client, session, world):
    row = definition(session, world, sections=["kpis"])
    base = f"/api/clients/{world.a_id}/reports/{row.id}"
    outsider = world["outsider"].headers  # manages B only
    for method, url in (("get", f"{base}/preview?period=2026-10"), ("get", f"{base}/pdf?period=2026-10"),
                        ("post", f"{base}/shares"), ("post", f"{base}/send")):
        response = client.request(method.upper(), url, headers=outsider, json={} if method == "post" else None)
        assert response.status_code == 404, (url, response.text)
        assert world.a_name not in response.text
    # A's report id under B's client is not found either.
    assert client.get(f"/api/clients/{world.b_id}/reports/{row.id}/preview", headers=outsider).status_code == 404
    approver = world["client_approver"].headers
    preview = client.get(f"{base}/preview?period=2026-10", headers=approver)
    assert preview.status_code == 200 and preview.json()["client_name"] == world.a_name
    assert client.post(f"{base}/shares", headers=approver, json={}).status_code == 403
    bad = client.get(f"{base}/preview?period=2026-1", headers=approver)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "period"


def test_definitions_and_logos_are_checked(client, world):
    base = f"/api/clients/{world.a_id}/reports"
    headers = world["manager"].headers
    bad = client.post(base, headers=headers, json={"sections": ["kpis", "horoscope"]})
    assert bad.status_code == 422 and "horoscope" in bad.text and "sections" in bad.text
    no_one = client.post(base, headers=headers, json={"schedule": "monthly"})
    assert no_one.status_code == 422 and no_one.json()["errors"][0]["field"] == "recipients"
    made = client.post(base, headers=headers, json={"name": "Weekly pulse", "period_kind": "week",
                                                    "schedule": "weekly", "recipients": ["a@alpha-orchard.example"],
                                                    "sections": ["Top posts", "summary"]})
    assert made.status_code == 201 and made.json()["sections"] == ["summary", "top_posts"]
    not_image = client.put(f"{base}/logo", headers=headers, files={"file": ("logo.png", b"<svg></svg>", "image/png")})
    assert not_image.status_code == 422 and not_image.json()["errors"][0]["field"] == "file"
    logo = client.put(f"{base}/logo", headers=headers, files={"file": ("logo.png", _png_logo("#00aa00"), "image/png")})
    assert logo.status_code == 204, logo.text
    agency = client.put("/api/agency/branding", headers=world["manager"].headers, json={"name": "X", "color": "#123456"})
    assert agency.status_code == 403
    assert client.put("/api/agency/branding", headers=world["director"].headers,
                      json={"name": "Northwind", "color": "#123456"}).json()["name"] == "Northwind"


def test_the_builder_and_preview_pages_render(client, session, world):
    from conftest import PASSWORD

    row = definition(session, world, sections=["summary", "kpis"])
    me = client.post("/api/auth/login", json={"email": world["manager"].email, "password": PASSWORD})
    assert me.status_code == 200
    page = client.get(f"/clients/{world.a_id}/reports", headers={"accept": "text/html"})
    assert page.status_code == 200 and "Monthly report" in page.text and "Share links" in page.text
    preview = client.get(f"/clients/{world.a_id}/reports/{row.id}/preview?period=2026-10")
    assert preview.status_code == 200 and "What happened" in preview.text and "Key figures" in preview.text
    wrong = client.get(f"/clients/{world.a_id}/reports/{row.id}/preview?period=Octobre")
    assert wrong.status_code == 422 and "YYYY-Www" in wrong.text
    assert client.get(f"/clients/{world.b_id}/reports").status_code == 404
