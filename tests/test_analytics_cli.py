"""`socialdesk analytics collect` and `socialdesk analytics import` through Typer's CliRunner on the
test database (the ``cli`` fixture of tests/test_cli.py): collect reads a real mastodon-mock account,
import reads CSV files of each kind."""

from __future__ import annotations

from sqlalchemy import select

from socialdesk.analytics.models import AccountSnapshot, PostMetricSnapshot
from socialdesk.channels.models import Channel
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


def test_import_accounts_and_metrics_from_files_and_name_bad_rows(cli, owner_client, session, tmp_path):
    cid = _client(owner_client, "Harbor & Vine")
    accounts = tmp_path / "accounts.csv"
    accounts.write_text("date,network,channel,followers,following,posts\n"
                        "2025-06-01,instagram,@harborvine,1200,310,88\n"
                        "2025-06-02,instagram,@harborvine,1250,311,90\n")
    out = ok(cli("analytics", "import", "Harbor & Vine", str(accounts), "--kind", "accounts"))
    assert "2 account snapshots imported: 2 new, 0 updated, 0 already so" in out
    assert "new channel: instagram @harborvine" in out
    again = ok(cli("analytics", "import", "harbor & vine", str(accounts), "--kind", "accounts"))
    assert "0 new, 0 updated, 2 already so" in again and "new channel" not in again
    session.commit()
    channel = session.scalar(select(Channel).where(Channel.client_id == cid))
    assert channel.network == "instagram"
    assert session.scalars(select(AccountSnapshot.followers).where(AccountSnapshot.channel_id == channel.id)
                           .order_by(AccountSnapshot.day)).all() == [1200, 1250]

    metrics = tmp_path / "metrics.csv"
    metrics.write_text("date,network,post_id,channel,likes,impressions\n"
                       "2025-06-01,instagram,C8xYz,harborvine,120,3400\n")
    assert "1 post metric row imported: 1 new" in ok(cli("analytics", "import", "Harbor & Vine", str(metrics),
                                                         "--kind", "metrics"))
    session.commit()
    assert session.scalars(select(PostMetricSnapshot.channel_id).where(PostMetricSnapshot.client_id == cid)).all() == [
        channel.id]

    bad = tmp_path / "bad.csv"
    bad.write_text("date,channel,followers\n2025-06-03,harborvine,-1\n2025-06-04,ghost,5\n")
    out = failed(cli("analytics", "import", "Harbor & Vine", str(bad), "--kind", "accounts"))
    assert "Rows with errors" in out and "followers" in out and "negative" in out and "ghost" in out
    assert "nothing was imported: 2 of 2 rows have errors" in " ".join(out.split())
    header = tmp_path / "header.csv"
    header.write_text("day,channel,followers\n2025-06-03,harborvine,5\n")
    assert "missing: date" in failed(cli("analytics", "import", "Harbor & Vine", str(header), "--kind", "accounts"))
    assert "is not one of metrics, paid, accounts" in failed(
        cli("analytics", "import", "Harbor & Vine", str(accounts), "--kind", "followers"))
    session.commit()
    assert len(session.scalars(select(AccountSnapshot.id).where(AccountSnapshot.client_id == cid)).all()) == 2
