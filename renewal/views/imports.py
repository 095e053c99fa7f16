"""The survey import wizard of a city: upload, map the columns and name the
coordinate system, preview, then follow the worker's import to its report."""

import csv

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_POST

from cities.views_support import geojson, municipality_or_404, refusal_shown
from renewal.forms import DomainErrorFormMixin
from renewal.models import ImportStatus, VacantSpace
from renewal.selectors.imports import (
    IMPORT_VIEW_PERMISSION,
    space_import_of_city,
    space_import_waits_for_city,
)
from renewal.services import imports as import_services
from renewal.services.imports import IMPORT_PERMISSION, file_too_large
from renewal.services.imports.reading import (
    COLUMNS,
    COORDINATE_COLUMNS,
    COORDINATE_SYSTEMS,
    DRIVERS,
    ENCODINGS,
)
from renewal.services.imports.wizard import (
    MAPPABLE_COLUMNS,
    REQUIRED_COLUMNS,
    column_label,
    space_import_configure,
    space_import_draft_create,
    space_import_outline,
    space_import_preview,
    space_import_start,
)

# Rows of the report shown on the page; the CSV download has every one.
REPORT_ROWS_SHOWN = 200
# What a report entry's field stands for when it is no platform column.
FILE_PARTS = {
    "geometry": gettext_lazy("coordinates"),
    "file": gettext_lazy("file"),
    "srid": gettext_lazy("coordinate system"),
    "encoding": gettext_lazy("text encoding"),
    "municipality": gettext_lazy("city"),
}


def _field_label(space_import, name: str) -> str:
    """A report entry's field as staff know it: their file's column when they
    mapped one onto it, else the platform's name for it."""
    if name in space_import.column_map:
        return space_import.column_map[name]
    if name in MAPPABLE_COLUMNS:
        return column_label(name)
    return str(FILE_PARTS.get(name, name))


def _labelled(space_import, entries) -> list[dict]:
    return [
        {**entry, "field": _field_label(space_import, entry["field"])}
        for entry in entries
    ]


def _shown_value(key: str, value):
    # Coded values (kind, status, ...) in the reader's language.
    if key in COLUMNS and not key.startswith("owner_") and value:
        choices = VacantSpace._meta.get_field(key).choices
        if choices:
            return dict(choices).get(value, value)
    return "" if value is None else value


class SizeLimitedUploadHandler(FileUploadHandler):
    """Drops an upload's data as soon as it passes the size limit, instead of
    spooling the rest to disk; the view then refuses the file."""

    def receive_data_chunk(self, raw_data, start):
        if start + len(raw_data) > import_services.MAX_FILE_BYTES:
            self.request.upload_too_large = True
            raise SkipFile
        return raw_data

    def file_complete(self, file_size):
        return None


class ImportUploadForm(DomainErrorFormMixin, forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Survey file"),
        help_text=gettext_lazy(
            "CSV, XLSX, GeoJSON, zipped Shapefile (.zip) or GeoPackage."
        ),
        widget=forms.ClearableFileInput(
            attrs={"accept": ",".join(sorted(DRIVERS)), "data-import-file": ""}
        ),
    )
    encoding = forms.ChoiceField(
        label=gettext_lazy("Text encoding of a CSV file"),
        required=False,
        choices=[("", gettext_lazy("Detect it")), *ENCODINGS.items()],
        help_text=gettext_lazy(
            "Korean Excel saves CSV as CP949; “CSV UTF-8” as UTF-8."
        ),
    )


class ColumnMappingForm(DomainErrorFormMixin, forms.Form):
    """One choice of the file's columns per platform column, and the coordinate
    system when the file does not name it."""

    def __init__(self, *args, outline, needs_srid: bool, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", _("— not in the file —"))] + [
            (name, name) for name in outline.columns
        ]
        if needs_srid:
            self.fields["srid"] = forms.TypedChoiceField(
                label=_("Coordinate system of the coordinates"),
                coerce=int,
                choices=[("", _("— choose —"))]
                + [(code, label) for code, label in COORDINATE_SYSTEMS.items()],
                help_text=_(
                    "The file does not say it. Korean surveys are most often in "
                    "GRS80 Central Belt (EPSG:5186) or UTM-K (EPSG:5179)."
                ),
            )
        for key in MAPPABLE_COLUMNS:
            if key in COORDINATE_COLUMNS and not outline.tabular:
                continue
            self.fields[key] = forms.ChoiceField(
                label=column_label(key),
                choices=choices,
                required=False,
                help_text=_("Required") if key in REQUIRED_COLUMNS else "",
            )

    def column_map(self) -> dict[str, str]:
        return {
            key: self.cleaned_data[key]
            for key in MAPPABLE_COLUMNS
            if self.cleaned_data.get(key)
        }


def _city_for_import(request, code: str, *, boundary: bool = False):
    municipality = municipality_or_404(code, boundary=boundary)
    if not request.user.has_perm(IMPORT_VIEW_PERMISSION, municipality):
        raise Http404
    if not request.user.has_perm(IMPORT_PERMISSION, municipality):
        raise PermissionDenied
    return municipality


@login_required
@csrf_exempt
def import_new(request, code: str):
    # The size limit is checked while the file arrives, by an upload handler that
    # must be in place before anything reads the body, the CSRF check included:
    # hence csrf_exempt here and csrf_protect on the view proper.
    request.upload_handlers.insert(0, SizeLimitedUploadHandler(request))
    return _import_new(request, code)


@csrf_protect
def _import_new(request, code: str):
    municipality = _city_for_import(request, code)
    status = 200
    if request.method == "POST":
        form = ImportUploadForm(request.POST, request.FILES)
        if getattr(request, "upload_too_large", False):
            form.add_domain_error(file_too_large())
            status = 413
        elif form.is_valid():
            with refusal_shown(request, form=form):
                space_import = space_import_draft_create(
                    actor=request.user,
                    municipality=municipality,
                    uploaded_file=form.cleaned_data["file"],
                    encoding=form.cleaned_data["encoding"],
                )
                return redirect(
                    "cities:import-detail", code=municipality.code, pk=space_import.pk
                )
            status = 400
        else:
            status = 400
    else:
        form = ImportUploadForm()
    return render(
        request,
        "renewal/import_new.html",
        {
            "municipality": municipality,
            "form": form,
            "max_bytes": import_services.MAX_FILE_BYTES,
            "max_megabytes": import_services.MAX_FILE_BYTES // (1024 * 1024),
        },
        status=status,
    )


@login_required
def import_detail(request, code: str, pk: int):
    """A draft: its mapping and preview (POST saves the mapping). Started: its
    progress, then its report."""
    municipality = municipality_or_404(code, boundary=True)
    space_import = space_import_of_city(
        user=request.user, municipality=municipality, pk=pk
    )
    space_import.municipality = municipality
    if space_import.status != ImportStatus.DRAFT:
        return _import_run_page(request, space_import)
    if not request.user.has_perm(IMPORT_PERMISSION, municipality):
        raise PermissionDenied
    outline = None
    with refusal_shown(request):
        outline = space_import_outline(space_import)
    if outline is None:  # the stored file cannot be read any more
        return redirect("cities:import-new", code=municipality.code)
    needs_srid = outline.srid is None
    status = 200
    saved = True
    if request.method == "POST":
        form = ColumnMappingForm(request.POST, outline=outline, needs_srid=needs_srid)
        if form.is_valid():
            with refusal_shown(request, form=form):
                space_import_configure(
                    actor=request.user,
                    space_import=space_import,
                    column_map=form.column_map(),
                    srid=form.cleaned_data.get("srid"),
                )
                return redirect(
                    "cities:import-detail", code=municipality.code, pk=space_import.pk
                )
        status = 400
        saved = False
    else:
        initial = dict(space_import.column_map)
        if needs_srid and space_import.declared_srid:
            initial["srid"] = space_import.declared_srid
        form = ColumnMappingForm(
            initial=initial, outline=outline, needs_srid=needs_srid
        )
    preview = space_import_preview(space_import) if saved else None
    shown_columns = [
        (key, column_label(key))
        for key in MAPPABLE_COLUMNS
        if key in space_import.column_map and key not in COORDINATE_COLUMNS
    ]
    return render(
        request,
        "renewal/import_draft.html",
        {
            "municipality": municipality,
            "space_import": space_import,
            "form": form,
            "outline_srid_label": (
                COORDINATE_SYSTEMS.get(outline.srid) if outline.srid else ""
            ),
            "encoding_label": ENCODINGS.get(space_import.encoding, ""),
            "preview": preview,
            "preview_rows": [
                (
                    row,
                    [
                        _shown_value(key, row.values.get(key))
                        for key, _label in shown_columns
                    ],
                )
                for row in (preview.rows if preview else [])
            ],
            "preview_problems": _labelled(
                space_import, preview.problems if preview else []
            ),
            "shown_columns": shown_columns,
            "may_start": bool(preview and not preview.failure and preview.rows),
            "map_config": {
                "points": [
                    {
                        "line": row.line,
                        "lon": row.lon,
                        "lat": row.lat,
                        "place": row.place,
                    }
                    for row in (preview.rows if preview else [])
                ],
                "boundary": geojson(municipality.boundary),
                "center": [municipality.location.y, municipality.location.x]
                if municipality.location
                else None,
            },
        },
        status=status,
    )


def _progress(space_import) -> dict:
    return {
        "status": space_import.status,
        "status_label": str(space_import.get_status_display()),
        "progress": space_import.progress,
        "read": space_import.read_count,
        "written": space_import.written_count,
        "rejected": space_import.rejected_count,
        "finished": space_import.status
        in (ImportStatus.SUCCEEDED, ImportStatus.FAILED),
        "waiting": space_import_waits_for_city(space_import),
    }


def _import_run_page(request, space_import):
    return render(
        request,
        "renewal/import_run.html",
        {
            "municipality": space_import.municipality,
            "space_import": space_import,
            "progress": _progress(space_import),
            "report": _labelled(space_import, space_import.report[:REPORT_ROWS_SHOWN]),
            "report_more": max(len(space_import.report) - REPORT_ROWS_SHOWN, 0),
        },
    )


@login_required
@require_POST
def import_start(request, code: str, pk: int):
    municipality = municipality_or_404(code)
    space_import = space_import_of_city(
        user=request.user, municipality=municipality, pk=pk
    )
    with refusal_shown(request):
        space_import_start(actor=request.user, space_import=space_import)
    return redirect("cities:import-detail", code=municipality.code, pk=space_import.pk)


@login_required
@require_GET
def import_progress(request, code: str, pk: int):
    """The import's state as stored, polled by the progress page."""
    municipality = municipality_or_404(code)
    space_import = space_import_of_city(
        user=request.user, municipality=municipality, pk=pk
    )
    return JsonResponse(_progress(space_import))


@login_required
@require_GET
def import_report(request, code: str, pk: int):
    """The import's row-by-row report as CSV (UTF-8 with a BOM, which Excel needs
    to read Korean)."""
    municipality = municipality_or_404(code)
    space_import = space_import_of_city(
        user=request.user, municipality=municipality, pk=pk
    )
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="import-{space_import.pk}-report.csv"'
    )
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow([_("line"), _("column"), _("message")])
    for entry in _labelled(space_import, space_import.report):
        writer.writerow(
            [
                entry["line"] if entry["line"] is not None else "",
                entry["field"],
                entry["message"],
            ]
        )
    if not space_import.report:
        writer.writerow(["", "", _summary(space_import)])
    return response


def _summary(space_import) -> str:
    if space_import.status == ImportStatus.SUCCEEDED:
        return _(
            "Every row was imported: %(created)d created, %(updated)d updated, "
            "%(same)d unchanged."
        ) % {
            "created": space_import.created_count,
            "updated": space_import.updated_count,
            "same": space_import.row_count
            - space_import.created_count
            - space_import.updated_count,
        }
    return str(space_import.get_status_display())
