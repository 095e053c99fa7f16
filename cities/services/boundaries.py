"""Official boundaries: the census geography's 시군구 and 읍면동 (KOSTAT SGIS, 2018).

The files ship in cities/data/boundaries/ (TopoJSON, read by GDAL). Loading them:

- every 시군구 becomes a CensusDistrict, so that any point in Korea can be named;
- a district is linked to the municipality of the same province and name (the
  README's rule: SGIS codes are not the 행정표준코드), a city with districts (구)
  to all of its districts, named "<city><district>" in the file;
- each linked municipality gets the union of its districts as its boundary, and
  its SGIS code when it is exactly one district;
- the 읍면동 of linked districts become SubMunicipality rows.

Idempotent: rows are matched on their SGIS codes; a second run changes nothing.
"""

import functools
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

from django.contrib.gis.gdal import DataSource
from django.db import connection, transaction

from cities.models import CensusDistrict, Municipality, SubMunicipality

BOUNDARY_DIR = Path(__file__).resolve().parent.parent / "data" / "boundaries"
DISTRICTS_FILE = "kostat-2018-municipalities.topo.json"
SUBMUNICIPALITIES_FILE = "kostat-2018-submunicipalities.topo.json"
DISTRICT_COUNT = 250

# The first two digits of an SGIS code: its province (시도), as named in 2018.
SGIS_PROVINCES = {
    "11": ("서울특별시", "Seoul"),
    "21": ("부산광역시", "Busan"),
    "22": ("대구광역시", "Daegu"),
    "23": ("인천광역시", "Incheon"),
    "24": ("광주광역시", "Gwangju"),
    "25": ("대전광역시", "Daejeon"),
    "26": ("울산광역시", "Ulsan"),
    "29": ("세종특별자치시", "Sejong"),
    "31": ("경기도", "Gyeonggi-do"),
    "32": ("강원도", "Gangwon-do"),
    "33": ("충청북도", "Chungcheongbuk-do"),
    "34": ("충청남도", "Chungcheongnam-do"),
    "35": ("전라북도", "Jeollabuk-do"),
    "36": ("전라남도", "Jeollanam-do"),
    "37": ("경상북도", "Gyeongsangbuk-do"),
    "38": ("경상남도", "Gyeongsangnam-do"),
    "39": ("제주특별자치도", "Jeju-do"),
}
# The same provinces as the platform's Province values (the short names).
SGIS_PROVINCE_VALUES = {
    "32": "강원",
    "33": "충북",
    "34": "충남",
    "35": "전북",
    "36": "전남",
    "37": "경북",
    "38": "경남",
    "39": "제주",
}


@dataclass(frozen=True)
class BoundaryFeature:
    sgis_code: str
    name_ko: str
    name_en: str
    wkb: bytes


@dataclass(frozen=True)
class BoundaryLoadResult:
    districts: int
    municipalities_matched: int
    municipalities_unmatched: list[str]
    submunicipalities: int


@functools.cache
def boundary_features(filename: str) -> tuple[BoundaryFeature, ...]:
    """The features of one shipped file, read once per process. Polygons stay in
    OGR's WKB (the database makes them multi and valid)."""
    layer = DataSource(str(BOUNDARY_DIR / filename))[0]
    return tuple(
        BoundaryFeature(
            sgis_code=feature["code"].value,
            name_ko=feature["name"].value,
            name_en=feature["name_eng"].value,
            wkb=bytes(feature.geom.wkb),
        )
        for feature in layer
    )


# Some source polygons self-intersect or have degenerate rings (the TopoJSON's
# quantisation): they are repaired in the database on the way in, so that unions
# and ST_Covers hold. A zero buffer changes their area by at most 0.003 % here and
# is ten times faster than ST_MakeValid on these coastlines.
DISTRICTS_UPSERT = """
INSERT INTO cities_censusdistrict
    (sgis_code, name_ko, name_en, province_ko, province_en, boundary)
SELECT code, name_ko, name_en, province_ko, province_en, ST_Multi(CASE WHEN ST_IsValid(g) THEN g
                   ELSE ST_Buffer(g, 0) END)
FROM (
    SELECT code, name_ko, name_en, province_ko, province_en,
           ST_GeomFromWKB(wkb, 4326) AS g
    FROM unnest(%s::text[], %s::text[], %s::text[], %s::text[], %s::text[],
                %s::bytea[])
        AS f(code, name_ko, name_en, province_ko, province_en, wkb)
) f
ON CONFLICT (sgis_code) DO UPDATE SET
    name_ko = EXCLUDED.name_ko, name_en = EXCLUDED.name_en,
    province_ko = EXCLUDED.province_ko, province_en = EXCLUDED.province_en,
    boundary = EXCLUDED.boundary
"""
SUBMUNICIPALITIES_UPSERT = """
INSERT INTO cities_submunicipality
    (sgis_code, admin_code, name_ko, name_en, municipality_id, boundary)
SELECT code, '', name_ko, name_en, municipality_id, ST_Multi(CASE WHEN ST_IsValid(g) THEN g
                   ELSE ST_Buffer(g, 0) END)
FROM (
    SELECT code, name_ko, name_en, municipality_id, ST_GeomFromWKB(wkb, 4326) AS g
    FROM unnest(%s::text[], %s::text[], %s::text[], %s::bigint[], %s::bytea[])
        AS f(code, name_ko, name_en, municipality_id, wkb)
) f
ON CONFLICT (sgis_code) DO UPDATE SET
    name_ko = EXCLUDED.name_ko, name_en = EXCLUDED.name_en,
    municipality_id = EXCLUDED.municipality_id, boundary = EXCLUDED.boundary
"""


def _district_municipality(
    sgis_code: str, name_ko: str, by_name: dict[tuple[str, str], Municipality]
) -> Municipality | None:
    province = SGIS_PROVINCE_VALUES.get(sgis_code[:2])
    if province is None:
        return None
    exact = by_name.get((province, name_ko))
    if exact is not None:
        return exact
    # 청주시상당구 belongs to 청주시: the city's name, then a district's (…구).
    if name_ko.endswith("구") and "시" in name_ko:
        return by_name.get((province, name_ko[: name_ko.index("시") + 1]))
    return None


def _columns(rows: list[tuple]) -> list[list]:
    return [list(column) for column in zip(*rows, strict=True)] if rows else []


@transaction.atomic
def boundaries_load(
    *, municipality_codes: Collection[str] | None = None, refresh: bool = False
) -> BoundaryLoadResult:
    """Load the shipped boundaries and link them to the municipalities.

    Areas already stored are kept unless refresh=True: the files are fixed data,
    so a second run reads no file and only links what is new.
    municipality_codes limits the 시군구 stored to those of these municipalities
    (administrative codes), for tests that need a few cities only.
    """
    municipalities = Municipality.objects.all()
    if municipality_codes is not None:
        municipalities = municipalities.filter(code__in=municipality_codes)
    by_name = {(m.province, m.name_ko): m for m in municipalities}

    stored = dict(CensusDistrict.objects.values_list("sgis_code", "name_ko"))
    if refresh or municipality_codes is not None or len(stored) < DISTRICT_COUNT:
        rows = []
        for feature in boundary_features(DISTRICTS_FILE):
            if municipality_codes is not None and not _district_municipality(
                feature.sgis_code, feature.name_ko, by_name
            ):
                continue
            if refresh or feature.sgis_code not in stored:
                province_ko, province_en = SGIS_PROVINCES[feature.sgis_code[:2]]
                rows.append(
                    (
                        feature.sgis_code,
                        feature.name_ko,
                        feature.name_en,
                        province_ko,
                        province_en,
                        feature.wkb,
                    )
                )
            stored[feature.sgis_code] = feature.name_ko
        if rows:
            with connection.cursor() as cursor:
                cursor.execute(DISTRICTS_UPSERT, _columns(rows))

    linked: dict[str, Municipality] = {}
    for code, name_ko in stored.items():
        municipality = _district_municipality(code, name_ko, by_name)
        if municipality is not None:
            linked[code] = municipality
    previous = dict(
        CensusDistrict.objects.filter(municipality__isnull=False).values_list(
            "sgis_code", "municipality_id"
        )
    )
    considered = {m.pk for m in by_name.values()}
    changed_links = {
        code: municipality.pk
        for code, municipality in linked.items()
        if previous.get(code) != municipality.pk
    }
    # Links follow the municipalities as they are now: one renamed loses its
    # districts (only among the municipalities considered).
    dropped = [
        code
        for code, municipality_id in previous.items()
        if code not in linked and municipality_id in considered
    ]
    for code, municipality_id in changed_links.items():
        CensusDistrict.objects.filter(sgis_code=code).update(
            municipality_id=municipality_id
        )
    CensusDistrict.objects.filter(sgis_code__in=dropped).update(municipality=None)

    district_codes: dict[int, list[str]] = {}
    for code, municipality in linked.items():
        district_codes.setdefault(municipality.pk, []).append(code)
    for municipality in by_name.values():
        codes = district_codes.get(municipality.pk, [])
        sgis_code = codes[0] if len(codes) == 1 else ""
        if municipality.sgis_code != sgis_code:
            municipality.sgis_code = sgis_code
            municipality.save(update_fields=["sgis_code", "updated_at"])

    with_submunicipalities = {
        code[:5] for code in SubMunicipality.objects.values_list("sgis_code", flat=True)
    }
    missing = {
        code
        for code in linked
        if refresh or code in changed_links or code not in with_submunicipalities
    }
    rows = (
        [
            (
                feature.sgis_code,
                feature.name_ko,
                feature.name_en,
                linked[feature.sgis_code[:5]].pk,
                feature.wkb,
            )
            for feature in boundary_features(SUBMUNICIPALITIES_FILE)
            if feature.sgis_code[:5] in missing
        ]
        if missing
        else []
    )
    redraw = {previous[code] for code in dropped} | {
        municipality_id
        for municipality_id in district_codes
        if refresh
        or any(code in changed_links for code in district_codes[municipality_id])
    }
    redraw |= set(
        Municipality.objects.filter(
            pk__in=list(district_codes), boundary__isnull=True
        ).values_list("pk", flat=True)
    )
    with connection.cursor() as cursor:
        if rows:
            cursor.execute(SUBMUNICIPALITIES_UPSERT, _columns(rows))
        if redraw:
            # The union in the database: a city of several districts has shared
            # edges to dissolve. A municipality left without districts keeps no
            # boundary.
            cursor.execute(
                """
                UPDATE cities_municipality m
                SET boundary = (
                        SELECT ST_Multi(ST_Union(d.boundary))
                        FROM cities_censusdistrict d
                        WHERE d.municipality_id = m.id
                    ),
                    updated_at = now()
                WHERE m.id = ANY(%s)
                """,
                [list(redraw)],
            )
    unmatched = sorted(
        m.name_ko for m in by_name.values() if m.pk not in district_codes
    )
    return BoundaryLoadResult(
        districts=len(stored),
        municipalities_matched=len(district_codes),
        municipalities_unmatched=unmatched,
        submunicipalities=SubMunicipality.objects.filter(
            municipality__in=list(district_codes)
        ).count(),
    )
