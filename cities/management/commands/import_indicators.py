from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from cities.models import Indicator
from cities.services.indicators import (
    LAYOUTS,
    IndicatorImportRefused,
    indicator_observations_import,
    manufacturing_share_import,
)
from core.errors import DomainError


class Command(BaseCommand):
    help = (
        "Import one indicator's figures from a statistics-portal CSV, all or nothing. "
        "Layout long: one row per region and period (region, period, value columns); "
        "wide: one column per year. Regions by 5-digit code (former codes too) or "
        "Korean or English name. Re-running the same file changes nothing. "
        "--establishment-census reads a 전국사업체조사 table (workers by region and "
        "industry) into the manufacturing employment share instead."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--indicator", help="indicator code")
        parser.add_argument(
            "--establishment-census",
            action="store_true",
            help="the file is a 전국사업체조사 table; computes the manufacturing share",
        )
        parser.add_argument("--layout", choices=LAYOUTS, default="long")
        parser.add_argument(
            "--source",
            default="",
            help="where the figures come from; defaults to the indicator's source",
        )

    def handle(self, file, indicator, layout, source, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"No file at {file}.")
        if options["establishment_census"]:
            self._import(manufacturing_share_import, content=path, source=source)
            return
        if not indicator:
            raise CommandError("Name the indicator with --indicator.")
        found = Indicator.objects.filter(code=indicator).first()
        if found is None:
            known = ", ".join(Indicator.objects.values_list("code", flat=True))
            raise CommandError(f"No indicator {indicator!r}. Known: {known or 'none'}.")
        self._import(
            indicator_observations_import,
            indicator=found,
            content=path,
            layout=layout,
            source=source,
        )

    def _import(self, service, **arguments):
        try:
            result = service(**arguments)
        except IndicatorImportRefused as refused:
            for problem in refused.problems:
                where = f"line {problem['line']}" if problem["line"] else "file"
                self.stderr.write(f"{where} [{problem['field']}]: {problem['message']}")
            raise CommandError(str(refused.message)) from None
        except DomainError as refused:
            raise CommandError(str(refused.message)) from None
        self.stdout.write(
            f"{result.created} created, {result.updated} updated, "
            f"{result.unchanged} unchanged, {result.missing} missing cells skipped."
        )
        if result.skipped_regions:
            self.stdout.write(
                f"{len(result.skipped_regions)} regions are not platform "
                f"municipalities and were skipped."
            )
