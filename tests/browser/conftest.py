"""Playwright driving Debian's chromium against pytest-django's live server.

Playwright never downloads a browser here: tests launch /usr/bin/chromium. Where it is missing, browser tests are
skipped, except when GREENLIGHT_REQUIRE_BROWSER=1 (CI), where that is an error.
"""

import os
from collections import deque
from pathlib import Path
from urllib.parse import urlparse

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]

# Playwright's sync API runs an event loop in this thread; the test's own ORM calls are still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """A failed browser test says what its pages asked and got (a flake's only witness is often the request that
    never left, or an answer that was an error)."""
    report = yield
    if report.failed and call.when == "call":
        for name in ("page", "other"):
            watch = getattr(item.funcargs.get(name), "watch", None)
            if watch is not None:
                report.sections.append((f"{name}: requests and console", watch.report()))
    return report


@pytest.fixture(scope="session")
def chromium():
    if not CHROMIUM.exists():
        if os.environ.get("GREENLIGHT_REQUIRE_BROWSER") == "1":
            pytest.fail("GREENLIGHT_REQUIRE_BROWSER=1 but /usr/bin/chromium is missing (scripts/ensure-chromium).")
        pytest.skip("Debian's chromium is not installed (scripts/ensure-chromium installs it).")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


class PageWatch:
    """What a page did that a user would not see: console errors (CSP violations land there) and requests that
    left the live server."""

    def __init__(self, page, origin):
        self.console_errors = []
        self.foreign_requests = []
        self.exchanges = deque(maxlen=40)  # the last requests and their answers, printed when a test fails
        page.on("console", lambda msg: msg.type == "error" and self.console_errors.append(msg.text))
        page.on("response", lambda resp: self.exchanges.append(f"{resp.request.method} {resp.url} -> {resp.status}"))
        page.on("requestfailed", lambda req: self.exchanges.append(f"{req.method} {req.url} -> {req.failure}"))
        page.on("pageerror", lambda exc: self.console_errors.append(str(exc)))
        page.on(
            "request",
            lambda req: (
                urlparse(req.url).netloc != origin
                and not req.url.startswith(("data:", "blob:"))
                and self.foreign_requests.append(req.url)
            ),
        )

    def report(self):
        return "\n".join([*self.exchanges, *(f"console: {text}" for text in self.console_errors)])

    def assert_clean(self):
        assert self.console_errors == [], self.console_errors
        assert self.foreign_requests == [], self.foreign_requests


@pytest.fixture
def page(chromium, live_server):
    context = chromium.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 800})
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.watch = PageWatch(page, urlparse(live_server.url).netloc)
    yield page
    context.close()


@pytest.fixture
def sign_in(page):
    from tests.factories import PASSWORD

    def _sign_in(user, next_path="/"):
        page.goto(next_path)
        page.get_by_label("E-mail address").fill(user.email)
        page.get_by_label("Password").fill(PASSWORD)
        # The page signing in leads to, with its scripts run: what a test does next is what a person does on a page
        # that has finished loading. (Acting before that is tested where it matters, e.g. test_inbox_tabs.py.)
        with page.expect_navigation(wait_until="load"):
            page.get_by_role("button", name="Sign in").click()
        return page

    return _sign_in


@pytest.fixture
def second_person(chromium, live_server):
    """Someone else at their own browser at the same time as ``page``: ``second_person(user, next_path)`` signs
    ``user`` in, in a context of their own (cookies, session), and returns that page, with its own ``watch``."""
    from tests.factories import PASSWORD

    contexts = []

    def _second_person(user, next_path="/"):
        context = chromium.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 800})
        context.set_default_timeout(10_000)
        contexts.append(context)
        other = context.new_page()
        other.watch = PageWatch(other, urlparse(live_server.url).netloc)
        other.goto(next_path)
        other.get_by_label("E-mail address").fill(user.email)
        other.get_by_label("Password").fill(PASSWORD)
        other.get_by_role("button", name="Sign in").click()
        other.wait_for_load_state("domcontentloaded")
        return other

    yield _second_person
    for context in contexts:
        context.close()
