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


def member_list_read(upload, district: BusinessImprovementDistrict):
    """Parse the uploaded CSV into member values and the rows' problems."""
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
    report = MemberListReport()
    members = []
    min_lon, min_lat, max_lon, max_lat = KOREA_BOUNDS
    prepared = district.polygon.prepared
    for line, raw in enumerate(reader, start=2):
        report.rows += 1
        if report.rows > MAX_MEMBER_ROWS:
            raise DomainError(
                _("A list holds at most %(rows)s members.") % {"rows": MAX_MEMBER_ROWS},
                fields={"file": [_("Too many rows.")]},
            )
        values = {key: (value or "").strip() for key, value in raw.items() if key}

        def problem(name, message, line=line):
            report.problems.append({"line": line, "field": name, "message": message})

        if not values.get("name"):
            problem("name", _("A name is required."))
        role = roles.get(values.get("role", "").lower())
        if role is None:
            problem(
                "role",
                _("“%(role)s” is not a role; use occupier, landlord or land_owner.")
                % {"role": values.get("role", "")},
            )
        try:
            value = int(values.get("rateable_value_krw", "").replace(",", ""))
            if value < 0:
                raise ValueError
        except ValueError:
            value = None
            problem("rateable_value_krw", _("A whole number of won, zero or more."))
        try:
            lon, lat = float(values.get("lon", "")), float(values.get("lat", ""))
        except ValueError:
            lon = lat = None
            problem("location", _("Longitude and latitude must be numbers."))
        point = None
        if lon is not None:
            point = Point(lon, lat, srid=4326)
            if not (min_lon <= lon <= max_lon and min_lat <= lat <= max_lat):
                problem(
                    "location",
                    _("%(lon)s, %(lat)s lies outside Korea; give EPSG:4326.")
                    % {"lon": lon, "lat": lat},
                )
                point = None
            elif not prepared.covers(point):
                problem("location", _("Outside the district's polygon."))
                point = None
        if values.get("name") and role and value is not None and point is not None:
            members.append(
                BidMember(
                    district=district,
                    name=values["name"][:200],
                    address=values.get("address", "")[:255],
                    role=role,
                    rateable_value_krw=value,
                    location=point,
                )
            )
    if not report.rows:
        raise DomainError(
            _("The list has no rows."), fields={"file": [_("No members.")]}
        )
    return members, report


@transaction.atomic
def bid_members_import(
    *, actor, district: BusinessImprovementDistrict, upload
) -> MemberListReport:
    """Add every member of the list, or none: the report says which rows are wrong."""
    district = BusinessImprovementDistrict.objects.select_for_update().get(
        pk=district.pk
    )
    require_perm(actor, MANAGE, district)
    members_addable_check(district)
    members, report = member_list_read(upload, district)
    if report.ok:
        BidMember.objects.bulk_create(members)
        report.added = len(members)
    return report
