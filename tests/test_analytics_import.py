"""CSV import of post metrics, paid results and account snapshots through the API: strict columns,
every row's errors by row and column (wrong currency, negative spend, unparseable dates, thousands
separators, unknown channels), nothing written when a row fails, and the same file twice changes
nothing. Imported account snapshots give follower growth through the dashboard's own function."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from socialdesk.analytics.insights import follower_growth
from socialdesk.analytics.models import AccountSnapshot, PaidResult, PostMetricSnapshot
from socialdesk.channels.models import Channel


def _client(owner_client) -> int:
    response = owner_client.post("/api/clients", json={"name": "Harbor & Vine", "timezone": "UTC"})
    assert response.status_code == 201, response.text
    return response.json()["id"]


def _send(owner_client, cid, kind, text):
    return owner_client.post(f"/api/clients/{cid}/analytics/import/{kind}", content=text.encode(),
                             headers={"content-type": "text/csv"})


METRICS = ("date,network,post_id,likes,reposts,replies,impressions,link_clicks\n"
           "2025-06-01,instagram,C8xYz,120,4,9,3400,\n"
           "2025-06-02,instagram,C8xYz,131,4,11,4100,17\n")


def test_post_metrics_import_stores_empty_cells_as_unknown_and_a_second_import_changes_nothing(owner_client,
                                                                                              session):
    cid = _client(owner_client)
    first = _send(owner_client, cid, "metrics", METRICS)
    assert first.status_code == 200, first.text
    assert (first.json()["created"], first.json()["updated"], first.json()["unchanged"]) == (2, 0, 0)
    rows = list(session.scalars(select(PostMetricSnapshot).where(PostMetricSnapshot.client_id == cid)
                                .order_by(PostMetricSnapshot.day)))
    assert [(r.likes, r.impressions, r.link_clicks, r.quotes, r.source) for r in rows] == [
        (120, 3400, None, None, "import"), (131, 4100, 17, None, "import")]

    again = _send(owner_client, cid, "metrics", METRICS)
    assert (again.json()["created"], again.json()["updated"], again.json()["unchanged"]) == (0, 0, 2)
    changed = _send(owner_client, cid, "metrics", METRICS.replace("131,4,11", "135,4,11"))
    assert (changed.json()["created"], changed.json()["updated"], changed.json()["unchanged"]) == (0, 1, 1)
    session.commit()  # end the read transaction: see what the app committed meanwhile
    assert session.scalar(select(PostMetricSnapshot.likes).where(PostMetricSnapshot.client_id == cid,
                                                                 PostMetricSnapshot.day == rows[1].day)) == 135

    series = owner_client.get(f"/api/clients/{cid}/analytics/series/post", params={
        "network": "instagram", "remote_id": "C8xYz", "metric": "likes", "start": "2025-06-01", "end": "2025-06-03"})
    assert series.status_code == 200, series.text
    body = series.json()
    assert [p["value"] for p in body["points"]] == [120, 135, None]
    assert body["delta"]["change"] == 15 and body["points"][2]["state"] == "gap"


def test_bad_rows_are_named_by_row_and_column_and_nothing_is_written(owner_client, session):
    cid = _client(owner_client)
    text = ("date,network,post_id,likes,impressions\n"
            "2025-06-01,instagram,A1,12,100\n"
            "06/02/2025,instagram,A2,3,\n"
            "2025-06-03,,A3,-4,1.234\n"
            "2025-06-04,instagram,,7,1x\n"
            "2999-01-01,instagram,A5,1,1\n"
            "2025-06-01,instagram,A1,13,100\n")
    response = _send(owner_client, cid, "metrics", text)
    assert response.status_code == 422
    body = response.json()
    errors = {e["field"]: e["message"] for e in body["errors"]}
    assert "is not a date YYYY-MM-DD" in errors["row 3.date"]
    assert "missing" in errors["row 4.network"]
    assert "negative" in errors["row 4.likes"]
    assert "without thousands separators (1234)" in errors["row 4.impressions"]
    assert "missing" in errors["row 5.post_id"] and "not a whole number" in errors["row 5.impressions"]
    assert "in the future" in errors["row 6.date"]
    assert "as row 2" in errors["row 7.post_id"]
    assert body["created"] == 0 and "nothing was imported: 5 of 6 rows" in body["message"]
    assert session.scalar(select(PostMetricSnapshot.id).where(PostMetricSnapshot.client_id == cid)) is None


METRIC_HEADER = "expected the columns date,network,post_id,channel,"
ACCOUNT_HEADER = "expected the columns date,network,channel,followers,following,posts"


@pytest.mark.parametrize("kind, header, problem, expected", [
    ("metrics", "date,network,likes", "missing: post_id", METRIC_HEADER),
    ("metrics", "date,network,post_id,channel", "no metric column", METRIC_HEADER),
    ("metrics", "date,network,post_id,likes,favs", "unknown: 'favs'", METRIC_HEADER),
    ("metrics", "date,network,post_id,likes,likes", "repeated: likes", METRIC_HEADER),
    ("accounts", "date,followers", "missing: channel", ACCOUNT_HEADER),
    ("accounts", "date,network,channel", "no count column", ACCOUNT_HEADER),
    ("accounts", "date,channel,followers,likes", "unknown: 'likes'", ACCOUNT_HEADER),
    ("accounts", "date,channel,followers,followers", "repeated: followers", ACCOUNT_HEADER),
])
def test_a_wrong_header_is_refused_naming_the_columns(owner_client, kind, header, problem, expected):
    cid = _client(owner_client)
    response = _send(owner_client, cid, kind, header + "\n2025-06-01,x,1,2\n")
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert problem in detail and expected in detail


PAID = ("date,network,campaign,ad,currency,spend,impressions,clicks,conversions\n"
        "2025-06-01,meta,,Summer A,EUR,125.50,20000,340,12\n"
        "2025-06-01,meta,,Summer B,EUR,0,1000,,\n")


def test_paid_results_need_the_reporting_currency_and_reimport_replaces_nothing(owner_client, session):
    cid = _client(owner_client)
    refused = _send(owner_client, cid, "paid", PAID)
    assert refused.status_code == 422 and "no reporting currency" in refused.json()["detail"]
    assert owner_client.put(f"/api/clients/{cid}/analytics/settings", json={"currency": "XYZ"}).status_code == 422
    assert owner_client.put(f"/api/clients/{cid}/analytics/settings", json={"currency": "eur"}).json() == {
        "currency": "EUR"}

    response = _send(owner_client, cid, "paid", PAID)
    assert response.status_code == 200, response.text
    assert response.json()["created"] == 2
    rows = list(session.scalars(select(PaidResult).where(PaidResult.client_id == cid).order_by(PaidResult.ad)))
    assert [(r.ad, r.spend, r.clicks, r.conversions) for r in rows] == [
        ("Summer A", Decimal("125.50"), 340, 12), ("Summer B", Decimal("0"), None, None)]
    assert _send(owner_client, cid, "paid", PAID).json()["unchanged"] == 2
    listed = owner_client.get(f"/api/clients/{cid}/analytics/paid",
                              params={"start": "2025-06-01", "end": "2025-06-01"}).json()
    assert sorted(Decimal(r["spend"]) for r in listed) == [Decimal("0"), Decimal("125.50")]


def test_paid_rows_in_another_currency_or_with_bad_amounts_are_refused_row_by_row(owner_client, session):
    cid = _client(owner_client)
    owner_client.put(f"/api/clients/{cid}/analytics/settings", json={"currency": "JPY"})
    text = ("date,network,campaign,currency,spend\n"
            "2025-06-01,meta,,USD,10.00\n"
            "2025-06-01,meta,,JPY,-500\n"
            "2025-06-02,meta,,JPY,\"1,200\"\n"
            "2025-06-03,meta,,JPY,1200.5\n"
            "2025-06-04,meta,Launch,JPY,100\n"
            "2025-06-05,meta,,ABC,100\n"
            "2025-13-01,meta,,JPY,100\n")
    response = _send(owner_client, cid, "paid", text)
    assert response.status_code == 422
    errors = {e["field"]: e["message"] for e in response.json()["errors"]}
    assert "USD is not the client's reporting currency JPY" in errors["row 2.currency"]
    assert "no exchange rate is guessed" in errors["row 2.currency"]
    assert "negative" in errors["row 3.spend"]
    assert "without thousands separators" in errors["row 4.spend"]
    assert "JPY has 0" in errors["row 5.spend"]
    assert "no campaign named 'Launch'" in errors["row 6.campaign"]
    assert "not an ISO 4217" in errors["row 7.currency"]
    assert "not a date" in errors["row 8.date"]
    assert session.scalar(select(PaidResult.id).where(PaidResult.client_id == cid)) is None


def test_importing_and_reading_follow_the_roles(world, client):
    """Analysts import, client approvers read their client's figures but never import."""
    cid = world.a_id
    analyst, approver = world.people["analyst"], world.people["client_approver"]
    creator = world.people["content_creator"]
    ok = client.post(f"/api/clients/{cid}/analytics/import/metrics", content=METRICS.encode(),
                     headers={**analyst.headers, "content-type": "text/csv"})
    assert ok.status_code == 200, ok.text
    assert client.post(f"/api/clients/{cid}/analytics/import/metrics", content=METRICS.encode(),
                       headers={**creator.headers, "content-type": "text/csv"}).status_code == 403
    assert client.post(f"/api/clients/{cid}/analytics/import/metrics", content=METRICS.encode(),
                       headers={**approver.headers, "content-type": "text/csv"}).status_code == 403
    seen = client.get(f"/api/clients/{cid}/analytics/posts", params={"start": "2025-06-01", "end": "2025-06-02"},
                      headers=approver.headers)
    assert seen.status_code == 200 and [r["likes"] for r in seen.json()] == [120, 131]
    outsider = world.people["outsider"]
    assert client.get(f"/api/clients/{cid}/analytics/posts", headers=outsider.headers).status_code == 404


ACCOUNTS = ("date,network,channel,followers,following,posts\n"
            "2025-06-01,instagram,@harborvine,1200,310,88\n"
            "2025-06-02,instagram,@harborvine,1250,,90\n"
            "2025-06-03,instagram,HarborVine,1240,312,91\n")


def _snapshots(session, cid):
    session.commit()  # end the read transaction: see what the app committed meanwhile
    return [(r.day.isoformat(), r.followers, r.following, r.posts, r.decreased) for r in session.scalars(
        select(AccountSnapshot).where(AccountSnapshot.client_id == cid).order_by(AccountSnapshot.day))]


def test_account_snapshots_make_the_channel_give_follower_growth_and_a_reimport_updates(owner_client, session):
    cid = _client(owner_client)
    first = _send(owner_client, cid, "accounts", ACCOUNTS)
    assert first.status_code == 200, first.text
    body = first.json()
    assert (body["created"], body["updated"], body["unchanged"]) == (3, 0, 0)
    assert body["new_channels"] == ["instagram @harborvine"] and "new channel: instagram @harborvine" in body["message"]
    assert [r["outcome"] for r in body["rows"]] == ["created"] * 3
    channels = session.scalars(select(Channel).where(Channel.client_id == cid)).all()
    assert [(c.network, c.handle) for c in channels] == [("instagram", "harborvine")]
    shown = owner_client.get(f"/api/clients/{cid}/channels/{channels[0].id}")  # a channel with no API is shown too
    assert shown.status_code == 200 and shown.json()["network"] == "instagram", shown.text
    assert _snapshots(session, cid) == [("2025-06-01", 1200, 310, 88, []), ("2025-06-02", 1250, None, 90, []),
                                        ("2025-06-03", 1240, 312, 91, ["followers"])]
    # the dashboard's follower growth reads them as it reads collected snapshots
    growth = follower_growth(session=session, client_id=cid, start=date(2025, 6, 1), end=date(2025, 6, 30))
    assert (growth.first, growth.last, growth.change, growth.channels) == (1200, 1240, 40, 1)
    assert growth.percent == pytest.approx(40 / 1200 * 100)

    again = _send(owner_client, cid, "accounts", ACCOUNTS).json()
    assert (again["created"], again["updated"], again["unchanged"], again["new_channels"]) == (0, 0, 3, [])
    changed = _send(owner_client, cid, "accounts", ACCOUNTS.replace("1250,,90", "1230,,90")).json()
    assert (changed["created"], changed["updated"], changed["unchanged"]) == (0, 1, 2)
    assert [r["outcome"] for r in changed["rows"]] == ["unchanged", "updated", "unchanged"]
    # one snapshot per channel and day, and the next day no longer reads as a fall
    assert _snapshots(session, cid) == [("2025-06-01", 1200, 310, 88, []), ("2025-06-02", 1230, None, 90, []),
                                        ("2025-06-03", 1240, 312, 91, [])]
    # a column left out keeps its count; the channel is found by its handle without a network column
    only = _send(owner_client, cid, "accounts", "date,channel,followers\n2025-06-02,harborvine,1235\n")
    assert only.status_code == 200, only.text
    assert (only.json()["updated"], only.json()["new_channels"]) == (1, [])
    assert _snapshots(session, cid)[1] == ("2025-06-02", 1235, None, 90, [])
    assert session.scalar(select(func.count(Channel.id)).where(Channel.client_id == cid)) == 1

    series = owner_client.get(f"/api/clients/{cid}/analytics/series/account", params={
        "metric": "followers", "start": "2025-06-01", "end": "2025-06-04"})
    assert series.status_code == 200, series.text
    assert [p["value"] for p in series.json()["points"]] == [1200, 1235, 1240, None]


def test_account_rows_go_to_a_connected_channel_by_handle_and_network(owner_client, session, mastodon_peer):
    from test_channels import _connect

    cid = _client(owner_client)
    connected = _connect(owner_client, cid, mastodon_peer.base_url).json()
    handle = connected["handle"].removeprefix("@")
    assert _send(owner_client, cid, "accounts", f"date,network,channel,followers\n2025-06-01,instagram,{handle},7\n"
                 ).json()["new_channels"] == [f"instagram @{handle}"]
    text = (f"date,network,channel,followers\n2025-06-02,mastodon,{handle},40\n2025-06-02,instagram,{handle},8\n"
            f"2025-06-03,,{handle},9\n")
    response = _send(owner_client, cid, "accounts", text)
    assert response.status_code == 422
    errors = {e["field"]: e["message"] for e in response.json()["errors"]}
    assert list(errors) == ["row 4.channel"] and "names 2 channels" in errors["row 4.channel"]
    response = _send(owner_client, cid, "accounts", text.rsplit("2025-06-03", 1)[0])
    assert response.status_code == 200, response.text
    session.commit()
    by_network = dict(session.execute(select(Channel.network, AccountSnapshot.followers)
                                      .join(Channel, Channel.id == AccountSnapshot.channel_id)
                                      .where(AccountSnapshot.day == date(2025, 6, 2))).all())
    assert by_network == {"mastodon": 40, "instagram": 8}


def test_bad_account_rows_are_named_by_row_and_column_and_nothing_is_written(owner_client, session):
    cid = _client(owner_client)
    text = ("date,network,channel,followers,posts\n"
            "2025-06-01,instagram,harborvine,100,\n"
            "06/02/2025,instagram,harborvine,100,\n"
            "2025-06-02,,ghost,100,\n"
            "2025-06-03,instagram,harborvine,-5,\n"
            "2025-06-04,instagram,harborvine,12.5,3\n"
            "2999-01-01,instagram,harborvine,1,\n"
            "2025-06-01,instagram,@HarborVine,101,\n"
            "2025-06-05,mastodon,nobody,10,\n"
            "2025-06-06,instagram,harborvine,,\n"
            "2025-06-07,instagram,,10,\n")
    response = _send(owner_client, cid, "accounts", text)
    assert response.status_code == 422
    body = response.json()
    errors = {e["field"]: e["message"] for e in body["errors"]}
    assert "is not a date YYYY-MM-DD" in errors["row 3.date"]
    assert "no channel named 'ghost'" in errors["row 4.channel"] and "network" in errors["row 4.channel"]
    assert "negative" in errors["row 5.followers"]
    assert "not a whole number" in errors["row 6.followers"]
    assert "in the future" in errors["row 7.date"]
    assert "as row 2" in errors["row 8.date"]
    assert "connect it first" in errors["row 9.channel"]
    assert "no count in this row" in errors["row 10.followers"]
    assert "missing" in errors["row 11.channel"]
    assert len(errors) == 9 and "nothing was imported: 9 of 10 rows" in body["message"]
    assert [r["row"] for r in body["rows"] if r["ok"]] == [2]
    session.commit()
    assert session.scalar(select(AccountSnapshot.id).where(AccountSnapshot.client_id == cid)) is None
    assert session.scalar(select(Channel.id).where(Channel.client_id == cid)) is None  # no channel made either
