from django.utils.functional import cached_property

from renewal.selectors.notifications import unread_notification_count


class UnreadNotifications:
    """The header's unread count, counted only if a template shows it: pages that
    do not extend base.html (and every API response) pay nothing."""

    def __init__(self, user):
        self.user = user

    @cached_property
    def count(self) -> int:
        if not self.user.is_authenticated:
            return 0
        return unread_notification_count(user=self.user)


def unread_notifications(request):
    user = getattr(request, "user", None)
    if user is None:
        return {}
    return {"unread_notifications": UnreadNotifications(user)}
