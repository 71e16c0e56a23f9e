"""Browser tests: Playwright driving Debian's Chromium against pytest-django's
live server. Any console error (a CSP violation included) fails the test."""

import os
import re
import time

import pytest
from playwright.sync_api import expect

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests
# make to set up and check data are still plain synchronous calls.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM):
        pytest.fail("Chromium is missing: run scripts/system-deps.sh (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server, transactional_db):
    context = browser.new_context(
        viewport={"width": 1280, "height": 800}, locale="en-US", base_url=live_server.url
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    problems = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    yield page
    context.close()
    requests_finished()
    assert not problems, problems


def requests_finished(timeout: float = 15) -> None:
    """Wait until the requests still in flight when the browser closed (presence
    pings, a draft beacon) are done with the database, before the test flushes
    it: PostgreSQL's TRUNCATE can deadlock with a statement that holds one
    table and waits for another, and SQLite refuses to flush a busy table."""
    from django.db import connection

    time.sleep(0.3)
    if connection.vendor != "postgresql":
        return
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND pid <> pg_backend_pid() AND state IN ('active', 'idle in transaction')"
            )
            if cursor.fetchone()[0] == 0:
                return
            time.sleep(0.05)


def sign_in_on(page, user, password=None):
    """Sign `user` in on `page` (any page: the shared one, or a test's own
    context with the CSP bypassed or its console watched)."""
    from tests.factories import PASSWORD

    # A fresh session: leave the last page first, so none of its requests
    # still in flight (a poll) sets a new CSRF cookie after the sign-in
    # form was drawn with the one before (a 403 in one run of ten).
    page.goto("about:blank")
    page.context.clear_cookies()
    page.goto("/accounts/login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", password or PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")
    page.wait_for_load_state("load")


@pytest.fixture
def sign_in(page):
    def sign_in(user, password=None):
        sign_in_on(page, user, password)

    return sign_in


@pytest.fixture
def admin_page(page, sign_in, super_admin):
    """A super admin in the settings. Chromium still asks admin pages for
    /favicon.ico and would log its 404 as a console error."""
    page.route("**/favicon.ico", lambda route: route.fulfill(status=204))
    sign_in(super_admin)
    return page


def wait_for_url(page, pattern: str):
    page.wait_for_url(re.compile(pattern))


def htmx_settled(page):
    """Wait until htmx has no request in flight and has settled its last swap.
    htmx binds new content while swapping it in, so a dialog acted on before
    this may ignore the click or typing; every test that opens one waits here."""
    page.wait_for_function(
        "() => window.htmx && !document.querySelector("
        "'.htmx-request, .htmx-swapping, .htmx-settling, .htmx-added')"
    )


def poll_until_visible(page, locator, interval_ms: int, polls: int = 6):
    """Move the page's (installed) clock one poll interval at a time until
    `locator` shows: a poll whose answer is still on its way when the next
    is due skips that turn, so on a busy machine one interval may not do."""
    for _ in range(polls - 1):
        page.clock.run_for(interval_ms)
        try:
            expect(locator).to_be_visible(timeout=3_000)
            return
        except AssertionError:
            continue
    page.clock.run_for(interval_ms)
    expect(locator).to_be_visible()
