"""Progress updates: what happened on an approved project and how far along it is."""

from django.db import transaction
from django.utils.translation import gettext as _

from renewal.models import ProgressUpdate, ProjectStatus, RenewalProject
from renewal.models.projects import UPDATABLE_STATUSES
from renewal.services.errors import DomainError, require_perm
from renewal.services.notifications import enqueue_progress_update_notifications

MILESTONE_MAX_LENGTH = ProgressUpdate._meta.get_field("milestone").max_length


@transaction.atomic
def progress_update_post(
    *,
    author,
    project: RenewalProject,
    text: str,
    percent_complete: int,
    milestone: str = "",
) -> ProgressUpdate:
    """Post a progress update as the project's lead organisation or city editor.

    The percentage may go down (a phase re-planned, a setback) only with a milestone
    that names why, so that followers are never shown an unexplained step back.
    """
    require_perm(
        author,
        "renewal.add_progressupdate",
        project,
        message=_(
            "Only the lead organisation or the city's staff post progress updates."
        ),
    )
    # The row lock orders concurrent updates of one project, so that "the latest
    # percentage" below is the one this update follows.
    project = RenewalProject.objects.select_for_update().get(pk=project.pk)
    if project.status not in UPDATABLE_STATUSES:
        raise DomainError(
            _("A project that is “%(status)s” takes no progress updates.")
            % {"status": ProjectStatus(project.status).label}
        )
    text, milestone = (text or "").strip(), (milestone or "").strip()
    if not text:
        raise DomainError(
            _("Say what happened."), fields={"text": [_("This field is required.")]}
        )
    if isinstance(percent_complete, bool) or not isinstance(percent_complete, int):
        raise DomainError(
            _("The percentage is a whole number from 0 to 100."),
            fields={"percent_complete": [_("A whole number from 0 to 100.")]},
        )
    if not 0 <= percent_complete <= 100:
        raise DomainError(
            _("The percentage must lie between 0 and 100."),
            fields={"percent_complete": [_("A whole number from 0 to 100.")]},
        )
    if len(milestone) > MILESTONE_MAX_LENGTH:
        raise DomainError(
            _("The milestone is too long."),
            fields={
                "milestone": [
                    _("At most %(count)d characters.") % {"count": MILESTONE_MAX_LENGTH}
                ]
            },
        )
    previous = (
        ProgressUpdate.objects.filter(project=project)
        .values_list("percent_complete", flat=True)
        .first()
    )
    if previous is not None and percent_complete < previous and not milestone:
        raise DomainError(
            _(
                "Progress goes back from %(previous)d%% to %(current)d%%; "
                "name the milestone that explains it."
            )
            % {"previous": previous, "current": percent_complete},
            fields={"milestone": [_("Required when the percentage goes down.")]},
        )
    update = ProgressUpdate.objects.create(
        project=project,
        author=author,
        text=text,
        percent_complete=percent_complete,
        milestone=milestone,
    )
    enqueue_progress_update_notifications(update.pk)
    return update
