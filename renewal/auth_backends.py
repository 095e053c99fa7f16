"""The one permission backend: django-rules, for active accounts only."""

from rules.permissions import ObjectPermissionBackend


class ActiveUserRulesBackend(ObjectPermissionBackend):
    # django-rules asks no question about the account itself, so a deactivated editor
    # would keep every right in work that re-checks permissions without a session
    # (an import queued before the deactivation, a management command). Anonymous
    # visitors keep what the rules grant them.
    def has_perm(self, user, perm, *args, **kwargs):
        if user.is_authenticated and not user.is_active:
            return False
        return super().has_perm(user, perm, *args, **kwargs)
