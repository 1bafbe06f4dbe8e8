"""Reviews imported from CSV (inbox/importing.py) through POST /api/clients/{id}/inbox/reviews: all
or nothing with per-row errors naming row and column, idempotent (the same file twice adds nothing),
on the client's Reviews channel, which the sync skips and the channel lists do not show."""

from __future__ import annotations

from sqlalchemy import func, select

from socialdesk.channels.models import Channel
from socialdesk.inbox import service as inbox
from socialdesk.inbox.models import InboxItem
from socialdesk.vault.service import Vault
from test_channels import _client

GOOD = (
    "source,author,rating,text,url,created_at,remote_id\n"
    "Google,Dana K.,5,\"Lovely brunch, friendly staff\",https://g.page/r/1,2025-06-01,g-1\n"
    "Yelp,Sam <b>P</b>,1,Terrible service and cold food. Never again.,,2025-06-02T18:30:00Z,y-77\n"
    "\n"
    "Trustpilot,Ana,4.5,Fast delivery,,2025-06-03 09:15,\n"
)


def _post(api, cid, text: str, name="reviews.csv"):
    return api.post(f"/api/clients/{cid}/inbox/reviews", files={"file": (name, text.encode(), "text/csv")})


def _count(session) -> int:
    session.commit()
    return session.scalar(select(func.count()).select_from(InboxItem).where(InboxItem.kind == "review"))


def test_reviews_land_in_the_inbox_once_and_a_second_import_adds_nothing(owner_client, session):
    cid = _client(owner_client)
    first = _post(owner_client, cid, GOOD)
    assert first.status_code == 201, first.text
    report = first.json()
    assert report["ok"] and report["created"] == 3 and report["duplicates"] == 0 and report["total"] == 3
    assert [r["row"] for r in report["rows"]] == [2, 3, 5]  # the blank line keeps the spreadsheet's numbering
    assert report["rows"][0]["remote_id"] == "google:g-1" and report["rows"][2]["remote_id"].startswith("trustpilot:")

    listed = owner_client.get(f"/api/clients/{cid}/inbox").json()
    assert len(listed) == 3 and {c["network"] for c in listed} == {"reviews"}
    latest = {c["latest"]["remote_id"]: c for c in listed}
    angry = latest["yelp:y-77"]
    assert angry["latest"]["kind"] == "review" and angry["sentiment"] == "negative"
    assert angry["latest"]["author_handle"] == "Sam <b>P</b>"  # kept as written; pages escape it
    assert latest["google:g-1"]["latest"]["text"] == "Lovely brunch, friendly staff"
    assert latest["google:g-1"]["latest"]["url"] == "https://g.page/r/1"
    session.expire_all()
    item = session.scalar(select(InboxItem).where(InboxItem.remote_id == "google:g-1"))
    assert item.extra == {"source": "Google", "rating": "5"}
    assert item.created_at.isoformat().startswith("2025-06-01T12:00")  # a date alone: noon, the client's day

    again = _post(owner_client, cid, GOOD)
    assert again.status_code == 201 and again.json()["created"] == 0 and again.json()["duplicates"] == 3
    assert "3 already in the inbox" in again.json()["message"] and _count(session) == 3

    # The Reviews channel: one per client, not among the channels to publish to, nothing to sync.
    channel = session.scalar(select(Channel).where(Channel.client_id == cid, Channel.network == "reviews"))
    assert channel.display_name == "Reviews" and report["channel_id"] == channel.id
    assert [c["network"] for c in owner_client.get(f"/api/clients/{cid}/channels").json()] == []
    synced = owner_client.post(f"/api/clients/{cid}/channels/{channel.id}/sync").json()
    assert synced["error"] == "" and synced["items_total"] == 3 and "nothing to fetch" in synced["last_report"]


def test_a_file_with_errors_writes_nothing_and_names_each_row_and_column(owner_client, session):
    cid = _client(owner_client)
    bad = ("source,author,rating,text,url,created_at,remote_id\n"
           "Google,Dana,5,Great,,2025-06-01,g-1\n"
           "Yelp,,7,,not a link,yesterday,\n"
           "Google,Lee,4,Nice,,2999-01-01,g-2\n"
           "Google,Kim,3,\"Fine\",,2025-06-01,g-3,extra\n")
    response = _post(owner_client, cid, bad)
    assert response.status_code == 422
    report = response.json()
    assert not report["ok"] and report["created"] == 0 and "nothing was imported: 3 of 4 rows" in report["message"]
    fields = [e["field"] for e in report["errors"]]
    assert fields == ["row 3.author", "row 3.text", "row 3.rating", "row 3.url", "row 3.created_at",
                      "row 4.created_at", "row 5.row"]
    messages = {e["field"]: e["message"] for e in report["errors"]}
    assert "from 1 to 5" in messages["row 3.rating"] and "in the future" in messages["row 4.created_at"]
    assert "YYYY-MM-DD" in messages["row 3.created_at"] and "quote cells" in messages["row 5.row"]
    assert report["rows"][0]["ok"] and not report["rows"][0]["new"]
    assert _count(session) == 0
    assert session.scalar(select(Channel).where(Channel.client_id == cid)) is None  # not even the channel


def test_the_header_and_the_file_itself_are_checked_first(owner_client):
    cid = _client(owner_client)
    wrong = _post(owner_client, cid, "author,stars,text\nDana,5,Great\n")
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["field"] == "header"
    assert "missing columns: source, created_at" in wrong.json()["message"] and "'stars'" in wrong.json()["message"]
    latin1 = owner_client.post(f"/api/clients/{cid}/inbox/reviews",
                               files={"file": ("r.csv", "source,author,text,created_at\nG,Zoë,Très bien,2025-06-01\n"
                                               .encode("latin-1"), "text/csv")})
    assert latin1.status_code == 422 and latin1.json()["errors"][0]["field"] == "file"
    empty = _post(owner_client, cid, "source,author,text,created_at\n")
    assert empty.status_code == 422 and "no reviews" in empty.json()["message"]
    semicolons = _post(owner_client, cid, "source;author;text;created_at\nGoogle;Dana;Great;2025-06-01\n")
    assert semicolons.status_code == 201 and semicolons.json()["created"] == 1


def test_only_those_who_triage_may_import(client, world):
    a = world.a_id
    for role, expected in (("content_creator", 403), ("client_approver", 403), ("community_manager", 201)):
        response = client.post(f"/api/clients/{a}/inbox/reviews", headers=world[role].headers,
                               files={"file": ("r.csv", b"source,author,text,created_at\nG,Dana,Great,2025-06-01\n",
                                               "text/csv")})
        assert response.status_code == expected, (role, response.text)


def test_the_sync_skips_the_reviews_channel_and_sync_all_leaves_it_out(owner_client, session, settings):
    cid = _client(owner_client)
    assert _post(owner_client, cid, GOOD).status_code == 201
    session.expire_all()
    channel = session.scalar(select(Channel).where(Channel.client_id == cid, Channel.network == "reviews"))
    state = inbox.sync_channel(session=session, vault=Vault.from_settings(settings), channel=channel)
    assert state.error == "" and state.cursor is None and "nothing to fetch" in state.last_report

    from socialdesk.channels.service import ADAPTERS

    syncable = session.scalars(select(Channel.id).where(Channel.network.in_([str(n) for n in ADAPTERS]))).all()
    assert channel.id not in syncable  # the query sync_all runs
