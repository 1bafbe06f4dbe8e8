"""The web pages: rendering, CSRF, forms (success and errors), escaping and access rules."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from socialdesk.auth import service as auth_service
from socialdesk.kit.authz import AgencyRole, Role
from socialdesk.team import service as team_service

PASSWORD = "correct horse battery staple"
HTML = {"accept": "text/html"}
XSS_CLIENT = "<script>alert(1)</script>"
XSS_PERSONA = "<img src=x onerror=alert(1)>"


@dataclass
class Browser:
    """A TestClient that behaves like a browser: HTML pages, the CSRF token sent in form fields."""

    http: TestClient
    token: str

    def get(self, url: str, **kw):
        return self.http.get(url, headers=HTML, **kw)

    def post(self, url: str, data: dict | list | None = None, *, csrf: bool = True, headers: dict | None = None):
        fields = list(data.items()) if isinstance(data, dict) else list(data or [])
        if csrf:
            fields.append(("csrf_token", self.token))
        return self.http.post(url, content=_urlencode(fields), headers={**HTML, "content-type": FORM_TYPE, **(headers or {})})


FORM_TYPE = "application/x-www-form-urlencoded"


def _urlencode(fields: list[tuple[str, object]]) -> str:
    from urllib.parse import urlencode

    return urlencode([(k, str(v)) for k, v in fields])


def csrf_from(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def sign_in(app, email: str) -> Browser:
    """A new browser that signs in through the login form."""
    http = TestClient(app)
    token = csrf_from(http.get("/login", headers=HTML).text)
    response = http.post(
        "/login", content=_urlencode([("email", email), ("password", PASSWORD), ("csrf_token", token)]),
        headers={**HTML, "content-type": FORM_TYPE},
    )
    assert response.status_code == 200 and response.url.path == "/", response.text
    return Browser(http, token)


@pytest.fixture
def owner(owner_client) -> Browser:
    """The owner's browser; the CSRF header of the API sign-up is removed so forms must carry the token."""
    token = owner_client.headers.pop("x-csrf-token")
    return Browser(owner_client, token)


def make_client(owner: Browser, name: str = "Acme Bikes", **extra) -> int:
    response = owner.post("/clients/new", {"name": name, "timezone": "Europe/Paris", **extra})
    assert response.status_code == 200, response.text
    return int(response.url.path.rsplit("/", 1)[1])


def add_person(session, email: str, role: Role | None = None, client_id: int | None = None) -> int:
    user = auth_service.create_user(
        session=session, email=email, name=email.split("@")[0].title(), password=PASSWORD, agency_role=AgencyRole.MEMBER
    )
    if role is not None:
        team_service.set_role(session=session, client_id=client_id, user_id=user.id, role=role)
    session.commit()
    return user.id


def forms_of(html: str) -> list[str]:
    return re.findall(r"<form\b[^>]*method=\"post\"[^>]*>.*?</form>", html, flags=re.S)


def fill_client(owner: Browser, cid: int) -> None:
    """A persona, a KPI target, office hours, a contact and a log entry, all through the forms."""
    steps = [
        (f"/clients/{cid}/personas", [("name", "Weekend Warrior"), ("age_min", "25"), ("age_max", "40"),
                                      ("interests", "gravel, coffee"), ("platforms", "instagram"), ("platforms", "bluesky"),
                                      ("cares_about", "durable kit")]),
        (f"/clients/{cid}/kpis", {"metric": "followers", "target": "12000", "period": "month", "unit": ""}),
        (f"/clients/{cid}/office-hours", [("timezone", "Europe/Paris"), ("slots-weekday", "0"), ("slots-start", "09:00"),
                                          ("slots-end", "17:30"), ("slots-weekday", "4"), ("slots-start", ""), ("slots-end", ""),
                                          ("outside_hours_message", "Back on Monday")]),
        (f"/clients/{cid}/contacts", {"name": "Dana Client", "title": "CMO", "email": "dana@acme.example.com",
                                      "phone": "+33 1 23 45", "is_primary": "1"}),
        (f"/clients/{cid}/log", {"kind": "meeting", "occurred_on": "2025-03-04", "title": "Kick-off call", "body": "Agreed goals"}),
    ]
    for url, data in steps:
        response = owner.post(url, data)
        assert response.status_code == 200, (url, response.text)
        assert response.history and response.history[0].status_code == 303


# --- set-up, sign-in, sign-out ------------------------------------------------------------------


def test_fresh_install_leads_to_setup_which_creates_the_owner_and_signs_in(client):
    page = client.get("/", headers=HTML)
    assert page.url.path == "/setup" and 'name="csrf_token"' in page.text
    token = csrf_from(page.text)
    data = {"name": "Olivia", "email": "o@agency.example.com", "password": "short", "csrf_token": token}
    bad = client.post("/setup", data=data, headers=HTML)
    assert bad.status_code == 422 and "password: must be at least 10 characters" in bad.text
    assert 'value="o@agency.example.com"' in bad.text
    done = client.post("/setup", data={**data, "password": PASSWORD}, headers=HTML)
    assert done.status_code == 200 and done.url.path == "/" and "Olivia" in done.text
    assert client.get("/setup", headers=HTML).url.path == "/login"


def test_login_wrong_password_rate_limit_next_and_logout(app, client, settings):
    from conftest import signup_owner

    signup_owner(client)
    client.headers.pop("x-csrf-token")
    client.cookies.delete("sd_session")
    assert client.get("/clients/1", headers=HTML, follow_redirects=False).headers["location"] == "/login?next=/clients/1"
    token = csrf_from(client.get("/login?next=/account", headers=HTML).text)
    form = {"email": "olivia@agency.example.com", "csrf_token": token, "next": "/account"}
    wrong = client.post("/login", data={**form, "password": "nope"}, headers=HTML)
    assert wrong.status_code == 401 and "wrong e-mail or password" in wrong.text
    ok = client.post("/login", data={**form, "next": "//evil.example.com", "password": PASSWORD}, headers=HTML)
    assert ok.url.path == "/"
    ok = client.post("/login", data={**form, "password": PASSWORD}, headers=HTML)
    assert ok.url.path == "/account"
    out = client.post("/logout", data={"csrf_token": token}, headers=HTML)
    assert out.url.path == "/login"
    assert client.get("/account", headers=HTML).url.path == "/login"
    for _ in range(settings.login_max_failures):
        client.post("/login", data={**form, "password": "nope"}, headers=HTML)
    limited = client.post("/login", data={**form, "password": PASSWORD}, headers=HTML)
    assert limited.status_code == 429 and "try again in" in limited.text and limited.headers["retry-after"]


# --- every page, CSRF ---------------------------------------------------------------------------


def test_every_page_renders_for_the_owner_with_csrf_in_every_form(owner, app):
    cid = make_client(owner)
    fill_client(owner, cid)
    pages = ["/", "/clients/new", "/team", "/account"] + [
        f"/clients/{cid}{suffix}"
        for suffix in ["", "/brand", "/personas", "/personas/1/edit", "/kpis", "/kpis/1/edit", "/contacts",
                       "/contacts/1/edit", "/office-hours", "/log", "/log?kind=meeting", "/team"]
    ]
    for url in pages:
        response = owner.get(url)
        assert response.status_code == 200, url
        assert response.headers["content-type"].startswith("text/html")
        forms = forms_of(response.text)
        assert forms, url  # at least sign-out
        for form in forms:
            assert f'name="csrf_token" value="{owner.token}"' in form, (url, form[:200])
        assert "style=" not in response.text and "<script>" not in response.text and "onclick" not in response.text
    anonymous = TestClient(app)
    for url in ["/login"]:
        page = anonymous.get(url, headers=HTML)
        assert page.status_code == 200 and all('name="csrf_token"' in f for f in forms_of(page.text))


def test_a_post_without_the_csrf_token_is_refused(owner):
    response = owner.post("/clients/new", {"name": "Sneaky", "timezone": "UTC"}, csrf=False)
    assert response.status_code == 403 and "security token" in response.text
    assert owner.http.get("/api/clients").json() == []


# --- forms that create things -------------------------------------------------------------------


def test_forms_create_client_persona_kpi_office_hours_contact_and_log_shown_on_home(owner):
    cid = make_client(owner, tone_words="warm, witty", words_to_avoid="cheap", emoji_policy="none", max_hashtags="")
    fill_client(owner, cid)
    home = owner.get(f"/clients/{cid}").text
    for text in ["Acme Bikes", "warm", "witty", "cheap", "Weekend Warrior", "Age 25–40", "gravel, coffee",
                 "Followers: 12,000 per month", "Monday", "09:00–17:30", "Europe/Paris", "Dana Client", "CMO",
                 "Kick-off call", "Olivia Owner"]:
        assert text in home, text
    assert "open now" in home or "closed now" in home
    overview = owner.get("/").text
    assert "Followers: 12,000 per month" in overview and "Olivia Owner" in overview
    hours = owner.http.get(f"/api/clients/{cid}/office-hours").json()
    assert hours["slots"] == [{"weekday": 0, "start": "09:00:00", "end": "17:30:00"}]  # the blank row is ignored
    log = owner.get(f"/clients/{cid}/log").text
    assert "signed Olivia Owner" in log and "4 Mar 2025" in log


def test_brand_form_saves_voice_and_demographics_and_edit_delete_children(owner):
    cid = make_client(owner)
    fill_client(owner, cid)
    form = [("name", "Acme Bikes"), ("timezone", "America/New_York"), ("brand_color", "#112233"),
            ("website", "https://acme.example.com"), ("tone_words", "bold"), ("emoji_policy", "freely"),
            ("max_hashtags", "3"), ("business_goals", "Sell more"), ("demographics-dimension", "age"),
            ("demographics-value", "25-34"), ("demographics-share_percent", "40"), ("demographics-dimension", "age"),
            ("demographics-value", ""), ("demographics-share_percent", "")]
    saved = owner.post(f"/clients/{cid}/brand", form)
    assert saved.status_code == 200 and saved.url.path == f"/clients/{cid}/brand" and "Saved." in saved.text
    profile = owner.http.get(f"/api/clients/{cid}/profile").json()
    assert profile["timezone"] == "America/New_York" and profile["max_hashtags"] == 3
    assert profile["demographics"] == [{"dimension": "age", "value": "25-34", "share_percent": 40.0}]
    persona_id = profile["personas"][0]["id"]
    edited = owner.post(f"/clients/{cid}/personas/{persona_id}", {"name": "Commuter", "age_min": "", "age_max": ""})
    assert edited.status_code == 200 and "Commuter" in edited.text and "Weekend Warrior" not in edited.text
    deleted = owner.post(f"/clients/{cid}/personas/{persona_id}/delete", {}, headers={"HX-Request": "true"})
    assert deleted.status_code == 200 and "No personas yet." in deleted.text
    clash = owner.post(f"/clients/{cid}/brand", [("words_to_use", "fast"), ("words_to_avoid", "Fast")])
    assert clash.status_code == 422 and "words to avoid:" in clash.text


# --- bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "where, data, message",
    [
        ("new", {"name": "Zed", "timezone": "Mars/Olympus"}, "timezone: unknown time zone &#39;Mars/Olympus&#39;"),
        ("new", {"name": "acme  bikes", "timezone": "UTC"}, "name: a client named &#39;Acme Bikes&#39; already exists"),
        ("new", {"name": "Zed", "timezone": "UTC", "website": "acme.example.com"}, "website: must start with http"),
        ("kpis", {"metric": "reach", "target": "lots", "period": "month"}, "target: Input should be a valid number"),
        ("hours", [("timezone", "Mars/Olympus")], "timezone: unknown time zone"),
        ("hours", [("timezone", "UTC"), ("slots-weekday", "0"), ("slots-start", "09:00"), ("slots-end", "12:00"),
                   ("slots-weekday", "0"), ("slots-start", "11:00"), ("slots-end", "13:00")], "slots: slot 2 (Monday 11:00-13:00) overlaps"),
        ("hours", [("timezone", "UTC"), ("slots-weekday", "1"), ("slots-start", "17:00"), ("slots-end", "09:00")],
         "slots row 1: end (09:00) must be after start (17:00)"),
        ("personas", {"name": "Teen", "age_min": "30", "age_max": "20"}, "age max: must be at least age_min (30)"),
        ("contacts", {"name": "X", "email": "not-an-email"}, "email: value is not a valid email address"),
        ("log", {"kind": "note", "occurred_on": "yesterday", "title": "x"}, "occurred on: Input should be a valid date"),
    ],
)
def test_bad_input_names_the_field_keeps_the_input_and_saves_nothing(owner, where, data, message):
    cid = make_client(owner)
    url = {"new": "/clients/new", "kpis": f"/clients/{cid}/kpis", "hours": f"/clients/{cid}/office-hours",
           "personas": f"/clients/{cid}/personas", "contacts": f"/clients/{cid}/contacts", "log": f"/clients/{cid}/log"}[where]
    before = owner.http.get(f"/api/clients/{cid}/profile").json()
    response = owner.post(url, data)
    assert response.status_code == 422, response.text
    assert message in response.text
    assert 'class="field-error"' in response.text
    for _, value in (data.items() if isinstance(data, dict) else data):
        assert html.escape(value) in response.text, value  # the input is kept
    after = owner.http.get(f"/api/clients/{cid}/profile").json()
    assert {k: v for k, v in after.items() if k != "updated_at"} == {k: v for k, v in before.items() if k != "updated_at"}
    assert [c["name"] for c in owner.http.get("/api/clients").json()] == ["Acme Bikes"]
    assert owner.http.get(f"/api/clients/{cid}/log").json() == []


# --- escaping -----------------------------------------------------------------------------------


def test_user_text_is_escaped_on_every_page_that_shows_it(owner):
    cid = make_client(owner, name=XSS_CLIENT, description=XSS_PERSONA)
    assert owner.post(f"/clients/{cid}/personas", {"name": XSS_PERSONA, "cares_about": XSS_CLIENT}).status_code == 200
    owner.post(f"/clients/{cid}/kpis", {"metric": "reach", "target": "5", "unit": XSS_PERSONA, "notes": XSS_CLIENT})
    owner.post(f"/clients/{cid}/log", {"kind": "note", "occurred_on": "2025-01-01", "title": XSS_CLIENT, "body": XSS_PERSONA})
    pages = ["/", "/team"] + [f"/clients/{cid}{s}" for s in ["", "/brand", "/personas", "/kpis", "/log", "/team", "/office-hours"]]
    for url in pages:
        html = owner.get(url).text
        assert XSS_CLIENT not in html and XSS_PERSONA not in html, url
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, url
    for url in [f"/clients/{cid}", f"/clients/{cid}/personas"]:
        assert "&lt;img src=x onerror=alert(1)&gt;" in owner.get(url).text


# --- access rules -------------------------------------------------------------------------------


def test_community_manager_sees_only_their_client_and_may_not_change_the_brand(owner, app, session):
    a, b = make_client(owner, "Client A"), make_client(owner, "Client B")
    add_person(session, "cm@agency.example.com", Role.COMMUNITY_MANAGER, a)
    cm = sign_in(app, "cm@agency.example.com")
    overview = cm.get("/").text
    assert "Client A" in overview and "Client B" not in overview and "New client" not in overview
    home = cm.get(f"/clients/{a}")
    assert home.status_code == 200 and "Brand voice" in home.text and "Client B" not in home.text
    for suffix in ["", "/brand", "/personas", "/kpis", "/contacts", "/office-hours", "/log", "/team"]:
        assert cm.get(f"/clients/{b}{suffix}").status_code == 404, suffix
    assert cm.post(f"/clients/{b}/log", {"kind": "note", "occurred_on": "2025-01-01", "title": "x"}).status_code == 404
    refused = cm.post(f"/clients/{a}/brand", {"name": "Hacked", "timezone": "UTC"})
    assert refused.status_code == 403 and "does not allow" in refused.text
    brand = cm.get(f"/clients/{a}/brand").text
    assert "<fieldset class=\"plain\" disabled>" in brand and "Save brand profile" not in brand
    assert cm.post(f"/clients/{a}/log", {"kind": "note", "occurred_on": "2025-01-01", "title": "Call"}).status_code == 200
    assert cm.get("/team").status_code == 403 and cm.get("/clients/new").status_code == 403
    assert owner.http.get(f"/api/clients/{a}").json()["name"] == "Client A"


def test_client_approver_sees_a_reduced_home_only(owner, app, session):
    cid = make_client(owner, description="Bikes for everyone")
    fill_client(owner, cid)
    add_person(session, "ap@client.example.com", Role.CLIENT_APPROVER, cid)
    approver = sign_in(app, "ap@client.example.com")
    home = approver.get(f"/clients/{cid}")
    assert home.status_code == 200
    assert "Bikes for everyone" in home.text and "awaiting your approval" in home.text
    for secret in ["Weekend Warrior", "Followers", "Dana Client", "Kick-off call", "Brand voice", "Olivia Owner", "09:00"]:
        assert secret not in home.text, secret
    assert approver.get(f"/clients/{cid}/personas").status_code == 403
    assert approver.get(f"/clients/{cid}/log").status_code == 403
    assert "Followers" not in approver.get("/").text


# --- team, invitations, account -----------------------------------------------------------------


def test_director_invites_gives_and_removes_roles_and_the_invitee_joins(owner, app, session):
    cid = make_client(owner)
    bad = owner.post("/team/invitations", {"email": "cam@agency.example.com", "name": "Cam", "agency_role": "member"})
    assert bad.status_code == 422 and "grants: a member needs a role" in bad.text
    created = owner.post("/team/invitations", {"email": "cam@agency.example.com", "name": "Cam Lee", "agency_role": "member",
                                               f"role-{cid}": "community_manager"})
    assert created.status_code == 201
    link = re.search(r'value="(http://testserver/invite/[^"]+)"', created.text).group(1)
    assert "shown only once" in created.text and "cam@agency.example.com" in owner.get("/team").text
    guest = TestClient(app)
    path = link.removeprefix("http://testserver")
    page = guest.get(path, headers=HTML)
    token = csrf_from(page.text)
    mismatch = guest.post(path, data={"name": "Cam Lee", "password": PASSWORD, "password_again": "other", "csrf_token": token}, headers=HTML)
    assert mismatch.status_code == 422 and "password again: does not match" in mismatch.text
    joined = guest.post(path, data={"name": "Cam Lee", "password": PASSWORD, "password_again": PASSWORD, "csrf_token": token}, headers=HTML)
    assert joined.url.path == "/" and "Acme Bikes" in joined.text
    assert guest.get(path, headers=HTML).status_code == 404
    team = owner.get(f"/clients/{cid}/team").text
    assert "Cam Lee" in team and "Community manager" in team
    other = add_person(session, "ana@agency.example.com")
    assert owner.post(f"/clients/{cid}/team", {"user_id": other, "role": "analyst"}).status_code == 200
    assert "<td>Ana</td>" in owner.get(f"/clients/{cid}/team").text
    assert owner.post(f"/clients/{cid}/team/{other}/remove", {}).status_code == 200
    assert "<td>Ana</td>" not in owner.get(f"/clients/{cid}/team").text
    inv = owner.post("/team/invitations", {"email": "dee@agency.example.com", "name": "Dee", "agency_role": "director"})
    inv_id = owner.http.get("/api/invitations").json()[0]["id"]
    assert inv.status_code == 201 and owner.post(f"/team/invitations/{inv_id}/revoke", {}).status_code == 200
    assert "dee@agency.example.com" not in owner.get("/team").text


def test_account_tokens_and_password_change(owner):
    created = owner.post("/account/tokens", {"name": "reporting", "read_only": "1"})
    assert created.status_code == 201 and "it will not be shown again" in created.text
    secret = re.search(r'value="(sdk_[^"]+)"', created.text).group(1)
    api = owner.http.get("/api/clients", headers={"authorization": f"Bearer {secret}"})
    assert api.status_code == 200
    page = owner.get("/account").text
    assert "reporting" in page and secret not in page and "read-only" in page
    token_id = owner.http.get("/api/auth/tokens").json()[0]["id"]
    assert owner.post(f"/account/tokens/{token_id}/revoke", {}).status_code == 200
    assert owner.http.get("/api/clients", headers={"authorization": f"Bearer {secret}"}).status_code == 401
    wrong = owner.post("/account/password", {"current_password": "nope", "new_password": "x" * 12, "new_password_again": "x" * 12})
    assert wrong.status_code == 422 and "current password: is not your current password" in wrong.text
    changed = owner.post("/account/password", {"current_password": PASSWORD, "new_password": "y" * 12, "new_password_again": "y" * 12})
    assert changed.url.path == "/account" and "Password changed" in changed.text  # still signed in


def test_page_routes_answer_huge_ids_without_a_server_error(owner_client):
    client_id = owner_client.post("/api/clients", json={"name": "Huge Ids Co"}).json()["id"]
    huge = 2**63
    csrf = {"csrf_token": owner_client.headers["x-csrf-token"]}
    for path in (
        f"/clients/{client_id}/personas/{huge}/edit",
        f"/clients/{client_id}/log/{huge}/delete",
        f"/clients/{client_id}/team/{huge}/remove",
        f"/team/invitations/{huge}/revoke",
        f"/team/users/{huge}",
        f"/account/tokens/{huge}/revoke",
    ):
        method = owner_client.get if path.endswith("/edit") else owner_client.post
        response = method(path, data=csrf) if method is owner_client.post else method(path)
        assert response.status_code in (404, 422), (path, response.status_code)
