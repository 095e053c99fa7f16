"""The API's write limits for the HTML pages, so that a form is no way around them.

Same scopes and rates as the API throttles (`propose`, `support`, `comment`, `report`
and their `_ip` twins in REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]), counted per user
and per client address in fixed windows.
"""

from functools import wraps

from django.core.cache import cache
from django.shortcuts import render
from rest_framework.throttling import SimpleRateThrottle


def over_limit(scope: str, request) -> bool:
    address = request.META.get("REMOTE_ADDR", "")
    user = request.user.pk if request.user.is_authenticated else address
    exceeded = False
    for key_scope, ident in ((scope, user), (f"{scope}_ip", address)):
        rate = SimpleRateThrottle.THROTTLE_RATES.get(key_scope)
        if not rate:
            continue
        allowed, seconds = SimpleRateThrottle.parse_rate(None, rate)
        key = f"page-limit:{key_scope}:{ident}"
        cache.add(key, 0, timeout=seconds)
        exceeded |= cache.incr(key) > allowed
    return exceeded


def rate_limited(scope: str):
    """Answer 429 with a page that says so once the scope's limit is used up."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.method == "POST" and over_limit(scope, request):
                return render(request, "429.html", status=429)
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
