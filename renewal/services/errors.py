from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    """A refused change, with a code for machines and a sentence for people."""

    code = "invalid"

    def __init__(self, message, *, fields: dict | None = None) -> None:
        super().__init__(str(message))
        self.message = message
        self.fields = fields or {}


class NotPermitted(DomainError):
    code = "permission_denied"

    def __init__(self, message=None) -> None:
        super().__init__(message or _("You are not allowed to do this."))


class IllegalTransition(DomainError):
    code = "illegal_transition"
