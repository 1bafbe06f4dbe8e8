"""`socialdesk inbox sync | import-reviews | list` through Typer's CliRunner on the test database
(the ``cli`` fixture of tests/test_cli.py), syncing from the real mastodon-mock server."""

from __future__ import annotations

import uuid

from test_channels import _client, _connect
from test_cli import cli, failed, ok  # noqa: F401 - cli is a fixture
from test_inbox_reviews import GOOD


def test_import_reviews_then_list_them_and_a_second_import_adds_nothing(cli, owner_client, tmp_path):
    _client(owner_client, "Harbor & Vine")
    path = tmp_path / "reviews.csv"
    path.write_text(GOOD, encoding="utf-8")

    assert "3 reviews imported" in ok(cli("inbox", "import-reviews", "harbor & vine", str(path)))
    assert "0 reviews imported, 3 already in the inbox (skipped)" in ok(
        cli("inbox", "import-reviews", "Harbor & Vine", str(path)))

    listed = ok(cli("inbox", "list", "Harbor & Vine"))
    assert "Inbox of Harbor & Vine" in listed and listed.count("reviews") >= 3
    assert "Sam <b>P</b>" in listed and "Terrible service and cold food" in listed  # literal, no markup
    assert "Never again." in listed
    assert "review" in ok(cli("inbox", "list", "Harbor & Vine", "--status", "new"))
    assert "Sam <b>P</b>" not in ok(cli("inbox", "list", "Harbor & Vine", "--status", "done"))
    assert "status: 'closed' is not one of new, open, waiting, done" in failed(
        cli("inbox", "list", "Harbor & Vine", "--status", "closed"))


def test_a_file_with_errors_shows_each_row_and_column_and_imports_nothing(cli, owner_client, tmp_path):
    _client(owner_client, "Harbor & Vine")
    path = tmp_path / "bad.csv"
    path.write_text("source,author,rating,text,created_at\nGoogle,Dana,9,Great,2025-06-01\nYelp,Lee,4,,2025-06-02\n",
                    encoding="utf-8")
    out = failed(cli("inbox", "import-reviews", "Harbor & Vine", str(path)))
    assert "nothing was imported: 2 of 2 rows have errors" in out
    assert "rating" in out and "from 1 to 5" in out and "text" in out and "a review needs its text" in out
    assert "no conversation" not in ok(cli("inbox", "list", "Harbor & Vine"))
    assert "Harbor & Vine" in ok(cli("inbox", "list", "Harbor & Vine"))
    assert "no client named 'Nobody'" in failed(cli("inbox", "import-reviews", "Nobody", str(path)))
    missing = cli("inbox", "import-reviews", "Harbor & Vine", str(tmp_path / "none.csv"))
    assert missing.exit_code == 2 and "does not exist" in missing.output


def test_sync_fetches_from_the_network_with_a_report_per_channel(cli, owner_client, mastodon_peer):
    cid = _client(owner_client, "Harbor & Vine")
    channel = _connect(owner_client, cid, mastodon_peer.base_url).json()["id"]
    first = ok(cli("inbox", "sync", "--client", "Harbor & Vine"))
    assert "Inbox sync" in first and "mastodon" in first and "ok" in first
    tag = uuid.uuid4().hex[:8]
    mastodon_peer.client("bob").status_post(f"@alice do you ship {tag}?")

    out = ok(cli("inbox", "sync", "--channel", str(channel)))
    assert "2 pages read, 1 new." in out  # the second page is the empty one that ends paging
    assert tag in ok(cli("inbox", "list", "Harbor & Vine"))
    assert "0 new" in ok(cli("inbox", "sync", "--client", "Harbor & Vine"))  # nothing twice
    assert "there is no channel 99999" in failed(cli("inbox", "sync", "--channel", "99999"))

    _client(owner_client, "Quiet Co")
    assert "no channel to sync for this client" in failed(cli("inbox", "sync", "--client", "Quiet Co"))


def test_a_channel_whose_sync_fails_is_shown_and_the_exit_status_says_so(cli, owner_client, mastodon_peer):
    from test_channels import fault

    cid = _client(owner_client, "Harbor & Vine")
    _connect(owner_client, cid, mastodon_peer.base_url)
    with fault(mastodon_peer, match={"path": "/api/v1/notifications"},
               effect={"type": "status", "status": 503, "body": {"error": "down for maintenance"}}):
        result = cli("inbox", "sync", "--client", "Harbor & Vine")
    assert result.exit_code == 1 and "503" in result.output and "Traceback" not in result.output
