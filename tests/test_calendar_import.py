"""The iCalendar feed of a client's posts (parsed back with the icalendar library) and the CSV bulk
import (API and page): times in the client's zone, all-or-nothing, per-row errors, header checks,
BOM, semicolons and the row limit."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import icalendar
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from socialdesk.kit.authz import Role
from socialdesk.publishing.models import IMPORTED, Post, PostEvent, PostTarget
from test_pages import HTML, add_person, make_client, owner, sign_in  # noqa: F401
from test_publishing_pages import NEXT_YEAR, XSS, acme, add_channel, api_post, get_post  # noqa: F401

YEAR = NEXT_YEAR + 1
HEADER = "date,time,channels,text,link,campaign"


def _csrf(browser) -> dict:
    return {"x-csrf-token": browser.token}


def _feed_url(browser, cid: int) -> str:
    response = browser.http.get(f"/api/clients/{cid}/publishing/feed")
    assert response.status_code == 200, response.text
    return response.json()["url"]


def _fetch(app, url: str):
    """The feed as a calendar app fetches it: no cookies, no token but the one in the URL."""
    path = url.removeprefix("http://testserver")
    with TestClient(app) as anonymous:
        return anonymous.get(path)


def _count_posts(session) -> int:
    session.commit()
    return session.scalar(select(func.count()).select_from(Post))


# --- the iCalendar feed ------------------------------------------------------------------------------


def test_feed_lists_scheduled_and_published_posts_in_utc_with_rfc5545_escaping(app, owner, acme, session):
    cid, ch = acme
    tricky = "Sale, today; only!\nSecond line, with \\ backslash " + XSS
    scheduled = api_post(owner, cid, [ch["mastodon"]], tricky, title="Sale; big, bold",
                         scheduled_at=f"{YEAR}-01-15T09:30:00")  # Paris winter: 08:30 UTC
    summer = api_post(owner, cid, [ch["x"]], "Summer post", scheduled_at=f"{YEAR}-07-15T09:30:00")  # 07:30 UTC
    published = api_post(owner, cid, [ch["bluesky"]], "Already out")
    api_post(owner, cid, [ch["mastodon"]], "Just a draft")
    cancelled = api_post(owner, cid, [ch["mastodon"]], "Called off", scheduled_at=f"{YEAR}-02-01T10:00:00")
    owner.http.post(f"/api/clients/{cid}/posts/{cancelled['id']}/cancel", headers=_csrf(owner)).raise_for_status()
    out = datetime(YEAR - 1, 12, 24, 17, 5, tzinfo=UTC)
    row = session.get(Post, published["id"])
    row.status = "published"
    target = session.scalar(select(PostTarget).where(PostTarget.post_id == published["id"]))
    target.state, target.published_at, target.remote_url = "published", out, "https://bsky.app/profile/x/post/1"
    session.commit()

    url = _feed_url(owner, cid)
    assert re.fullmatch(r"http://testserver/feeds/[A-Za-z0-9_-]{32}\.ics", url), url
    response = _fetch(app, url)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/calendar")
    raw = response.text
    assert "SUMMARY:Sale\\; big\\, bold" in raw
    assert "Sale\\, today\\; only!\\nSecond line\\, with \\\\ backslash" in raw.replace("\r\n ", "")
    calendar = icalendar.Calendar.from_ical(response.content)
    events = {str(e["uid"]): e for e in calendar.walk("VEVENT")}
    assert set(events) == {f"post-{p['id']}@testserver" for p in (scheduled, summer, published)}
    first = events[f"post-{scheduled['id']}@testserver"]
    assert first.decoded("dtstart") == datetime(YEAR, 1, 15, 8, 30, tzinfo=UTC)
    assert first.decoded("dtstart").utcoffset().total_seconds() == 0 and first["dtstart"].to_ical().endswith(b"Z")
    assert str(first["summary"]) == "Sale; big, bold"
    assert str(first["description"]) == tricky  # commas, semicolons, newlines, backslash survive the round trip
    assert str(first["url"]) == f"http://testserver/clients/{cid}/posts/{scheduled['id']}"
    assert events[f"post-{summer['id']}@testserver"].decoded("dtstart") == datetime(YEAR, 7, 15, 7, 30, tzinfo=UTC)
    assert events[f"post-{published['id']}@testserver"].decoded("dtstart") == out
    assert str(events[f"post-{summer['id']}@testserver"]["summary"]) == "Summer post"
    # The UID stays when the post moves; the time follows.
    owner.http.post(f"/api/clients/{cid}/posts/{summer['id']}/move", json={"scheduled_at": f"{YEAR}-07-16T09:30:00"},
                    headers=_csrf(owner)).raise_for_status()
    again = icalendar.Calendar.from_ical(_fetch(app, url).content)
    moved = {str(e["uid"]): e for e in again.walk("VEVENT")}[f"post-{summer['id']}@testserver"]
    assert moved.decoded("dtstart") == datetime(YEAR, 7, 16, 7, 30, tzinfo=UTC)


def test_wrong_tokens_are_not_found_and_rotating_ends_the_old_address(app, owner, acme):
    cid, ch = acme
    api_post(owner, cid, [ch["mastodon"]], "In the feed", scheduled_at=f"{YEAR}-03-03T10:00:00")
    url = _feed_url(owner, cid)
    token = url.rsplit("/", 1)[1].removesuffix(".ics")
    assert _fetch(app, url).status_code == 200
    for wrong in (token[:-1] + ("A" if token[-1] != "A" else "B"), "x", "a" * 200, token.upper() if token.upper() != token else "z"):
        answer = _fetch(app, f"/feeds/{wrong}.ics")
        assert answer.status_code == 404 and "In the feed" not in answer.text, wrong
    assert _fetch(app, f"/feeds/{token}").status_code == 404  # no .ics
    rotated = owner.http.post(f"/api/clients/{cid}/publishing/feed/rotate", headers=_csrf(owner))
    assert rotated.status_code == 200
    new_url = rotated.json()["url"]
    assert new_url != url and _fetch(app, url).status_code == 404 and _fetch(app, new_url).status_code == 200
    # The calendar page shows the address and rotates it with a form.
    page = owner.get(f"/clients/{cid}/calendar").text
    assert f'value="{new_url}"' in page
    done = owner.post(f"/clients/{cid}/calendar/feed/rotate", {})
    assert done.status_code == 200 and "the old one no longer works" in done.text
    assert new_url not in done.text and _fetch(app, new_url).status_code == 404
    assert _fetch(app, _feed_url(owner, cid)).status_code == 200


def test_a_client_approver_sees_their_clients_feed_only(app, owner, acme, session):
    cid, ch = acme
    other = make_client(owner, "Bravo Bakery")
    add_channel(session, other, "mastodon", "Bravo Mastodon")
    bravo_url = _feed_url(owner, other)
    bravo_token = bravo_url.rsplit("/", 1)[1].removesuffix(".ics")
    acme_url = _feed_url(owner, cid)
    add_person(session, "cara@client.example.com", Role.CLIENT_APPROVER, cid)
    approver = sign_in(app, "cara@client.example.com")
    assert f'value="{acme_url}"' in approver.get(f"/clients/{cid}/calendar").text
    assert approver.http.get(f"/api/clients/{cid}/publishing/feed").json()["url"] == acme_url
    for url in (f"/api/clients/{other}/publishing/feed", f"/clients/{other}/calendar"):
        answer = approver.http.get(url, headers=HTML if not url.startswith("/api") else {})
        assert answer.status_code == 404 and bravo_token not in answer.text, url
    assert bravo_token not in approver.get("/calendar").text
    # Rotating is for managers.
    refused = approver.http.post(f"/api/clients/{cid}/publishing/feed/rotate", headers=_csrf(approver))
    assert refused.status_code == 403
    assert approver.post(f"/clients/{cid}/calendar/feed/rotate", {}).status_code == 403
    assert "Make a new address" not in approver.get(f"/clients/{cid}/calendar").text
    assert _feed_url(owner, cid) == acme_url


# --- CSV import --------------------------------------------------------------------------------------


def _import(browser, cid: int, body: bytes | str, content_type: str = "text/csv"):
    data = body.encode() if isinstance(body, str) else body
    return browser.http.post(f"/api/clients/{cid}/posts/import", content=data,
                             headers={**_csrf(browser), "content-type": content_type})


def test_a_good_file_creates_posts_at_the_right_utc_times(owner, acme, session):
    cid, ch = acme
    owner.post(f"/clients/{cid}/publishing/campaigns", {"name": "Winter sale"})
    campaign = owner.http.get(f"/api/clients/{cid}/campaigns").json()[0]["id"]
    csv = "\r\n".join([
        HEADER,
        f"{YEAR}-01-15,09:00,Mastodon main,\"Winter, cold; warm coats\",https://example.com/coats,winter sale",
        f"{YEAR}-07-15,18:45,x | bluesky,Summer evening,,",
        f",,mastodon;X main,Unscheduled idea,,",
    ]) + "\r\n"
    response = _import(owner, cid, csv)
    assert response.status_code == 201, response.text
    report = response.json()
    assert report["ok"] is True and report["created"] == 3 and report["message"] == "3 posts imported"
    assert [r["row"] for r in report["rows"]] == [2, 3, 4] and all(r["ok"] and r["post_id"] for r in report["rows"])
    first, second, third = (get_post(owner, cid, r["post_id"]) for r in report["rows"])
    assert first["scheduled_at"].startswith(f"{YEAR}-01-15T08:00") and first["status"] == "scheduled"  # CET, +1
    assert first["text"] == "Winter, cold; warm coats" and first["link"] == "https://example.com/coats"
    assert first["campaign_id"] == campaign and [t["channel_id"] for t in first["targets"]] == [ch["mastodon"]]
    assert second["scheduled_at"].startswith(f"{YEAR}-07-15T16:45")  # CEST, +2
    assert sorted(t["channel_id"] for t in second["targets"]) == sorted([ch["x"], ch["bluesky"]])
    assert third["scheduled_at"] is None and third["status"] == "draft"
    assert sorted(t["network"] for t in third["targets"]) == ["mastodon", "x"]
    assert _count_posts(session) == 3
    notes = session.scalars(select(PostEvent.note).where(PostEvent.kind == "created")).all()
    assert notes == [IMPORTED] * 3  # the team's time counts them apart from posts written by hand


def test_a_file_with_bad_rows_creates_nothing_and_reports_every_row(owner, acme, session):
    cid, ch = acme
    rows = [
        HEADER,
        f"{YEAR}-03-01,09:00,Mastodon main,This row is fine,,",          # row 2
        f"{YEAR}-03-02,25:00,Mastodon main,Bad hour,,",                   # row 3
        f"{YEAR}-03-03,10:00,Nowhere,Unknown channel,,",                  # row 4
        f"{YEAR}-03-04,10:00,x,{'a' * 292},,",                            # row 5: 12 over on X
        f"{YEAR}-13-01,10:00,Mastodon main,Bad month,,",                  # row 6
        f"{YEAR}-03-06,10:00,Mastodon main,No such campaign,,Ghost",      # row 7
        "2020-03-07,10:00,Mastodon main,In the past,,",                   # row 8
        f"{YEAR}-03-08,10:00,Mastodon main,,,",                           # row 9: nothing to say
        f"{YEAR}-03-09,10:00,Mastodon main,Bad link,ftp://example.com,",  # row 10
    ]
    response = _import(owner, cid, "\n".join(rows))
    assert response.status_code == 422, response.text
    report = response.json()
    assert report["ok"] is False and report["created"] == 0 and "nothing was imported: 8 of 9 rows" in report["message"]
    by_row = {r["row"]: r for r in report["rows"]}
    assert by_row[2]["ok"] is True and by_row[2]["post_id"] is None  # valid, but rolled back with the rest
    errors = {r["row"]: [(e["field"], e["message"]) for e in r["errors"]] for r in report["rows"] if not r["ok"]}
    assert errors[3] == [("time", "25:00 is not a time HH:MM")]
    assert errors[4][0][0] == "channels" and "no channel named 'Nowhere'" in errors[4][0][1]
    assert errors[5][0][0] == "text" and "X: 12 characters over the 280 limit" in errors[5][0][1]
    assert errors[6] == [("date", f"{YEAR}-13-01 is not a date YYYY-MM-DD")]
    assert errors[7] == [("campaign", "no campaign named 'Ghost' for this client")]
    assert errors[8][0][0] == "date" and "is in the past" in errors[8][0][1]
    assert errors[9][0][0] == "text" and "write something" in errors[9][0][1]
    assert errors[10][0][0] == "link" and "http" in errors[10][0][1]
    assert {"field": "row 3.time", "message": "25:00 is not a time HH:MM"} in report["errors"]
    assert _count_posts(session) == 0
    assert session.scalar(select(func.count()).select_from(PostTarget)) == 0


def test_header_problems_bom_semicolons_encoding_and_the_row_limit(owner, acme, session):
    cid, ch = acme
    wrong = _import(owner, cid, "date,channels,text,colour\n2031-01-01,x,hi,red\n")
    assert wrong.status_code == 422
    message = wrong.json()["message"]
    assert "missing column: time" in message and "unknown column: 'colour'" in message and HEADER in message
    assert _import(owner, cid, "").json()["message"].startswith("the file is empty")
    assert "no posts" in _import(owner, cid, HEADER + "\n\n").json()["message"]
    # A byte order mark (Excel's "CSV UTF-8") and semicolons (Excel in many locales).
    bom = "\ufeff" + HEADER + f"\n{YEAR}-04-01,08:00,mastodon,With a BOM,,\n"
    assert _import(owner, cid, bom.encode("utf-8")).status_code == 201
    semi = f"date;time;channels;text\n{YEAR}-04-02;08:00;Mastodon main|X main;\"Semi; colons, commas\"\n"
    response = _import(owner, cid, semi)
    assert response.status_code == 201, response.text
    post = get_post(owner, cid, response.json()["rows"][0]["post_id"])
    assert post["text"] == "Semi; colons, commas" and len(post["targets"]) == 2
    latin = _import(owner, cid, (HEADER + f"\n{YEAR}-04-03,08:00,mastodon,Café,,\n").encode("latin-1"))
    assert latin.status_code == 422 and "UTF-8" in latin.json()["message"]
    too_many = HEADER + "\n" + "\n".join(f"{YEAR}-05-01,08:00,mastodon,Post {i},," for i in range(5001))
    limited = _import(owner, cid, too_many)
    assert limited.status_code == 422 and "more than 5,000 rows" in limited.json()["message"]
    assert _count_posts(session) == 2


def test_import_as_multipart_and_from_the_page(owner, acme, session):
    cid, ch = acme
    good = (HEADER + f"\n{YEAR}-06-01,10:00,Bluesky main,From a file,,\n").encode()
    response = owner.http.post(f"/api/clients/{cid}/posts/import", files={"file": ("posts.csv", good, "text/csv")},
                               headers=_csrf(owner))
    assert response.status_code == 201 and response.json()["created"] == 1
    page = owner.get(f"/clients/{cid}/posts/import")
    assert page.status_code == 200 and 'enctype="multipart/form-data"' in page.text and "Bluesky main" in page.text
    uploaded = owner.http.post(f"/clients/{cid}/posts/import", data={"csrf_token": owner.token},
                               files={"file": ("posts.csv", good.replace(b"From a file", b"From the page"), "text/csv")},
                               headers=HTML)
    assert uploaded.status_code == 200 and "1 post imported" in uploaded.text
    post_id = int(re.search(r'/posts/(\d+)">post \1</a>', uploaded.text).group(1))
    assert get_post(owner, cid, post_id)["text"] == "From the page"
    bad = (HEADER + f"\n{YEAR}-06-01,7:61,{XSS},Bad,,\n").encode()
    failed = owner.http.post(f"/clients/{cid}/posts/import", data={"csrf_token": owner.token},
                             files={"file": ("bad.csv", bad, "text/csv")}, headers=HTML)
    assert failed.status_code == 422 and "nothing was imported" in failed.text
    assert "row 2, time: 7:61 is not a time HH:MM" in failed.text
    assert "row 2, channels: no channel named" in failed.text and XSS not in failed.text and "&lt;script&gt;" in failed.text
    pasted = owner.post(f"/clients/{cid}/posts/import", {"csv": HEADER + f"\n{YEAR}-06-02,10:00,x,Pasted,,\n"})
    assert pasted.status_code == 200 and "1 post imported" in pasted.text
    assert owner.post(f"/clients/{cid}/posts/import", {"csv": "nope"}, csrf=False).status_code == 403
    assert _count_posts(session) == 3


@pytest.mark.parametrize("role, status", [(Role.ANALYST, 403), (Role.CONTENT_CREATOR, 201)])
def test_import_needs_the_right_to_write_posts(app, owner, acme, session, role, status):
    cid, ch = acme
    add_person(session, "pat@agency.example.com", role, cid)
    person = sign_in(app, "pat@agency.example.com")
    response = _import(person, cid, HEADER + f"\n{YEAR}-06-03,10:00,x,By {role.value},,\n")
    assert response.status_code == status, response.text
    assert _count_posts(session) == (1 if status == 201 else 0)
