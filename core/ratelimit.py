"""The API's write limits for the HTML pages, so that a form is no way around them.

Same scopes and rates as the API throttles (`propose`, `support`, `comment`, `report`
and their `_ip` twins in REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]), counted per user
and per client address in fixed windows. The account pages (`signup`,
`password_reset`) have scopes of their own in the same table.
"""

import ipaddress
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.shortcuts import render
from rest_framework.throttling import SimpleRateThrottle


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


def over_limit(scope: str, request, *, ident: str = "") -> bool:
    """Count one attempt against `scope` (per `ident`: by default the signed-in user,
    or the address of an anonymous one) and against `scope`_ip (per address)."""
    address = client_address(request)
    if not ident:
        ident = request.user.pk if request.user.is_authenticated else address
    exceeded = False
    for key_scope, key_ident in ((scope, ident), (f"{scope}_ip", address)):
        rate = SimpleRateThrottle.THROTTLE_RATES.get(key_scope)
        if not rate:
            continue
        allowed, seconds = SimpleRateThrottle.parse_rate(None, rate)
        key = f"page-limit:{key_scope}:{key_ident}"
        cache.add(key, 0, timeout=seconds)
        exceeded |= cache.incr(key) > allowed
    return exceeded


def rate_limited(scope: str, *, ident=None, message=None):
    """Answer 429 with a page that says so once the scope's limit is used up.

    `ident(request)` names what the scope counts instead of the user (an e-mail
    address, say); `message` says on that page which limit was reached.
    """

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.method == "POST" and over_limit(
                scope, request, ident=ident(request) if ident else ""
            ):
                return render(request, "429.html", {"message": message}, status=429)
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
