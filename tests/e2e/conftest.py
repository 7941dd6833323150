"""Browser tests: Playwright for Python drives Debian's chromium against the live server.

`make test` installs chromium when it is missing and it runs as root; anywhere else without
/usr/bin/chromium these tests are skipped, with the reason in the summary. Playwright never
downloads a browser of its own here: it launches the system one by path.

The live server serves static files through django.contrib.staticfiles' handler (pytest-django
picks it when staticfiles is installed), straight from the finders: no collectstatic needed.
"""

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread; Django's ORM would otherwise refuse to
# be called from the test functions ("You cannot call this from an async context").
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    # The machine's network is closed: without these chromium keeps dialling Google's services.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
DEFAULT_TIMEOUT_MS = 10_000
HERE = Path(__file__).resolve().parent
SCREENSHOT_DIR = HERE.parents[1] / "var" / "e2e"

SKIP_REASON = (
    f"browser tests need Debian's chromium at {CHROMIUM} (make test installs it when run as root:"
    " apt-get install chromium)"
)


def pytest_collection_modifyitems(config, items):
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.e2e)
            if not CHROMIUM.exists():
                item.add_marker(pytest.mark.skip(reason=SKIP_REASON))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.stash[_CALL_FAILED] = report.failed
    return report


_CALL_FAILED = pytest.StashKey[bool]()


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.skip(SKIP_REASON)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


def _page(browser, request, **context_options) -> Iterator:
    context = browser.new_context(**context_options)
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    page = context.new_page()
    yield page
    if request.node.stash.get(_CALL_FAILED, False):
        # A screenshot of the page as the failing test left it, for the report.
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOT_DIR / f"{request.node.name}.png"
        page.screenshot(path=str(path), full_page=True)
        print(f"screenshot: {path}")
    context.close()


@pytest.fixture
def page(browser, request):
    """A desktop page in a fresh browser context (no cookies shared between tests)."""
    yield from _page(browser, request, viewport=DESKTOP)


@pytest.fixture
def phone_page(browser, request):
    """A phone-sized page (390×844, touch) in a fresh browser context."""
    yield from _page(browser, request, viewport=PHONE, is_mobile=True, has_touch=True)


@pytest.fixture(autouse=True)
def _roles(request):
    """The role groups, for tests that serve pages: live_server tests flush the database after
    each test, which takes the groups created by the roles migration with it."""
    if "live_server" not in request.fixturenames:
        return
    from django.contrib.auth.models import Group, Permission

    from insights.roles import roles_sync

    request.getfixturevalue("transactional_db")
    roles_sync(group_model=Group, permission_model=Permission)


@pytest.fixture
def login(live_server) -> Callable:
    """login(page, username, password): sign in through the login form; returns the page."""

    def sign_in(page, username: str, password: str):
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", password)
        with page.expect_navigation():
            page.locator("form [type=submit]").first.click()
        return page

    return sign_in
