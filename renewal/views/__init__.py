"""Pages. config/urls.py imports `signup` from here, so it stays re-exported."""

from renewal.views.accounts import ThrottledLoginView, password_reset, signup

__all__ = ["ThrottledLoginView", "password_reset", "signup"]
