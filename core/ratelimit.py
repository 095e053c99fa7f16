"""The API's write limits for the HTML pages, so that a form is no way around them.

Same scopes and rates as the API throttles (`propose`, `support`, `comment`, `report`
and their `_ip` twins in REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]), counted per user
and per client address in fixed windows that open with the first count (and whose
start is kept, so the page can say when the window ends). The account pages (`signup`, `password_reset`) have scopes of
their own in the same table.

Participation pages count what was accepted, not what was tried (`WriteLimit`): a
submission refused as invalid gives its count back, so a resident who mistyped is
not locked out, and the per-user limit, not the per-address one, is the tight one:
a workshop of forty people on one Wi-Fi shares the address.
"""

import ipaddress
import math
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.shortcuts import render
from django.utils.translation import ngettext
from rest_framework.throttling import SimpleRateThrottle

from core.errors import DomainError


def client_address(request) -> str:
    """The address every per-address limit counts: the connection's peer, or, behind
    TRUSTED_PROXY_COUNT proxies, the address the outermost trusted proxy saw.

    Each proxy appends the address it was connected from to X-Forwarded-For, so with
    N trusted proxies the client is the N-th entry from the right; anything further
    left was written by the client and proves nothing.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    proxies = settings.TRUSTED_PROXY_COUNT
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if not proxies or not forwarded:
        return remote
    hops = [hop.strip() for hop in forwarded.split(",")]
    candidate = hops[-min(proxies, len(hops))]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        # A trusted proxy never writes this; count the proxy rather than the text.
        return remote


def retry_message(seconds: int) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    return ngettext(
        "Try again in %(minutes)d minute.",
        "Try again in %(minutes)d minutes.",
        minutes,
    ) % {"minutes": minutes}


class RateLimited(DomainError):
    code = "throttled"

    def __init__(self, retry_after: int) -> None:
        super().__init__(retry_message(retry_after))
        self.retry_after = retry_after


def _counters(scope: str, request, ident: str) -> list[tuple[str, int, int]]:
    """(cache key, allowed count, window in seconds) of the scope's per-user (or
    per-`ident`) counter and of its per-address twin."""
    address = client_address(request)
    if not ident:
        ident = request.user.pk if request.user.is_authenticated else address
    counters = []
    for key_scope, key_ident in ((scope, ident), (f"{scope}_ip", address)):
        rate = SimpleRateThrottle.THROTTLE_RATES.get(key_scope)
        if rate:
            allowed, seconds = SimpleRateThrottle.parse_rate(None, rate)
            counters.append((f"page-limit:{key_scope}:{key_ident}", allowed, seconds))
    return counters


def _take(counters) -> int:
    """Count one against every counter; 0 if all allow it, else the seconds until
    the last one that refused opens again (and nothing stays counted).

    A window opens with the first count and lasts the rate's period; its start is
    kept next to the count, so that a refusal can say when it ends.
    """
    now = time.time()
    taken, retry_after = [], 0
    for key, allowed, seconds in counters:
        cache.add(f"{key}:start", now, timeout=seconds)
        cache.add(key, 0, timeout=seconds)
        try:
            count = cache.incr(key)
        except ValueError:  # the window ended between the two lines above
            cache.set(key, count := 1, timeout=seconds)
        taken.append(key)
        if count > allowed:
            start = cache.get(f"{key}:start") or now
            retry_after = max(retry_after, max(1, math.ceil(start + seconds - now)))
    if retry_after:
        _give_back(taken)
    return retry_after


def _give_back(keys) -> None:
    for key in keys:
        # A window that ended meanwhile took its counter with it.
        with suppress(ValueError):
            cache.decr(key)


class WriteLimit:
    """One accepted submission of `scope`, counted only if the block completes:

        limit = WriteLimit("comment", request)
        with refusal_shown(request, form=form), limit.counting():
            comment_post(...)

    Over the limit, the block raises `RateLimited` (a DomainError, so it lands on
    the form with the text kept); `refused` and `retry_after` tell the view to
    answer 429. Any exception inside the block gives the count back.
    """

    def __init__(self, scope: str, request, *, ident: str = "") -> None:
        self.scope, self.request, self.ident = scope, request, ident
        self.retry_after = 0

    @property
    def refused(self) -> bool:
        return self.retry_after > 0

    @contextmanager
    def counting(self) -> Iterator[None]:
        counters = _counters(self.scope, self.request, self.ident)
        self.retry_after = _take(counters)
        if self.retry_after:
            raise RateLimited(self.retry_after)
        try:
            yield
        except BaseException:
            _give_back([key for key, _allowed, _left in counters])
            raise


def over_limit(scope: str, request, *, ident: str = "") -> int:
    """Count one attempt against `scope` (per `ident`: by default the signed-in user,
    or the address of an anonymous one) and against `scope`_ip (per address);
    the seconds until the caller may try again if that was one too many, else 0."""
    return _take(_counters(scope, request, ident))


def rate_limited(scope: str, *, ident=None, message=None):
    """Answer 429 with a page that says so, and when to try again, once the scope's
    limit is used up. Every attempt counts: for the account pages, where trying is
    what costs (a password check, a mail sent).

    `ident(request)` names what the scope counts instead of the user (an e-mail
    address, say); `message` says on that page which limit was reached.
    """

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.method == "POST":
                retry_after = over_limit(
                    scope, request, ident=ident(request) if ident else ""
                )
                if retry_after:
                    response = render(
                        request,
                        "429.html",
                        {"message": message, "retry": retry_message(retry_after)},
                        status=429,
                    )
                    response["Retry-After"] = str(retry_after)
                    return response
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
