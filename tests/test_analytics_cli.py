"""`socialdesk analytics collect` through Typer's CliRunner on the test database (the ``cli`` fixture
of tests/test_cli.py), reading a real mastodon-mock account."""

from __future__ import annotations

from sqlalchemy import select

from socialdesk.analytics.models import AccountSnapshot
from test_channels import _client, _connect
from test_cli import cli, failed, ok  # noqa: F401 - cli is a fixture


def test_collect_snapshots_each_channel_with_a_row_per_channel_and_says_when_there_is_none(cli, owner_client,
                                                                                            mastodon_peer, session):
    cid = _client(owner_client, "Harbor & Vine")
    channel = _connect(owner_client, cid, mastodon_peer.base_url).json()["id"]
    out = ok(cli("analytics", "collect", "--client", "Harbor & Vine"))
    assert "Metrics collection" in out and "mastodon" in out and "ok" in out
    session.expire_all()
    followers = mastodon_peer.client("alice").account_verify_credentials()["followers_count"]
    assert session.scalars(select(AccountSnapshot.followers).where(AccountSnapshot.channel_id == channel)).all() == [
        followers]
    _client(owner_client, "Quiet Co")
    assert "no channel to collect for this client" in failed(cli("analytics", "collect", "--client", "Quiet Co"))
