"""Notification reads: only one's own exist for anyone."""

from django.db.models import QuerySet

from renewal.models import Notification


def notification_list(*, user) -> QuerySet[Notification]:
    """The user's notifications, newest first. The text is written from each row's
    own parameters, so a page of them costs one query whatever their kinds."""
    return Notification.objects.filter(user=user).order_by("-created_at", "-id")


def unread_notification_count(*, user) -> int:
    # Answered from the (user, read_at) index.
    return Notification.objects.filter(user=user, read_at__isnull=True).count()
