from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from cities.services.boundaries import boundaries_load


class Command(BaseCommand):
    help = _(
        "Load the census boundaries (KOSTAT SGIS 2018) shipped in "
        "cities/data/boundaries/: every 시군구, and the 읍면동 of the platform's "
        "municipalities. Idempotent."
    )

    def handle(self, *args, **options):
        result = boundaries_load()
        self.stdout.write(
            _(
                "Boundaries: %(districts)d 시군구, %(matched)d municipalities with "
                "their boundary, %(submunicipalities)d 읍면동."
            )
            % {
                "districts": result.districts,
                "matched": result.municipalities_matched,
                "submunicipalities": result.submunicipalities,
            }
        )
        if result.municipalities_unmatched:
            self.stdout.write(
                _("Without a boundary (no 시군구 of that province and name): %(names)s")
                % {"names": ", ".join(result.municipalities_unmatched)}
            )
