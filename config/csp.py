"""The Content-Security-Policy middleware (django-csp, policy in settings.py)."""

from csp.constants import SELF, UNSAFE_INLINE
from csp.middleware import CSPMiddleware


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """The platform's policy, except that DRF's browsable API pages may use inline
    styles: its templates position buttons with style attributes. Its scripts, like
    every page's, still come only from static files."""

    def get_policy_parts(self, request, response, report_only=False):
        parts = super().get_policy_parts(request, response, report_only)
        renderer = getattr(response, "accepted_renderer", None)
        if not report_only and getattr(renderer, "format", None) == "api":
            parts.replace = {
                **(parts.replace or {}),
                "style-src": [SELF, UNSAFE_INLINE],
            }
        return parts
