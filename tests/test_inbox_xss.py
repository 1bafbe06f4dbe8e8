"""Hostile text from the public through the real sync path, then the inbox pages in Chromium: no
payload runs (a ``window.__xssHit`` hook, alert/confirm/prompt dialogs and CSP violations are all
watched), none becomes an element or an attribute, ``{{7*7}}`` stays text and no ``javascript:``
(or other non-http) link is clickable. Also the keyboard shortcuts (e marks done, a assigns to me,
x ticks, ? shows the help; none while typing in a field)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from live import free_port, serve
from socialdesk.auth import service as auth_service
from socialdesk.channels.models import Channel
from socialdesk.clients import service as clients_service
from socialdesk.clients.schemas import ClientCreate
from socialdesk.db import Database
from socialdesk.inbox import service as inbox
from socialdesk.inbox.models import Conversation, InboxItem
from socialdesk.kit.authz import AgencyRole
from socialdesk.networks.base import Author, InboxEntry, InboxPage
from socialdesk.vault import service as vault_service
from socialdesk.vault.service import Vault
from test_browser import CHROMIUM, CHROMIUM_ARGS, CSP_LISTENER
from test_inbox import ScriptedNetwork

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery staple"
EMAIL = "olivia@agency.example.com"
T0 = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)

# Each calls __xssHit(n) if it ever runs; the hook is installed before any page script.
PAYLOADS = [
    "<script>__xssHit(1)</script>",
    "<SCRIPT SRC=//127.0.0.1:9/x.js></SCRIPT>",
    "<img src=x onerror=__xssHit(3)>",
    "<img src=\"x\" onerror=\"__xssHit(4)\">",
    "<svg onload=__xssHit(5)>",
    "<svg><script>__xssHit(6)</script></svg>",
    "<body onload=__xssHit(7)>",
    "<iframe src=\"javascript:__xssHit(8)\"></iframe>",
    "<a href=\"javascript:__xssHit(9)\">click me</a>",
    "\"><script>__xssHit(10)</script>",
    "'><img src=x onerror=__xssHit(11)>",
    "\" onmouseover=\"__xssHit(12)\" x=\"",
    "' autofocus onfocus='__xssHit(13)' x='",
    "</textarea><script>__xssHit(14)</script>",
    "</title><script>__xssHit(15)</script>",
    "<details open ontoggle=__xssHit(16)>",
    "<input autofocus onfocus=__xssHit(17)>",
    "<math><mtext><table><mglyph><style><img src=x onerror=__xssHit(18)>",
    "<object data=\"javascript:__xssHit(19)\"></object>",
    "<embed src=\"javascript:__xssHit(20)\">",
    "<div hx-get=\"/logout\" hx-trigger=\"load\" hx-on:htmx:load=\"__xssHit(21)\">htmx</div>",
    "<div hx-on::after-request=\"__xssHit(22)\" hx-post=\"/inbox/bulk\" hx-trigger=\"load\">x</div>",
    "{{7*7}} {{ config }} {% raw %}x{% endraw %}",
    "${7*7} #{7*7} <%= 7*7 %> {{constructor.constructor('__xssHit(24)')()}}",
    "&lt;script&gt;__xssHit(25)&lt;/script&gt;",
    "\u202e>tpircs/<)62(tiHssx__>tpircs<",
    "\uff1cscript\uff1e__xssHit(27)\uff1c/script\uff1e",
    "<scr\u200bipt>__xssHit(28)</scr\u200bipt>",
    "<style>@import 'javascript:__xssHit(29)';</style>",
    "<meta http-equiv=\"refresh\" content=\"0;url=javascript:__xssHit(30)\">",
    "<base href=\"javascript:__xssHit(31)//\">",
    "<form action=\"javascript:__xssHit(32)\"><button>go</button></form>",
    "<video><source onerror=\"__xssHit(33)\"></video>",
    "<marquee onstart=__xssHit(34)>",
    "<img src=x:alert(alt) onerror=eval(src) alt=0>",
    "<noscript><p title=\"</noscript><img src=x onerror=__xssHit(36)>\">",
]
BAD_URLS = [
    "javascript:__xssHit(101)",
    "JaVaScRiPt:__xssHit(102)",
    "  javascript:__xssHit(103)",
    "java\tscript:__xssHit(104)",
    "javascript&#58;__xssHit(105)",
    "data:text/html;base64,PHNjcmlwdD5fX3hzc0hpdCgxMDYpPC9zY3JpcHQ+",
    "vbscript:msgbox(107)",
    "\x01javascript:__xssHit(108)",
    "https://ok.example/\"><script>__xssHit(109)</script>",
    "//evil.example/@x",
]
HOOK = """
window.__xss = [];
window.__xssHit = (n) => window.__xss.push(n);
for (const name of ["alert", "confirm", "prompt"]) {
  window[name] = (m) => { window.__xss.push(name + ":" + m); };
}
"""


@dataclass
class Live:
    url: str
    database: Database
    client_id: int
    channel_id: int
    owner_id: int
    settings: object


@pytest.fixture
def live(tmp_path) -> Iterator[Live]:
    """The real app on a loopback port (fresh SQLite), an owner, a client and a Mastodon channel."""
    from socialdesk.config import Settings
    from socialdesk.web.app import create_app

    port = free_port()
    settings = Settings(data_dir=tmp_path / "data", secret_key="inbox-xss-secret-" + "x" * 32, task_backend="immediate",
                        auto_migrate=True, base_url=f"http://127.0.0.1:{port}")
    app = create_app(settings)
    with serve(app, port) as url:
        database = app.state.database
        with database.session() as s:
            owner = auth_service.create_user(session=s, email=EMAIL, name="Olivia Owner", password=PASSWORD,
                                             agency_role=AgencyRole.OWNER)
            client = clients_service.create(session=s, data=ClientCreate(name="Acme Bikes", timezone="Europe/Paris"))
            channel = Channel(client_id=client.id, network="mastodon", handle="acme", display_name="Acme Mastodon",
                              base_url="https://m.example", account_id="1", status="ok")
            s.add(channel)
            s.flush()
            vault_service.put(session=s, vault=Vault.from_settings(settings), name=channel.secret_name,
                              value=json.dumps({"access_token": "t"}), client_id=client.id)
            ids = client.id, channel.id, owner.id
        yield Live(url, database, *ids, settings)


def sync(live: Live, entries) -> None:
    """Through ``inbox.service.sync_channel``, as the worker does, with a network that hands out ``entries``."""
    with live.database.session() as s:
        channel = s.get(Channel, live.channel_id)
        state = inbox.sync_channel(session=s, vault=Vault.from_settings(live.settings), channel=channel,
                                   adapter=ScriptedNetwork(InboxPage(tuple(entries), "c1")))
        assert state.error == "", state.error


@pytest.fixture
def browser_page(live):
    """A signed-in Chromium page that records console errors, page errors, CSP violations and dialogs."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(base_url=live.url, viewport={"width": 1400, "height": 900})
        context.add_init_script(CSP_LISTENER)
        context.add_init_script(HOOK)
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.problems = []
        page.dialogs = []
        page.on("console", lambda msg: msg.type in ("error", "warning") and page.problems.append(f"{msg.type}: {msg.text}"))
        page.on("pageerror", lambda exc: page.problems.append(f"page error: {exc}"))

        def on_dialog(dialog):
            page.dialogs.append(dialog.message)
            dialog.dismiss()

        page.on("dialog", on_dialog)
        page.goto("/login")
        page.get_by_label("E-mail").fill(EMAIL)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(live.url + "/")
        yield page
        browser.close()


def hostile_entries() -> list[InboxEntry]:
    entries = []
    for n, payload in enumerate(PAYLOADS):
        author = Author(remote_id=f"id-{n}", handle=f"u{n}{payload}@evil.example", display_name=payload,
                        url=BAD_URLS[n % len(BAD_URLS)], followers=n)
        entries.append(InboxEntry(remote_id=f"r{n}", kind="mention", author=author, text=f"#{n} {payload}",
                                  created_at=T0 + timedelta(minutes=n), url=BAD_URLS[(n + 3) % len(BAD_URLS)]))
    return entries


DOM_CHECK = """() => {
  const bad = [];
  for (const el of document.querySelectorAll("*")) {
    for (const attr of el.getAttributeNames()) {
      if (attr.startsWith("on")) bad.push(`${el.tagName} ${attr}`);
      if (attr.startsWith("hx-on")) bad.push(`${el.tagName} ${attr}`);
    }
  }
  for (const s of document.querySelectorAll("script")) {
    if (!s.src || new URL(s.src).origin !== location.origin) bad.push("script " + (s.src || s.textContent.slice(0, 40)));
  }
  for (const tag of ["iframe", "object", "embed", "svg", "math", "base", "marquee", "video", "img", "style", "meta[http-equiv]"]) {
    for (const el of document.querySelectorAll("main " + tag)) bad.push("element " + tag);
  }
  for (const a of document.querySelectorAll("a[href]")) {
    if (!["http:", "https:"].includes(a.protocol)) bad.push("link " + a.getAttribute("href"));
  }
  for (const f of document.querySelectorAll("form[action]")) {
    if (!["http:", "https:"].includes(new URL(f.action, location.href).protocol)) bad.push("form " + f.action);
  }
  return bad;
}"""


def assert_clean(page, where: str) -> None:
    page.wait_for_timeout(150)  # let onload / autofocus / htmx load triggers fire if anything was injected
    assert page.evaluate("window.__xss") == [], where
    assert page.dialogs == [], where
    assert page.evaluate(DOM_CHECK) == [], where
    assert page.problems == [], (where, page.problems)


def test_xss_corpus_through_sync_runs_no_script_in_the_list_and_conversation_pages(live, browser_page):
    page = browser_page
    assert len(PAYLOADS) >= 30
    sync(live, hostile_entries())
    with live.database.session() as s:
        conversations = list(s.scalars(select(Conversation.id).where(Conversation.client_id == live.client_id)
                                       .order_by(Conversation.id)))
        stored = s.scalar(select(InboxItem.text).where(InboxItem.remote_id == "r0"))
    assert len(conversations) == len(PAYLOADS) and stored == f"#0 {PAYLOADS[0]}"  # kept as sent, escaped when shown

    for url in (f"/clients/{live.client_id}/inbox", "/inbox", "/inbox?tag=spam", f"/clients/{live.client_id}/inbox?status=new"):
        page.goto(url)
        assert_clean(page, url)
    page.goto(f"/clients/{live.client_id}/inbox")
    shown = page.locator("main").inner_text()
    for payload in ("<script>__xssHit(1)</script>", "{{7*7}} {{ config }}", "${7*7} #{7*7} <%= 7*7 %>",
                    "<svg onload=__xssHit(5)>", "\uff1cscript\uff1e"):
        assert payload in shown  # the text itself, as the person wrote it (no template ran over it)
    # Filtering through HTMX swaps the list; the swapped rows are as inert as the first ones.
    page.get_by_label("Status").first.select_option("new")
    page.wait_for_url("**status=new**")
    assert_clean(page, "after an HTMX swap")

    for cid in conversations:
        url = f"/clients/{live.client_id}/inbox/{cid}"
        page.goto(url)
        assert_clean(page, url)
        # A link from the public is clickable only when it is a plain http(s) address.
        hrefs = page.eval_on_selector_all("main a[href]", "els => els.map(e => e.href)")
        assert not [h for h in hrefs if "xssHit" in h or "evil.example" in h], hrefs
    page.goto(f"/clients/{live.client_id}/inbox/{conversations[8]}")  # the one with the https URL breaking out
    text = page.locator("main").inner_text()
    assert "javascript:__xssHit" in text or "https://ok.example/" in text  # shown as text


def test_keyboard_shortcuts_mark_done_assign_tick_and_help_but_not_while_typing(live, browser_page):
    page = browser_page
    sync(live, [InboxEntry(remote_id=f"k{n}", kind="mention", author=Author(remote_id=f"kid{n}", handle=f"k{n}@x.example",
                                                                             display_name=f"Person {n}"),
                           text=f"Keyboard message {n}", created_at=T0 + timedelta(minutes=n)) for n in range(3)])
    with live.database.session() as s:
        ids = {t: cid for t, cid in s.execute(select(InboxItem.text, InboxItem.conversation_id))}
    newest, middle, oldest = ids["Keyboard message 2"], ids["Keyboard message 1"], ids["Keyboard message 0"]

    def status_of(cid):
        with live.database.session() as s:
            return s.get(Conversation, cid).status, s.get(Conversation, cid).assignee_id

    page.goto(f"/clients/{live.client_id}/inbox")
    page.keyboard.press("j")  # the first row (newest activity)
    row = page.locator(f'[data-conv-row][data-id="{newest}"]')
    assert "current" in row.get_attribute("class")
    page.keyboard.press("e")
    from playwright.sync_api import expect

    expect(row.locator("[data-status]")).to_have_text("Done")
    assert status_of(newest) == ("done", None)
    assert "current" in page.locator(f'[data-conv-row][data-id="{newest}"]').get_attribute("class")  # kept
    page.keyboard.press("j")
    page.keyboard.press("x")  # tick the middle one
    page.keyboard.press("j")
    page.keyboard.press("x")  # and the oldest
    assert page.locator("input[name=ids]:checked").count() == 2
    page.keyboard.press("a")
    expect(page.locator(f'[data-conv-row][data-id="{middle}"] td').nth(6)).to_have_text("Olivia Owner")
    assert status_of(middle)[1] == live.owner_id and status_of(oldest)[1] == live.owner_id
    assert status_of(newest)[1] is None  # only the ticked ones

    page.keyboard.press("?")
    expect(page.locator("#inbox-help")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator("#inbox-help")).to_be_hidden()

    page.locator(f'[data-conv-row][data-id="{middle}"] a.conv-link').click()
    page.wait_for_url(f"**/inbox/{middle}")
    page.get_by_label("Add a note (never sent to the network)").fill("")
    page.get_by_label("Add a note (never sent to the network)").type("see you")  # an "e" while typing
    page.wait_for_timeout(300)
    assert status_of(middle)[0] == "new"
    page.locator("h1").click()  # out of the field
    page.keyboard.press("e")
    expect(page.locator(".conv-meta [data-status]")).to_have_text("Done")
    assert status_of(middle)[0] == "done"
    assert page.evaluate("window.__xss") == [] and page.problems == []
