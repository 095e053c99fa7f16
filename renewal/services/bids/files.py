"""A district's polygon from an uploaded file: GeoJSON, a zipped Shapefile or a
GeoPackage, read with GDAL through the same guarded opener as the survey imports
(one driver per extension, EPSG-named GeoJSON CRS, accepted Korean systems only).

Decisions: every polygon of the file's first layer is taken, and together they make
the district (a MultiPolygon); points and lines are refused rather than buffered.
"""

import tempfile
from pathlib import Path

from django.contrib.gis.gdal import CoordTransform, GDALException, SpatialReference
from django.contrib.gis.geos import GEOSException, MultiPolygon, Polygon
from django.utils.translation import gettext as _

from core.errors import DomainError
from renewal.services.imports.reading import (
    DRIVERS,
    TABULAR,
    ImportFailed,
    vector_file_open,
)

# A district's boundary is one small file; anything larger is not one.
MAX_POLYGON_FILE_BYTES = 5 * 1024 * 1024
POLYGON_EXTENSIONS = tuple(sorted(set(DRIVERS) - TABULAR))


def _refuse(message) -> DomainError:
    return DomainError(message, fields={"file": [message]})


def district_polygon_read(upload) -> MultiPolygon:
    """The polygons of an uploaded file as one MultiPolygon in EPSG:4326."""
    suffix = Path(upload.name or "").suffix.lower()
    if suffix not in POLYGON_EXTENSIONS:
        raise _refuse(
            _("Upload a polygon as %(formats)s.")
            % {"formats": ", ".join(POLYGON_EXTENSIONS)}
        )
    if upload.size > MAX_POLYGON_FILE_BYTES:
        raise _refuse(
            _("The file is larger than %(size)s MB.")
            % {"size": MAX_POLYGON_FILE_BYTES // (1024 * 1024)}
        )
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"district{suffix}"
        with path.open("wb") as target:
            for chunk in upload.chunks():
                target.write(chunk)
        try:
            _source, layer, srid = vector_file_open(path)
            transform = CoordTransform(SpatialReference(srid), SpatialReference(4326))
            polygons = []
            for feature in layer:
                geometry = feature.geom
                if geometry is None:
                    continue
                geometry.transform(transform)
                geos = geometry.geos
                if isinstance(geos, Polygon):
                    polygons.append(geos)
                elif isinstance(geos, MultiPolygon):
                    polygons.extend(geos)
                else:
                    raise _refuse(
                        _("The file holds a %(kind)s; a district is a polygon.")
                        % {"kind": geos.geom_type}
                    )
        except ImportFailed as failure:
            raise _refuse(failure.message) from None
        except (GDALException, GEOSException):
            raise _refuse(_("The file cannot be read as a polygon.")) from None
    if not polygons:
        raise _refuse(_("The file holds no polygon."))
    return MultiPolygon(*polygons, srid=4326)
