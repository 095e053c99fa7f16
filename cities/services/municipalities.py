import csv
import json
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from django.contrib.gis.geos import Point
from django.db import transaction

from cities.demo import ILLUSTRATIVE_SOURCE, illustrative_downtown
from cities.models import (
    Indicator,
    Municipality,
    MunicipalityGroup,
    MunicipalityKind,
    Observation,
)

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
CENSUS_SOURCE = (
    "Statistics Korea population census, via southkorea/southkorea-population and "
    "sigmafelix/tidycensuskr"
)
LOCATION_SOURCE = "approximate city or county hall position (illustrative, about ±1 km)"
DEMO_DOWNTOWN_RADIUS_M = 800

# 2010 counted Korean nationals only, 2015 and 2020 all residents: two indicators so
# that nobody computes a change across the two universes by accident.
CENSUS_INDICATORS = {
    "population_census_koreans": {
        "name_ko": "인구총조사 내국인 인구",
        "name_en": "Census population, Korean nationals",
        "columns": {2010: "census2010_koreans"},
    },
    "population_census_total": {
        "name_ko": "인구총조사 총인구",
        "name_en": "Census population, all residents",
        "columns": {2015: "census2015_total", 2020: "census2020_total"},
    },
}


@dataclass(frozen=True)
class DemoLoadResult:
    municipalities_created: int
    municipalities_updated: int
    observations: int
    groups: int


@transaction.atomic
def demo_municipalities_load(*, data_dir: Path = DATA_DIR) -> DemoLoadResult:
    """Create or update the demo municipalities, their census populations and groups.

    Idempotent: rows are matched on the administrative code, and an illustrative
    downtown is only drawn where the city has none.
    """
    with open(data_dir / "municipalities.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    groups = json.loads((data_dir / "groups.json").read_text(encoding="utf-8"))

    indicators = {
        code: Indicator.objects.update_or_create(
            code=code,
            defaults={
                "name_ko": spec["name_ko"],
                "name_en": spec["name_en"],
                "unit": "persons",
            },
        )[0]
        for code, spec in CENSUS_INDICATORS.items()
    }
    created = updated = observations = 0
    members: dict[str, list[Municipality]] = {group["slug"]: [] for group in groups}
    for row in rows:
        location = Point(float(row["lon"]), float(row["lat"]), srid=4326)
        municipality, was_created = Municipality.objects.update_or_create(
            code=row["code"],
            defaults={
                "former_codes": [row["former_code"]] if row["former_code"] else [],
                "code_source": row["code_source"],
                "kind": row["kind"],
                "province": row["province"],
                "name_ko": row["name_ko"],
                "name_en": row["name_en"],
                "location": location,
                "location_source": LOCATION_SOURCE,
            },
        )
        created += was_created
        updated += not was_created
        # The circle only stands in where there is nothing better: a recorded
        # downtown, or the study cities' 읍면동 rule (cities.demo.downtowns), stays.
        if row["kind"] == MunicipalityKind.CITY and not municipality.downtown:
            municipality.downtown = illustrative_downtown(
                location, DEMO_DOWNTOWN_RADIUS_M
            )
            municipality.downtown_source = f"{ILLUSTRATIVE_SOURCE}; {DEMO_DOWNTOWN_RADIUS_M} m around the city hall"
            municipality.save(
                update_fields=["downtown", "downtown_source", "updated_at"]
            )
        for code, spec in CENSUS_INDICATORS.items():
            for year, column in spec["columns"].items():
                if row[column]:
                    Observation.objects.update_or_create(
                        municipality=municipality,
                        indicator=indicators[code],
                        year=year,
                        defaults={
                            "value": Decimal(row[column]),
                            "source": CENSUS_SOURCE,
                        },
                    )
                    observations += 1
        for slug in filter(None, row["groups"].split(";")):
            members[slug].append(municipality)

    for group in groups:
        instance, _ = MunicipalityGroup.objects.update_or_create(
            slug=group["slug"], defaults={k: v for k, v in group.items() if k != "slug"}
        )
        instance.members.set(members[group["slug"]])
    return DemoLoadResult(created, updated, observations, len(groups))
