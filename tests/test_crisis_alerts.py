"""Crisis alerts from listening: a client's normal daily rhythm pages no one; a burst of negative mentions
ingested through listening pages the people on call within 60 s, with the figures, top terms and samples."""

from __future__ import annotations

import json
import math
import os
import random
import re
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import redis
from sqlalchemy import func, select

from socialdesk.crisis import detection
from socialdesk.crisis import tasks as crisis_tasks
from socialdesk.crisis.models import CrisisAlert, DetectorState
from socialdesk.listening import service as listening
from socialdesk.listening.models import Mention, MentionMatch
from socialdesk.listening.schemas import QueryIn
from socialdesk.notify import service as notify_service
from socialdesk.notify.models import PushDelivery
from socialdesk.notify.schemas import TargetIn
from socialdesk.publishing.models import Notification
from socialdesk.tasks import get_huey, shared_huey
from socialdesk.vault.service import Vault

PRAISE = ["love the {f} from alpha orchard", "alpha orchard {f} tastes like summer", "picked up alpha orchard {f} today",
          "alpha orchard {f} at the market this morning", "great {f} at alpha orchard, friendly staff"]
GRUMBLE = ["alpha orchard {f} delivery was late again", "alpha orchard box arrived with a bruised {f}"]
FRUIT = ["apples", "pears", "cider", "plums", "cherries", "juice", "jam", "quinces"]


class Receiver:
    """A local HTTP server standing in for a phone's push service (Apprise json://)."""

    def __init__(self):
        self.bodies: list[dict] = []
        self.arrived: list[float] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                receiver.bodies.append(json.loads(body or b"{}"))
                receiver.arrived.append(time.monotonic())
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"json://127.0.0.1:{self.server.server_address[1]}/push"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


def listen(database, world) -> None:
    with database.session() as s:
        listening.create_query(session=s, client_id=world.a_id, user_id=None,
                               data=QueryIn(name="Brand", topic="brand", text='"alpha orchard"'))
        listening.create_query(session=s, client_id=world.b_id, user_id=None,
                               data=QueryIn(name="Brand", topic="brand", text='"bravo bakery"'))


def daily_rate(local: datetime) -> float:
    """Mentions per 5 minutes: a quiet night, a busy day peaking mid-afternoon, busier at weekends."""
    hour = local.hour + local.minute / 60
    day = max(0.0, math.sin(math.pi * (hour - 7) / 15)) if 7 <= hour <= 22 else 0.0
    return (0.3 + 3.2 * day) * (1.3 if local.weekday() >= 5 else 1.0)


def history(now: datetime, *, days: int, seed: int = 7) -> list[listening.IncomingMention]:
    """Generated mentions of Alpha Orchard over the last ``days`` days with a daily rhythm (Poisson counts)."""
    rng, zone, posts = random.Random(seed), ZoneInfo("Europe/Paris"), []
    start = detection.bucket_start(detection.bucket_of(now - timedelta(days=days)))
    at = start
    while at < now - timedelta(minutes=10):
        lam, count, p = daily_rate(at.astimezone(zone)), 0, 1.0
        limit = math.exp(-lam)
        while True:  # Knuth's Poisson draw
            p *= rng.random()
            if p <= limit:
                break
            count += 1
        for _ in range(count):
            text = rng.choice(GRUMBLE if rng.random() < 0.1 else PRAISE).format(f=rng.choice(FRUIT))
            posts.append(listening.IncomingMention(
                remote_id=f"h{len(posts)}", text=f"{text} {rng.randint(1, 10**6)}", lang="en",
                created_at=at + timedelta(seconds=rng.randint(0, 299)), author_handle=f"fan{rng.randint(1, 400)}"))
        at += timedelta(minutes=5)
    return posts


def burst(now: datetime, count: int, *, prefix: str = "b") -> list[listening.IncomingMention]:
    rng = random.Random(count)
    lines = ["alpha orchard juice made my kid sick, salmonella? recall it now",
             "sick after alpha orchard apple juice, salmonella everywhere, disgusting",
             "alpha orchard hides the salmonella recall, terrible and dangerous",
             "my whole family sick from alpha orchard juice. recall! salmonella"]
    return [listening.IncomingMention(
        remote_id=f"{prefix}{i}", text=f"{lines[i % len(lines)]} #{rng.randint(1, 10**6)}", lang="en",
        created_at=now - timedelta(seconds=rng.randint(0, 40)), author_handle=f"angry{i}",
        author_followers=100 * i) for i in range(count)]


def ingest(database, posts, *, size: int = 500) -> None:
    for i in range(0, len(posts), size):
        with database.session() as s:
            listening.ingest(session=s, source="test", posts=posts[i:i + size])


def alerts(database) -> list[CrisisAlert]:
    with database.session() as s:
        return list(s.scalars(select(CrisisAlert).order_by(CrisisAlert.id)))


def test_normal_rhythm_pages_no_one_and_a_negative_burst_pages_the_on_call_people_within_60_s(
        task_settings, database, world, receiver):
    listen(database, world)
    with database.session() as s:
        notify_service.add_target(session=s, vault=Vault.from_settings(task_settings), settings=task_settings,
                                  user_id=world["community_manager"].id,
                                  data=TargetIn(label="On-call phone", url=receiver.url))
    now = datetime.now(UTC)
    ingest(database, history(now, days=4))
    crisis_tasks.sweep()
    with database.session() as s:
        assert s.scalar(select(func.count()).select_from(MentionMatch)) > 1500
        fed = s.scalar(select(DetectorState).where(DetectorState.client_id == world.a_id, DetectorState.topic == "",
                                                   DetectorState.series == "volume"))
        assert fed.state["n"] > 1000  # four days of 5-minute buckets learned, the rhythm included
    assert alerts(database) == [], "the normal daily rhythm raised an alert"

    # A normal quarter of an hour now (about what this time of day brings) pages no one either.
    ingest(database, [listening.IncomingMention(remote_id=f"n{i}", text=f"alpha orchard cider is lovely {i}",
                                                lang="en", created_at=now - timedelta(seconds=30 * i))
                      for i in range(3)])
    assert alerts(database) == []

    posts = burst(datetime.now(UTC), 60)
    posts.append(listening.IncomingMention(remote_id="hostile", lang="en", created_at=datetime.now(UTC),
                                           text="alpha orchard <script>alert(1)</script> salmonella sick recall",
                                           author_handle="<b>troll</b>", author_followers=10**6))
    with database.session() as s:
        listening.ingest(session=s, source="test", posts=posts)
        committed = time.monotonic()  # the block's exit commits; detection runs once it has
    seen = None
    while time.monotonic() - committed < 60:
        with database.session() as s:
            rows = list(s.scalars(select(Notification).where(Notification.kind == "crisis_alert")))
        if rows:
            seen = time.monotonic()
            break
        time.sleep(0.2)
    if seen is None:  # say what the detectors saw, to tell a slow path from a missed burst
        with database.session() as s:
            states = {(r.topic, r.series): (r.last_bucket, r.state.get("n"), r.state.get("armed"),
                                            r.state.get("quiet_left"), r.state.get("high"))
                      for r in s.scalars(select(DetectorState).where(DetectorState.client_id == world.a_id))}
        pytest.fail(f"no crisis notification within 60 s of the ingest commit; alerts {alerts(database)}, "
                    f"now bucket {detection.bucket_of(datetime.now(UTC))}, detectors {states}")
    latency = seen - committed
    print(f"crisis alert latency from ingest commit to notification row: {latency:.2f} s")
    assert latency < 60

    [alert] = alerts(database)
    assert alert.client_id == world.a_id and alert.topic == "" and alert.status == "new"
    # The burst may straddle two buckets: the alert goes out on the first part big enough to be abnormal.
    assert alert.volume >= detection.MIN_VOLUME and alert.volume >= detection.MIN_RATIO * alert.expected
    assert alert.negative_share >= 0.6 and alert.reason in ("volume", "both")
    terms = [t for t, _ in alert.top_terms]
    assert "salmonella" in terms and "recall" in terms
    assert len(alert.sample_mention_ids) == 3
    ratio = alert.volume / max(alert.expected, 0.5)
    assert f"{alert.volume} mentions" in alert.message and f"{ratio:.1f}x normal" in alert.message
    assert f"negative share {alert.negative_share:.0%}" in alert.message
    assert "salmonella" in alert.message and alert.message.count("\n- ") == 3

    with database.session() as s:
        notes = list(s.scalars(select(Notification).where(Notification.kind == "crisis_alert")))
    told = {n.user_id for n in notes}
    on_call = {world[k].id for k in ("owner", "director", "manager", "community_manager")}
    assert told == on_call  # not the content creator, the analyst, the client's approver nor B's manager
    assert all(n.urgent and n.client_id == world.a_id and n.message == alert.message for n in notes)
    assert all(n.link == f"/clients/{world.a_id}/crisis/alerts/{alert.id}" for n in notes)

    # Apprise pushed it to the community manager's phone, figures and all.
    assert receiver.bodies, "the on-call phone got nothing"
    assert receiver.arrived[0] - committed < 60
    assert "URGENT" in receiver.bodies[0]["title"] and f"{alert.volume} mentions" in receiver.bodies[0]["message"]
    with database.session() as s:
        assert [d.status for d in s.scalars(select(PushDelivery))] == ["sent"]

    # The burst goes on: still one alert for the episode, no second page.
    ingest(database, burst(datetime.now(UTC), 40, prefix="c"))
    crisis_tasks.sweep()
    assert len(alerts(database)) == 1
    with database.session() as s:
        assert s.scalar(select(func.count()).select_from(Notification).where(
            Notification.kind == "crisis_alert")) == len(on_call)


def test_the_episode_ends_once_the_detector_calms_and_a_new_burst_alerts_again(task_settings, database, world):
    listen(database, world)
    ingest(database, history(datetime.now(UTC), days=3, seed=11))
    # A burst a day and a half ago (the detectors had learned a day and a half of rhythm), replayed as the
    # detection saw it then: an alert, then calm.
    then = datetime.now(UTC) - timedelta(hours=36)
    posts = burst(then, 60, prefix="old")
    with database.session() as s:
        listening.ingest(session=s, source="test", posts=posts)
    with database.session(write=True) as s:
        # Rebuild the detectors as of a minute after that burst, then move them on to now.
        s.query(DetectorState).delete()
    with database.session(write=True) as s:
        raised = detection.run(s, client_id=world.a_id, now=then + timedelta(minutes=1))
    assert len(raised) == 1 and raised[0].fired_at == then + timedelta(minutes=1)
    with database.session(write=True) as s:
        assert detection.run(s, client_id=world.a_id, now=then + timedelta(minutes=20)) == []
        assert detection.run(s, client_id=world.a_id) == []
    [old] = alerts(database)
    assert old.ended_at is not None and old.ended_at > old.fired_at  # calm again: the episode is over

    ingest(database, burst(datetime.now(UTC), 60, prefix="new"))
    assert len(alerts(database)) == 2


def test_a_few_angry_posts_at_a_quiet_hour_page_no_one(task_settings, database, world):
    listen(database, world)
    ingest(database, history(datetime.now(UTC), days=3, seed=3))
    ingest(database, burst(datetime.now(UTC), 6, prefix="few"))  # a range break for the detector, but 6 posts
    assert alerts(database) == []
    with database.session() as s:
        assert s.scalar(select(func.count()).select_from(Notification).where(
            Notification.kind == "crisis_alert")) == 0


def test_bravo_never_hears_of_alpha_s_burst(task_settings, database, world):
    listen(database, world)
    ingest(database, history(datetime.now(UTC), days=3, seed=5))
    ingest(database, burst(datetime.now(UTC), 60))
    [alert] = alerts(database)
    assert alert.client_id == world.a_id
    with database.session() as s:
        told = set(s.scalars(select(Notification.user_id).where(Notification.kind == "crisis_alert")))
        b_state = s.scalars(select(DetectorState).where(DetectorState.client_id == world.b_id)).all()
    assert world["outsider"].id not in told
    assert all(row.last_bucket is None for row in b_state)  # B has no mentions: nothing learned, nothing said


def test_a_burst_straddling_two_buckets_still_pages(task_settings, database, world):
    listen(database, world)
    ingest(database, history(datetime.now(UTC), days=3, seed=13))
    edge = detection.bucket_start(detection.bucket_of(datetime.now(UTC)))
    # 14 posts just before a bucket's end (too few to page, but out of the range seen so far), 45 just after.
    posts = burst(edge - timedelta(seconds=5), 14, prefix="early")
    late = [listening.IncomingMention(remote_id=f"late{i}", lang="en", created_at=edge + timedelta(seconds=i % 20),
                                      text=f"alpha orchard salmonella recall, my kid is sick {i}") for i in range(45)]
    with database.session() as s:
        listening.ingest(session=s, source="test", posts=posts + late)
    [alert] = alerts(database)
    assert alert.window_start == edge and alert.volume >= 45


# --- a topic-only burst, a negative-share-only shift, and a rise under the volume threshold ----------------
# These replay a closed 5-minute window as the detection saw it a few minutes after it (as the episode test
# above does): a steady day of Alpha Orchard mentions (12 per 5 minutes, 1 in 10 negative) teaches the
# detectors, then one window is shaped as each case needs. The window lies hours back, so the detection run
# inline by each ingest treats it as catching up and pages no one; the detectors are then rebuilt as of just
# after that window.

STEADY = 12  # mentions of the brand per 5 minutes
GOOD = ["alpha orchard cider is lovely", "picked up alpha orchard plums today", "great pears at alpha orchard",
        "alpha orchard {f} at the market this morning", "alpha orchard {f} in the shop window"]
BAD = ["alpha orchard apples were awful, terrible service", "alpha orchard ruined my order, worst shop ever",
       "disgusting mouldy alpha orchard pears, never again", "alpha orchard refund refused, angry and disappointed",
       "alpha orchard lied to us, horrible"]
RIVAL = ["zeta farms opens a new shop on the high street", "zeta farms harvest weekend starts saturday",
         "zeta farms {f} on sale at the station", "queue outside zeta farms for the {f} launch"]
GIVEAWAY = ["zeta farms giveaway: free {f} for everyone this weekend",
            "signed up for the zeta farms giveaway, {f} for a year"]


def _poisson(rng: random.Random, lam: float) -> int:
    count, p, limit = 0, 1.0, math.exp(-lam)
    while True:
        p *= rng.random()
        if p <= limit:
            return count
        count += 1


def _post(rng: random.Random, key: str, lines: list[str], at: datetime) -> listening.IncomingMention:
    text = rng.choice(lines).format(f=rng.choice(FRUIT))
    return listening.IncomingMention(remote_id=key, text=f"{text} {rng.randint(1, 10**6)}", lang="en",
                                     created_at=at, author_handle=f"user{rng.randint(1, 900)}")


def steady_day(end: datetime, *, rival_rate: float = 0.0, seed: int = 21) -> list[listening.IncomingMention]:
    """A day of 5-minute buckets before ``end``: Poisson(STEADY) brand mentions, 10% of them negative, and
    Poisson(``rival_rate``) mentions of the competitor."""
    rng, posts = random.Random(seed), []
    at = end - timedelta(days=1)
    while at < end:
        for _ in range(_poisson(rng, STEADY)):
            posts.append(_post(rng, f"s{len(posts)}", BAD if rng.random() < 0.1 else GOOD,
                               at + timedelta(seconds=rng.randint(0, 299))))
        for _ in range(_poisson(rng, rival_rate)):
            posts.append(_post(rng, f"s{len(posts)}", RIVAL, at + timedelta(seconds=rng.randint(0, 299))))
        at += timedelta(minutes=5)
    return posts


def window(start: datetime, *, good: int = 0, bad: int = 0, rival: int = 0, prefix: str = "w"
           ) -> list[listening.IncomingMention]:
    """Posts spread over the 5-minute window from ``start``: ``good`` and ``bad`` of the brand, ``rival``
    of the competitor (about its giveaway, which no one talked about before)."""
    rng, posts = random.Random(f"{prefix}{good}{bad}{rival}"), []
    for lines, count in ((GOOD, good), (BAD, bad), (GIVEAWAY, rival)):
        for _ in range(count):
            at = start + timedelta(seconds=rng.randint(5, 290))
            posts.append(_post(rng, f"{prefix}{len(posts)}", lines, at))
    return posts


def replay_window(database, world, posts: list[listening.IncomingMention], start: datetime) -> list[CrisisAlert]:
    """Ingest ``posts`` (the detection inline pages no one: all of it is hours old), then rebuild the
    detectors as of 2.5 minutes after the window at ``start`` closed; returns what that run raised."""
    ingest(database, posts)
    assert alerts(database) == [], "catching up on hours-old mentions paged someone"
    with database.session(write=True) as s:
        s.query(DetectorState).delete()
    with database.session(write=True) as s:
        raised = detection.run(s, client_id=world.a_id, now=start + timedelta(minutes=5) + detection.GRACE
                               + timedelta(seconds=30))
    return raised


def window_start() -> datetime:
    return detection.bucket_start(detection.bucket_of(datetime.now(UTC) - timedelta(hours=3)))


def test_a_burst_on_one_topic_alone_alerts_and_names_the_topic(task_settings, database, world):
    """Guards per-topic detection: the competitor topic jumps from a trickle to 18 mentions in 5 minutes while
    the client's overall volume stays under the volume threshold (12 normal + 18 is about 2.5x, below 3x) and
    the overall negative share stays normal. The overall detectors must stay silent and the competitor topic's
    must raise one alert that names the topic and says why: the topic's count, the x-times-normal figure, its
    negative share, top terms and sample posts."""
    listen(database, world)
    with database.session() as s:
        listening.create_query(session=s, client_id=world.a_id, user_id=None,
                               data=QueryIn(name="Zeta", topic="competitor", text='"zeta farms"'))
    start = window_start()
    posts = steady_day(start, rival_rate=0.25) + window(start, good=11, bad=1, rival=18)
    raised = replay_window(database, world, posts, start)
    assert len(raised) == 1, [(a.topic, a.reason, a.volume, a.expected) for a in raised]
    [alert] = alerts(database)
    assert alert.client_id == world.a_id and alert.topic == "competitor"
    assert alert.reason == "volume" and alert.volume == 18
    assert alert.window_start == start
    assert alert.volume >= detection.MIN_RATIO * alert.expected and alert.expected < 2
    assert alert.negative == 0 and alert.negative_share == 0
    with database.session() as s:
        index = detection.bucket_of(start)
        overall = detection.bucket_counts(s, client_id=world.a_id, topic="", first=index, last=index)[index]
        usual = s.scalar(select(DetectorState).where(DetectorState.client_id == world.a_id, DetectorState.topic == "",
                                                     DetectorState.series == "volume")).state["level"]
    assert overall.volume == 30 and overall.volume < detection.MIN_RATIO * usual  # overall: under the threshold
    ratio = alert.volume / max(alert.expected, 0.5)
    assert "(competitor mentions)" in alert.message
    assert f"18 mentions in 5 min, {ratio:.1f}x normal" in alert.message
    assert "negative share 0%" in alert.message
    terms = [t for t, _ in alert.top_terms]
    assert "giveaway" in terms and all(t not in ("alpha", "orchard") for t in terms)  # the topic's words only
    assert "Top terms: " in alert.message and len(alert.sample_mention_ids) == 3
    assert alert.message.count("\n- ") == 3 and alert.message.count("zeta farms") >= 3
    with database.session() as s:
        notes = list(s.scalars(select(Notification).where(Notification.kind == "crisis_alert")))
    assert notes and all(n.message == alert.message and n.urgent for n in notes)


def test_the_negative_share_alone_alerts_with_its_figure(task_settings, database, world):
    """Guards the negative-share detector: 15 mentions in a window that usually has 12 (1.25x, far under the
    volume threshold) but 11 of them negative (73% where about 10% is usual). One alert for the client as a
    whole, its reason the negative share (not volume), recording and stating the share and the usual share."""
    listen(database, world)
    start = window_start()
    raised = replay_window(database, world, steady_day(start) + window(start, good=4, bad=11), start)
    assert len(raised) == 1, [(a.topic, a.reason, a.volume, a.expected) for a in raised]
    [alert] = alerts(database)
    assert alert.topic == "" and alert.reason == "negative"
    assert alert.volume == 15 and alert.negative == 11 and alert.negative_share == pytest.approx(11 / 15, abs=1e-4)
    assert alert.volume < detection.MIN_RATIO * alert.expected  # the volume alone would not have paged
    assert 0.03 <= alert.usual_negative_share <= 0.2
    assert f"negative share {11 / 15:.0%} (usually {alert.usual_negative_share:.0%})" in alert.message
    assert "negative share 73%" in alert.message
    terms = [t for t, _ in alert.top_terms]
    assert terms and alert.message.count("\n- ") == 3
    with database.session() as s:
        samples = list(s.scalars(select(Mention).where(Mention.id.in_(alert.sample_mention_ids))))
        notes = list(s.scalars(select(Notification).where(Notification.kind == "crisis_alert")))
    assert len(samples) == 3 and all(m.sentiment == "negative" for m in samples)
    assert notes and all(n.message == alert.message for n in notes)


def test_a_volume_rise_under_the_threshold_with_usual_sentiment_pages_no_one(task_settings, database, world):
    """Guards the volume threshold: 30 mentions where 12 are usual (2.5x, out of the range the detector has
    seen, so its score alone fires) with the usual 1-in-10 negative share must raise no alert, because the
    volume is under MIN_RATIO (3x) times normal and the negative share did not move."""
    assert 30 < detection.MIN_RATIO * STEADY
    listen(database, world)
    start = window_start()
    raised = replay_window(database, world, steady_day(start) + window(start, good=27, bad=3), start)
    assert raised == [] and alerts(database) == []
    with database.session() as s:
        assert s.scalar(select(func.count()).select_from(Notification).where(
            Notification.kind == "crisis_alert")) == 0
        state = s.scalar(select(DetectorState).where(DetectorState.client_id == world.a_id, DetectorState.topic == "",
                                                     DetectorState.series == "volume")).state
    assert state["n"] > detection.CrisisDetector().params["warmup"]  # a detector that had learned, not one warming up
    assert state["high"] >= 30  # it did see the window


# --- the 60-second promise through a real queue and a real `socialdesk worker` ---------------------------

SOCIALDESK = str(Path(sys.executable).with_name("socialdesk"))


def _free_redis_url() -> str:
    """A Redis database of the local server that holds no keys (so no other run's queue named `socialdesk`
    shares it); fails, rather than skips, when Redis is down."""
    base = os.environ.get("SOCIALDESK_REDIS_URL", "redis://127.0.0.1:6379/0").rsplit("/", 1)[0]
    for index in random.Random(os.getpid()).sample(range(1, 16), 15):
        if redis.Redis.from_url(f"{base}/{index}", socket_connect_timeout=2).dbsize() == 0:
            return f"{base}/{index}"
    pytest.fail("no empty Redis database to queue on")


def _wait_for_consumer(proc: subprocess.Popen, log: Path, timeout: float = 120) -> None:
    began = time.monotonic()
    while time.monotonic() - began < timeout:
        if "Huey consumer started" in log.read_text(errors="replace"):
            return
        if proc.poll() is not None:
            pytest.fail(f"the worker exited with {proc.returncode}: {log.read_text(errors='replace')[-3000:]}")
        time.sleep(0.2)
    pytest.fail(f"the worker did not start consuming within {timeout} s: {log.read_text(errors='replace')[-3000:]}")


def test_a_burst_pages_within_60_s_through_the_real_queue_and_worker(task_settings, database, world, receiver,
                                                                      backend, monkeypatch, tmp_path):
    """Guards the 60-second promise end to end as the product runs, with no inline tasks: the ingest's commit
    queues detection on the real task queue (the embedded SQLite queue with the SQLite database, Redis with
    PostgreSQL), a separate `socialdesk worker` process consumes it, raises the alert, queues the push, and
    Apprise delivers it to the on-call phone (a local json:// receiver) less than 60 s after the commit.
    The worker runs without its periodic jobs, so the minute sweep cannot stand in for the ingest's own task."""
    listen(database, world)
    with database.session() as s:
        notify_service.add_target(session=s, vault=Vault.from_settings(task_settings), settings=task_settings,
                                  user_id=world["community_manager"].id,
                                  data=TargetIn(label="On-call phone", url=receiver.url))
    ingest(database, history(datetime.now(UTC), days=2, seed=17))  # learned inline, before the queue is real
    assert alerts(database) == []

    # From here on this process queues tasks as the app does: on the configured queue, for a worker.
    if backend == "sqlite":
        queue = task_settings.model_copy(update={"task_backend": "sqlite"})
    else:
        queue = task_settings.model_copy(update={"task_backend": "redis", "redis_url": _free_redis_url()})
    real = get_huey(queue)
    huey = shared_huey()
    monkeypatch.setattr(huey, "_immediate", False)
    monkeypatch.setattr(huey, "storage", real.storage)
    env = {**os.environ, "SOCIALDESK_TASK_BACKEND": queue.task_backend, "SOCIALDESK_REDIS_URL": queue.redis_url,
           "SOCIALDESK_ALLOW_PRIVATE_URLS": "true"}
    log = tmp_path / "worker.log"
    worker = subprocess.Popen([SOCIALDESK, "worker", "--workers", "2", "--publish-threads", "0", "--no-stream",
                               "--no-periodic"], env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT)
    try:
        _wait_for_consumer(worker, log)
        time.sleep(1)  # let the consumer go idle: its polls back off, as an idle production worker's do
        with database.session() as s:
            listening.ingest(session=s, source="test", posts=burst(datetime.now(UTC), 60, prefix="q"))
            assert real.pending_count() == 0  # nothing queued before the commit
        committed = time.monotonic()  # the block's exit committed, and queued the detection
        while not receiver.arrived and time.monotonic() - committed < 60 and worker.poll() is None:
            time.sleep(0.1)
        if not receiver.arrived:
            with database.session() as s:
                notes = list(s.scalars(select(Notification).where(Notification.kind == "crisis_alert")))
                pushes = [(d.status, d.error) for d in s.scalars(select(PushDelivery))]
            state = "running" if worker.poll() is None else f"exited {worker.returncode}"
            pytest.fail(f"no push within 60 s of the ingest commit (worker {state}); "
                        f"alerts {[(a.topic, a.reason, a.volume) for a in alerts(database)]}, "
                        f"notifications {len(notes)}, deliveries {pushes}, queue {real.pending_count()} pending; "
                        f"worker log: {log.read_text(errors='replace')[-3000:]}")
        latency = receiver.arrived[0] - committed
        print(f"[{backend} + {queue.task_backend} queue] push arrived {latency:.2f} s after the ingest commit")
        assert latency < 60
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
        if queue.task_backend == "redis":
            real.storage.flush_all()

    [alert] = alerts(database)
    assert alert.client_id == world.a_id and alert.reason in ("volume", "both") and alert.volume >= detection.MIN_VOLUME
    body = receiver.bodies[0]
    assert "URGENT" in body["title"] and f"{alert.volume} mentions" in body["message"]
    assert "x normal" in body["message"] and "negative share" in body["message"] and "salmonella" in body["message"]
    with database.session() as s:
        assert [d.status for d in s.scalars(select(PushDelivery))] == ["sent"]
        told = set(s.scalars(select(Notification.user_id).where(Notification.kind == "crisis_alert")))
    assert told == {world[k].id for k in ("owner", "director", "manager", "community_manager")}
    worked = log.read_text(errors="replace")
    assert "crisis detection failed" not in worked
    # The worker process, not this one, ran the detection and the push.
    assert "Executing socialdesk.crisis.tasks.detect:" in worked
    assert "Executing socialdesk.notify.tasks.push_notification:" in worked
    assert re.search(r"push \d+ to target \d+: sent", worked)
