"""Browser fixtures: the real app on a live server, one headless Chromium, phone-sized pages, axe.

Every browser test runs twice through the `javascript` fixture: once as a modern phone
("js"), once with JavaScript turned off ("nojs"), because every page must work both ways.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from axe_playwright_python.base import AxeResults
from axe_playwright_python.sync_playwright import Axe
from flask import Flask
from playwright.sync_api import Browser, Page, Route, sync_playwright
from werkzeug.serving import make_server

from app.web.security import content_security_policy
from bench.browser import CHROMIUM, CHROMIUM_ARGS, PHONE  # one way to start Chromium here
from tests.support.browser import NARROWEST, assert_no_sideways_scroll, pictures

TIMEOUT_MS = 10_000

# axe-core's tags for WCAG 2.0, 2.1 and 2.2 at levels A and AA.
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]}
AXE = Axe()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run browser tests after all others.

    While Playwright's sync API is running it holds an asyncio loop on the main thread, so
    asyncio.run() in any test after the first browser test would fail.
    """
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


class LiveServer:
    """The app served over real HTTP on a free loopback port, from a background thread."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.errors: list[BaseException] = []
        self._server = make_server("127.0.0.1", 0, self._wsgi, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        # A short poll interval so that shutting down after each test is quick.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def _wsgi(self, environ, start_response):
        """Pass requests to the app, keeping any exception it raises for the test to see."""
        try:
            return self.app(environ, start_response)
        except Exception as error:
            self.errors.append(error)
            raise

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Stop serving and close the listening socket."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


@pytest.fixture
def live_server(app: Flask) -> Iterator[LiveServer]:
    """The test's app (a real SQLite file, the test's `clock`) on http://127.0.0.1:<free port>.

    The server runs in this process, so factories and `clock` act on what the browser sees.
    SERVER_NAME stays unset: url_for builds links from each request's own Host header.
    """
    server = LiveServer(app)
    server.start()
    yield server
    server.stop()
    if server.errors:
        raise AssertionError("the app raised while serving the browser") from server.errors[0]


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One headless Debian Chromium for the whole run; Playwright never downloads one."""
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture(params=[True, False], ids=["js", "nojs"])
def javascript(request: pytest.FixtureRequest) -> bool:
    """Whether the browser runs JavaScript: every journey is taken both ways."""
    return request.param


@pytest.fixture
def open_page(
    browser: Browser, live_server: LiveServer, javascript: bool
) -> Iterator[Callable[[], Page]]:
    """Open a page in a fresh browser (its own cookies) at a phone's viewport.

    One per person in a story: the respondent and the admin do not share a session.
    No bypass_csp: the pages run under the site's real Content-Security-Policy, so a
    policy that broke htmx would fail these tests.
    """
    contexts = []

    def open_() -> Page:
        context = browser.new_context(
            base_url=live_server.url, viewport=PHONE, java_script_enabled=javascript
        )
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield open_
    for context in contexts:
        context.close()


@pytest.fixture
def page(open_page: Callable[[], Page]) -> Page:
    """A phone-sized page, with JavaScript on or off as `javascript` says."""
    return open_page()


@pytest.fixture
def assert_accessible(browser: Browser, javascript: bool) -> Callable[[Page], None]:
    """Check a page as it is now with axe-core for WCAG 2.0-2.2 A and AA; fail with the report.

    axe is injected through the DevTools protocol (page.evaluate), which the page's CSP does
    not govern, so no bypass_csp is needed. With JavaScript off, Chromium runs evaluated code
    but never fires its timers, and axe.run waits on them; so axe checks a copy of the page
    in a JavaScript-enabled browser instead (see _axe_on_snapshot).
    """

    def check(page: Page) -> None:
        if javascript:
            results = AXE.run(page, options=AXE_OPTIONS)
        else:
            results = _axe_on_snapshot(browser, page)
        assert results.violations_count == 0, f"axe on {page.url}\n{results.generate_report()}"

    return check


def _axe_on_snapshot(browser: Browser, page: Page) -> AxeResults:
    """Run axe on the page's current DOM loaded at its own URL, with its scripts blocked.

    The copy gets the same stylesheets and the site's CSP, so colours, sizes and layout
    are what the visitor without JavaScript sees; the site's scripts are refused so they
    cannot change the DOM. It waits for the page's own load first: straight after a click
    the new document can be committed but still empty.
    """
    page.wait_for_load_state()
    html = page.content()

    def serve(route: Route) -> None:
        if route.request.is_navigation_request():
            route.fulfill(
                status=200,
                content_type="text/html; charset=utf-8",
                headers={"Content-Security-Policy": content_security_policy()},
                body=html,
            )
        elif route.request.resource_type == "script":
            route.abort()
        else:
            route.continue_()

    context = browser.new_context(viewport=page.viewport_size)
    try:
        context.set_default_timeout(TIMEOUT_MS)
        context.route("**/*", serve)
        copy = context.new_page()
        copy.goto(page.url)
        return AXE.run(copy, options=AXE_OPTIONS)
    finally:
        context.close()


@pytest.fixture
def look(assert_accessible, javascript) -> Callable[[Page, str], None]:
    """Check the page as it is now at 390 and at 320 pixels wide: axe, and no sideways
    scroll. With BROWSER_SCREENSHOTS set, also save it there at each width, a screen at a
    time, as <name>-<width>-<js|nojs>-<n>.png. (A file may keep a `look` of its own.)"""
    folder = os.environ.get("BROWSER_SCREENSHOTS")

    def check(page: Page, name: str) -> None:
        try:
            for width, size in (("390", PHONE), ("320", NARROWEST)):
                page.set_viewport_size(size)
                assert_accessible(page)
                assert_no_sideways_scroll(page)
                if folder:
                    way = "js" if javascript else "nojs"
                    pictures(page, Path(folder) / f"{name}-{width}-{way}")
        finally:
            page.set_viewport_size(PHONE)

    return check
