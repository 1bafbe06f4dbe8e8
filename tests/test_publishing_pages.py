"""The publishing pages: composer (live counter, errors that keep the input), the post page and its
actions, calendars, publishing settings (pause switch, queue slots, campaigns), notifications;
CSRF in every form, user text escaped everywhere, and a real Chromium dragging a post on the
month view.

Channels are inserted as rows (no network is called: nothing here publishes)."""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from socialdesk.channels.models import Channel
from socialdesk.kit.authz import Role
from socialdesk.publishing.models import Notification, Post, PostTarget
from test_browser import live_url, page  # noqa: F401
from test_pages import HTML, Browser, add_person, forms_of, make_client, owner, sign_in  # noqa: F401

XSS = "<script>alert(1)</script>"
XSS_IMG = "<img src=x onerror=alert(1)>"
NEXT_YEAR = datetime.now(UTC).year + 1


def add_channel(session, cid: int, network: str = "mastodon", name: str | None = None, **extra) -> int:
    channel = Channel(client_id=cid, network=network, display_name=name or f"{network.title()} main",
                      handle=f"{network}-acct", base_url="http://127.0.0.1:9", account_id="1", status="ok", **extra)
    session.add(channel)
    session.commit()
    return channel.id


def api_post(browser: Browser, cid: int, channel_ids: list[int], text: str, **extra) -> dict:
    response = browser.http.post(f"/api/clients/{cid}/posts", json={"text": text, "channel_ids": channel_ids, **extra},
                                 headers={"x-csrf-token": browser.token})
    assert response.status_code == 201, response.text
    return response.json()


def get_post(browser: Browser, cid: int, post_id: int) -> dict:
    response = browser.http.get(f"/api/clients/{cid}/posts/{post_id}")
    assert response.status_code == 200, response.text
    return response.json()


def assert_safe_page(response, token: str) -> None:
    """Every form carries the CSRF token; no inline script, style or handler."""
    for form in forms_of(response.text):
        assert f'name="csrf_token" value="{token}"' in form, form[:300]
    text = response.text
    assert "style=" not in text and "<script>" not in text and "onclick" not in text and "onerror" not in text


def cell_of(page: str, post_id: int) -> tuple[str, str | None]:
    """(data-drop-date, data-drop-hour) of the calendar cell holding the post's chip."""
    for match in re.finditer(r'<td[^>]*data-drop-date="([^"]+)"(?: data-drop-hour="(\d+)")?[^>]*>(.*?)</td>', page, re.S):
        if f'data-post-id="{post_id}"' in match.group(3) or f"/posts/{post_id}\"" in match.group(3):
            return match.group(1), match.group(2)
    raise AssertionError(f"post {post_id} is on no calendar cell")


@pytest.fixture
def acme(owner, session):
    """Client Acme (Europe/Paris) with a Mastodon, an X and a Bluesky channel."""
    cid = make_client(owner)
    channels = {n: add_channel(session, cid, n) for n in ("mastodon", "x", "bluesky")}
    return cid, channels


# --- every page renders, with CSRF in every form -------------------------------------------------


def test_every_publishing_page_renders_with_csrf_and_no_inline_code(owner, acme):
    cid, ch = acme
    post = api_post(owner, cid, [ch["mastodon"]], "Hello from the composer",
                    scheduled_at=f"{NEXT_YEAR}-05-04T10:00:00")
    owner.post(f"/clients/{cid}/publishing/campaigns", {"name": "Spring", "color": "#ff0000"})
    campaign = owner.http.get(f"/api/clients/{cid}/campaigns").json()[0]
    pages = [f"/clients/{cid}{suffix}" for suffix in (
        "/posts/new", f"/posts/{post['id']}", f"/posts/{post['id']}/edit", "/calendar", "/calendar?view=week",
        "/calendar?view=list", f"/calendar?date={NEXT_YEAR}-05-01&campaign={campaign['id']}", "/publishing",
        f"/publishing/campaigns/{campaign['id']}/edit", "/posts/import",
    )] + ["/calendar", "/calendar?view=list", f"/calendar?client={cid}&view=week", "/notifications"]
    for url in pages:
        response = owner.get(url)
        assert response.status_code == 200, (url, response.text[:500])
        assert response.headers["content-type"].startswith("text/html")
        assert forms_of(response.text), url
        assert_safe_page(response, owner.token)
        assert '<link rel="stylesheet" href="/static/publishing.css">' in response.text, url
    # The client menu links to the new pages; the header to the calendar and notifications.
    home = owner.get(f"/clients/{cid}").text
    for link in (f"/clients/{cid}/calendar", f"/clients/{cid}/posts/new", f"/clients/{cid}/publishing",
                 'href="/calendar"', 'href="/notifications"'):
        assert link in home, link
    assert owner.get(f"/clients/{cid}/posts").url.path == f"/clients/{cid}/calendar"
    # Posting without the token is refused.
    refused = owner.post(f"/clients/{cid}/posts/new", {"text": "x", "channel_ids": ch["mastodon"]}, csrf=False)
    assert refused.status_code == 403


def test_pages_follow_the_roles(app, owner, acme, session):
    cid, ch = acme
    post = api_post(owner, cid, [ch["mastodon"]], "Role check")
    add_person(session, "ana@agency.example.com", Role.ANALYST, cid)
    add_person(session, "cara@client.example.com", Role.CLIENT_APPROVER, cid)
    add_person(session, "out@agency.example.com")
    analyst = sign_in(app, "ana@agency.example.com")
    page = analyst.get(f"/clients/{cid}/posts/{post['id']}").text
    assert "Role check" in page and "/edit" not in page and "Approve" not in page and "Add comment" in page
    assert analyst.get(f"/clients/{cid}/posts/new").status_code == 403
    assert analyst.get(f"/clients/{cid}/calendar").status_code == 200
    settings = analyst.get(f"/clients/{cid}/publishing").text
    assert "Pause all publishing" not in settings and "Save policy" not in settings and "Add slot" not in settings
    assert analyst.post(f"/clients/{cid}/publishing/pause", {"reason": "no"}).status_code == 403
    approver = sign_in(app, "cara@client.example.com")
    assert approver.get(f"/clients/{cid}/calendar").status_code == 200
    outsider = sign_in(app, "out@agency.example.com")
    for url in (f"/clients/{cid}/calendar", f"/clients/{cid}/posts/{post['id']}", f"/clients/{cid}/publishing"):
        answer = outsider.get(url)
        assert answer.status_code == 404 and "Role check" not in answer.text, url
    assert "Role check" not in outsider.get("/calendar?view=list").text
    assert "Role check" in analyst.get("/calendar?view=list").text


# --- escaping --------------------------------------------------------------------------------------


def test_user_text_is_escaped_on_every_page(owner, acme, session):
    cid, ch = acme
    owner.post(f"/clients/{cid}/publishing/campaigns", {"name": XSS, "color": "#00ff00"})
    campaign = owner.http.get(f"/api/clients/{cid}/campaigns").json()[0]
    assert campaign["name"] == XSS
    text = f"Hi {XSS} and {XSS_IMG} https://example.com #tag"
    post = api_post(owner, cid, [ch["mastodon"], ch["bluesky"]], text, title=f"T {XSS_IMG}",
                    campaign_id=campaign["id"], scheduled_at=f"{NEXT_YEAR}-05-04T10:00:00")
    assert len(session.scalars(select(Post)).all()) == 1
    session.commit()
    owner.post(f"/clients/{cid}/posts/{post['id']}/comment", {"note": f"Comment {XSS}"})
    owner.post(f"/clients/{cid}/publishing/pause", {"reason": f"Crisis {XSS_IMG}"})
    session.commit()  # a fresh snapshot before writing
    session.add(Notification(user_id=1, client_id=cid, kind="publish_failed", message=f"Failed {XSS}",
                             link=f"/clients/{cid}/posts/{post['id']}"))
    session.commit()
    pages = [f"/clients/{cid}/posts/{post['id']}", f"/clients/{cid}/posts/{post['id']}/edit",
             f"/clients/{cid}/calendar?date={NEXT_YEAR}-05-01", f"/clients/{cid}/calendar?view=list",
             f"/clients/{cid}/calendar?view=week&date={NEXT_YEAR}-05-04", f"/clients/{cid}/publishing",
             f"/calendar?date={NEXT_YEAR}-05-01", "/calendar?view=list", "/notifications", f"/clients/{cid}"]
    for url in pages:
        page = owner.get(url)
        assert page.status_code == 200, url
        assert XSS not in page.text and XSS_IMG not in page.text, url
        assert "onerror=alert" not in page.text.replace("onerror=alert(1)&gt;", ""), url
    post_page = owner.get(f"/clients/{cid}/posts/{post['id']}").text
    assert html.escape(XSS, quote=False) in post_page or "&lt;script&gt;alert(1)&lt;/script&gt;" in post_page
    assert "Comment &lt;script&gt;" in post_page
    assert "Crisis &lt;img src=x onerror=alert(1)&gt;" in owner.get(f"/clients/{cid}").text  # the pause banner
    # A duplicate campaign name: the error message repeats the name, escaped, and the input is kept.
    clash = owner.post(f"/clients/{cid}/publishing/campaigns", {"name": XSS})
    assert clash.status_code == 422 and "already exists" in clash.text
    assert XSS not in clash.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in clash.text
    # The live preview escapes the text too (and highlights Bluesky's link and tag).
    preview = owner.post(f"/clients/{cid}/posts/preview", [("text", text), ("channel_ids", ch["bluesky"])])
    assert preview.status_code == 200 and XSS not in preview.text and XSS_IMG not in preview.text
    assert '<mark class="facet facet-link">https://example.com</mark>' in preview.text
    assert '<mark class="facet facet-tag">#tag</mark>' in preview.text


# --- composer --------------------------------------------------------------------------------------


def test_composer_errors_are_shown_next_to_their_fields_and_keep_the_input(owner, acme, session):
    cid, ch = acme
    long_text = "Too long for X " + "a" * 280
    response = owner.post(f"/clients/{cid}/posts/new", [
        ("text", long_text), ("channel_ids", ch["x"]), ("channel_ids", ch["mastodon"]),
        ("link", "https://example.com/spring"), ("first_comment", "First!"), ("title", "Spring label"),
        ("action", "draft"),
    ])
    assert response.status_code == 422, response.text[:300]
    page = response.text
    assert re.search(r'<textarea name="text"[^>]*aria-invalid="true"[^>]*>' + re.escape(long_text) + "</textarea>", page)
    assert re.search(r'id="text-error">text: X: \d+ characters over the 280 limit', page)
    assert 'value="https://example.com/spring"' in page and "First!" in page and 'value="Spring label"' in page
    assert f'value="{ch["x"]}" data-network="x" checked' in page
    assert f'value="{ch["mastodon"]}" data-network="mastodon" checked' in page
    assert f'value="{ch["bluesky"]}" data-network="bluesky">' in page  # not chosen, not checked
    # No channel, a bad link, "schedule" without a time: each error next to its field.
    response = owner.post(f"/clients/{cid}/posts/new", [("text", "Fine text"), ("link", "ftp://nope"),
                                                        ("action", "schedule")])
    assert response.status_code == 422
    assert 'id="scheduled_at-error"' in response.text and "choose a date and time" in response.text
    response = owner.post(f"/clients/{cid}/posts/new", [("text", "Fine text"), ("link", "ftp://nope"),
                                                        ("action", "draft")])
    assert 'id="channel_ids-error"' in response.text and 'id="link-error"' in response.text
    assert "Fine text</textarea>" in response.text
    # A variant too long for its network names the variant's box.
    response = owner.post(f"/clients/{cid}/posts/new", [("text", "Short"), ("channel_ids", ch["mastodon"]),
                                                        ("variant-mastodon", "m" * 501), ("action", "draft")])
    assert response.status_code == 422 and 'id="variants.mastodon-error"' in response.text
    assert "m" * 501 + "</textarea>" in response.text
    # A time in the past.
    response = owner.post(f"/clients/{cid}/posts/new", [("text", "Old"), ("channel_ids", ch["mastodon"]),
                                                        ("scheduled_at", "2020-01-01T09:00"), ("action", "schedule")])
    assert response.status_code == 422 and "is in the past" in response.text and 'value="2020-01-01T09:00"' in response.text
    session.commit()
    assert session.scalars(select(Post)).all() == []  # nothing half written


def test_composer_saves_drafts_schedules_in_the_client_zone_and_edits(owner, acme):
    cid, ch = acme
    response = owner.post(f"/clients/{cid}/posts/new", [
        ("text", "Summer opening"), ("channel_ids", ch["mastodon"]), ("channel_ids", ch["bluesky"]),
        ("variant-bluesky", "Summer opening, Bluesky edition"), ("variant-x", ""),
        ("scheduled_at", f"{NEXT_YEAR}-07-01T09:00"), ("action", "schedule"),
    ])
    assert response.status_code == 200 and response.history[0].status_code == 303
    post_id = int(response.url.path.rsplit("/", 1)[1])
    post = get_post(owner, cid, post_id)
    assert post["status"] == "scheduled"
    assert post["scheduled_at"].startswith(f"{NEXT_YEAR}-07-01T07:00")  # 09:00 in Paris (CEST) is 07:00 UTC
    assert {t["network"]: t["text"] for t in post["targets"]} == {"mastodon": None,
                                                                    "bluesky": "Summer opening, Bluesky edition"}
    assert "09:00 CEST" in response.text and "Europe/Paris" in response.text
    edit = owner.get(f"/clients/{cid}/posts/{post_id}/edit").text
    assert f'value="{NEXT_YEAR}-07-01T09:00"' in edit and "Summer opening, Bluesky edition</textarea>" in edit
    saved = owner.post(f"/clients/{cid}/posts/{post_id}/edit", [
        ("text", "Summer opening!"), ("channel_ids", ch["mastodon"]), ("scheduled_at", f"{NEXT_YEAR}-07-01T09:00"),
        ("action", "draft"),
    ])
    assert saved.status_code == 200
    post = get_post(owner, cid, post_id)
    assert post["text"] == "Summer opening!" and post["version"] == 2 and len(post["targets"]) == 1
    assert post["status"] == "scheduled"  # no approval needed: the schedule is kept
    draft = owner.post(f"/clients/{cid}/posts/new", [("text", "Just a draft"), ("channel_ids", ch["x"]),
                                                     ("action", "draft")])
    draft_id = int(draft.url.path.rsplit("/", 1)[1])
    assert get_post(owner, cid, draft_id)["status"] == "draft" and get_post(owner, cid, draft_id)["scheduled_at"] is None
    # "Add to queue" without queue slots says so next to the channels.
    queued = owner.post(f"/clients/{cid}/posts/new", [("text", "Queue me"), ("channel_ids", ch["x"]), ("action", "queue")])
    assert queued.status_code == 422 and "no queue slot" in queued.text
    owner.post(f"/clients/{cid}/publishing/slots", {"channel_id": ch["x"], "weekday": "2", "time": "08:15"})
    queued = owner.post(f"/clients/{cid}/posts/new", [("text", "Queue me"), ("channel_ids", ch["x"]), ("action", "queue")])
    assert queued.status_code == 200
    at = datetime.fromisoformat(get_post(owner, cid, int(queued.url.path.rsplit("/", 1)[1]))["scheduled_at"])
    local = at.astimezone(ZoneInfo("Europe/Paris"))
    assert (local.weekday(), f"{local:%H:%M}") == (2, "08:15")


def test_track_clicks_turns_the_composer_link_into_a_short_link_and_saves_nothing_else(owner, acme, session):
    from socialdesk.links.models import TrackedLink

    cid, ch = acme
    owner.post(f"/clients/{cid}/publishing/campaigns", {"name": "Spring Sale", "color": "#ff0000"})
    campaign = owner.http.get(f"/api/clients/{cid}/campaigns").json()[0]
    form = [("text", "Our <b>spring</b> sale starts today"), ("channel_ids", ch["x"]),
            ("link", "https://shop.example.com/spring?id=7"), ("campaign_id", str(campaign["id"])),
            ("action", "track_link")]
    response = owner.post(f"/clients/{cid}/posts/new", form)
    assert response.status_code == 200, response.text[:300]
    session.commit()
    [link] = session.scalars(select(TrackedLink).where(TrackedLink.client_id == cid)).all()
    short = f"http://testserver/l/{link.code}"
    assert link.destination == ("https://shop.example.com/spring?id=7&utm_source=x&utm_medium=social"
                                "&utm_campaign=spring-sale")  # UTM values are kept lower case
    assert link.network == "x" and link.campaign_id == campaign["id"] and link.label.startswith("Our <b>spring</b>")
    page = response.text
    assert f'name="link" value="{short}"' in page and 'id="tracked-link"' in page
    assert "Our &lt;b&gt;spring&lt;/b&gt; sale starts today</textarea>" in page  # the text is kept, escaped
    assert session.scalars(select(Post)).all() == []  # nothing but the link is saved
    assert_safe_page(response, owner.token)

    # Saved as a draft with the short link: the post carries it, and the link leads to the destination.
    saved = owner.post(f"/clients/{cid}/posts/new", [pair for pair in form if pair[0] not in ("link", "action")]
                       + [("link", short), ("action", "draft")])
    assert saved.status_code == 200 and saved.history[0].status_code == 303
    post = get_post(owner, cid, int(saved.url.path.rsplit("/", 1)[1]))
    assert post["link"] == short
    visit = owner.http.get(f"/l/{link.code}", follow_redirects=False)
    assert visit.status_code == 302 and visit.headers["location"] == link.destination

    # Several networks: one link, source "social"; tracking a short link again, or no link, is refused.
    edit = owner.post(f"/clients/{cid}/posts/{post['id']}/edit", [
        ("text", "Spring"), ("channel_ids", ch["x"]), ("channel_ids", ch["mastodon"]),
        ("link", "https://shop.example.com/"), ("action", "track_link")])
    assert edit.status_code == 200 and 'id="tracked-link"' in edit.text
    session.commit()
    newest = session.scalars(select(TrackedLink).order_by(TrackedLink.id.desc())).first()
    assert newest.network is None and "utm_source=social&utm_medium=social" in newest.destination
    assert get_post(owner, cid, post["id"])["link"] == short  # the edit itself was not saved
    again = owner.post(f"/clients/{cid}/posts/new", [("text", "x"), ("channel_ids", ch["x"]), ("link", short),
                                                     ("action", "track_link")])
    assert again.status_code == 422 and 'id="link-error"' in again.text and "short link itself" in again.text
    empty = owner.post(f"/clients/{cid}/posts/new", [("text", "x"), ("channel_ids", ch["x"]), ("action", "track_link")])
    assert empty.status_code == 422 and "write the address to track first" in empty.text
    session.commit()
    assert session.scalar(select(func.count()).select_from(TrackedLink)) == 2


def test_the_live_counter_says_over_by_n_per_network_in_its_unit(owner, acme, session):
    cid, ch = acme
    small = add_channel(session, cid, "mastodon", "Small instance", max_characters=100)

    def preview(*fields):
        response = owner.post(f"/clients/{cid}/posts/preview", list(fields))
        assert response.status_code == 200, response.text
        assert "<html" not in response.text  # a fragment
        return response.text

    page = preview(("text", "a" * 300), ("channel_ids", ch["x"]), ("channel_ids", ch["mastodon"]))
    assert "300 / 280 characters" in page and "over by 20 characters" in page  # X
    assert "300 / 500 characters" in page and "200 left" in page  # Mastodon
    # X counts CJK characters twice (weighted length); Bluesky counts graphemes.
    page = preview(("text", "日" * 150), ("channel_ids", ch["x"]), ("channel_ids", ch["bluesky"]))
    assert "300 / 280 characters" in page and "over by 20 characters" in page and "weighted length 300" in page
    assert "150 / 300 characters" in page and "450 of 3,000 bytes" in page
    # The instance's own limit, a variant replacing the text, and a link appended on Mastodon.
    page = preview(("text", "b" * 90), ("link", "https://example.com/a-long-path"), ("channel_ids", small))
    assert "115 / 100 characters" in page and "over by 15 characters" in page  # 90 + 2 newlines + 23 for the URL
    page = preview(("text", "b" * 90), ("variant-mastodon", "short"), ("channel_ids", small))
    assert "5 / 100 characters" in page and "over by" not in page
    assert "Choose one or more channels" in preview(("text", "nothing chosen"))
    # The same numbers as the JSON check.
    api = owner.http.post(f"/api/clients/{cid}/posts/check", json={"text": "a" * 300, "channel_ids": [ch["x"]]},
                          headers={"x-csrf-token": owner.token}).json()["channels"][0]
    assert (api["length"], api["over_by"]) == (300, 20)
    # The composer asks for the preview as you type (HTMX), with the 300 ms pause.
    composer = owner.get(f"/clients/{cid}/posts/new").text
    assert f'hx-post="/clients/{cid}/posts/preview"' in composer and "input changed delay:300ms" in composer


def test_upload_from_the_composer_puts_the_file_in_the_picker(owner, acme, settings):
    import io

    from PIL import Image

    cid, ch = acme
    out = io.BytesIO()
    Image.new("RGB", (8, 6), "blue").save(out, "PNG")
    composer = owner.get(f"/clients/{cid}/posts/new").text
    assert 'enctype="multipart/form-data"' in composer and "media library is empty" in composer
    response = owner.http.post(f"/clients/{cid}/posts/media", data={"csrf_token": owner.token, "alt_text": "A blue card",
                                                                   "media_ids": []},
                               files={"file": ("card.png", out.getvalue(), "image/png")},
                               headers={**HTML, "hx-request": "true"})
    assert response.status_code == 200, response.text
    assert 'id="media-picker"' in response.text and "card.png" in response.text and "checked" in response.text
    media = owner.http.get(f"/api/clients/{cid}/media").json()
    assert [(m["filename"], m["alt_text"], m["width"]) for m in media] == [("card.png", "A blue card", 8)]
    image = owner.http.get(f"/clients/{cid}/media/{media[0]['id']}/file")
    assert image.status_code == 200 and image.headers["content-type"] == "image/png" and image.content == out.getvalue()
    bad = owner.http.post(f"/clients/{cid}/posts/media", data={"csrf_token": owner.token},
                          files={"file": ("notes.png", b"not an image at all", "image/png")},
                          headers={**HTML, "hx-request": "true"})
    assert bad.status_code == 422 and "field-error" in bad.text
    # The picked file goes with the post; a missing alt text is named (the client requires it).
    owner.http.put(f"/api/clients/{cid}/media/{media[0]['id']}", json={"alt_text": ""}, headers={"x-csrf-token": owner.token})
    missing_alt = owner.post(f"/clients/{cid}/posts/new", [("text", "With a picture"), ("channel_ids", ch["mastodon"]),
                                                           ("media_ids", media[0]["id"]), ("action", "draft")])
    assert missing_alt.status_code == 422 and 'id="media_ids-error"' in missing_alt.text
    done = owner.post(f"/clients/{cid}/posts/new", [("text", "With a picture"), ("channel_ids", ch["mastodon"]),
                                                    ("media_ids", media[0]["id"]),
                                                    (f"alt-{media[0]['id']}", "A blue card on a desk"),
                                                    ("action", "draft")])
    assert done.status_code == 200, done.text[:500]
    assert owner.http.get(f"/api/clients/{cid}/media").json()[0]["alt_text"] == "A blue card on a desk"
    assert "A blue card on a desk" in done.text  # shown on the post page


# --- the post page ----------------------------------------------------------------------------------


def test_post_page_approvals_comments_history_and_schedule_actions(app, owner, acme, session):
    cid, ch = acme
    owner.post(f"/clients/{cid}/publishing", {"approval_policy": "client", "require_alt_text": "1"})
    add_person(session, "cara@client.example.com", Role.CLIENT_APPROVER, cid)
    add_person(session, "cleo@agency.example.com", Role.CONTENT_CREATOR, cid)
    creator = sign_in(app, "cleo@agency.example.com")
    post = api_post(creator, cid, [ch["mastodon"]], "Needs the client's yes",
                    scheduled_at=f"{NEXT_YEAR}-06-02T10:00:00")
    assert post["status"] == "in_review"
    here = f"/clients/{cid}/posts/{post['id']}"
    page = creator.get(here).text
    assert "In review" in page and "Client" in page and 'action="' + here + '/approve"' not in page  # may not approve
    approver = sign_in(app, "cara@client.example.com")
    page = approver.get(here).text
    assert 'action="' + here + '/approve"' in page and "Request changes" in page
    assert "/edit" not in page and "Add comment" in page
    # Asking for changes needs a note: the error is shown next to it.
    refused = approver.post(f"{here}/request-changes", {"note": ""})
    assert refused.status_code == 422 and 'id="note-error"' in refused.text and "say what should change" in refused.text
    changed = approver.post(f"{here}/request-changes", {"note": "Say which shop"})
    assert changed.status_code == 200 and "Changes requested" in changed.text
    approver.post(f"{here}/comment", {"note": "Thanks!"})
    # The author is told (notifications page and header count) and edits; the approver approves.
    mine = creator.get("/notifications").text
    assert "Changes requested on" in mine and "Say which shop" in mine and 'class="unread-count"' in mine
    assert creator.post("/notifications/read", {}).status_code == 200
    assert 'class="unread-count"' not in creator.get("/notifications").text
    creator.post(f"{here}/edit", [("text", "Needs the client's yes: Rue de Rivoli shop"), ("channel_ids", ch["mastodon"]),
                                  ("action", "draft")])
    creator.post(f"{here}/submit", {})
    approved = approver.post(f"{here}/approve", {"note": "Perfect"})
    assert approved.status_code == 200 and "Scheduled" in approved.text
    history = approver.get(here).text
    events = re.findall(r"<strong>([^<]+)</strong>\s*by ([^<\n]+)", history)
    kinds = [k for k, _ in events]
    assert kinds == ["Created", "Scheduled", "Changes requested", "Comment", "Edited", "Submitted", "Approved"], events
    assert ("Changes requested", "Cara") in [(k, w.strip()) for k, w in events]
    assert ("Approved", "Cara") in [(k, w.strip()) for k, w in events]
    assert "Thanks!" in history and "Perfect" in history
    # Unschedule, schedule into a DST gap (the note is shown), cancel.
    unscheduled = owner.post(f"{here}/unschedule", {})
    assert "Approved" in unscheduled.text and get_post(owner, cid, post["id"])["scheduled_at"] is None
    spring = date(NEXT_YEAR, 3, 31)
    gap_day = spring - timedelta(days=(spring.weekday() + 1) % 7)  # last Sunday of March (Europe)
    gapped = owner.post(f"{here}/schedule", {"scheduled_at": f"{gap_day}T02:30"})
    assert gapped.status_code == 200
    assert 'class="schedule-note"' in gapped.text and "does not exist" in gapped.text and "03:30" in gapped.text
    cancelled = owner.post(f"{here}/cancel", {})
    assert "Cancelled" in cancelled.text and get_post(owner, cid, post["id"])["status"] == "cancelled"
    assert 'action="' + here + '/schedule"' not in cancelled.text
    again = owner.post(f"{here}/unschedule", {})
    assert again.status_code == 422 and "not scheduled" in again.text


def test_post_page_shows_live_links_network_errors_and_retries(owner, acme, session):
    cid, ch = acme
    post = api_post(owner, cid, [ch["mastodon"], ch["x"]], "Half published")
    targets = {t.network: t for t in session.scalars(select(PostTarget).where(PostTarget.post_id == post["id"]))}
    targets["mastodon"].state, targets["mastodon"].remote_url = "published", "https://masto.example/@acme/1"
    targets["mastodon"].published_at = datetime.now(UTC)
    targets["x"].state, targets["x"].last_error = "failed", f"X said 403: {XSS}"
    session.get(Post, post["id"]).status = "partly_published"
    session.commit()
    here = f"/clients/{cid}/posts/{post['id']}"
    page = owner.get(here).text
    assert 'href="https://masto.example/@acme/1"' in page and "View on Mastodon" in page
    assert "X said 403: &lt;script&gt;" in page and XSS not in page
    retry = re.search(r'<form method="post" action="' + here + r'/retry".*?name="target_id" value="(\d+)"', page, re.S)
    assert retry and int(retry.group(1)) == targets["x"].id
    assert "Cancel post" not in page  # partly published: nothing left to cancel but the failed one is retried
    done = owner.post(f"{here}/retry", {"target_id": targets["x"].id})
    assert done.status_code == 200
    states = {t["network"]: t["state"] for t in get_post(owner, cid, post["id"])["targets"]}
    assert states == {"mastodon": "published", "x": "scheduled"}
    assert "Retried" in done.text


# --- calendars ----------------------------------------------------------------------------------------


def test_client_calendar_month_week_and_list_in_the_client_zone(owner, acme, session):
    cid, ch = acme
    owner.post(f"/clients/{cid}/publishing/campaigns", {"name": "Easter"})
    easter = owner.http.get(f"/api/clients/{cid}/campaigns").json()[0]["id"]
    # 23:30 UTC on 30 June is already 1 July, 01:30 in Paris.
    late = api_post(owner, cid, [ch["x"], ch["bluesky"]], "Late night", scheduled_at=f"{NEXT_YEAR}-06-30T23:30:00Z")
    noon = api_post(owner, cid, [ch["mastodon"]], "Noon", scheduled_at=f"{NEXT_YEAR}-07-03T12:00:00",
                    campaign_id=easter)
    draft = api_post(owner, cid, [ch["mastodon"]], "Unscheduled idea")
    month = owner.get(f"/clients/{cid}/calendar?date={NEXT_YEAR}-07-10").text
    assert f"July {NEXT_YEAR}" in month and "Europe/Paris" in month
    assert cell_of(month, late["id"]) == (f"{NEXT_YEAR}-07-01", None)
    assert cell_of(month, noon["id"]) == (f"{NEXT_YEAR}-07-03", None)
    chip = re.search(r'<a href="/clients/\d+/posts/' + str(late["id"]) + r'" class="([^"]+)"(.*?)</a>', month, re.S)
    assert chip.group(1) == "cal-post status-scheduled" and 'draggable="true"' in chip.group(2)
    assert f'data-move-url="/api/clients/{cid}/posts/{late["id"]}/move"' in chip.group(2)
    assert 'data-time="01:30"' in chip.group(2) and "net-x" in chip.group(2) and "net-bluesky" in chip.group(2)
    assert "Unscheduled idea" not in month
    week = owner.get(f"/clients/{cid}/calendar?view=week&date={NEXT_YEAR}-07-02").text
    assert cell_of(week, late["id"]) == (f"{NEXT_YEAR}-07-01", "1")
    assert cell_of(week, noon["id"]) == (f"{NEXT_YEAR}-07-03", "12")
    filtered = owner.get(f"/clients/{cid}/calendar?date={NEXT_YEAR}-07-10&campaign={easter}").text
    assert f"/posts/{noon['id']}\"" in filtered and f"/posts/{late['id']}\"" not in filtered
    listing = owner.get(f"/clients/{cid}/calendar?view=list").text
    upcoming, drafts = listing.split("Not scheduled yet")
    assert upcoming.index("Late night") < upcoming.index("Noon") and "Unscheduled idea" in drafts
    assert f"/posts/{draft['id']}\"" in drafts and "1 Jul" in upcoming and "01:30 CEST" in upcoming
    prev_link = re.search(r'<a href="\?([^"]+)" aria-label="Previous">', month).group(1)
    assert html.unescape(prev_link) == f"view=month&date={NEXT_YEAR}-06-01"


def test_agency_calendar_places_each_post_at_its_clients_local_time(app, owner, acme, session):
    cid, ch = acme
    ny = make_client(owner, "New York Deli", timezone="America/New_York")
    ny_channel = add_channel(session, ny, "mastodon", "Deli Mastodon")
    paris = api_post(owner, cid, [ch["mastodon"]], "Paris morning", scheduled_at=f"{NEXT_YEAR}-08-05T00:30:00")
    deli = api_post(owner, ny, [ny_channel], "Deli evening", scheduled_at=f"{NEXT_YEAR}-08-04T20:00:00")
    page = owner.get(f"/calendar?date={NEXT_YEAR}-08-10").text
    # Both are 22:30 / 00:00 UTC around midnight, but each sits on its client's local day.
    assert cell_of(page, paris["id"]) == (f"{NEXT_YEAR}-08-05", None)
    assert cell_of(page, deli["id"]) == (f"{NEXT_YEAR}-08-04", None)
    assert "New York Deli" in page and "each post is placed at its own client" in page.lower()
    only_ny = owner.get(f"/calendar?date={NEXT_YEAR}-08-10&client={ny}").text
    assert "Deli evening" in only_ny and "Paris morning" not in only_ny
    add_person(session, "nia@agency.example.com", Role.COMMUNITY_MANAGER, ny)
    nia = sign_in(app, "nia@agency.example.com")
    hers = nia.get(f"/calendar?date={NEXT_YEAR}-08-10").text
    assert "Deli evening" in hers and "Paris morning" not in hers and "Acme Bikes" not in hers


# --- publishing settings -------------------------------------------------------------------------------


def test_pause_switch_banner_and_resume_modes(owner, acme, session):
    cid, ch = acme
    settings = owner.get(f"/clients/{cid}/publishing").text
    assert "Publishing is on" in settings and "Pause all publishing" in settings
    paused = owner.post(f"/clients/{cid}/publishing/pause", {"reason": "Store fire, hold everything"})
    assert paused.status_code == 200 and "Publishing is paused" in paused.text
    assert owner.http.get(f"/api/clients/{cid}/publishing").json()["paused"] is True
    for url in (f"/clients/{cid}", f"/clients/{cid}/calendar", f"/clients/{cid}/brand", f"/clients/{cid}/posts/new"):
        page = owner.get(url).text
        assert 'class="pause-banner"' in page and "Store fire, hold everything" in page, url
    for mode in ("Ask:", "Publish now:", "Shift:"):
        assert mode in paused.text
    resumed = owner.post(f"/clients/{cid}/publishing/resume", {"mode": "shift"})
    assert resumed.status_code == 200 and "Publishing is on" in resumed.text
    assert 'class="pause-banner"' not in owner.get(f"/clients/{cid}").text
    again = owner.post(f"/clients/{cid}/publishing/resume", {"mode": "ask"})
    assert again.status_code == 422 and "not paused" in again.text


def test_policy_queue_slots_and_campaigns_from_the_settings_page(owner, acme):
    cid, ch = acme
    saved = owner.post(f"/clients/{cid}/publishing", {"approval_policy": "team", "major_needs_director": "1"})
    assert saved.status_code == 200
    got = owner.http.get(f"/api/clients/{cid}/publishing").json()
    assert (got["approval_policy"], got["major_needs_director"], got["require_alt_text"]) == ("team", True, False)
    bad = owner.post(f"/clients/{cid}/publishing", {"approval_policy": "everyone"})
    assert bad.status_code == 422 and "approval policy" in bad.text.lower()
    # Queue slots: add, refuse a duplicate, delete.
    assert owner.post(f"/clients/{cid}/publishing/slots", {"channel_id": ch["x"], "weekday": "4", "time": "17:45"}).status_code == 200
    clash = owner.post(f"/clients/{cid}/publishing/slots", {"channel_id": ch["x"], "weekday": "4", "time": "17:45"})
    assert clash.status_code == 422 and "already has a slot" in clash.text
    slots = owner.http.get(f"/api/clients/{cid}/queue-slots").json()
    assert [(s["channel_id"], s["weekday"], s["time"]) for s in slots] == [(ch["x"], 4, "17:45")]
    page = owner.get(f"/clients/{cid}/publishing").text
    assert "Friday" in page and "17:45" in page
    owner.post(f"/clients/{cid}/publishing/slots/{slots[0]['id']}/delete", {})
    assert owner.http.get(f"/api/clients/{cid}/queue-slots").json() == []
    # Campaigns: create, a bad date range keeps the input, edit, delete.
    made = owner.post(f"/clients/{cid}/publishing/campaigns", {"name": "Launch", "major": "1", "starts_on": "2031-05-01",
                                                               "ends_on": "2031-05-31", "color": "#123456"})
    assert made.status_code == 200 and "Launch" in made.text
    backwards = owner.post(f"/clients/{cid}/publishing/campaigns", {"name": "Backwards", "starts_on": "2031-05-10",
                                                                    "ends_on": "2031-05-01"})
    assert backwards.status_code == 422 and "must be on or after" in backwards.text and 'value="Backwards"' in backwards.text
    campaign = owner.http.get(f"/api/clients/{cid}/campaigns").json()[0]
    assert (campaign["name"], campaign["major"], campaign["color"]) == ("Launch", True, "#123456")
    edit = owner.get(f"/clients/{cid}/publishing/campaigns/{campaign['id']}/edit").text
    assert 'value="Launch"' in edit and 'value="2031-05-01"' in edit
    owner.post(f"/clients/{cid}/publishing/campaigns/{campaign['id']}", {"name": "Launch 2", "color": "#123456"})
    assert owner.http.get(f"/api/clients/{cid}/campaigns").json()[0]["name"] == "Launch 2"
    assert owner.http.get(f"/api/clients/{cid}/campaigns").json()[0]["major"] is False
    owner.post(f"/clients/{cid}/publishing/campaigns/{campaign['id']}/delete", {})
    assert owner.http.get(f"/api/clients/{cid}/campaigns").json() == []


# --- a real browser drags a post on the month view -------------------------------------------------------


@pytest.mark.browser
def test_drag_a_post_to_another_day_in_chromium(page, live_url, tmp_path):
    from playwright.sync_api import expect

    from socialdesk.config import Settings
    from socialdesk.db import Database

    signup = page.request.post("/api/auth/signup", data={"email": "olivia@agency.example.com", "name": "Olivia Owner",
                                                         "password": "correct horse battery staple"})
    assert signup.ok, signup.text()
    csrf = {"x-csrf-token": signup.json()["csrf_token"]}
    client = page.request.post("/api/clients", data={"name": "Acme Bikes", "timezone": "Europe/Paris"}, headers=csrf)
    cid = client.json()["id"]
    database = Database(Settings(data_dir=tmp_path / "data").resolved_database_url)
    with database.session() as s:
        channel = Channel(client_id=cid, network="mastodon", display_name="Acme Mastodon", handle="acme",
                          base_url="http://127.0.0.1:9", account_id="1", status="ok")
        s.add(channel)
        s.flush()
        channel_id = channel.id
    database.dispose()
    first = (date.today().replace(day=1) + timedelta(days=40)).replace(day=1)  # the month after next
    day, target = first + timedelta(days=9), first + timedelta(days=13)
    post = page.request.post(f"/api/clients/{cid}/posts", headers=csrf, data={
        "text": "Drag me", "channel_ids": [channel_id], "scheduled_at": f"{day}T10:45:00"})
    assert post.ok, post.text()
    post_id = post.json()["id"]

    page.goto(f"/clients/{cid}/calendar?view=month&date={day}")
    chip = page.locator(f'a[data-post-id="{post_id}"]')
    expect(page.locator(f'td[data-drop-date="{day}"]').locator(f'a[data-post-id="{post_id}"]')).to_be_visible()
    with page.expect_navigation():  # publishing.js reloads the page once the server said yes
        with page.expect_response(lambda r: r.url.endswith(f"/posts/{post_id}/move")) as answer:
            chip.drag_to(page.locator(f'td[data-drop-date="{target}"]'))
    assert answer.value.status == 200, answer.value.text()
    expect(page.locator(f'td[data-drop-date="{target}"]').locator(f'a[data-post-id="{post_id}"]')).to_contain_text("10:45")

    moved = page.request.get(f"/api/clients/{cid}/posts/{post_id}").json()
    before = datetime.fromisoformat(post.json()["scheduled_at"]).astimezone(ZoneInfo("Europe/Paris"))
    after = datetime.fromisoformat(moved["scheduled_at"]).astimezone(ZoneInfo("Europe/Paris"))
    assert (after.date() - before.date()).days == 4 and after.time() == before.time() == datetime(2000, 1, 1, 10, 45).time()
    assert moved["status"] == "scheduled" and moved["targets"][0]["state"] == "scheduled"
    history = page.request.get(f"/api/clients/{cid}/posts/{post_id}/history").json()
    assert [e["kind"] for e in history][-1] == "scheduled"
    assert page.problems == []
