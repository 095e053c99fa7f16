"""A district's register from an uploaded list (CSV): every row is checked, and the
members are added only when every row is right (all or nothing), with a report of
each row's problems.

Columns: name, role, rateable_value_krw, lon, lat and optionally address. Roles are
given by code (occupier, landlord, land_owner) or by their Korean or English label.
The file is UTF-8 or CP949 (Excel's default in Korea).
"""

import csv
import io
from dataclasses import dataclass, field

from django.contrib.gis.geos import Point
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from core.errors import DomainError, require_perm
from core.geography import KOREA_BOUNDS
from renewal.models import BidMember, BusinessImprovementDistrict, MemberRole
from renewal.services.bids.districts import MANAGE, members_addable_check

MEMBER_LIST_COLUMNS = ("name", "role", "rateable_value_krw", "lon", "lat", "address")
REQUIRED_COLUMNS = ("name", "role", "rateable_value_krw", "lon", "lat")
MAX_MEMBER_LIST_BYTES = 2 * 1024 * 1024
MAX_MEMBER_ROWS = 5000


@dataclass
class MemberListReport:
    rows: int = 0
    added: int = 0
    problems: list[dict] = field(default_factory=list)  # {"line", "field", "message"}

    @property
    def ok(self) -> bool:
        return not self.problems


def _role_names() -> dict[str, str]:
    names = {code: code for code in MemberRole.values}
    for language in ("ko", "en"):
        with translation.override(language):
            for role in MemberRole:
                names[str(role.label).lower()] = role.value
    names.update({"상인": "occupier", "임대인": "landlord", "토지소유자": "land_owner"})
    return names


def _decode(raw: bytes) -> str:
    for encoding in ("utf-8-sig", "cp949"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise DomainError(
        _("The list is neither UTF-8 nor CP949 text; save it as CSV UTF-8."),
        fields={"file": [_("Unknown text encoding.")]},
    )


def member_list_read(upload) -> tuple[list[tuple[int, dict]], list[dict]]:
    """The uploaded CSV as numbered member rows, and the problems of reading them
    (a missing or malformed value). The rules of a member are checked on adding."""
    if upload.size > MAX_MEMBER_LIST_BYTES:
        raise DomainError(
            _("The list is larger than %(size)s MB.")
            % {"size": MAX_MEMBER_LIST_BYTES // (1024 * 1024)},
            fields={"file": [_("Too large.")]},
        )
    reader = csv.DictReader(io.StringIO(_decode(upload.read())))
    headers = [name.strip().lower() for name in reader.fieldnames or []]
    missing = [name for name in REQUIRED_COLUMNS if name not in headers]
    if missing:
        message = _("The list lacks the columns %(columns)s.") % {
            "columns": ", ".join(missing)
        }
        raise DomainError(message, fields={"file": [message]})
    reader.fieldnames = headers
    roles = _role_names()
    rows, problems = [], []
    for line, raw in enumerate(reader, start=2):
        if len(rows) >= MAX_MEMBER_ROWS:
            raise DomainError(
                _("A list holds at most %(rows)s members.") % {"rows": MAX_MEMBER_ROWS},
                fields={"file": [_("Too many rows.")]},
            )
        values = {key: (value or "").strip() for key, value in raw.items() if key}
        role_text = values.get("role", "")
        row = {
            "name": values.get("name", ""),
            "address": values.get("address", ""),
            "role": roles.get(role_text.lower(), role_text),
        }
        try:
            row["rateable_value_krw"] = int(
                values.get("rateable_value_krw", "").replace(",", "")
            )
        except ValueError:
            row["rateable_value_krw"] = None
        try:
            row["location"] = Point(
                float(values.get("lon", "")), float(values.get("lat", "")), srid=4326
            )
        except ValueError:
            row["location"] = None
            problems.append(
                {
                    "line": line,
                    "field": "location",
                    "message": _("Longitude and latitude must be numbers."),
                }
            )
        rows.append((line, row))
    if not rows:
        raise DomainError(
            _("The list has no rows."), fields={"file": [_("No members.")]}
        )
    return rows, problems


def _row_problems(prepared, line: int, row: dict) -> list[dict]:
    found = []

    def problem(name, message):
        found.append({"line": line, "field": name, "message": message})

    if not row.get("name"):
        problem("name", _("A name is required."))
    if row.get("role") not in MemberRole.values:
        problem(
            "role",
            _("“%(role)s” is not a role; use occupier, landlord or land_owner.")
            % {"role": row.get("role", "")},
        )
    value = row.get("rateable_value_krw")
    if not isinstance(value, int) or value < 0:
        problem("rateable_value_krw", _("A whole number of won, zero or more."))
    point = row.get("location")
    if point is not None:
        min_lon, min_lat, max_lon, max_lat = KOREA_BOUNDS
        if not (min_lon <= point.x <= max_lon and min_lat <= point.y <= max_lat):
            problem(
                "location",
                _("%(lon)s, %(lat)s lies outside Korea; give EPSG:4326.")
                % {"lon": point.x, "lat": point.y},
            )
        elif not prepared.covers(point):
            problem("location", _("Outside the district's polygon."))
    return found


def _members_add(
    district: BusinessImprovementDistrict,
    rows: list[tuple[int, dict]],
    problems: list[dict],
) -> MemberListReport:
    members_addable_check(district)
    prepared = district.polygon.prepared
    report = MemberListReport(rows=len(rows), problems=list(problems))
    for line, row in rows:
        report.problems += _row_problems(prepared, line, row)
    report.problems.sort(key=lambda problem: problem["line"])
    if report.ok:
        BidMember.objects.bulk_create(
            BidMember(
                district=district,
                name=row["name"][:200],
                address=row.get("address", "")[:255],
                role=row["role"],
                rateable_value_krw=row["rateable_value_krw"],
                location=row["location"],
            )
            for _line, row in rows
        )
        report.added = len(rows)
    return report


@transaction.atomic
def bid_members_add(
    *, actor, district: BusinessImprovementDistrict, rows: list[dict]
) -> MemberListReport:
    """Add every member given (name, role, rateable_value_krw, location, address),
    or none: the report numbers the wrong ones from 1."""
    district = BusinessImprovementDistrict.objects.select_for_update().get(
        pk=district.pk
    )
    require_perm(actor, MANAGE, district)
    return _members_add(district, list(enumerate(rows, start=1)), [])


@transaction.atomic
def bid_members_import(
    *, actor, district: BusinessImprovementDistrict, upload
) -> MemberListReport:
    """Add every member of the uploaded list, or none: the report names each wrong
    row by its line in the file."""
    district = BusinessImprovementDistrict.objects.select_for_update().get(
        pk=district.pk
    )
    require_perm(actor, MANAGE, district)
    members_addable_check(district)
    rows, problems = member_list_read(upload)
    return _members_add(district, rows, problems)
