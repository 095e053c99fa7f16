"""Rebuild the low-zoom grid of the spaces vector tiles (docs/gis.md).

Idempotent: run it after an import, or on a schedule; tiles at zoom <= 10 show
the grid as of the last run.
"""

import time

from django.core.management.base import BaseCommand

from renewal.selectors.tiles import GRID_LEVELS
from renewal.services.tiles import space_tile_grid_refresh


class Command(BaseCommand):
    help = "Rebuild the per-cell counts that serve low-zoom spaces tiles."

    def handle(self, *args, **options):
        started = time.perf_counter()
        rows = space_tile_grid_refresh()
        elapsed = time.perf_counter() - started
        for level, size, max_zoom in GRID_LEVELS:
            self.stdout.write(
                f"level {level}: {size / 1000:g} km cells for zoom <= {max_zoom}: "
                f"{rows[level]:,} rows"
            )
        self.stdout.write(self.style.SUCCESS(f"Grid refreshed in {elapsed:.1f} s."))
