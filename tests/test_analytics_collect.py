"""Metrics collection against the real peers: Mastodon on mastodon-mock (favourites, boosts and
replies from another account, a deleted status), X from recorded payloads (respx; public and
non-public metrics, a deleted post), Bluesky on the local network (like, repost, reply; AppView
indexing with process_all)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import httpx
import pytest
import respx
from atproto import Client as AtClient

from socialdesk.analytics import service
from socialdesk.networks.x import XAdapter
from socialdesk.vault.service import Vault
from test_analytics_series import make_channel, published, snapshot

TODAY = date(2025, 6, 10)
X_FIXTURES = Path(__file__).parent / "fixtures" / "x"


def _collect(session, settings, channel, day=TODAY, adapter=None):
    state = service.collect(session=session, vault=Vault.from_settings(settings), channel=channel, day=day,
                            adapter=adapter)
    session.commit()
    return state


def test_mastodon_counts_favourites_boosts_and_replies_and_records_a_deleted_status(session, settings, mastodon_peer):
    alice, bob = mastodon_peer.client("alice"), mastodon_peer.client("bob")
    channel = make_channel(session, settings, network="mastodon", base_url=mastodon_peer.base_url,
                           credentials={"access_token": "alice_token"})
    kept = alice.status_post("Our spring menu is out")
    doomed = alice.status_post("A typo we will delete")
    bob.status_favourite(kept["id"])
    bob.status_reblog(kept["id"])
    bob.status_post("@alice looks great", in_reply_to_id=kept["id"])
    now = datetime.now(UTC)
    published(session, channel, str(kept["id"]), now)
    published(session, channel, str(doomed["id"]), now)

    state = _collect(session, settings, channel, day=TODAY)
    assert state.error == "", state.error
    row = snapshot(session, channel, str(kept["id"]), TODAY)
    assert (row.likes, row.reposts, row.replies) == (1, 1, 1)
    assert row.impressions is None and row.link_clicks is None  # Mastodon does not count them
    me = alice.account_verify_credentials()
    account = service.account_snapshots(session=session, client_id=channel.client_id, start=TODAY, end=TODAY)[0]
    assert (account.followers, account.following, account.posts) == (
        me["followers_count"], me["following_count"], me["statuses_count"])

    alice.status_delete(doomed["id"])
    mastodon_peer.client("carol").status_favourite(kept["id"])
    later = date(2025, 6, 11)
    state = _collect(session, settings, channel, day=later)
    assert "1 deleted on the network" in state.report
    assert snapshot(session, channel, str(doomed["id"]), later).gone
    assert snapshot(session, channel, str(doomed["id"]), TODAY).likes == 0  # its history is kept
    assert snapshot(session, channel, str(kept["id"]), later).likes == 2


def test_x_reads_public_and_non_public_metrics_and_leaves_absent_ones_unknown(session, settings):
    channel = make_channel(session, settings, network="x", base_url="https://api.x.com",
                           credentials={"access_token": "x-user-token-7f3a9c2e"})
    ids = ["1800000000000000001", "1800000000000000002", "1800000000000000003"]
    for remote_id in ids:
        published(session, channel, remote_id, datetime.now(UTC))

    def recorded(name):
        data = json.loads((X_FIXTURES / f"{name}.json").read_text())
        return httpx.Response(data["status"], headers=data["headers"], json=data["body"])

    with respx.mock(base_url="https://api.x.com", assert_all_called=True) as mock:
        me = mock.get("/2/users/me", params={"user.fields": "public_metrics"}).mock(
            return_value=recorded("users_me_metrics"))
        lookup = mock.get("/2/tweets").mock(return_value=recorded("tweets_lookup_metrics"))
        state = _collect(session, settings, channel, adapter=XAdapter())
    assert state.error == "", state.error
    assert me.calls.last.request.headers["authorization"] == "Bearer x-user-token-7f3a9c2e"
    asked = lookup.calls.last.request.url.params
    assert sorted(asked["ids"].split(",")) == ids and "non_public_metrics" in asked["tweet.fields"]

    own = snapshot(session, channel, ids[0], TODAY)
    assert (own.likes, own.reposts, own.replies, own.quotes) == (87, 12, 4, 2)
    assert (own.impressions, own.link_clicks) == (4302, 61)  # the author's non-public figures
    assert own.extra == {"bookmarks": 5, "profile_clicks": 9}
    older = snapshot(session, channel, ids[1], TODAY)
    assert (older.likes, older.impressions) == (19, 980)
    assert older.link_clicks is None and older.views is None  # not given: unknown, never 0
    assert snapshot(session, channel, ids[2], TODAY).gone
    account = service.account_snapshots(session=session, client_id=channel.client_id, start=TODAY, end=TODAY)[0]
    assert (account.followers, account.following, account.posts) == (513958, 2039, 3635)
    assert account.extra == {"listed_count": 1672, "like_count": 2118}


def test_x_refusing_the_token_is_the_channels_error(session, settings):
    channel = make_channel(session, settings, network="x", base_url="https://api.x.com",
                           credentials={"access_token": "x-user-token-7f3a9c2e"})
    data = json.loads((X_FIXTURES / "unauthorized_401.json").read_text())
    with respx.mock(base_url="https://api.x.com") as mock:
        mock.get("/2/users/me").mock(return_value=httpx.Response(401, json=data["body"]))
        state = _collect(session, settings, channel, adapter=XAdapter())
    assert state.error.startswith("401") and "x-user-token" not in state.error
    assert state.last_day is None


@pytest.mark.bluesky
def test_bluesky_counts_likes_reposts_replies_and_quotes_from_the_appview(session, settings, bluesky_peer):
    from socialdesk.networks.bluesky import BlueskyAdapter
    from socialdesk.networks.base import OutgoingPost
    from socialdesk.publishing.timing import new_marker
    from test_bluesky import _name

    ours = bluesky_peer.create_account(_name("metrics"), display_name="Metrics Bistro")
    them = bluesky_peer.create_account(_name("fan"), display_name="A Fan")
    adapter = BlueskyAdapter()
    creds = {"handle": ours.handle, "app_password": ours.app_password}
    channel = make_channel(session, settings, network="bluesky", base_url=bluesky_peer.pds_url, credentials=creds)
    post = adapter.publish(base_url=bluesky_peer.pds_url, credentials=creds,
                           post=OutgoingPost(text="Spring menu is out", marker=new_marker(), not_before=datetime.now(UTC)))
    doomed = adapter.publish(base_url=bluesky_peer.pds_url, credentials=creds,
                             post=OutgoingPost(text="Oops", marker=new_marker(), not_before=datetime.now(UTC)))
    fan = AtClient(base_url=bluesky_peer.pds_url)
    fan.login(them.handle, them.app_password)
    fan.like(post.remote_id, post.extra["cid"])
    fan.repost(post.remote_id, post.extra["cid"])
    adapter_them = {"handle": them.handle, "app_password": them.app_password}
    adapter.publish(base_url=bluesky_peer.pds_url, credentials=adapter_them,
                    post=OutgoingPost(text="Looks great", marker=new_marker(), not_before=datetime.now(UTC),
                                      reply_to=post.remote_id))
    fan.follow(ours.did)
    adapter.delete(base_url=bluesky_peer.pds_url, credentials=creds, remote_id=doomed.remote_id)
    bluesky_peer.process_all()
    published(session, channel, post.remote_id, datetime.now(UTC))
    published(session, channel, doomed.remote_id, datetime.now(UTC))

    state = _collect(session, settings, channel, adapter=adapter)
    assert state.error == "", state.error
    row = snapshot(session, channel, post.remote_id, TODAY)
    assert (row.likes, row.reposts, row.replies, row.quotes) == (1, 1, 1, 0)
    assert row.impressions is None
    assert snapshot(session, channel, doomed.remote_id, TODAY).gone
    account = service.account_snapshots(session=session, client_id=channel.client_id, start=TODAY, end=TODAY)[0]
    assert account.followers == 1 and account.posts == 1
