"""Crisis alerts from listening: a client's normal daily rhythm pages no one; a burst of negative mentions
ingested through listening pages the people on call within 60 s, with the figures, top terms and samples."""

from __future__ import annotations

import json
import math
import random
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from socialdesk.crisis import detection
from socialdesk.crisis import tasks as crisis_tasks
from socialdesk.crisis.models import CrisisAlert, DetectorState
from socialdesk.listening import service as listening
from socialdesk.listening.models import MentionMatch
from socialdesk.listening.schemas import QueryIn
from socialdesk.notify import service as notify_service
from socialdesk.notify.models import PushDelivery
from socialdesk.notify.schemas import TargetIn
from socialdesk.publishing.models import Notification
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
