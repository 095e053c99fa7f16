"""Turning a row read from a file into a validated Row, collecting every problem."""

import datetime
import decimal
import functools
from dataclasses import dataclass, field

from django.contrib.gis.geos import (
    GEOSGeometry,
    MultiPolygon,
    Point,
    WKBWriter,
)
from django.utils import translation
from django.utils.translation import gettext as _

from core.errors import DomainError
from renewal.models import (
    HIGHEST_GRADE,
    Availability,
    GradingScheme,
    Ownership,
    SpaceKind,
    SpaceStatus,
    VacantSpace,
)
from renewal.services.spaces import (
    vacant_space_check,
    vacant_spaces_boundary_refusals,
)


@functools.cache
def choice_labels(choices) -> dict[str, str]:
    """A coded column's values by their Korean and English names (“빈집”, "Vacant
    house" → "house"), as surveys write them rather than the codes."""
    labels = {}
    for language in ("en", "ko"):
        with translation.override(language):
            for value, label in choices.choices:
                labels.setdefault(str(label).lower(), value)
    return labels


@dataclass
class Row:
    line: int
    data: dict
    owner: dict | None
    status: str


@dataclass
class Problems:
    entries: list = field(default_factory=list)
    # external_id → the line it first appeared on.
    seen: dict = field(default_factory=dict)
    lines_read: int = 0
    # The file's row count as its reader announces it (0: unknown).
    lines_total: int = 0

    def add(self, line: int | None, field_name: str, message) -> None:
        self.entries.append(
            {"line": line, "field": field_name, "message": str(message)}
        )

    @property
    def lines(self) -> set[int]:
        return {e["line"] for e in self.entries if e["line"] is not None}


def point_from_columns(line, raw_x, raw_y, srid, problems) -> Point | None:
    if not raw_x or not raw_y:
        problems.add(line, "geometry", _("The coordinates are missing."))
        return None
    try:
        x, y = float(raw_x), float(raw_y)
    except ValueError:
        problems.add(
            line,
            "geometry",
            _("“%(x)s, %(y)s” are not coordinates.") % {"x": raw_x, "y": raw_y},
        )
        return None
    return Point(x, y, srid=srid)


def parse_row(line, values, columns, geometry, problems) -> Row | None:
    before = len(problems.entries)
    data: dict = {}

    def fail(field_name, message):
        problems.add(line, field_name, message)

    def text(name, *, required=False):
        value = values.get(name, "")
        limit = VacantSpace._meta.get_field(name).max_length
        if required and not value:
            fail(name, _("Required."))
        elif len(value) > limit:
            fail(name, _("At most %(limit)d characters.") % {"limit": limit})
        return value

    def choice(name, choices, default=""):
        value = values.get(name, "")
        if not value:
            return default
        value = choice_labels(choices).get(value.lower(), value)
        if value not in choices.values:
            fail(
                name,
                _("“%(value)s” is not one of: %(choices)s.")
                % {"value": value, "choices": ", ".join(choices.values)},
            )
        return value

    def number(name, *, integer=False, minimum=0, maximum=None, exclusive=False):
        raw = values.get(name, "")
        if not raw:
            return None
        try:
            value = decimal.Decimal(raw.replace(",", ""))
            if not value.is_finite():
                raise decimal.InvalidOperation
        except decimal.InvalidOperation:
            fail(name, _("“%(value)s” is not a number.") % {"value": raw})
            return None
        if integer and value != value.to_integral_value():
            fail(name, _("“%(value)s” is not a whole number.") % {"value": raw})
            return None
        too_low = value <= minimum if exclusive else value < minimum
        if too_low or (maximum is not None and value > maximum):
            fail(
                name,
                _("%(value)s is out of range.") % {"value": raw},
            )
            return None
        return int(value) if integer else value.quantize(decimal.Decimal("0.01"))

    data["external_id"] = text("external_id", required=True)
    kind = values.get("kind", "")
    if not kind:
        fail("kind", _("Required."))
    data["kind"] = choice("kind", SpaceKind)
    if "address" in columns:
        data["address"] = text("address")
    if "floor_area_m2" in columns:
        data["floor_area_m2"] = number(
            "floor_area_m2", maximum=decimal.Decimal("99999999.99"), exclusive=True
        )
    if "land_area_m2" in columns:
        data["land_area_m2"] = number(
            "land_area_m2", maximum=decimal.Decimal("9999999999.99")
        )
    if "year_built" in columns:
        data["year_built"] = number(
            "year_built", integer=True, minimum=1800, maximum=2100
        )
    if "grading_scheme" in columns or "grade" in columns:
        scheme = choice("grading_scheme", GradingScheme)
        grade = number("grade", integer=True, minimum=1, maximum=9)
        if grade is not None and not scheme:
            fail("grading_scheme", _("Required when a grade is given."))
        elif scheme and grade is not None and grade > HIGHEST_GRADE[scheme]:
            fail(
                "grade",
                _("Must be between 1 and %(highest)s.")
                % {"highest": HIGHEST_GRADE[scheme]},
            )
        data["grading_scheme"], data["grade"] = scheme, grade
    if "vacant_since" in columns:
        raw = values.get("vacant_since", "")
        data["vacant_since"] = None
        if raw:
            # GDAL writes dates as 2021/04/01 and Korean offices often 2021.04.01.
            iso = raw.replace("/", "-").replace(".", "-")
            try:
                if len(iso) != 10:
                    raise ValueError
                data["vacant_since"] = datetime.date.fromisoformat(iso)
            except ValueError:
                fail(
                    "vacant_since",
                    _("“%(value)s” is not a date (YYYY-MM-DD).") % {"value": raw},
                )
    if "ownership" in columns:
        data["ownership"] = choice("ownership", Ownership, Ownership.UNKNOWN)
    if "availability" in columns:
        data["availability"] = choice(
            "availability", Availability, Availability.NOT_OFFERED
        )
    if "asking_rent_krw" in columns:
        data["asking_rent_krw"] = number(
            "asking_rent_krw", integer=True, maximum=2_147_483_647
        )
    status = choice("status", SpaceStatus, SpaceStatus.REPORTED)

    owner = None
    if "owner_name" in columns or "owner_contact" in columns:
        owner = {}
        for column, name in (("owner_name", "name"), ("owner_contact", "contact")):
            if column in columns:
                value = values.get(column, "")
                if len(value) > 120:
                    fail(column, _("At most %(limit)d characters.") % {"limit": 120})
                owner[name] = value

    if geometry is not None:
        location, footprint = _place(line, geometry, problems)
        data["location"], data["footprint"] = location, footprint

    if len(problems.entries) != before or geometry is None:
        return None
    return Row(line=line, data=data, owner=owner, status=status)


def _place(line, geometry, problems):
    """A point, or a polygon as footprint with its centroid as location."""
    if geometry.hasz:
        # The columns are 2D; WKBWriter writes 2D by default.
        geometry = GEOSGeometry(WKBWriter().write(geometry), srid=geometry.srid)
    if geometry.geom_type == "MultiPoint" and len(geometry) == 1:
        geometry = geometry[0]
    if geometry.geom_type == "Polygon":
        geometry = MultiPolygon(geometry, srid=geometry.srid)
    if geometry.geom_type not in ("Point", "MultiPolygon"):
        problems.add(
            line,
            "geometry",
            _("A %(type)s cannot locate a space: use a point or a polygon.")
            % {"type": geometry.geom_type},
        )
        return None, None
    if geometry.empty or not geometry.valid:
        problems.add(
            line,
            "geometry",
            _("Invalid geometry: %(reason)s.") % {"reason": geometry.valid_reason},
        )
        return None, None
    if geometry.geom_type == "Point":
        return geometry, None
    return geometry.centroid, geometry


def validate_row(row, municipality, existing, problems) -> VacantSpace:
    # The space services' own rules (inside Korea, grade within its scheme), asked
    # of the row as it would be stored; the boundary is asked of all rows at once
    # (validate_rows_boundary).
    location = row.data["location"]
    candidate = VacantSpace(
        municipality=municipality,
        location=location,
        grading_scheme=row.data.get(
            "grading_scheme", existing.grading_scheme if existing else ""
        ),
        grade=row.data.get("grade", existing.grade if existing else None),
    )
    try:
        vacant_space_check(candidate, boundary=False)
    except DomainError as refused:
        _refusal_add(row, refused, problems)
    return candidate


def _refusal_add(row, refused: DomainError, problems) -> None:
    # A file has no location column: its coordinates are its geometry.
    field_name = next(iter(refused.fields), "geometry")
    if field_name == "location":
        field_name = "geometry"
    problems.add(row.line, field_name, refused.message)


def validate_rows_boundary(rows, candidates, municipality, problems) -> None:
    """Every row whose place lies outside the city, named by where it lies: one
    query for the whole file."""
    # A row refused already (outside Korea, most often) is not named twice.
    refused_lines = problems.lines
    checked = [
        (row, candidate)
        for row, candidate in zip(rows, candidates, strict=True)
        if row.line not in refused_lines
    ]
    refusals = vacant_spaces_boundary_refusals(
        municipality, [candidate for _row, candidate in checked]
    )
    for index, refused in refusals.items():
        _refusal_add(checked[index][0], refused, problems)
