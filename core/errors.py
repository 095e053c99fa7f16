from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    """A refused change, with a code for machines and a sentence for people."""

    code = "invalid"
    status = 400

    def __init__(self, message, *, fields: dict | None = None) -> None:
        super().__init__(str(message))
        self.message = message
        self.fields = fields or {}


class NotPermitted(DomainError):
    code = "permission_denied"
    status = 403

    def __init__(self, message=None) -> None:
        super().__init__(message or _("You are not allowed to do this."))


class IllegalTransition(DomainError):
    code = "illegal_transition"


class TooLarge(DomainError):
    """A request body over the limit of what it carries (a photo, a file)."""

    code = "too_large"
    status = 413


def require_perm(user, perm: str, obj=None, message=None) -> None:
    """Refuse unless the rules (renewal.rules) grant `perm` on `obj` to `user`."""
    if not user.has_perm(perm, obj):
        raise NotPermitted(message)


def check_transition(
    transitions: dict, statuses, current: str, to: str, message: str, *, fields=None
) -> None:
    """Refuse a step that the lifecycle table `transitions` does not allow.

    `message` is the translated refusal with %(current)s and %(target)s, which are
    filled in with the labels of `statuses`, the lifecycle's TextChoices.
    """
    if to not in transitions[current]:
        raise IllegalTransition(
            message
            % {"current": statuses(current).label, "target": statuses(to).label},
            fields=fields,
        )
