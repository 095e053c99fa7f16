"""Steps shared by the browser tests."""

from tests.factories import PASSWORD
from tests.helpers import HANG_GUARD_SECONDS


def submit(page, form: str = "main form") -> None:
    # The header holds forms of its own (language, sign-out): aim at the page's form.
    page.locator(f"{form} button[type='submit']").last.click()


def sign_in(context, live_server, username: str, next_path: str):
    """Sign in through the sign-in form in a new page of `context`; returns the page
    once it has reached `next_path`."""
    page = context.new_page()
    # As in the `page` fixture: a wait that reaches this has found a hang.
    page.set_default_timeout(HANG_GUARD_SECONDS * 1000)
    page.goto(f"{live_server.url}/en/accounts/login/?next={next_path}")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    submit(page)
    page.wait_for_url(f"{live_server.url}{next_path}")
    return page
