from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from cities.demo.decline import demo_decline_figures_load
from cities.demo.downtowns import demo_downtowns_derive
from cities.demo.indicators import demo_indicators_load
from cities.services import demo_municipalities_load
from cities.services.boundaries import boundaries_load
from renewal.demo.bids import demo_bid_load
from renewal.demo.owners import demo_owners_load
from renewal.demo.projects import demo_projects_load
from renewal.demo.spaces import demo_spaces_generate
from renewal.demo.surveys import demo_survey_load
from renewal.services.tiles import space_tile_grid_refresh


class Command(BaseCommand):
    help = _("Load the demo data set (idempotent: run it as often as you like).")

    def handle(self, *args, **options):
        result = demo_municipalities_load()
        self.stdout.write(
            _(
                "Municipalities: %(created)d created, %(updated)d updated; "
                "%(observations)d census figures; %(groups)d groups."
            )
            % {
                "created": result.municipalities_created,
                "updated": result.municipalities_updated,
                "observations": result.observations,
                "groups": result.groups,
            }
        )
        boundaries = boundaries_load()
        self.stdout.write(
            _(
                "Boundaries: %(districts)d 시군구, %(matched)d municipalities with "
                "their boundary, %(submunicipalities)d 읍면동."
            )
            % {
                "districts": boundaries.districts,
                "matched": boundaries.municipalities_matched,
                "submunicipalities": boundaries.submunicipalities,
            }
        )
        self.stdout.write(
            _("Illustrative downtowns from 읍면동: %(changed)d set.")
            % {"changed": demo_downtowns_derive()}
        )
        self.stdout.write(
            _("Illustrative 읍면동 figures for the decline test: %(created)d created.")
            % {"created": demo_decline_figures_load()}
        )
        indicators = demo_indicators_load()
        self.stdout.write(
            _(
                "Indicators: %(observations)d figures (illustrative where no source); "
                "%(flows)d commuting flows (illustrative)."
            )
            % {"observations": indicators.observations, "flows": indicators.flows}
        )
        spaces = demo_spaces_generate()
        self.stdout.write(
            _("Illustrative vacant spaces: %(created)d created.") % {"created": spaces}
        )
        self.stdout.write(
            _("Illustrative Business Improvement Districts: %(created)d created.")
            % {"created": demo_bid_load()}
        )
        self.stdout.write(
            _("Illustrative renewal projects: %(created)d created.")
            % {"created": demo_projects_load()}
        )
        self.stdout.write(
            _("Illustrative owner with listed spaces: %(created)d spaces listed.")
            % {"created": demo_owners_load()}
        )
        self.stdout.write(
            _("Illustrative field-survey round: %(created)d spaces to survey.")
            % {"created": demo_survey_load()}
        )
        # Zoomed-out map tiles read a grid of counts; build it now rather than at the
        # next scheduled refresh.
        space_tile_grid_refresh()
