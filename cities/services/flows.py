"""Commuting and school-trip flows from the census origin–destination table.

The census (인구주택총조사, 통근·통학 인구) publishes one row per place of residence,
place of work or study and purpose, with a column per census year, e.g.

    행정구역별(현거주지),통근·통학지별,통근·통학별,2020 년
    영주시,계,통근,41200
    영주시,현거주 시군구 내,통근,33000
    영주시,봉화군,통근,1500

Rows for destinations the platform does not hold are summed into one "elsewhere"
flow per origin (an empty destination), and so is whatever the "계" (total) row
counts beyond the listed destinations: both belong in the denominator of a share
of commuters. Origins the platform does not hold are skipped. Like the indicator
imports, the whole file is validated before anything is written; a period is
replaced as a whole for every origin in the file, so a second run changes nothing.
"""

import csv
import io
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction
from django.utils.translation import gettext as _

from cities.models import FlowPurpose, MunicipalFlow, Municipality
from cities.services.indicators import (
    MISSING,
    PERIOD_HEADERS,
    VALUE_HEADERS,
    YEAR_COLUMN,
    IndicatorImportRefused,
    MunicipalityResolver,
    csv_text_decode,
    find_column,
)
from core.errors import NotPermitted

CENSUS_FLOW_SOURCE = "통계청 인구주택총조사, 통근·통학 인구 (시군구)"
ORIGIN_HEADER = re.compile(r"(현거주지|거주지|출발지|origin|residence)", re.IGNORECASE)
DESTINATION_HEADER = re.compile(
    r"(통근.?통학지|통근지|통학지|목적지|destination)", re.IGNORECASE
)
PURPOSE_HEADER = re.compile(
    r"(통근.?통학별|통근.?통학구분|구분|purpose|목적별)", re.IGNORECASE
)
TOTAL = {"계", "합계", "전체", "총계", "total"}
SAME_PLACE = {
    "현거주시군구내",
    "현거주지시군구내",
    "같은시군구",
    "동일시군구",
    "관내",
    "자기시군구",
    "samemunicipality",
}
PURPOSES = {
    "통근": FlowPurpose.COMMUTE,
    "commute": FlowPurpose.COMMUTE,
    "commuting": FlowPurpose.COMMUTE,
    "통학": FlowPurpose.SCHOOL,
    "school": FlowPurpose.SCHOOL,
}


@dataclass
class FlowImportResult:
    flows: int = 0
    origins: int = 0
    periods: list[int] = field(default_factory=list)
    skipped_regions: set[str] = field(default_factory=set)


def _key(text: str) -> str:
    return "".join(text.split()).replace("·", "").lower()


def _count(raw: str) -> int | None:
    cleaned = raw.strip().replace(",", "")
    return int(cleaned) if cleaned.isdigit() else None


def commuting_matrix_import(
    *,
    content: bytes | str | Path,
    source: str = "",
    purpose: str = FlowPurpose.COMMUTE,
    actor=None,
) -> FlowImportResult:
    """Validate the whole census table, then replace the flows of its periods for
    the origins it covers. `purpose` applies when the table has no purpose column."""
    if actor is not None and not actor.has_perm("cities.add_observation"):
        raise NotPermitted()
    if isinstance(content, Path):
        content = content.read_bytes()
    text = csv_text_decode(content) if isinstance(content, bytes) else content
    problems: list[dict] = []

    def problem(line, field_name, message):
        problems.append({"line": line, "field": field_name, "message": str(message)})

    def refuse():
        raise IndicatorImportRefused(
            _("The file was refused: %(count)d problem(s); nothing was imported.")
            % {"count": len(problems)},
            problems=problems,
        )

    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    headers = [h.strip().lstrip("\ufeff") for h in next(reader, [])]

    def column(pattern):
        return next((i for i, h in enumerate(headers) if pattern.search(h)), None)

    origin_column = column(ORIGIN_HEADER)
    destination_column = column(DESTINATION_HEADER)
    purpose_column = column(PURPOSE_HEADER)
    if purpose_column in (origin_column, destination_column):
        purpose_column = None
    if origin_column is None or destination_column is None:
        problem(
            None,
            "file",
            _(
                "The table needs a place-of-residence column (e.g. 행정구역별(현거주지)) "
                "and a place-of-work-or-study column (e.g. 통근·통학지별)."
            ),
        )
        refuse()
    years = {
        index: int(match.group(1))
        for index, header in enumerate(headers)
        if (match := YEAR_COLUMN.match(header))
    }
    period_column = find_column(headers, PERIOD_HEADERS)
    value_column = find_column(headers, VALUE_HEADERS)
    if not years and (period_column is None or value_column is None):
        problem(
            None,
            "file",
            _("No census year column (e.g. “2020 년”) or period and value columns."),
        )
        refuse()

    resolver = MunicipalityResolver()
    result = FlowImportResult()
    # (origin id, year, purpose) → {destination id or None: persons}, and the 계 row.
    flows: dict[tuple, dict] = defaultdict(lambda: defaultdict(int))
    totals: dict[tuple, tuple[int, int]] = {}

    def resolve(name: str) -> Municipality | None:
        municipality, error = resolver.resolve(name)
        if (
            municipality is None
            and len(resolver.by_name.get(name.split(" ")[-1], [])) > 1
        ):
            problem(line, "region", error)
        return municipality

    for line, cells in enumerate(reader, start=1):
        if not any(cell.strip() for cell in cells):
            continue
        cells = cells + [""] * (len(headers) - len(cells))
        origin_name = " ".join(cells[origin_column].split())
        destination_name = " ".join(cells[destination_column].split())
        if _key(origin_name) in TOTAL:
            continue
        if purpose_column is None:
            row_purpose = purpose
        else:
            label = _key(cells[purpose_column])
            if label in TOTAL:
                continue  # commuting and school together: we keep them apart
            row_purpose = PURPOSES.get(label)
            if row_purpose is None:
                problem(
                    line,
                    "purpose",
                    _("“%(value)s” is neither 통근 (work) nor 통학 (school).")
                    % {"value": cells[purpose_column]},
                )
                continue
        origin = resolve(origin_name)
        if origin is None:
            result.skipped_regions.add(origin_name)
            continue
        destination_key = _key(destination_name)
        if destination_key in TOTAL:
            destination: Municipality | None | str = "total"
        elif destination_key in SAME_PLACE:
            destination = origin
        else:
            destination = resolve(destination_name)
            if destination is None:
                result.skipped_regions.add(destination_name)
        if years:
            cells_by_year = [(year, cells[index]) for index, year in years.items()]
        else:
            period = YEAR_COLUMN.match(cells[period_column].strip().split(".")[0])
            if not period:
                problem(
                    line,
                    "period",
                    _("“%(period)s” is not a year.") % {"period": cells[period_column]},
                )
                continue
            cells_by_year = [(int(period.group(1)), cells[value_column])]
        for year, raw in cells_by_year:
            if raw.strip() in MISSING:
                continue
            persons = _count(raw)
            if persons is None or not 1900 <= year <= 2100:
                problem(
                    line,
                    "value",
                    _("“%(value)s” is not a number of persons.") % {"value": raw},
                )
                continue
            key = (origin.pk, year, row_purpose)
            if destination == "total":
                totals[key] = (line, persons)
            else:
                target = destination.pk if destination is not None else None
                flows[key][target] += persons

    for key, (line, total) in totals.items():
        listed = sum(flows[key].values())
        if listed > total:
            problem(
                line,
                "value",
                _(
                    "The total (계) of %(total)s is smaller than the %(listed)s persons "
                    "listed by destination."
                )
                % {"total": total, "listed": listed},
            )
        elif total > listed:
            flows[key][None] += total - listed
    if problems:
        refuse()
    if not flows:
        problem(None, "file", _("The file holds no flows of platform municipalities."))
        refuse()

    source = source.strip() or CENSUS_FLOW_SOURCE
    rows = [
        MunicipalFlow(
            origin_id=origin_id,
            destination_id=destination_id,
            year=year,
            purpose=flow_purpose,
            count=persons,
            source=source,
        )
        for (origin_id, year, flow_purpose), by_destination in flows.items()
        for destination_id, persons in by_destination.items()
        if persons
    ]
    with transaction.atomic():
        for origin_id, year, flow_purpose in flows:
            MunicipalFlow.objects.filter(
                origin_id=origin_id, year=year, purpose=flow_purpose
            ).delete()
        MunicipalFlow.objects.bulk_create(rows)
    result.flows = len(rows)
    result.origins = len({key[0] for key in flows})
    result.periods = sorted({key[1] for key in flows})
    return result
