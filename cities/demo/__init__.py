"""Deterministic generator of plausible demo geography.

Everything it makes is illustrative and labelled so (ILLUSTRATIVE_SOURCE): the
same seed always yields the same points, so demo data, tests and benchmarks agree
from one machine to the next. Later inventory generators build on `DemoGenerator`.
"""

import hashlib
import math
import random

from django.contrib.gis.gdal import CoordTransform, SpatialReference
from django.contrib.gis.geos import MultiPolygon, Point

ILLUSTRATIVE_SOURCE = "illustrative: generated demo data, not a survey"
# Korea's national projection (UTM-K) in metres, so radii are true distances.
METRIC_SRID = 5179


class DemoGenerator:
    def __init__(self, seed: str) -> None:
        digest = hashlib.sha256(seed.encode()).hexdigest()
        self.random = random.Random(int(digest[:16], 16))

    def scatter(
        self,
        center: Point,
        count: int,
        *,
        core_radius_m: float,
        outer_radius_m: float,
        core_share: float,
    ) -> list[Point]:
        """Points around center: core_share of them within core_radius_m (a downtown),
        the rest spread out to outer_radius_m, denser towards the centre."""
        origin = center.transform(METRIC_SRID, clone=True)
        # One transform object for all points: building it from SRIDs for each
        # point costs GDAL ~5 ms, most of the demo's loading time.
        to_wgs84 = CoordTransform(SpatialReference(METRIC_SRID), SpatialReference(4326))
        points = []
        for _ in range(count):
            if self.random.random() < core_share:
                radius = core_radius_m * math.sqrt(self.random.random())
            else:
                radius = (
                    core_radius_m
                    + (outer_radius_m - core_radius_m) * self.random.random()
                )
            angle = self.random.uniform(0, 2 * math.pi)
            point = Point(
                origin.x + radius * math.cos(angle),
                origin.y + radius * math.sin(angle),
                srid=METRIC_SRID,
            )
            point.transform(to_wgs84)
            points.append(point)
        return points

    def choice(self, options, weights=None):
        return self.random.choices(options, weights=weights, k=1)[0]

    def lognormal(self, median: float, spread: float) -> float:
        return median * math.exp(self.random.gauss(0, spread))


def illustrative_downtown(center: Point, radius_m: float) -> MultiPolygon:
    """A round stand-in for a downtown polygon where no surveyed one exists."""
    circle = center.transform(METRIC_SRID, clone=True).buffer(radius_m, quadsegs=16)
    circle.transform(4326)
    return MultiPolygon(circle, srid=4326)
