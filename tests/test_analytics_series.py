"""Daily metric snapshots and their series: the same day collected twice keeps the later figures,
counts that go down are kept and flagged, a deleted post keeps its history, a metric the network
stops giving is unknown (not 0) and named, and gaps stay gaps in ``series`` and ``delta``.

The network here is a scripted adapter (what it answers is the test's input); the real networks
are in tests/test_analytics_collect.py."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from socialdesk.analytics import service
from socialdesk.analytics.models import AccountSnapshot, MetricsSyncState, PostMetricSnapshot, TrackedPost
from socialdesk.channels.models import Channel
from socialdesk.clients.models import Client
from socialdesk.networks.base import AccountMetrics, NetworkError, PostMetrics
from socialdesk.publishing.models import Post, PostTarget
from socialdesk.vault import service as vault_service
from socialdesk.vault.service import Vault

_n = itertools.count(1)
DAY = date(2025, 6, 10)


class ScriptedNetwork:
    """Answers with the account totals and post counts it was given for the next call."""

    def __init__(self):
        self.account = AccountMetrics(followers=100, following=10, posts=5)
        self.posts: dict[str, PostMetrics] = {}
        self.asked: list[list[str]] = []
        self.error: Exception | None = None

    def fetch_account(self, *, base_url, credentials):
        if self.error:
            raise self.error
        return self.account

    def fetch_metrics(self, *, base_url, credentials, remote_ids):
        self.asked.append(list(remote_ids))
        return {r: m for r, m in self.posts.items() if r in remote_ids}


def make_channel(session, settings, *, network="mastodon", base_url="https://m.example", credentials=None,
                 timezone="UTC") -> Channel:
    tag = f"an{next(_n)}"
    client = Client(name=f"Client {tag}", name_key=tag, timezone=timezone)
    session.add(client)
    session.flush()
    channel = Channel(client_id=client.id, network=network, handle=f"{tag}@example", base_url=base_url,
                      account_id="1", status="ok")
    session.add(channel)
    session.flush()
    vault_service.put(session=session, vault=Vault.from_settings(settings), name=channel.secret_name,
                      value=json.dumps(credentials or {"access_token": "t"}), client_id=client.id)
    session.commit()
    return channel


def published(session, channel: Channel, remote_id: str, at: datetime) -> PostTarget:
    post = Post(client_id=channel.client_id, text=f"post {remote_id}", status="published")
    session.add(post)
    session.flush()
    target = PostTarget(post_id=post.id, client_id=channel.client_id, channel_id=channel.id, network=channel.network,
                        marker=f"m{next(_n)}x{remote_id}"[:32], state="published", remote_id=remote_id,
                        published_at=at)
    session.add(target)
    session.commit()
    return target


@pytest.fixture
def channel(session, settings):
    return make_channel(session, settings)


@pytest.fixture
def network():
    return ScriptedNetwork()


def run(session, settings, channel, network, day, window_days=30) -> MetricsSyncState:
    state = service.collect(session=session, vault=Vault.from_settings(settings), channel=channel, day=day,
                            adapter=network, window_days=window_days)
    session.commit()
    return state


def snapshot(session, channel, remote_id, day) -> PostMetricSnapshot | None:
    return session.scalar(select(PostMetricSnapshot).where(PostMetricSnapshot.channel_id == channel.id,
                                                           PostMetricSnapshot.remote_id == remote_id,
                                                           PostMetricSnapshot.day == day))


def test_collecting_twice_a_day_keeps_one_snapshot_with_the_later_figures(session, settings, channel, network):
    target = published(session, channel, "101", datetime(2025, 6, 9, 12, tzinfo=UTC))
    network.posts["101"] = PostMetrics("101", likes=3, reposts=1, replies=0)
    first = run(session, settings, channel, network, DAY)
    assert first.error == "" and first.last_day == DAY and first.posts_read == 1
    network.account = AccountMetrics(followers=104, following=10, posts=6)
    network.posts["101"] = PostMetrics("101", likes=7, reposts=2, replies=1)
    run(session, settings, channel, network, DAY)

    rows = list(session.scalars(select(PostMetricSnapshot).where(PostMetricSnapshot.channel_id == channel.id)))
    assert len(rows) == 1
    row = rows[0]
    assert (row.likes, row.reposts, row.replies, row.post_target_id, row.day) == (7, 2, 1, target.id, DAY)
    # What the network did not give is None, never 0.
    assert row.quotes is None and row.impressions is None and row.link_clicks is None
    accounts = list(session.scalars(select(AccountSnapshot).where(AccountSnapshot.channel_id == channel.id)))
    assert [(a.day, a.followers, a.posts) for a in accounts] == [(DAY, 104, 6)]
    assert network.asked == [["101"], ["101"]]


def test_counts_that_go_down_are_kept_as_reported_and_flagged(session, settings, channel, network):
    published(session, channel, "201", datetime(2025, 6, 8, tzinfo=UTC))
    network.posts["201"] = PostMetrics("201", likes=10, reposts=4)
    run(session, settings, channel, network, DAY)
    network.posts["201"] = PostMetrics("201", likes=8, reposts=5)
    network.account = AccountMetrics(followers=97, following=10, posts=5)
    state = run(session, settings, channel, network, DAY + timedelta(days=1))

    later = snapshot(session, channel, "201", DAY + timedelta(days=1))
    assert (later.likes, later.reposts, later.decreased) == (8, 5, ["likes"])
    assert snapshot(session, channel, "201", DAY).likes == 10  # history untouched
    assert "likes on 1 post" in state.report
    account = session.scalar(select(AccountSnapshot).where(AccountSnapshot.day == DAY + timedelta(days=1),
                                                           AccountSnapshot.channel_id == channel.id))
    assert account.decreased == ["followers"] and account.followers == 97

    data = service.series(session=session, client_id=channel.client_id, metric="likes", start=DAY,
                          end=DAY + timedelta(days=1), network="mastodon", remote_id="201")
    assert [(p.value, p.state, p.decreased) for p in data.points] == [(10, "ok", False), (8, "ok", True)]
    moved = service.delta(data)
    assert moved.change == -2 and moved.decreases == [DAY + timedelta(days=1)] and moved.per_day == -2


def test_a_deleted_post_keeps_its_history_and_is_not_asked_about_again(session, settings, channel, network):
    published(session, channel, "301", datetime(2025, 6, 9, tzinfo=UTC))
    published(session, channel, "302", datetime(2025, 6, 9, tzinfo=UTC))
    network.posts = {"301": PostMetrics("301", likes=5), "302": PostMetrics("302", likes=1)}
    run(session, settings, channel, network, DAY)
    network.posts["301"] = PostMetrics("301", gone=True)
    state = run(session, settings, channel, network, DAY + timedelta(days=1))
    assert "1 deleted on the network (301" in state.report

    gone = snapshot(session, channel, "301", DAY + timedelta(days=1))
    assert gone.gone and gone.likes is None and gone.decreased == []
    assert snapshot(session, channel, "301", DAY).likes == 5
    tracked = session.scalar(select(TrackedPost).where(TrackedPost.remote_id == "301"))
    assert tracked.gone_on == DAY + timedelta(days=1)
    # The metric is not "stopped": the post is gone.
    assert state.stopped == {}

    run(session, settings, channel, network, DAY + timedelta(days=2))
    assert network.asked[-1] == ["302"]
    data = service.series(session=session, client_id=channel.client_id, metric="likes", start=DAY,
                          end=DAY + timedelta(days=2), network="mastodon", remote_id="301")
    assert [p.state for p in data.points] == ["ok", "gone", "gap"]


def test_a_metric_the_network_stops_giving_is_unknown_and_named_until_it_comes_back(session, settings, channel,
                                                                                   network):
    published(session, channel, "401", datetime(2025, 6, 9, tzinfo=UTC))
    network.posts["401"] = PostMetrics("401", likes=5, impressions=900)
    run(session, settings, channel, network, DAY)
    network.posts["401"] = PostMetrics("401", likes=6, impressions=None)
    state = run(session, settings, channel, network, DAY + timedelta(days=1))
    assert state.stopped == {"post.impressions": (DAY + timedelta(days=1)).isoformat()}
    assert "no longer returns post impressions" in state.report
    assert snapshot(session, channel, "401", DAY + timedelta(days=1)).impressions is None

    data = service.series(session=session, client_id=channel.client_id, metric="impressions", start=DAY,
                          end=DAY + timedelta(days=1), network="mastodon", remote_id="401")
    assert [(p.value, p.state) for p in data.points] == [(900, "ok"), (None, "unreported")]
    assert service.delta(data).change is None  # no two days with a value: no invented change

    network.posts["401"] = PostMetrics("401", likes=6, impressions=1000)
    assert run(session, settings, channel, network, DAY + timedelta(days=2)).stopped == {}


def test_gaps_stay_gaps_and_the_change_across_them_is_not_spread_over_days(session, settings, channel, network):
    for offset, followers in ((0, 100), (1, 103), (4, 130), (5, 131)):  # no run on days 2 and 3
        network.account = AccountMetrics(followers=followers, following=1, posts=1)
        run(session, settings, channel, network, DAY + timedelta(days=offset))
    data = service.series(session=session, client_id=channel.client_id, metric="followers", start=DAY,
                          end=DAY + timedelta(days=6), channel_id=channel.id)
    assert [p.value for p in data.points] == [100, 103, None, None, 130, 131, None]
    assert [p.state for p in data.points] == ["ok", "ok", "gap", "gap", "ok", "ok", "gap"]
    moved = service.delta(data)
    assert (moved.first, moved.last, moved.change, moved.across_gaps, moved.days_compared) == (100, 131, 4, 27, 2)
    assert moved.per_day == 2
    assert moved.gaps == [(DAY + timedelta(days=2), DAY + timedelta(days=3)), (DAY + timedelta(days=6),) * 2]
    assert "3 days without data (+27 happened across them" in moved.message


def test_a_period_without_data_says_so_instead_of_dividing_by_zero(session, settings, channel):
    data = service.series(session=session, client_id=channel.client_id, metric="followers", start=DAY,
                          end=DAY + timedelta(days=2), channel_id=channel.id)
    assert not data.has_data and [p.state for p in data.points] == ["gap"] * 3
    moved = service.delta(data)
    assert moved.change is None and moved.per_day is None and moved.days_compared == 0
    assert moved.message.startswith("no data for followers")


def test_the_client_sum_is_a_gap_on_a_day_one_channel_lacks(session, settings, channel, network):
    other = Channel(client_id=channel.client_id, network="mastodon", handle="second@example",
                    base_url="https://m.example", account_id="2", status="ok")
    session.add(other)
    session.flush()
    vault_service.put(session=session, vault=Vault.from_settings(settings), name=other.secret_name,
                      value=json.dumps({"access_token": "t"}), client_id=channel.client_id)
    session.commit()
    run(session, settings, channel, network, DAY)
    run(session, settings, other, network, DAY)
    run(session, settings, channel, network, DAY + timedelta(days=1))  # the other channel missed this day
    data = service.series(session=session, client_id=channel.client_id, metric="followers", start=DAY,
                          end=DAY + timedelta(days=1))
    assert [(p.value, p.state) for p in data.points] == [(200, "ok"), (None, "gap")]


def test_posts_outside_the_window_are_read_only_while_tracked(session, settings, channel, network):
    published(session, channel, "501", datetime(2025, 5, 1, tzinfo=UTC))  # 40 days before DAY
    published(session, channel, "502", datetime(2025, 6, 5, tzinfo=UTC))
    network.posts = {"501": PostMetrics("501", likes=50), "502": PostMetrics("502", likes=2)}
    run(session, settings, channel, network, DAY, window_days=30)
    assert network.asked[-1] == ["502"]
    service.track(session=session, channel=channel, remote_id="501", until=DAY + timedelta(days=1))
    session.commit()
    run(session, settings, channel, network, DAY + timedelta(days=1))
    assert sorted(network.asked[-1]) == ["501", "502"]
    assert snapshot(session, channel, "501", DAY + timedelta(days=1)).post_target_id is not None
    run(session, settings, channel, network, DAY + timedelta(days=2))
    assert network.asked[-1] == ["502"]


def test_a_network_error_is_recorded_and_the_next_run_clears_it(session, settings, channel, network):
    network.error = NetworkError("429 Too many requests: try again in 60 s", status=429, retry_after=60)
    state = run(session, settings, channel, network, DAY)
    assert state.error.startswith("429") and state.last_day is None and state.last_success_at is None
    assert session.scalar(select(func.count()).select_from(AccountSnapshot)
                          .where(AccountSnapshot.channel_id == channel.id)) == 0
    network.error = None
    state = run(session, settings, channel, network, DAY)
    assert state.error == "" and state.last_day == DAY


def test_the_hourly_job_picks_channels_not_collected_on_their_clients_today(session, settings, channel, network):
    from socialdesk.analytics.tasks import due_channels

    assert channel.id in due_channels(session)
    today = service.client_today(session.get(Client, channel.client_id))
    run(session, settings, channel, network, today)
    assert channel.id not in due_channels(session)


def test_series_refuse_a_backwards_period_and_unknown_metrics(session, channel):
    from socialdesk.kit.errors import InvalidInput

    with pytest.raises(InvalidInput, match="end"):
        service.series(session=session, client_id=channel.client_id, metric="followers", start=DAY,
                       end=DAY - timedelta(days=1))
    with pytest.raises(InvalidInput, match="metric"):
        service.series(session=session, client_id=channel.client_id, metric="likes", start=DAY, end=DAY)
