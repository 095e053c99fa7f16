from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.files import File
from django.core.management.base import BaseCommand, CommandError

from cities.models import Municipality
from core.errors import DomainError
from renewal.models import ImportStatus
from renewal.services.imports import space_import_create, space_import_run


class Command(BaseCommand):
    help = (
        "Import a survey file of vacant spaces (CSV, XLSX, GeoJSON, zipped Shapefile "
        "or GeoPackage) into one city, all or nothing. Rows update spaces with the "
        "same external_id; others are created. CSV and XLSX coordinates are "
        "EPSG:4326 unless --srid says otherwise."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument(
            "--city", required=True, help="administrative code of the municipality"
        )
        parser.add_argument("--srid", type=int, help="EPSG code of the coordinates")
        parser.add_argument(
            "--user",
            help=(
                "import as this user, whose rights are checked; without it the "
                "import is an operator's and is checked against no user"
            ),
        )

    def handle(self, file, city, srid, user, **options):
        municipality = Municipality.objects.filter(code=city).first()
        if municipality is None:
            raise CommandError(f"No municipality with code {city!r}.")
        # Without --user the command is an operator tool: whoever can run it holds
        # the server's database credentials already, so a per-user rule would guard
        # nothing. The import is recorded as the operator's (no actor).
        actor = None
        if user:
            actor = get_user_model().objects.filter(username=user).first()
            if actor is None:
                raise CommandError(f"No user named {user!r}.")
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"No file at {file}.")
        try:
            with path.open("rb") as handle:
                space_import = space_import_create(
                    actor=actor,
                    municipality=municipality,
                    uploaded_file=File(handle, name=path.name),
                    srid=srid,
                    run_in_background=False,
                )
        except DomainError as refused:
            raise CommandError(str(refused.message)) from None
        space_import = space_import_run(space_import=space_import)

        self.stdout.write(
            f"import #{space_import.pk}: {space_import.status}; "
            f"rows {space_import.row_count}, created {space_import.created_count}, "
            f"updated {space_import.updated_count}, "
            f"unchanged {_unchanged(space_import)}, "
            f"rejected {space_import.rejected_count}"
        )
        for entry in space_import.report:
            where = f"line {entry['line']}" if entry["line"] else "file"
            self.stderr.write(f"{where}: {entry['field']}: {entry['message']}")
        if space_import.status != ImportStatus.SUCCEEDED:
            raise CommandError("The import failed; nothing was changed.")


def _unchanged(space_import) -> int:
    if space_import.status != ImportStatus.SUCCEEDED:
        return 0
    return (
        space_import.row_count - space_import.created_count - space_import.updated_count
    )
