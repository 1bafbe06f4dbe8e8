"""Importing mentions from CSV and JSONL on SQLite and PostgreSQL: good rows stored, bad rows named by row
and column, a wrong header refused whole, only the importing client's queries matched, a second import
stores nothing twice; the same through the API and `socialdesk listening import` with its progress."""

from __future__ import annotations

import json

from sqlalchemy import func, select
from typer.testing import CliRunner

from socialdesk.listening import importing
from socialdesk.listening import service as listening
from socialdesk.listening.models import Mention, MentionMatch
from socialdesk.listening.schemas import QueryIn


def add_query(database, client_id, text, name="Q"):
    with database.session() as s:
        return listening.create_query(session=s, client_id=client_id, user_id=None,
                                      data=QueryIn(name=name, topic="brand", text=text)).id


GOOD_CSV = (
    "remote_id,text,created_at,source,url,author_handle,author_name,author_followers,lang,hashtags,mentions\n"
    "1,Alpha cider is lovely,2026-11-02T09:00:00Z,mastodon,https://m.example/1,fan@m.example,Fan,120,en,cider;apples,\n"
    '2,"Alpha, with a comma, and ""quotes""",2026-11-02 10:00,bluesky,,bob.bsky.social,,,,,alpha\n'
    "3,Nothing about us,2026-11-02T11:00:00+02:00,x,,,,,,,\n"
    ",Alpha by url only,1762074000,rss,https://blog.example/post,,,,,,\n"
)


def test_csv_good_rows_are_stored_with_their_fields(session, world):
    add_query(world.database, world.a_id, "alpha")
    report = importing.import_text(session=session, client_id=world.a_id, text=GOOD_CSV, filename="m.csv")
    assert report.ok and report.errors == []
    assert [(r.row, r.outcome) for r in report.rows] == [(2, "stored"), (3, "stored"), (4, "unmatched"), (5, "stored")]
    assert (report.total, report.stored, report.unmatched) == (4, 3, 1)
    rows = {m.remote_id: m for m in session.scalars(select(Mention))}
    first = rows["1"]
    assert (first.source, first.author_followers, first.lang, first.hashtags) == ("mastodon", 120, "en",
                                                                                 ["cider", "apples"])
    assert rows["2"].text == 'Alpha, with a comma, and "quotes"' and rows["2"].mentions == ["alpha"]
    assert rows["2"].created_at.isoformat() == "2026-11-02T10:00:00+00:00"  # no offset: UTC
    assert rows["https://blog.example/post"].source == "rss"
    again = importing.import_text(session=session, client_id=world.a_id, text=GOOD_CSV, filename="m.csv")
    assert (again.stored, again.repeats, again.unmatched) == (0, 3, 1)
    assert session.scalar(select(func.count()).select_from(Mention)) == 3


def test_bad_rows_name_their_row_and_column_and_good_rows_still_go_in(session, world):
    add_query(world.database, world.a_id, "alpha")
    text = ("remote_id,text,created_at,author_followers,lang\n"
            "1,Alpha fine,2026-11-02T09:00:00Z,10,en\n"
            "2,Alpha bad date,yesterday,,\n"
            "3,,2026-11-02T09:00:00Z,,\n"
            "4,Alpha,2026-11-02T09:00:00Z,lots,english!\n"
            "5,Alpha extra,2026-11-02T09:00:00Z,,,surprise\n"
            "\n"
            "7,Alpha after a blank line,2026-11-02T09:00:00Z,,\n")
    report = importing.import_text(session=session, client_id=world.a_id, text=text, filename="m.csv")
    assert not report.ok and (report.stored, report.rejected) == (2, 4)
    assert report.errors == [
        {"row": 3, "column": "created_at",
         "message": "'yesterday' is not a date and time like 2026-11-02T09:00:00Z or Unix seconds"},
        {"row": 4, "column": "text", "message": "missing (required)"},
        {"row": 5, "column": "author_followers", "message": "must be a whole number from 0, or empty"},
        {"row": 5, "column": "lang", "message": "'english!' is not a language tag like en or pt-BR"},
        {"row": 6, "column": "row", "message": "has 6 cells, the header 5; quote cells that contain the separator"},
    ]
    assert [r.row for r in report.rows if r.outcome == "stored"] == [2, 8]


def test_a_wrong_header_imports_nothing_and_names_each_column(session, world):
    report = importing.import_text(session=session, client_id=world.a_id, filename="m.csv",
                                   text="id,body,when,text\n1,Alpha,2026-11-02,x\n")
    assert not report.ok and report.rows == []
    assert report.errors == [
        {"row": 1, "column": "id", "message": "unknown column; use " + ", ".join(importing.COLUMNS)},
        {"row": 1, "column": "body", "message": "unknown column; use " + ", ".join(importing.COLUMNS)},
        {"row": 1, "column": "when", "message": "unknown column; use " + ", ".join(importing.COLUMNS)},
        {"row": 1, "column": "created_at", "message": "missing column (required)"},
        {"row": 1, "column": "remote_id", "message": "missing column: give remote_id or url"},
    ]
    assert report.message.startswith("nothing was imported: the header is wrong (id: unknown column")
    assert session.scalar(select(func.count()).select_from(Mention)) == 0


def test_jsonl_rows_and_their_errors(session, world):
    add_query(world.database, world.a_id, "alpha")
    lines = [
        json.dumps({"remote_id": 11, "text": "Alpha from json", "created_at": "2026-11-02T09:00:00Z",
                    "hashtags": ["#cider"], "author_followers": 5}),
        "{not json",
        json.dumps({"remote_id": "12", "text": "Alpha", "created_at": "2026-11-02T09:00:00Z", "colour": "red"}),
        json.dumps(["a", "list"]),
        json.dumps({"remote_id": "13", "text": 42, "created_at": "2026-11-02T09:00:00Z", "mentions": {"a": 1}}),
        "",
        json.dumps({"remote_id": "14", "text": "Alpha \u0000 nul and \u001b escape", "created_at": 1762074000}),
    ]
    report = importing.import_text(session=session, client_id=world.a_id, text="\n".join(lines), filename="m.jsonl")
    assert [(r.row, r.outcome) for r in report.rows] == [(1, "stored"), (2, "rejected"), (3, "rejected"),
                                                         (4, "rejected"), (5, "rejected"), (7, "stored")]
    assert [(e["row"], e["column"]) for e in report.errors] == [(2, "line"), (3, "colour"), (4, "line"),
                                                                (5, "text"), (5, "mentions")]
    assert report.errors[0]["message"].startswith("is not JSON (")
    stored = {m.remote_id: m for m in session.scalars(select(Mention))}
    assert stored["11"].hashtags == ["cider"] and stored["14"].text == "Alpha  nul and  escape"


def test_an_import_only_matches_the_importing_clients_queries(session, world):
    add_query(world.database, world.a_id, "alpha")
    b_query = add_query(world.database, world.b_id, "alpha OR bravo", name="B")
    report = importing.import_text(session=session, client_id=world.b_id, filename="m.jsonl", text="\n".join(
        json.dumps({"remote_id": str(i), "text": t, "created_at": "2026-11-02T09:00:00Z"})
        for i, t in enumerate(["alpha and bravo", "alpha only", "neither"])))
    assert [r.outcome for r in report.rows] == ["stored", "stored", "unmatched"]
    assert set(session.scalars(select(MentionMatch.query_id))) == {b_query}  # A got nothing from B's file


def test_import_through_the_api(client, world):
    add_query(world.database, world.a_id, "alpha")
    url = f"/api/clients/{world.a_id}/listening/import"
    files = {"file": ("m.csv", GOOD_CSV.encode(), "text/csv")}
    response = client.post(url, files=files, headers=world["analyst"].headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["ok"], body["stored"], body["unmatched"]) == (True, 3, 1)
    raw = client.post(url, content=b'{"remote_id": "j1", "text": "alpha raw", "created_at": "2026-11-02T09:00:00Z"}\n',
                      headers={**world["manager"].headers, "content-type": "application/x-ndjson"})
    assert raw.json()["stored"] == 1
    wrong = client.post(url, files={"file": ("m.csv", b"body\nalpha\n", "text/csv")}, headers=world["manager"].headers)
    assert wrong.status_code == 422 and wrong.json()["errors"][0] == {
        "row": 1, "column": "body", "message": "unknown column; use " + ", ".join(importing.COLUMNS)}
    binary = client.post(url, files={"file": ("m.csv", b"\xff\xfe\x00", "text/csv")}, headers=world["manager"].headers)
    assert binary.status_code == 422 and binary.json()["errors"][0]["field"] == "file"
    assert client.post(url, files=files, headers=world["content_creator"].headers).status_code == 403
    assert client.post(url, files=files, headers=world["outsider"].headers).status_code == 404


def test_command_line_import_and_queries(world, settings, tmp_path, monkeypatch):
    from socialdesk.cli import app
    from socialdesk.config import get_settings
    from conftest import point_settings_at

    point_settings_at(monkeypatch, settings)
    add_query(world.database, world.a_id, "alpha", name="Alpha brand")
    path = tmp_path / "mentions.csv"
    path.write_text("remote_id,text,created_at\n" + "".join(
        f"{i},alpha number {i} of many today,2026-11-02T09:{i % 60:02d}:00Z\n" for i in range(2500))
        + "bad,alpha,never\n")
    runner = CliRunner()
    result = runner.invoke(app, ["listening", "import", world.a_name, str(path), "--chunk", "1000"])
    assert result.exit_code == 0, result.output
    assert "2500 of 2501 rows stored" in result.output and "never" in result.output
    with world.database.session() as s:
        assert s.scalar(select(func.count()).select_from(Mention)) == 2500
    listed = runner.invoke(app, ["listening", "queries", world.a_name])
    assert listed.exit_code == 0 and "Alpha brand" in listed.output
    missing = runner.invoke(app, ["listening", "queries", "Nobody Inc"])
    assert missing.exit_code == 1 and "no client named 'Nobody Inc'" in missing.output
    get_settings.cache_clear()
