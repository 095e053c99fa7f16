from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from cities.models import FlowPurpose
from cities.services.flows import commuting_matrix_import
from cities.services.indicators import IndicatorImportRefused


class Command(BaseCommand):
    help = (
        "Import the census commuting / school-trip origin–destination table by "
        "시군구 (rows: place of residence, place of work or study, purpose; a column "
        "per census year), all or nothing. Replaces the flows of the file's periods "
        "for the origins it covers; urban zones are delineated from them."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--source", default="")
        parser.add_argument(
            "--purpose",
            choices=FlowPurpose.values,
            default=FlowPurpose.COMMUTE,
            help="for tables without a purpose column",
        )

    def handle(self, file, source, purpose, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"No file at {file}.")
        try:
            result = commuting_matrix_import(
                content=path, source=source, purpose=purpose
            )
        except IndicatorImportRefused as refused:
            for problem in refused.problems:
                where = f"line {problem['line']}" if problem["line"] else "file"
                self.stderr.write(f"{where} [{problem['field']}]: {problem['message']}")
            raise CommandError(str(refused.message)) from None
        self.stdout.write(
            f"{result.flows} flows of {result.origins} origins for "
            f"{', '.join(map(str, result.periods))}; "
            f"{len(result.skipped_regions)} places off the platform summed or skipped."
        )
