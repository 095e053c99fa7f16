from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RenewalConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "renewal"
    verbose_name = _("Village renewal")

    def ready(self):
        from renewal import rules  # noqa: F401  registers the permissions
