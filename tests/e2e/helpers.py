"""Steps shared by the browser tests."""

from tests.factories import PASSWORD


def submit(page, form: str = "main form") -> None:
    # The header holds forms of its own (language, sign-out): aim at the page's form.
    page.locator(f"{form} button[type='submit']").last.click()


def sign_in(context, live_server, username: str, next_path: str):
    """Sign in through the sign-in form in a new page of `context`; returns the page
    once it has reached `next_path`."""
    page = context.new_page()
    page.goto(f"{live_server.url}/en/accounts/login/?next={next_path}")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    submit(page)
    page.wait_for_url(f"{live_server.url}{next_path}")
    return page
