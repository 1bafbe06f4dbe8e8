"""The web pages in a real browser: Debian's Chromium driven by Playwright against a live server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from live import free_port, serve

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
PASSWORD = "correct horse battery staple"
SCREENSHOT = "/tmp/socialdesk-client-home.png"
# Reported as a console error by app code listening for CSP violations (init scripts are not subject to CSP).
CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (e) =>
  console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || "inline code"}`));
"""


@pytest.fixture
def live_url(tmp_path) -> Iterator[str]:
    """The real app under uvicorn on a free loopback port, with a fresh SQLite data folder."""
    from socialdesk.config import Settings
    from socialdesk.web.app import create_app

    port = free_port()
    settings = Settings(
        data_dir=tmp_path / "data", secret_key="browser-test-secret-" + "x" * 32, task_backend="immediate",
        auto_migrate=True, base_url=f"http://127.0.0.1:{port}",
    )
    with serve(create_app(settings), port) as url:
        yield url


@pytest.fixture
def page(live_url):
    """A Chromium page that records console errors, page errors and CSP violations."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(base_url=live_url, viewport={"width": 1280, "height": 900})
        context.add_init_script(CSP_LISTENER)
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.problems = []
        page.on("console", lambda msg: msg.type in ("error", "warning") and page.problems.append(f"{msg.type}: {msg.text}"))
        page.on("pageerror", lambda exc: page.problems.append(f"page error: {exc}"))
        yield page
        browser.close()


def test_set_up_create_a_client_add_persona_and_office_hours_then_see_them_on_the_home(page):
    from playwright.sync_api import expect

    page.goto("/")
    assert page.url.endswith("/setup")
    page.get_by_label("Your name").fill("Olivia Owner")
    page.get_by_label("E-mail").fill("olivia@agency.example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create the owner account").click()
    expect(page.get_by_role("heading", name="Clients")).to_be_visible()

    page.get_by_role("button", name="New client").click()
    page.get_by_label("Name", exact=True).fill("Acme Bikes")
    page.get_by_label("Industry").fill("Bicycles")
    page.get_by_label("Time zone").fill("Europe/Paris")
    page.get_by_label("Tone words").fill("warm, witty")
    page.get_by_role("button", name="Create client").click()
    expect(page.get_by_role("heading", name="Acme Bikes")).to_be_visible()
    client_url = page.url

    # Personas: added through HTMX (the panel is swapped, the page is not reloaded).
    page.get_by_role("navigation", name="Acme Bikes").get_by_role("link", name="Personas").click()
    page.evaluate("window.__same_page = true")
    page.get_by_label("Name", exact=True).fill("Weekend Warrior")
    page.get_by_label("Age from").fill("25")
    page.get_by_label("Age to").fill("40")
    page.get_by_label("Instagram").check()
    page.get_by_role("button", name="Add persona").click()
    expect(page.locator("#children-panel article.item h3")).to_have_text("Weekend Warrior")
    assert page.evaluate("window.__same_page === true")
    expect(page.get_by_label("Name", exact=True)).to_have_value("")

    # Office hours: one row to start with, a second one added by app.js.
    page.get_by_role("link", name="Office hours").click()
    rows = page.locator("#slots-editor tbody tr")
    expect(rows).to_have_count(1)
    rows.nth(0).get_by_label("Day").select_option("Monday")
    rows.nth(0).get_by_label("From").fill("09:00")
    rows.nth(0).get_by_label("To").fill("17:30")
    page.get_by_role("button", name="Add a row").click()
    expect(rows).to_have_count(2)
    rows.nth(1).get_by_label("Day").select_option("Tuesday")
    rows.nth(1).get_by_label("From").fill("10:00")
    rows.nth(1).get_by_label("To").fill("16:00")
    page.get_by_role("button", name="Save office hours").click()
    expect(page.get_by_role("status")).to_have_text("Saved.")

    page.goto(client_url)
    main = page.locator("main")
    expect(main.get_by_text("Weekend Warrior")).to_be_visible()
    expect(main.get_by_text("09:00–17:30")).to_be_visible()
    expect(main.get_by_text("10:00–16:00")).to_be_visible()
    expect(main.get_by_role("rowheader", name="Monday")).to_be_visible()
    page.screenshot(path=SCREENSHOT, full_page=True)
    assert page.problems == []
