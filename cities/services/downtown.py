"""A city's downtown (원도심): a set of its 읍면동, or a polygon drawn or imported
(a 도시재생활성화지역 file), always with its source and date.

Check, then do: `downtown_set` asks the rules, `municipality_downtown_set` validates
and writes. The polygon of a set of 읍면동 is their union, computed by the
database. Writing Municipality.downtown fires the database triggers that recompute
every space's in_downtown flag and the city's downtown health counts
(renewal migrations 0008 and 0010), so lists, filters and health follow at once.
"""

import datetime
import tempfile
import zipfile
from collections.abc import Sequence
from pathlib import Path

from django.contrib.gis.gdal import (
    CoordTransform,
    DataSource,
    GDALException,
    SpatialReference,
)
from django.contrib.gis.geos import GEOSException, MultiPolygon
from django.db import connection, transaction
from django.utils.translation import gettext as _

from cities.boundaries import place_outside_message, places_outside
from cities.models import Municipality, SubMunicipality
from core.errors import DomainError, require_perm
from core.geography import KOREA_BOUNDS

DOWNTOWN_PERMISSION = "cities.change_downtown"
AREA_FILE_TYPES = (".geojson", ".json", ".gpkg", ".zip")
MAX_AREA_FILE_BYTES = 20 * 1024 * 1024


def downtown_set(
    *,
    actor,
    municipality: Municipality,
    source: str,
    designated_on: datetime.date | None = None,
    submunicipality_ids: Sequence[int] | None = None,
    area: MultiPolygon | None = None,
) -> Municipality:
    require_perm(actor, DOWNTOWN_PERMISSION, municipality)
    return municipality_downtown_set(
        municipality=municipality,
        source=source,
        designated_on=designated_on,
        submunicipality_ids=submunicipality_ids,
        area=area,
    )


def _check_area(municipality: Municipality, area) -> MultiPolygon:
    if area.geom_type == "Polygon":
        area = MultiPolygon(area, srid=area.srid)
    if area.geom_type != "MultiPolygon" or area.empty:
        raise DomainError(
            _("A downtown is an area: give a polygon."),
            fields={"area": [_("Use a Polygon or a MultiPolygon.")]},
        )
    if area.srid not in (None, 4326):
        raise DomainError(
            _("The area must be in longitude and latitude (EPSG:4326)."),
            fields={"area": [_("Only EPSG:4326 coordinates are accepted.")]},
        )
    area.srid = 4326
    if not area.valid:
        raise DomainError(
            _("The area is not a valid polygon: %(reason)s.")
            % {"reason": area.valid_reason},
            fields={"area": [_("Invalid geometry.")]},
        )
    min_lon, min_lat, max_lon, max_lat = KOREA_BOUNDS
    x0, y0, x1, y1 = area.extent
    if not (min_lon <= x0 and x1 <= max_lon and min_lat <= y0 and y1 <= max_lat):
        raise DomainError(
            _("The area lies outside Korea; check its coordinate system."),
            fields={"area": [_("Outside Korea.")]},
        )
    for outside in places_outside(municipality, [area]):
        raise DomainError(
            place_outside_message(municipality, outside),
            fields={"area": [_("Outside the municipality's boundary.")]},
        )
    return area


@transaction.atomic
def municipality_downtown_set(
    *,
    municipality: Municipality,
    source: str,
    designated_on: datetime.date | None = None,
    submunicipality_ids: Sequence[int] | None = None,
    area: MultiPolygon | None = None,
) -> Municipality:
    """Make the city's downtown the union of these 읍면동 (of the city), or this
    area; either way with where it comes from. Returns the municipality as
    stored."""
    source = (source or "").strip()
    if not source:
        raise DomainError(
            _("Say where the downtown comes from."),
            fields={"source": [_("Required: a plan, a designation, a survey…")]},
        )
    if len(source) > Municipality._meta.get_field("downtown_source").max_length:
        raise DomainError(
            _("The source is too long."),
            fields={"source": [_("At most 255 characters.")]},
        )
    if (submunicipality_ids is None) == (area is None):
        raise DomainError(
            _("Choose the downtown's 읍면동 or give its area, not both."),
            fields={"submunicipalities": [_("Choose at least one 읍면동.")]},
        )
    # One writer at a time per city: two saves racing leave one answer.
    municipality = Municipality.objects.select_for_update().get(pk=municipality.pk)
    if submunicipality_ids is not None:
        wanted = set(submunicipality_ids)
        found = set(
            SubMunicipality.objects.filter(
                municipality=municipality, pk__in=wanted
            ).values_list("pk", flat=True)
        )
        if not wanted or found != wanted:
            raise DomainError(
                _("Choose 읍면동 of %(city)s.") % {"city": municipality.name},
                fields={
                    "submunicipalities": [
                        _("Choose at least one 읍면동 of this city.")
                        if not wanted
                        else _("Not a 읍면동 of this city.")
                    ]
                },
            )
        municipality.downtown_submunicipalities.set(sorted(wanted))
        with connection.cursor() as cursor:
            cursor.execute(
                """
                UPDATE cities_municipality
                SET downtown = (
                        SELECT ST_Multi(ST_Union(boundary))
                        FROM cities_submunicipality WHERE id = ANY(%s)
                    ),
                    downtown_source = %s, downtown_date = %s, updated_at = now()
                WHERE id = %s
                """,
                [sorted(wanted), source, designated_on, municipality.pk],
            )
    else:
        area = _check_area(municipality, area)
        municipality.downtown_submunicipalities.clear()
        municipality.downtown = area
        municipality.downtown_source = source
        municipality.downtown_date = designated_on
        municipality.save(
            update_fields=["downtown", "downtown_source", "downtown_date", "updated_at"]
        )
    municipality.refresh_from_db()
    return municipality


def downtown_area_read(uploaded_file) -> MultiPolygon:
    """The union of the polygons of an uploaded 도시재생활성화지역 file (GeoJSON,
    GeoPackage or a zipped shapefile), in EPSG:4326. Raises DomainError on a file
    that is none of these, has no polygon, or has no coordinate system GDAL can
    read (GeoJSON without one is longitude, latitude by definition)."""
    name = Path(getattr(uploaded_file, "name", "") or "").name.lower()
    suffix = Path(name).suffix
    if suffix not in AREA_FILE_TYPES:
        raise DomainError(
            _("Upload a GeoJSON, a GeoPackage or a zipped shapefile."),
            fields={"file": [_("Accepted: .geojson, .gpkg, .zip (shapefile).")]},
        )
    if uploaded_file.size and uploaded_file.size > MAX_AREA_FILE_BYTES:
        raise DomainError(
            _("The file is too large for an area (at most 20 MB)."),
            fields={"file": [_("Too large.")]},
        )
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / f"area{suffix}"
        with path.open("wb") as handle:
            for chunk in uploaded_file.chunks():
                handle.write(chunk)
        if suffix == ".zip":
            try:
                with zipfile.ZipFile(path) as archive:
                    shapes = [
                        n for n in archive.namelist() if n.lower().endswith(".shp")
                    ]
            except zipfile.BadZipFile:
                shapes = []
            if len(shapes) != 1:
                raise DomainError(
                    _("The zip file must hold exactly one shapefile (.shp)."),
                    fields={"file": [_("One .shp with its .shx, .dbf and .prj.")]},
                )
            location = f"/vsizip/{path}/{shapes[0]}"
        else:
            location = str(path)
        return _area_of(location, geojson=suffix in (".geojson", ".json"))


def _area_of(location: str, *, geojson: bool) -> MultiPolygon:
    unreadable = DomainError(
        _("The file cannot be read as geographic data."),
        fields={"file": [_("Check that the file is complete and of its type.")]},
    )
    try:
        source = DataSource(location)
    except GDALException:
        raise unreadable from None
    if not len(source):
        raise unreadable
    layer = source[0]
    srs = layer.srs
    if srs is None and not geojson:
        raise DomainError(
            _("The file does not say its coordinate system."),
            fields={"file": [_("Include the .prj (shapefile) or the layer's SRS.")]},
        )
    transform = None if srs is None else CoordTransform(srs, SpatialReference(4326))
    polygons = []
    try:
        for feature in layer:
            geometry = feature.geom
            if transform is not None:
                geometry.transform(transform)
            geometry = geometry.geos
            if geometry.geom_type == "Polygon":
                polygons.append(geometry)
            elif geometry.geom_type == "MultiPolygon":
                polygons.extend(geometry)
    except (GDALException, GEOSException):
        raise unreadable from None
    if not polygons:
        raise DomainError(
            _("The file holds no polygon."),
            fields={"file": [_("A downtown area is a polygon.")]},
        )
    union = MultiPolygon(*polygons, srid=4326).unary_union
    if union.geom_type == "Polygon":
        union = MultiPolygon(union, srid=4326)
    union.srid = 4326
    return union
