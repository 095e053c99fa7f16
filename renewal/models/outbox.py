from django.db import models
from django.utils.translation import gettext_lazy as _


class TaskOutbox(models.Model):
    """A Celery task to send, written in the transaction of the change it follows.

    Committed with the change or not at all; deleted once the broker took the
    message. Rows that stay were sent while the broker was away and go out when it
    returns (renewal/services/background.py).
    """

    task = models.CharField(_("task"), max_length=200)
    args = models.JSONField(_("arguments"), default=list, blank=True)
    kwargs = models.JSONField(_("keyword arguments"), default=dict, blank=True)
    queue = models.CharField(_("queue"), max_length=200, blank=True)
    # Not before this moment (a debounce); sent at once once it has passed.
    not_before = models.DateTimeField(_("not before"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("failed sends"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("task waiting for the broker")
        verbose_name_plural = _("tasks waiting for the broker")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.task}{tuple(self.args)} → {self.queue or 'default'}"
