"""Notifications, the preference that says how and in which language a user hears
of them, and the text of each kind.

A notification stores what happened (its kind and parameters: ids, titles,
statuses as codes), not a sentence: the sentence is written when someone reads it,
in the reader's language (the page's for the in-app list and the API, the stored
preference for e-mail). Labels of statuses and categories are looked up at that
moment, so a status added later reads in its own label.
"""

from collections.abc import Callable

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from renewal.models.matching import AgreementKind, MatchStatus
from renewal.models.projects import ProjectCategory, ProjectStatus

LANGUAGE_CHOICES = settings.LANGUAGES


class NotificationKind(models.TextChoices):
    STATUS_CHANGED = "status_changed", gettext_lazy("Project status changed")
    PROGRESS_UPDATE = "progress_update", gettext_lazy("New progress update")
    COMMENT_REPLY = "comment_reply", gettext_lazy("Reply to your comment")
    NEW_PROJECT_NEARBY = (
        "new_project_nearby",
        gettext_lazy("New project in an area you follow"),
    )
    CONTENT_HIDDEN = "content_hidden", gettext_lazy("Your content was hidden")
    # For a city's staff.
    CITY_PROPOSAL = "city_proposal", gettext_lazy("New proposal in your city")
    MATCH_STATUS = "match_status", gettext_lazy("Match status changed")
    AGREEMENT_ENDING = "agreement_ending", gettext_lazy("Use agreement ending")
    IMPORT_FINISHED = "import_finished", gettext_lazy("Import finished")
    CONTENT_REPORTED = "content_reported", gettext_lazy("Content reported")
    OWNERSHIP_CLAIM = "ownership_claim", gettext_lazy("New ownership claim")
    SURVEY_CONFLICT = (
        "survey_conflict",
        gettext_lazy("Survey conflicts with the office"),
    )
    # For a project's proposer and lead organisation.
    MATCH_OFFERED = "match_offered", gettext_lazy("A space offered to your project")
    # For owners.
    CLAIM_DECIDED = "claim_decided", gettext_lazy("Ownership claim decided")
    OWNED_SPACE_MATCH = (
        "owned_space_match",
        gettext_lazy("A project for your space"),
    )


class EmailMode(models.TextChoices):
    IMMEDIATE = "immediate", gettext_lazy("Immediately")
    DAILY_DIGEST = "daily_digest", gettext_lazy("Once a day (digest)")
    OFF = "off", gettext_lazy("No e-mail")


class NotificationPreference(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notification_preference",
    )
    email_mode = models.CharField(
        gettext_lazy("e-mail"),
        max_length=20,
        choices=EmailMode.choices,
        default=EmailMode.IMMEDIATE,
    )
    # The language of the user's e-mail: the one they last signed up, signed in or
    # switched to. Users without a row read the site's default (Korean).
    language = models.CharField(
        gettext_lazy("language"),
        max_length=10,
        choices=LANGUAGE_CHOICES,
        default=settings.LANGUAGE_CODE,
    )

    class Meta:
        verbose_name = gettext_lazy("notification preference")
        verbose_name_plural = gettext_lazy("notification preferences")

    def __str__(self) -> str:
        return f"{self.user_id}: {self.email_mode}, {self.language}"


def _label(choices, value) -> str:
    # A code no longer among the choices still reads as something.
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value)


def _city(params: dict) -> str:
    from cities.models import in_current_language

    return in_current_language(params.get("city_ko", ""), params.get("city_en", ""))


def _status_changed(p: dict) -> str:
    text = _("“%(title)s” is now “%(status)s”.") % {
        "title": p["title"],
        "status": _label(ProjectStatus, p["status"]),
    }
    if p.get("reason"):
        text += " " + _("Reason: %(reason)s") % {"reason": p["reason"]}
    return text


def _progress_update(p: dict) -> str:
    text = _("“%(title)s” is %(percent)d%% complete.") % {
        "title": p["title"],
        "percent": p["percent"],
    }
    if p.get("milestone"):
        text += " " + _("Milestone: %(milestone)s") % {"milestone": p["milestone"]}
    return text


def _comment_reply(p: dict) -> str:
    return _("New reply to your comment on “%(title)s”.") % {"title": p["title"]}


def _new_project_nearby(p: dict) -> str:
    return _("New project in an area you follow: “%(title)s” (%(category)s).") % {
        "title": p["title"],
        "category": _label(ProjectCategory, p["category"]),
    }


def _content_hidden(p: dict) -> str:
    values = {"title": p["title"], "reason": p["reason"]}
    comment, hidden = p["content"] == "comment", p["action"] == "hide"
    if comment and hidden:
        return _("Your comment on “%(title)s” was hidden. Reason: %(reason)s") % values
    if comment:
        return (
            _("Your comment on “%(title)s” is shown again. Reason: %(reason)s") % values
        )
    if hidden:
        return _("Your proposal “%(title)s” was hidden. Reason: %(reason)s") % values
    return _("Your proposal “%(title)s” is shown again. Reason: %(reason)s") % values


def _city_proposal(p: dict) -> str:
    return _("New proposal in %(city)s: “%(title)s” (%(category)s).") % {
        "city": _city(p),
        "title": p["title"],
        "category": _label(ProjectCategory, p["category"]),
    }


def _space(p: dict) -> str:
    if p.get("address"):
        return p["address"]
    return _("space #%(id)s") % {"id": p["space"]}


def _match_status(p: dict) -> str:
    return _("The match of “%(title)s” with %(space)s is now “%(status)s”.") % {
        "title": p["title"],
        "space": _space(p),
        "status": _label(MatchStatus, p["status"]),
    }


def _match_offered(p: dict) -> str:
    return _(
        "The city offers %(space)s to your project “%(title)s”: open the match to "
        "accept or decline it."
    ) % {"title": p["title"], "space": _space(p)}


def _agreement_ending(p: dict) -> str:
    return _(
        "The %(kind)s of “%(title)s” in %(space)s ends on %(date)s: renew it or "
        "plan the exit with the project."
    ) % {
        "kind": _label(AgreementKind, p["kind"]).lower(),
        "title": p["title"],
        "space": _space(p),
        "date": p["end_date"],
    }


def _import_finished(p: dict) -> str:
    values = {
        "file": p["file"],
        "created": p["created"],
        "updated": p["updated"],
        "rejected": p["rejected"],
    }
    if p["status"] == "succeeded":
        return (
            _(
                "The import of “%(file)s” succeeded: %(created)d spaces created, "
                "%(updated)d updated."
            )
            % values
        )
    if p["status"] == "failed":
        return (
            _(
                "The import of “%(file)s” failed and wrote nothing: %(rejected)d "
                "rows refused. See the report."
            )
            % values
        )
    from renewal.models.imports import ImportStatus

    return _("The import of “%(file)s” is “%(status)s”.") % {
        "file": p["file"],
        "status": _label(ImportStatus, p["status"]),
    }


def _content_reported(p: dict) -> str:
    values = {"title": p["title"], "reason": p["reason"]}
    if p["content"] == "comment":
        return _("A comment on “%(title)s” was reported: %(reason)s") % values
    return _("The proposal “%(title)s” was reported: %(reason)s") % values


def _claim_place(p: dict) -> str:
    if p.get("space"):
        return _space(p)
    return p.get("address") or _("a building not yet in the inventory")


def _ownership_claim(p: dict) -> str:
    return _("New ownership claim in %(city)s for %(place)s: verify or reject it.") % {
        "city": _city(p),
        "place": _claim_place(p),
    }


def _claim_decided(p: dict) -> str:
    values = {"place": _claim_place(p), "reason": p.get("reason", "")}
    if p["status"] == "verified":
        text = (
            _(
                "The city verified that you own %(place)s: you can now set how it is "
                "offered."
            )
            % values
        )
        if values["reason"]:
            text += " " + _("Note: %(reason)s") % values
        return text
    if p.get("superseded"):
        return (
            _(
                "Your ownership claim for %(place)s was closed: the city verified "
                "another claim of it."
            )
            % values
        )
    return (
        _("The city rejected your ownership claim for %(place)s. Reason: %(reason)s")
        % values
    )


def _owned_space_match(p: dict) -> str:
    values = {"title": p["title"], "space": _space(p)}
    status = p["status"]
    if status == "offered":
        return (
            _(
                "The city offered your space %(space)s to the project “%(title)s”. You "
                "can decline with a reason."
            )
            % values
        )
    if status == "accepted":
        return _("The project “%(title)s” accepted your space %(space)s.") % values
    if status == "declined":
        return (
            _("The match of your space %(space)s with “%(title)s” was declined.")
            % values
        )
    return _(
        "The match of your space %(space)s with “%(title)s” is now “%(status)s”."
    ) % {
        **values,
        "status": _label(MatchStatus, status),
    }


def _survey_conflict(p: dict) -> str:
    return _(
        "%(surveyor)s surveyed %(space)s in “%(round)s”, but the office changed it "
        "meanwhile: decide which values to keep."
    ) % {"surveyor": p["surveyor"], "space": _space(p), "round": p["round"]}


NOTIFICATION_TEXTS: dict[str, Callable[[dict], str]] = {
    NotificationKind.STATUS_CHANGED: _status_changed,
    NotificationKind.PROGRESS_UPDATE: _progress_update,
    NotificationKind.COMMENT_REPLY: _comment_reply,
    NotificationKind.NEW_PROJECT_NEARBY: _new_project_nearby,
    NotificationKind.CONTENT_HIDDEN: _content_hidden,
    NotificationKind.CITY_PROPOSAL: _city_proposal,
    NotificationKind.MATCH_STATUS: _match_status,
    NotificationKind.MATCH_OFFERED: _match_offered,
    NotificationKind.AGREEMENT_ENDING: _agreement_ending,
    NotificationKind.IMPORT_FINISHED: _import_finished,
    NotificationKind.CONTENT_REPORTED: _content_reported,
    NotificationKind.OWNERSHIP_CLAIM: _ownership_claim,
    NotificationKind.CLAIM_DECIDED: _claim_decided,
    NotificationKind.OWNED_SPACE_MATCH: _owned_space_match,
    NotificationKind.SURVEY_CONFLICT: _survey_conflict,
}

# The e-mail subject of each kind.
NOTIFICATION_SUBJECTS = {
    NotificationKind.STATUS_CHANGED: gettext_lazy(
        "A project you follow changed status"
    ),
    NotificationKind.PROGRESS_UPDATE: gettext_lazy(
        "New progress on a project you follow"
    ),
    NotificationKind.COMMENT_REPLY: gettext_lazy("Someone replied to your comment"),
    NotificationKind.NEW_PROJECT_NEARBY: gettext_lazy(
        "A new project in an area you follow"
    ),
    # Also used when content is shown again: the message says which.
    NotificationKind.CONTENT_HIDDEN: gettext_lazy(
        "A moderator's decision about your content"
    ),
    NotificationKind.CITY_PROPOSAL: gettext_lazy("A new proposal in your city"),
    NotificationKind.MATCH_STATUS: gettext_lazy("A match in your city changed status"),
    NotificationKind.MATCH_OFFERED: gettext_lazy("A space is offered to your project"),
    NotificationKind.AGREEMENT_ENDING: gettext_lazy(
        "A use agreement in your city ends soon"
    ),
    NotificationKind.IMPORT_FINISHED: gettext_lazy("Your survey import finished"),
    NotificationKind.CONTENT_REPORTED: gettext_lazy("Content was reported"),
    NotificationKind.OWNERSHIP_CLAIM: gettext_lazy(
        "An ownership claim waits for your city"
    ),
    NotificationKind.CLAIM_DECIDED: gettext_lazy("Your ownership claim was decided"),
    NotificationKind.OWNED_SPACE_MATCH: gettext_lazy("News about your space"),
    NotificationKind.SURVEY_CONFLICT: gettext_lazy(
        "A survey observation waits for your decision"
    ),
}


class Notification(models.Model):
    """One in-app notification, and the record that its e-mail went out.

    `event_key` names the event (e.g. "status:<transition id>"): unique per user, so
    the same event never notifies anyone twice, however often a task runs.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(
        gettext_lazy("kind"), max_length=30, choices=NotificationKind.choices
    )
    event_key = models.CharField(max_length=100)
    project = models.ForeignKey(
        "renewal.RenewalProject",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    # What the text is written from (titles as they were when it happened).
    params = models.JSONField(gettext_lazy("parameters"), default=dict, blank=True)
    # The Korean-and-English text of a notification from before `params`, kept for
    # the few whose event could not be read again; empty for every other.
    legacy_message = models.TextField(gettext_lazy("earlier message"), blank=True)
    created_at = models.DateTimeField(gettext_lazy("created"), auto_now_add=True)
    read_at = models.DateTimeField(gettext_lazy("read"), null=True, blank=True)
    emailed_at = models.DateTimeField(gettext_lazy("e-mailed"), null=True, blank=True)

    class Meta:
        verbose_name = gettext_lazy("notification")
        verbose_name_plural = gettext_lazy("notifications")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "event_key"], name="notification_once_per_event"
            )
        ]
        indexes = [models.Index(fields=["user", "read_at"])]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.kind} ({self.event_key})"

    def get_absolute_url(self) -> str:
        """The page of what the notification is about, in the active language."""
        p = self.params
        if self.kind == NotificationKind.OWNERSHIP_CLAIM and p.get("city_code"):
            return reverse("renewal:claim-review", args=[p["city_code"]])
        if self.kind == NotificationKind.CLAIM_DECIDED:
            return reverse("renewal:my-spaces")
        if p.get("match"):
            return reverse("renewal:match-detail", args=[p["match"]])
        if self.kind == NotificationKind.SURVEY_CONFLICT and p.get("city_code"):
            return reverse("renewal:survey-conflicts", args=[p["city_code"]])
        if self.kind == NotificationKind.IMPORT_FINISHED and p.get("city_code"):
            return reverse("renewal:space-list", args=[p["city_code"]])
        if self.project_id:
            url = reverse("renewal:project-detail", args=[self.project_id])
            if p.get("comment"):
                url += f"#comment-{p['comment']}"
            return url
        return reverse("renewal:notifications")

    @property
    def message(self) -> str:
        """The text in the active language (wrap in translation.override for
        another one)."""
        if not self.params and self.legacy_message:
            return self.legacy_message
        try:
            return NOTIFICATION_TEXTS[self.kind](self.params)
        except (KeyError, TypeError, ValueError):
            # Parameters of an older shape: the kind's name says at least what.
            return self.legacy_message or str(self.get_kind_display())

    @property
    def subject(self) -> str:
        return str(NOTIFICATION_SUBJECTS.get(self.kind, self.get_kind_display()))
