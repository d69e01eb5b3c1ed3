"""Playwright fixtures for the browser tests: Debian's Chromium, headless, driven through the
sync API against pytest-django's live_server.

No Chromium → the browser tests are skipped, unless MOS_REQUIRE_BROWSER=1 (CI), where that is
a failure. `python scripts/ensure_browser.py` installs it (as root, with apt)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread; Django's ORM would otherwise refuse
# to be called from the test body ("You cannot call this from an async context").
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = os.environ.get("MOS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
SCREENS = Path(__file__).resolve().parents[2] / "var" / "screens"
PASSWORD = "a-strong-test-password"  # the root conftest's make_user password


def _unavailable(reason: str):
    if os.environ.get("MOS_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason} (MOS_REQUIRE_BROWSER=1)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        _unavailable(f"no Chromium at {CHROMIUM}: run scripts/ensure_browser.py")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed")
    pw = sync_playwright().start()
    try:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    except Exception as e:  # a broken browser install is the same as a missing one
        pw.stop()
        _unavailable(f"Chromium at {CHROMIUM} did not start: {e}")
    yield b
    b.close()
    pw.stop()


@pytest.fixture
def new_page(browser):
    """new_page(width=390, height=844, locale="en") → a Page in a fresh context (phone size
    by default); closed after the test."""
    contexts = []

    def make(width: int = 390, height: int = 844, locale: str = "en"):
        ctx = browser.new_context(viewport={"width": width, "height": height}, locale=locale,
                                  extra_http_headers={"Accept-Language": locale},
                                  device_scale_factor=1)
        ctx.set_default_timeout(20_000)
        contexts.append(ctx)
        return ctx.new_page()

    yield make
    for ctx in contexts:
        ctx.close()


@pytest.fixture
def login(live_server):
    """login(page, user) signs in through the login form like a person would."""

    def do(page, user, password: str = PASSWORD):
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("input[name=username]", user.email)
        page.fill("input[name=password]", password)
        with page.expect_navigation():
            page.click("form button[type=submit]")
        assert "/accounts/login/" not in page.url, "login failed"
        return page

    return do


@pytest.fixture
def screens_dir() -> Path:
    SCREENS.mkdir(parents=True, exist_ok=True)
    return SCREENS
