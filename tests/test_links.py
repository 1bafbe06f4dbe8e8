"""Link tracking: the UTM builder, the short-link redirect and what it counts (clicks, previews, no
personal data unless opted in), conversions by pixel and by signed server call, the readers for
reports, and who sees which client's links."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from socialdesk.kit.errors import InvalidInput
from socialdesk.links import service as links_service
from socialdesk.links.bots import is_preview
from socialdesk.links.models import Conversion, LinkClick, LinkSalt, TrackedLink
from socialdesk.links.schemas import ConversionIn
from socialdesk.links.utm import build_url

CHROME = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


# --- the UTM builder ------------------------------------------------------------------------------


@pytest.mark.parametrize("url, utm, expected", [
    ("https://shop.example.com/spring", {"utm_source": "bluesky", "utm_medium": "social"},
     "https://shop.example.com/spring?utm_source=bluesky&utm_medium=social"),
    # other parameters keep their order, the fragment stays, old UTM values are replaced
    ("https://shop.example.com/p?id=7&utm_source=old&color=red#reviews", {"utm_source": "x", "utm_campaign": "May"},
     "https://shop.example.com/p?id=7&color=red&utm_source=x&utm_campaign=may#reviews"),
    # scheme and host lower-cased, default port dropped, empty path made "/"
    ("HTTPS://Shop.Example.COM:443", {"utm_source": "Mastodon"}, "https://shop.example.com/?utm_source=mastodon"),
    ("http://shop.example.com:8080/a", {"utm_term": "Red-Shoes", "utm_content": "v2.B"},
     "http://shop.example.com:8080/a?utm_term=Red-Shoes&utm_content=v2.B"),
    # an empty value removes that parameter; blank values of others are kept
    ("https://shop.example.com/?utm_medium=email&empty=", {"utm_medium": ""}, "https://shop.example.com/?empty="),
    # encoded characters survive
    ("https://shop.example.com/s?q=a%20b%26c", {"utm_source": "x"}, "https://shop.example.com/s?q=a%20b%26c&utm_source=x"),
    ("https://bücher.example/", {}, "https://xn--bcher-kva.example/"),
])
def test_utm_builder(url, utm, expected):
    assert build_url(url, **utm) == expected


@pytest.mark.parametrize("field, value, message", [
    ("utm_source", "blue sky", "write spaces as - or _"),
    ("utm_campaign", "spring&sale", "'&'"),
    ("utm_medium", "social<script>", "'<'"),
    ("utm_content", "x" * 101, "at most 100"),
])
def test_utm_values_with_bad_characters_are_refused_naming_the_field(field, value, message):
    with pytest.raises(InvalidInput) as caught:
        build_url("https://shop.example.com/", **{field: value})
    assert [e.field for e in caught.value.errors] == [field]
    assert message in caught.value.errors[0].message


@pytest.mark.parametrize("url, message", [
    ("javascript:alert(1)", "only http:// and https://"),
    ("data:text/html,<script>alert(1)</script>", "only http:// and https://"),
    ("ftp://files.example.com/a", "only http:// and https://"),
    ("//evil.example/x", "only http:// and https://"),
    ("http://127.0.0.1/admin", "private, local or loopback"),
    ("http://localhost:8000/", "private, local or loopback"),
    ("http://10.1.2.3/", "private, local or loopback"),
    ("http://192.168.1.1/", "private, local or loopback"),
    ("http://[::1]/", "private, local or loopback"),
    ("http://printer.local/", "private, local or loopback"),
    ("http://intranet/", "private, local or loopback"),
    ("https://user:pw@shop.example.com/", "user name or password"),
    ("https:///nohost", "needs a host name"),
    ("https://shop.example.com/a b", "spaces or control characters"),
    ("https://testserver/l/abcdefgh", "short link itself"),
    ("", "give the web address"),
])
def test_bad_destinations_are_refused_naming_the_field(owner_client, url, message):
    client_id = owner_client.post("/api/clients", json={"name": "Refusals Co"}).json()["id"]
    response = owner_client.post(f"/api/clients/{client_id}/links", json={"destination": url})
    assert response.status_code == 422, response.text
    errors = response.json()["errors"]
    assert errors[0]["field"] == "destination" and message in errors[0]["message"], errors


# --- the redirect -----------------------------------------------------------------------------


def _new_client(owner_client, name="Harbor Links", timezone="UTC") -> int:
    response = owner_client.post("/api/clients", json={"name": name, "timezone": timezone})
    assert response.status_code == 201, response.text
    return response.json()["id"]


def _new_link(owner_client, client_id, **fields) -> dict:
    body = {"destination": "https://shop.example.com/spring?id=7#top", "utm_medium": "social", **fields}
    response = owner_client.post(f"/api/clients/{client_id}/links", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def _clicks(session, link_id) -> list[LinkClick]:
    session.expire_all()
    return list(session.scalars(select(LinkClick).where(LinkClick.link_id == link_id).order_by(LinkClick.id)))


def test_a_link_redirects_to_its_destination_and_counts_one_click(owner_client, session):
    client_id = _new_client(owner_client)
    link = _new_link(owner_client, client_id, network="bluesky", label="Spring sale")
    assert link["destination"] == "https://shop.example.com/spring?id=7&utm_source=bluesky&utm_medium=social#top"
    assert link["short_url"] == f"http://testserver/l/{link['code']}" and len(link["code"]) == 8
    response = owner_client.get(f"/l/{link['code']}", follow_redirects=False,
                                headers={"user-agent": CHROME, "referer": "https://bsky.app/profile/x/post/3k?q=secret"})
    assert response.status_code == 302
    assert response.headers["location"] == link["destination"]
    assert response.headers["cache-control"].startswith("no-store")
    assert response.headers["referrer-policy"] == "no-referrer"
    [click] = _clicks(session, link["id"])
    assert not click.is_preview and click.network == "bluesky"
    assert click.referrer_host == "bsky.app"  # the host only: never the path or query of the referrer
    listed = owner_client.get(f"/api/clients/{client_id}/links").json()
    assert [(row["clicks"], row["previews"], row["conversions"]) for row in listed] == [(1, 0, 0)]


@pytest.mark.parametrize("agent", [
    "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
    "Twitterbot/1.0",
    "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
    "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)",
    "TelegramBot (like TwitterBot)",
    "WhatsApp/2.23.20.0",
    "Mozilla/5.0 (compatible; Bluesky Cardyb/1.1; +mailto:support@bsky.app)",
    "http.rb/5.1.1 (Mastodon/4.2.10; +https://mastodon.social/)",
])
def test_preview_bots_count_as_previews_not_clicks(owner_client, session, agent):
    client_id = _new_client(owner_client)
    link = _new_link(owner_client, client_id)
    response = owner_client.get(f"/l/{link['code']}", follow_redirects=False, headers={"user-agent": agent})
    assert response.status_code == 302 and response.headers["location"] == link["destination"]
    assert [c.is_preview for c in _clicks(session, link["id"])] == [True]


def test_head_requests_and_prefetches_are_previews(owner_client, session):
    client_id = _new_client(owner_client)
    link = _new_link(owner_client, client_id)
    assert owner_client.head(f"/l/{link['code']}", follow_redirects=False,
                             headers={"user-agent": CHROME}).status_code == 302
    owner_client.get(f"/l/{link['code']}", follow_redirects=False, headers={"user-agent": CHROME,
                                                                            "sec-purpose": "prefetch"})
    owner_client.get(f"/l/{link['code']}", follow_redirects=False, headers={"user-agent": CHROME})
    assert [c.is_preview for c in _clicks(session, link["id"])] == [True, True, False]
    [row] = owner_client.get(f"/api/clients/{client_id}/links").json()
    assert (row["clicks"], row["previews"]) == (1, 2)
    assert not is_preview("GET", CHROME, {}) and is_preview("GET", "", {})


def test_unknown_codes_answer_404_and_redirect_nowhere(owner_client, session):
    for path in ("/l/zzzzzzzz", "/l/short", "/l/%2F%2Fevil.example", "/l/https:%2F%2Fevil.example"):
        response = owner_client.get(path, follow_redirects=False, headers={"accept": "text/html"})
        assert response.status_code == 404, path
        assert "location" not in response.headers and "evil.example" not in response.text
    assert "Link not found" in owner_client.get("/l/zzzzzzzz", headers={"accept": "text/html"}).text
    assert session.scalar(select(LinkClick.id)) is None


def test_no_ip_or_visitor_hash_is_stored_without_the_opt_in(owner_client, session):
    client_id = _new_client(owner_client)
    link = _new_link(owner_client, client_id)
    for _ in range(3):
        owner_client.get(f"/l/{link['code']}", follow_redirects=False, headers={"user-agent": CHROME})
    clicks = _clicks(session, link["id"])
    assert len(clicks) == 3  # no opt-in: nothing to tell visitors apart, so every click counts
    for click in clicks:
        assert click.visitor_hash is None and click.dedup_key is None and click.token is None
        stored = " ".join(str(getattr(click, col.key)) for col in LinkClick.__table__.columns)
        assert "testclient" not in stored and "Chrome" not in stored  # TestClient's address and the agent
    assert session.scalar(select(LinkSalt.day)) is None


def test_with_the_opt_in_repeated_clicks_within_the_window_count_once(owner_client, session):
    client_id = _new_client(owner_client)
    link = _new_link(owner_client, client_id)
    saved = owner_client.put(f"/api/clients/{client_id}/link-settings",
                             json={"hash_visitors": True, "dedup_seconds": 86400})
    assert saved.status_code == 200, saved.text
    for _ in range(4):
        owner_client.get(f"/l/{link['code']}", follow_redirects=False, headers={"user-agent": CHROME})
    owner_client.get(f"/l/{link['code']}", follow_redirects=False, headers={"user-agent": FIREFOX})
    clicks = _clicks(session, link["id"])
    assert [c.repeats for c in clicks] == [3, 0]  # one visitor's flood is one click, another browser another
    assert all(c.visitor_hash and len(c.visitor_hash) == 32 for c in clicks)
    assert clicks[0].visitor_hash != clicks[1].visitor_hash
    stored = " ".join(str(getattr(c, col.key)) for c in clicks for col in LinkClick.__table__.columns)
    assert "testclient" not in stored
    [row] = owner_client.get(f"/api/clients/{client_id}/links").json()
    assert row["clicks"] == 2


def test_the_dedup_window_is_exact_and_the_salt_rotates_daily(owner_client, database):
    client_id = _new_client(owner_client)
    link = _new_link(owner_client, client_id)
    owner_client.put(f"/api/clients/{client_id}/link-settings", json={"hash_visitors": True, "dedup_seconds": 30})
    t0 = datetime(2026, 3, 2, 12, 0, 0, tzinfo=UTC)  # a window starts here (a multiple of 30 s)
    with database.session() as s:
        target = links_service.lookup(session=s, code=link["code"])
        for seconds in (0, 10, 29, 30, 45, 61):
            links_service.record_click(session=s, target=target, ip="203.0.113.9", user_agent=CHROME, referrer=None,
                                       preview=False, at=t0 + timedelta(seconds=seconds))
        links_service.record_click(session=s, target=target, ip="203.0.113.9", user_agent=CHROME, referrer=None,
                                   preview=False, at=t0 + timedelta(days=1))
    with database.session() as s:
        rows = list(s.scalars(select(LinkClick).where(LinkClick.link_id == link["id"]).order_by(LinkClick.id)))
        assert [r.repeats for r in rows] == [2, 1, 0, 0]  # [0,10,29] [30,45] [61] and the next day
        assert rows[0].visitor_hash == rows[1].visitor_hash != rows[3].visitor_hash  # a new day, a new salt
        assert [d for d in s.scalars(select(LinkSalt.day))] == [date(2026, 3, 3)]  # yesterday's salt is gone


# --- conversions ------------------------------------------------------------------------------


@pytest.fixture
def outside(app):
    """A second client with no cookies: the client's server, or a visitor's browser."""
    from fastapi.testclient import TestClient

    with TestClient(app) as c:
        yield c


def _secret(owner_client, client_id) -> tuple[str, str]:
    secret = owner_client.post(f"/api/clients/{client_id}/link-settings/secret").json()["secret"]
    public_id = owner_client.get(f"/api/clients/{client_id}/link-settings").json()["public_id"]
    return public_id, secret


def _signed(secret: str, body: bytes, stamp: int | None = None) -> dict:
    stamp = stamp or int(time.time())
    signature = hmac.new(secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    return {"x-socialdesk-timestamp": str(stamp), "x-socialdesk-signature": f"sha256={signature}",
            "content-type": "application/json"}


def test_the_server_call_needs_the_clients_secret_and_counts_an_order_once(owner_client, outside, session):
    client_id = _new_client(owner_client)
    link = _new_link(owner_client, client_id, network="mastodon")
    public_id, secret = _secret(owner_client, client_id)
    body = json.dumps({"client": public_id, "kind": "purchase", "value": "49.90", "currency": "eur",
                       "order_ref": "ORDER-1", "link": link["code"]}).encode()
    assert outside.post("/api/conversions", content=body, headers={"content-type": "application/json"}
                       ).status_code == 401
    bad = _signed("sdcs_not-the-secret", body)
    assert outside.post("/api/conversions", content=body, headers=bad).status_code == 401
    stale = _signed(secret, body, stamp=int(time.time()) - 3600)
    refused = outside.post("/api/conversions", content=body, headers=stale)
    assert refused.status_code == 401 and "5 minutes" in refused.json()["detail"]
    tampered = _signed(secret, body)
    assert outside.post("/api/conversions", content=body.replace(b"49.90", b"4990.00"),
                       headers=tampered).status_code == 401
    first = outside.post("/api/conversions", content=body, headers=_signed(secret, body))
    assert first.status_code == 200, first.text
    assert first.json()["recorded"] is True and first.json()["link_id"] == link["id"]
    again = outside.post("/api/conversions", content=body,
                        headers={"authorization": f"Bearer {secret}", "content-type": "application/json"})
    assert again.status_code == 200 and again.json()["recorded"] is False
    wrong_bearer = outside.post("/api/conversions", content=body,
                               headers={"authorization": "Bearer sdcs_nope", "content-type": "application/json"})
    assert wrong_bearer.status_code == 401
    session.expire_all()
    [row] = session.scalars(select(Conversion))
    assert (row.value, row.currency, row.order_ref, row.source, row.network) == (
        Decimal("49.90"), "EUR", "ORDER-1", "server", "mastodon")


def test_the_server_call_validates_currency_and_value(owner_client, outside):
    client_id = _new_client(owner_client)
    public_id, secret = _secret(owner_client, client_id)
    headers = {"authorization": f"Bearer {secret}", "content-type": "application/json"}
    for payload, field in (({"currency": "EURO", "value": "1"}, "currency"), ({"value": "10"}, "currency"),
                           ({"value": "-1", "currency": "EUR"}, "value"), ({"kind": "a b"}, "kind")):
        response = outside.post("/api/conversions", json={"client": public_id, **payload}, headers=headers)
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["field"] == field, response.json()
    unknown = outside.post("/api/conversions", json={"client": "nobody", "kind": "x"}, headers=headers)
    assert unknown.status_code == 401


def test_the_pixel_returns_a_gif_and_records_the_conversion_of_the_click(owner_client, outside, session):
    client_id = _new_client(owner_client)
    link = _new_link(owner_client, client_id, network="x")
    saved = owner_client.put(f"/api/clients/{client_id}/link-settings",
                             json={"attribution": "param", "pixel_origins": ["https://Shop.Example.com/"]})
    assert saved.json()["pixel_origins"] == ["https://shop.example.com"]
    public_id = saved.json()["public_id"]
    visit = owner_client.get(f"/l/{link['code']}", follow_redirects=False, headers={"user-agent": CHROME})
    location = urlsplit(visit.headers["location"])
    token = parse_qs(location.query)["sdc"][0]
    assert location.fragment == "top" and parse_qs(location.query)["utm_source"] == ["x"]
    pixel = f"/l/px.gif?c={public_id}&k=purchase&v=19.99&cur=USD&ref=A-77&sdc={token}"
    refused = outside.get(pixel, headers={"referer": "https://evil.example/checkout"})
    assert refused.status_code == 403 and refused.headers["content-type"] == "image/gif"
    shop = {"referer": "https://shop.example.com/thanks?order=A-77"}
    response = outside.get(pixel, headers=shop)
    assert response.status_code == 200 and response.content[:6] == b"GIF89a" and len(response.content) == 43
    assert response.headers["content-type"] == "image/gif" and "no-store" in response.headers["cache-control"]
    assert outside.get(pixel, headers=shop).headers["x-socialdesk-conversion"] == "duplicate"
    bad = outside.get(f"/l/px.gif?c={public_id}&k=purchase&v=5&cur=XYZ", headers=shop)
    assert bad.status_code == 422 and "currency" in bad.headers["x-socialdesk-conversion"]
    session.expire_all()
    [row] = session.scalars(select(Conversion))
    [click] = _clicks(session, link["id"])
    assert (row.click_id, row.link_id, row.network, row.source, row.value) == (click.id, link["id"], "x", "pixel",
                                                                               Decimal("19.99"))
    [listed] = owner_client.get(f"/api/clients/{client_id}/links").json()
    assert listed["conversions"] == 1


def test_cookie_attribution_sets_a_lax_first_party_cookie_the_pixel_reads(owner_client, outside, session):
    client_id = _new_client(owner_client)
    link = _new_link(owner_client, client_id)
    public_id = owner_client.put(f"/api/clients/{client_id}/link-settings", json={
        "attribution": "cookie", "pixel_origins": ["https://shop.example.com"]}).json()["public_id"]
    visit = outside.get(f"/l/{link['code']}", follow_redirects=False, headers={"user-agent": CHROME})
    cookie = visit.headers["set-cookie"]
    assert cookie.startswith("sd_click=") and "SameSite=lax" in cookie and "HttpOnly" in cookie
    assert "sdc=" not in visit.headers["location"]
    response = outside.get(f"/l/px.gif?c={public_id}&k=signup", headers={"origin": "https://shop.example.com"})
    assert response.headers["x-socialdesk-conversion"] == "recorded"
    session.expire_all()
    [row] = session.scalars(select(Conversion))
    assert row.link_id == link["id"] and row.click_id is not None and row.kind == "signup"


# --- readers for reports ----------------------------------------------------------------------


def test_readers_return_exact_counts_per_local_day_link_campaign_and_network(owner_client, database):
    client_id = _new_client(owner_client, timezone="America/Los_Angeles")
    campaign = owner_client.post(f"/api/clients/{client_id}/campaigns", json={"name": "Spring Launch 2026"}).json()
    spring = _new_link(owner_client, client_id, campaign_id=campaign["id"], network="bluesky")
    assert spring["utm_campaign"] == "spring-launch-2026" and spring["utm_source"] == "bluesky"
    other = _new_link(owner_client, client_id, network="mastodon")
    # 08:00 UTC on 2 March is midnight in Los Angeles: 07:59 UTC is still 1 March there.
    at = [("spring", datetime(2026, 3, 2, 7, 59, tzinfo=UTC)), ("spring", datetime(2026, 3, 2, 8, 0, tzinfo=UTC)),
          ("spring", datetime(2026, 3, 3, 7, 30, tzinfo=UTC)), ("other", datetime(2026, 3, 3, 20, 0, tzinfo=UTC)),
          ("other", datetime(2026, 3, 9, 12, 0, tzinfo=UTC))]  # after the span
    with database.session() as s:
        targets = {"spring": links_service.lookup(session=s, code=spring["code"]),
                   "other": links_service.lookup(session=s, code=other["code"])}
        for name, when in at:
            links_service.record_click(session=s, target=targets[name], ip=None, user_agent=CHROME, referrer=None,
                                       preview=False, at=when)
        links_service.record_click(session=s, target=targets["spring"], ip=None, user_agent="Twitterbot/1.0",
                                   referrer=None, preview=True, at=datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
        for ref, when, value in (("o1", datetime(2026, 3, 2, 7, 0, tzinfo=UTC), "10.00"),
                                 ("o2", datetime(2026, 3, 3, 18, 0, tzinfo=UTC), "5.50")):
            links_service.record_conversion(session=s, client_id=client_id, source="server", at=when, data=ConversionIn(
                client="x", kind="purchase", value=value, currency="EUR", order_ref=ref, link=spring["code"]))
    span = {"client_id": client_id, "start": date(2026, 3, 1), "end": date(2026, 3, 3)}
    with database.session() as s:
        assert links_service.clicks(session=s, **span) == {date(2026, 3, 1): 1, date(2026, 3, 2): 2,
                                                           date(2026, 3, 3): 1}
        assert links_service.clicks(session=s, **span, previews=True) == {date(2026, 3, 1): 0, date(2026, 3, 2): 1,
                                                                          date(2026, 3, 3): 0}
        assert links_service.clicks(session=s, **span, by="link") == {spring["id"]: 3, other["id"]: 1}
        assert links_service.clicks(session=s, **span, by="campaign") == {campaign["id"]: 3, None: 1}
        assert links_service.clicks(session=s, **span, by="network") == {"bluesky": 3, "mastodon": 1}
        assert links_service.conversions(session=s, **span) == {date(2026, 3, 1): 1, date(2026, 3, 2): 0,
                                                                date(2026, 3, 3): 1}
        assert links_service.conversions(session=s, **span, by="campaign") == {campaign["id"]: 2}
        assert links_service.conversions(session=s, **span, kind="signup", by="link") == {}
        assert links_service.conversion_values(session=s, **span) == {"EUR": Decimal("15.50")}
        utc_span = {"start": datetime(2026, 3, 2, 8, 0, tzinfo=UTC), "end": datetime(2026, 3, 3, 8, 0, tzinfo=UTC)}
        assert links_service.clicks(session=s, client_id=client_id, by="link", **utc_span) == {spring["id"]: 2}
    stats = owner_client.get(f"/api/clients/{client_id}/links/stats?start=2026-03-01&end=2026-03-03&by=network").json()
    assert [(r["key"], r["clicks"], r["previews"], r["conversions"]) for r in stats["rows"]] == [
        ("bluesky", 3, 1, 2), ("mastodon", 1, 0, 0)]
    assert stats["totals"]["clicks"] == 4


# --- who sees what ------------------------------------------------------------------------------


def test_people_of_client_b_cannot_see_or_use_client_a_links(world, client, session):
    a, manager = world.a_id, world["manager"]
    made = client.post(f"/api/clients/{a}/links", headers=manager.headers,
                       json={"destination": "https://alpha-orchard.example/cider", "label": "Alpha secret cider"})
    assert made.status_code == 201, made.text
    link_id = made.json()["id"]
    outsider = world["outsider"].headers
    for method, url in (("get", f"/api/clients/{a}/links"), ("get", f"/api/clients/{a}/links/{link_id}"),
                        ("get", f"/api/clients/{a}/links/stats"), ("get", f"/api/clients/{a}/link-settings"),
                        ("post", f"/api/clients/{a}/links/{link_id}/archive")):
        response = client.request(method, url, headers=outsider)
        assert response.status_code == 404 and "Alpha secret cider" not in response.text, url
    # a link of A is not found under B, even for B's manager
    assert client.get(f"/api/clients/{world.b_id}/links/{link_id}", headers=outsider).status_code == 404
    analyst, approver = world["analyst"].headers, world["client_approver"].headers
    assert client.get(f"/api/clients/{a}/links", headers=analyst).status_code == 200
    assert client.post(f"/api/clients/{a}/links", headers=analyst,
                       json={"destination": "https://alpha-orchard.example/"}).status_code == 403
    assert client.get(f"/api/clients/{a}/links/stats", headers=approver).status_code == 200
    assert client.get(f"/api/clients/{a}/links", headers=approver).status_code == 403
    assert client.put(f"/api/clients/{a}/link-settings", headers=world["content_creator"].headers,
                      json={"hash_visitors": True}).status_code == 403
    client.cookies.clear()
    page = client.get(f"/clients/{world.b_id}/links", headers=outsider)
    assert page.status_code == 200 and "Alpha secret cider" not in page.text


def test_the_links_page_builds_previews_and_escapes_labels(owner_client, session):
    client_id = _new_client(owner_client)
    page = owner_client.get(f"/clients/{client_id}/links")
    assert page.status_code == 200 and 'id="link-builder"' in page.text
    assert f'href="/clients/{client_id}/links" aria-current="page">Links</a>' in page.text  # in the client menu
    form = {"destination": "https://shop.example.com/?a=1", "utm_source": "Bluesky", "utm_medium": "social",
            "label": "<script>alert(1)</script>", "network": "", "campaign_id": ""}
    preview = owner_client.post(f"/clients/{client_id}/links/builder-preview", data=form)
    assert "https://shop.example.com/?a=1&amp;utm_source=bluesky&amp;utm_medium=social" in preview.text
    bad = owner_client.post(f"/clients/{client_id}/links/builder-preview", data={**form, "destination": "javascript:x"})
    assert "destination: only http:// and https://" in bad.text
    made = owner_client.post(f"/clients/{client_id}/links/new", data=form, follow_redirects=False)
    assert made.status_code == 303
    listed = owner_client.get(made.headers["location"])
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in listed.text and "<script>alert(1)" not in listed.text
    code = session.scalar(select(TrackedLink.code))
    assert f"http://testserver/l/{code}" in listed.text and 'data-copy="http://testserver/l/' in listed.text
    refused = owner_client.post(f"/clients/{client_id}/links/new", data={**form, "utm_campaign": "a b"})
    assert refused.status_code == 422 and "utm campaign: use only letters" in refused.text
