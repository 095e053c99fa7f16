from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from cities.models import Indicator
from cities.services.indicators import (
    LAYOUTS,
    IndicatorImportRefused,
    indicator_observations_import,
)
from core.errors import DomainError


class Command(BaseCommand):
    help = (
        "Import one indicator's figures from a statistics-portal CSV, all or nothing. "
        "Layout long: one row per region and period (region, period, value columns); "
        "wide: one column per year. Regions by 5-digit code (former codes too) or "
        "Korean or English name. Re-running the same file changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--indicator", required=True, help="indicator code")
        parser.add_argument("--layout", choices=LAYOUTS, default="long")
        parser.add_argument(
            "--source",
            default="",
            help="where the figures come from; defaults to the indicator's source",
        )

    def handle(self, file, indicator, layout, source, **options):
        found = Indicator.objects.filter(code=indicator).first()
        if found is None:
            known = ", ".join(Indicator.objects.values_list("code", flat=True))
            raise CommandError(f"No indicator {indicator!r}. Known: {known or 'none'}.")
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"No file at {file}.")
        try:
            result = indicator_observations_import(
                indicator=found, content=path, layout=layout, source=source
            )
        except IndicatorImportRefused as refused:
            for problem in refused.problems:
                where = f"line {problem['line']}" if problem["line"] else "file"
                self.stderr.write(f"{where} [{problem['field']}]: {problem['message']}")
            raise CommandError(str(refused.message)) from None
        except DomainError as refused:
            raise CommandError(str(refused.message)) from None
        self.stdout.write(
            f"{found.code}: {result.created} created, {result.updated} updated, "
            f"{result.unchanged} unchanged, {result.missing} missing cells skipped."
        )
