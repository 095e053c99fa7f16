import os
import tempfile

import pytest
from playwright.sync_api import sync_playwright

from tests.helpers import HANG_GUARD_SECONDS

# Debian's Chromium: Playwright must not download a browser of its own.
CHROMIUM_PATH = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
# Without these, Chromium keeps trying to reach Google's services on a closed network.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


# Playwright's sync API keeps an event loop running in the test thread, which
# Django's async-safety check takes for an async context around every ORM call
# that follows in this test process.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM_PATH):
        pytest.fail(f"Chromium not found at {CHROMIUM_PATH}: run `make setup`.")
    with tempfile.TemporaryDirectory() as profile, sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM_PATH, headless=True, args=CHROMIUM_ARGS
        )
        yield context
        context.close()


@pytest.fixture
def page(browser):
    page = browser.new_page()
    # Playwright's 30 s default is a speed limit on a busy machine; a wait that
    # reaches this one has found a hang.
    page.set_default_timeout(HANG_GUARD_SECONDS * 1000)
    yield page
    page.close()
