from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class ImportStatus(models.TextChoices):
    # Uploaded through the wizard, being mapped and previewed: no worker takes it.
    DRAFT = "draft", _("Being prepared")
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")


class SpaceImport(models.Model):
    """One survey file of vacant spaces, imported all-or-nothing into one city."""

    municipality = models.ForeignKey(
        "cities.Municipality", on_delete=models.CASCADE, related_name="space_imports"
    )
    file = models.FileField(_("file"), upload_to="imports/")
    original_filename = models.CharField(_("original file name"), max_length=255)
    declared_srid = models.PositiveIntegerField(
        _("declared coordinate system (EPSG)"), null=True, blank=True
    )
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=ImportStatus.choices,
        default=ImportStatus.QUEUED,
    )
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    # How a CSV file's bytes are read: "" = detected when the worker reads it.
    encoding = models.CharField(_("encoding"), max_length=10, blank=True)
    # The wizard's column mapping, {platform column: the file's column}; empty =
    # the file's columns are named as the platform's (the API, the command).
    column_map = models.JSONField(_("column mapping"), default=dict, blank=True)
    # Rows read and written so far, for the live progress of a running import.
    read_count = models.PositiveIntegerField(_("rows read"), default=0)
    written_count = models.PositiveIntegerField(_("rows written"), default=0)
    # Times a worker started it; more than one means a worker died during it.
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    row_count = models.PositiveIntegerField(_("rows"), default=0)
    created_count = models.PositiveIntegerField(_("created"), default=0)
    updated_count = models.PositiveIntegerField(_("updated"), default=0)
    rejected_count = models.PositiveIntegerField(_("rejected"), default=0)
    # [{"line": n | null, "field": "...", "message": "..."}]; line null = whole file.
    report = models.JSONField(_("report"), default=list, blank=True)
    # An operator's command run (manage.py import_spaces without --user): no per-user
    # check. Kept apart from created_by so that deleting a user never turns that
    # user's queued import into an unchecked one.
    by_operator = models.BooleanField(_("operator import"), default=False)
    # The report is written in the uploader's language, not the worker's.
    language = models.CharField(_("language"), max_length=10, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("space import")
        verbose_name_plural = _("space imports")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(progress__gte=0, progress__lte=100),
                name="space_import_progress_percent",
            ),
        ]

    def __str__(self) -> str:
        return f"import #{self.pk} {self.original_filename} ({self.status})"


class ImportColumnMapping(models.Model):
    """The column mapping a city's staff used last, offered again for their next
    survey: {platform column: the survey's column name}."""

    municipality = models.OneToOneField(
        "cities.Municipality",
        on_delete=models.CASCADE,
        related_name="import_column_mapping",
    )
    columns = models.JSONField(_("columns"), default=dict)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("import column mapping")
        verbose_name_plural = _("import column mappings")

    def __str__(self) -> str:
        return f"column mapping of {self.municipality_id}"
