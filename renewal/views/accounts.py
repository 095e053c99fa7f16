import hashlib

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.views import LoginView, PasswordResetView
from django.core.cache import cache
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.debug import sensitive_post_parameters

from core.ratelimit import client_address, rate_limited
from renewal.forms import SignUpForm
from renewal.services.notifications import notification_language_set


@sensitive_post_parameters("password1", "password2")
@rate_limited(
    "signup",
    message=_lazy(
        "Too many accounts have been created from your address. Try again in an hour."
    ),
)
def signup(request):
    if request.user.is_authenticated:
        return redirect("home")
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        notification_language_set(user=user, language=get_language())
        messages.success(request, _("Welcome! Your account has been created."))
        return redirect("home")
    return render(request, "registration/signup.html", {"form": form})


class ThrottledLoginView(LoginView):
    """Django's sign-in page with a limit on attempts per address and per username.

    One password check costs ~150 ms of CPU; without a limit the form is both a
    password-guessing oracle and a cheap way to load the server.
    """

    def post(self, request, *args, **kwargs):
        username = (request.POST.get("username") or "").strip().lower()
        keys = [f"login:ip:{client_address(request)}"]
        if username:
            keys.append(f"login:user:{username}")
        if any(cache.get(key, 0) >= settings.LOGIN_ATTEMPTS_PER_MINUTE for key in keys):
            form = self.get_form()
            form.errors.clear()
            form.add_error(
                None, _("Too many sign-in attempts. Wait a minute and try again.")
            )
            response = self.form_invalid(form)
            response.status_code = 429
            return response
        for key in keys:
            cache.add(key, 0, timeout=60)
            cache.incr(key)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        response = super().form_valid(form)
        # E-mail follows the language the user signs in with.
        notification_language_set(user=form.get_user(), language=get_language())
        return response


def _reset_email(request) -> str:
    # Hashed: the cache key stays short whatever is typed, and holds no address.
    email = (request.POST.get("email") or "").strip().lower()
    return hashlib.sha256(email.encode()).hexdigest()


# Each request sends a mail: limited per e-mail address, so that nobody's inbox can be
# flooded, and per client address, so that many addresses cannot be tried at once.
password_reset = rate_limited(
    "password_reset",
    ident=_reset_email,
    message=_lazy(
        "Too many password reset requests. Check your mailbox for the link we "
        "sent, or try again in an hour."
    ),
)(PasswordResetView.as_view())
