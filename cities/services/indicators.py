"""Indicator figures from the CSV files statistics portals (KOSIS and others) publish.

Two layouts:
- long: one row per region and period, with a region column (a 5-digit code, a
  former code or a Korean or English name), a period column and a value column;
- wide: one row per region and one column per year ("2015", "2015 년", "2015년").

Like the inventory imports, every row is validated before anything is written and
one bad row refuses the whole file. Lines are counted as there: line n is the n-th
data row below the header (spreadsheet row n + 1). Writing is idempotent: an
observation is keyed by municipality, indicator and year.
"""

import csv
import io
import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from pathlib import Path

from django.db import transaction
from django.utils.translation import gettext as _

from cities.models import Indicator, Municipality, Observation
from core.errors import DomainError, NotPermitted

LAYOUTS = ("long", "wide")
REGION_HEADERS = {
    "code",
    "region",
    "region_code",
    "region_name",
    "municipality",
    "name",
    "name_ko",
    "name_en",
    "행정구역",
    "행정구역별",
    "행정구역코드",
    "행정구역별(시군구)",
    "시군구",
    "시군구별",
    "시군구코드",
    "지역",
    "지역별",
}
PERIOD_HEADERS = {"period", "year", "시점", "연도", "기간", "년도"}
VALUE_HEADERS = {"value", "값", "데이터", "수치"}
# Portals write a missing figure as a dash, an ellipsis or "x" (confidential).
MISSING = {"", "-", "…", "...", "x", "X"}
YEAR_COLUMN = re.compile(r"^(\d{4})\s*년?$")
PERIOD_VALUE = re.compile(r"^(\d{4})(?:\s*년|[.\-/]\d{1,2}(?:\s*월)?)?$")
CODE_PREFIX = re.compile(r"^(\d{5})\b")
QUANTUM = Decimal("0.0001")
LARGEST = Decimal("1e14")


class IndicatorImportRefused(DomainError):
    """The file was refused; `problems` lists each one with its line."""

    code = "import_invalid"

    def __init__(self, message, *, problems: list[dict]) -> None:
        super().__init__(
            message,
            fields={
                "file": [
                    f"{_('line')} {p['line']}: {p['message']}"
                    if p["line"]
                    else p["message"]
                    for p in problems
                ]
            },
        )
        self.problems = problems


@dataclass
class IndicatorImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    missing: int = 0
    problems: list[dict] = field(default_factory=list)
    skipped_regions: set[str] = field(default_factory=set)

    @property
    def written(self) -> int:
        return self.created + self.updated


def _normalise(header: str) -> str:
    return header.strip().lstrip("\ufeff").strip().lower().replace(" ", "_")


def csv_text_decode(raw: bytes) -> str:
    # Excel on Korean Windows still saves CSV as CP949.
    for encoding in ("utf-8-sig", "cp949"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise IndicatorImportRefused(
        _("The file is neither UTF-8 nor CP949 text."),
        problems=[{"line": None, "field": "file", "message": _("Unreadable text.")}],
    )


class MunicipalityResolver:
    """Finds a municipality by code, former code, or Korean or English name."""

    def __init__(self) -> None:
        self.by_code: dict[str, Municipality] = {}
        self.by_name: dict[str, list[Municipality]] = {}
        for municipality in Municipality.objects.only(
            "id", "code", "former_codes", "name_ko", "name_en", "province"
        ):
            if municipality.code:
                self.by_code[municipality.code] = municipality
            for former in municipality.former_codes:
                self.by_code.setdefault(former, municipality)
            for name in (municipality.name_ko, municipality.name_en.lower()):
                self.by_name.setdefault(name, []).append(municipality)

    def resolve(self, text: str) -> tuple[Municipality | None, str | None]:
        text = " ".join(text.split())
        if not text:
            return None, _("The region is empty.")
        code = CODE_PREFIX.match(text)
        if code:
            found = self.by_code.get(code.group(1))
            if found is None:
                return None, _("No municipality has the code %(code)s.") % {
                    "code": code.group(1)
                }
            return found, None
        # "강원특별자치도 춘천시" and "Chuncheon-si" name the same city as "춘천시".
        candidates = [text, text.split(" ")[-1]]
        for candidate in candidates:
            for key in (
                candidate,
                candidate.lower(),
                candidate.lower().removesuffix("-si"),
            ):
                matches = self.by_name.get(key)
                if matches and len(matches) > 1:
                    return None, _(
                        "“%(name)s” names more than one municipality; use the "
                        "five-digit code."
                    ) % {"name": text}
                if matches:
                    return matches[0], None
        return None, _("No municipality is called “%(name)s”.") % {"name": text}


def _value(text: str) -> tuple[Decimal | None, str | None]:
    cleaned = text.strip().replace(",", "").replace(" ", "")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        return None, _("“%(value)s” is not a number.") % {"value": text.strip()}
    if not value.is_finite() or abs(value) >= LARGEST:
        return None, _("“%(value)s” is out of range.") % {"value": text.strip()}
    return value.quantize(QUANTUM, rounding=ROUND_HALF_EVEN), None


def find_column(headers: list[str], names: set[str]) -> int | None:
    for index, header in enumerate(headers):
        if _normalise(header) in names:
            return index
    return None


def _parse(
    text: str,
    layout: str,
    resolver: MunicipalityResolver,
    result: IndicatorImportResult,
) -> dict[tuple[int, int], tuple[int, Municipality, Decimal]]:
    problems = result.problems

    def problem(line, field_name, message):
        problems.append({"line": line, "field": field_name, "message": str(message)})

    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    headers = next(reader, None)
    if not headers:
        problem(None, "file", _("The file is empty."))
        return {}
    region_column = find_column(headers, REGION_HEADERS)
    if region_column is None:
        problem(
            None,
            "file",
            _("No region column: name one of %(names)s.")
            % {"names": ", ".join(sorted(REGION_HEADERS))},
        )
        return {}
    if layout == "long":
        period_column = find_column(headers, PERIOD_HEADERS)
        value_column = find_column(headers, VALUE_HEADERS)
        if period_column is None or value_column is None:
            problem(
                None,
                "file",
                _(
                    "A long file needs a period column (%(periods)s) and a value column (%(values)s)."
                )
                % {
                    "periods": ", ".join(sorted(PERIOD_HEADERS)),
                    "values": ", ".join(sorted(VALUE_HEADERS)),
                },
            )
            return {}
    else:
        year_columns = {
            index: int(match.group(1))
            for index, header in enumerate(headers)
            if (match := YEAR_COLUMN.match(header.strip().lstrip("\ufeff")))
        }
        if not year_columns:
            problem(
                None, "file", _("A wide file needs one column per year, e.g. “2020”.")
            )
            return {}

    rows: dict[tuple[int, int], tuple[int, Municipality, Decimal]] = {}

    def keep(line, municipality, year, raw):
        if raw.strip() in MISSING:
            result.missing += 1
            return
        if not 1900 <= year <= 2100:
            problem(
                line,
                "period",
                _("The year %(year)s is not plausible.") % {"year": year},
            )
            return
        value, error = _value(raw)
        if error:
            problem(line, "value", error)
            return
        key = (municipality.pk, year)
        if key in rows:
            problem(
                line,
                "period",
                _("%(city)s %(year)s appears already on line %(first)s.")
                % {"city": municipality.name_ko, "year": year, "first": rows[key][0]},
            )
            return
        rows[key] = (line, municipality, value)

    for line, cells in enumerate(reader, start=1):
        if not any(cell.strip() for cell in cells):
            continue
        cells = cells + [""] * (len(headers) - len(cells))
        municipality, error = resolver.resolve(cells[region_column])
        if error:
            problem(line, "region", error)
            continue
        if layout == "long":
            match = PERIOD_VALUE.match(cells[period_column].strip())
            if not match:
                problem(
                    line,
                    "period",
                    _("“%(period)s” is not a year.") % {"period": cells[period_column]},
                )
                continue
            keep(line, municipality, int(match.group(1)), cells[value_column])
        else:
            for index, year in year_columns.items():
                keep(line, municipality, year, cells[index])
    if not rows and not problems:
        problem(None, "file", _("The file holds no figures."))
    return rows


def indicator_observations_import(
    *,
    indicator: Indicator,
    content: bytes | str | Path,
    layout: str = "long",
    source: str = "",
    actor=None,
) -> IndicatorImportResult:
    """Validate every row of a portal CSV, then write all of it or nothing.

    With actor=None the caller is an operator (the management command); otherwise the
    actor needs the `cities.add_observation` permission.
    """
    if actor is not None and not actor.has_perm("cities.add_observation"):
        raise NotPermitted()
    if layout not in LAYOUTS:
        raise DomainError(
            _("The layout must be “long” or “wide”."),
            fields={"layout": [_("Choose long or wide.")]},
        )
    source = source.strip() or indicator.source
    if not source:
        raise DomainError(
            _("Say where the figures come from: give a source."),
            fields={
                "source": [_("Required when the indicator has no default source.")]
            },
        )
    if isinstance(content, Path):
        content = content.read_bytes()
    text = csv_text_decode(content) if isinstance(content, bytes) else content
    result = IndicatorImportResult()
    rows = _parse(text, layout, MunicipalityResolver(), result)
    if result.problems:
        raise IndicatorImportRefused(
            _("The file was refused: %(count)d problem(s); nothing was imported.")
            % {"count": len(result.problems)},
            problems=result.problems,
        )

    _observations_write(indicator=indicator, rows=rows, source=source, result=result)
    return result


def _observations_write(
    *,
    indicator: Indicator,
    rows: dict[tuple[int, int], tuple[int, Municipality, Decimal]],
    source: str,
    result: IndicatorImportResult,
) -> None:
    """Create or update one observation per (municipality, year), in one transaction."""
    with transaction.atomic():
        existing = {
            (o.municipality_id, o.year): o
            for o in Observation.objects.select_for_update().filter(
                indicator=indicator,
                municipality_id__in={key[0] for key in rows},
                year__in={key[1] for key in rows},
            )
        }
        new, changed = [], []
        for key, (_line, municipality, value) in rows.items():
            observation = existing.get(key)
            if observation is None:
                new.append(
                    Observation(
                        municipality=municipality,
                        indicator=indicator,
                        year=key[1],
                        value=value,
                        source=source,
                    )
                )
            elif (
                observation.value,
                observation.source,
                observation.is_illustrative,
            ) != (
                value,
                source,
                False,
            ):
                observation.value = value
                observation.source = source
                # A published figure replaces an illustrative stand-in.
                observation.is_illustrative = False
                changed.append(observation)
            else:
                result.unchanged += 1
        Observation.objects.bulk_create(new)
        Observation.objects.bulk_update(changed, ["value", "source", "is_illustrative"])
    result.created = len(new)
    result.updated = len(changed)


# --- 전국사업체조사: manufacturing share of employment ---------------------------
#
# KOSIS publishes the census on establishments as one row per region and industry,
# with a column per year and item ("2020 년" / "종사자수 (명)"), often as two header
# rows. The share is manufacturing (제조업, section C) workers over all workers.

ESTABLISHMENT_CENSUS_SOURCE = "통계청 전국사업체조사 (KOSIS), 시군구·산업별 종사자수"
INDUSTRY_HEADER = re.compile(r"^(산업|industry)", re.IGNORECASE)
ALL_INDUSTRIES = {"전체산업", "전산업", "계", "합계", "전체", "total", "allindustries"}
MANUFACTURING = re.compile(r"^(제조업|c(\b|\s|\(|$)|manufacturing)", re.IGNORECASE)
EMPLOYEES = re.compile(r"(종사자|employees|workers)", re.IGNORECASE)


def _establishment_rows(text: str, result: IndicatorImportResult, resolver):
    problems = result.problems

    def problem(line, field_name, message):
        problems.append({"line": line, "field": field_name, "message": str(message)})

    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    lines = list(csv.reader(io.StringIO(text), dialect))
    if not lines:
        problem(None, "file", _("The file is empty."))
        return {}
    headers = [h.strip().lstrip("\ufeff") for h in lines[0]]
    region_column = find_column(headers, REGION_HEADERS)
    industry_column = next(
        (i for i, h in enumerate(headers) if INDUSTRY_HEADER.match(h)), None
    )
    if region_column is None or industry_column is None:
        problem(
            None,
            "file",
            _(
                "The table needs a region column (e.g. 행정구역별(시군구)) and an industry column (e.g. 산업별)."
            ),
        )
        return {}
    years = {
        index: int(match.group(1))
        for index, header in enumerate(headers)
        if (match := YEAR_COLUMN.match(header))
    }
    body = lines[1:]
    # A second header row names the item of each year column: keep the workers.
    if body and body[0][region_column].strip() == lines[0][region_column].strip():
        items = body[0]
        years = {
            i: y
            for i, y in years.items()
            if i < len(items) and EMPLOYEES.search(items[i])
        }
        body = body[1:]
    if not years:
        problem(None, "file", _("No year column of workers (종사자수) was found."))
        return {}

    totals: dict[tuple[int, int], tuple[int, Municipality, Decimal]] = {}
    manufacturing: dict[tuple[int, int], Decimal] = {}
    for line, cells in enumerate(body, start=1):
        if not any(cell.strip() for cell in cells):
            continue
        cells = cells + [""] * (len(headers) - len(cells))
        region = " ".join(cells[region_column].split())
        industry = cells[industry_column].strip()
        key_name = industry.replace(" ", "").lower()
        is_total = key_name in ALL_INDUSTRIES
        is_manufacturing = bool(MANUFACTURING.match(industry))
        if not (is_total or is_manufacturing):
            continue
        municipality, error = resolver.resolve(region)
        if municipality is None:
            if len(resolver.by_name.get(region.split(" ")[-1], [])) > 1:
                problem(line, "region", error)
            else:
                # Nation, provinces and 시군구 outside the platform: not ours.
                result.skipped_regions.add(region)
            continue
        for index, year in years.items():
            raw = cells[index]
            if raw.strip() in MISSING:
                continue
            value, error = _value(raw)
            if error:
                problem(line, "value", error)
                continue
            if is_total:
                totals[(municipality.pk, year)] = (line, municipality, value)
            else:
                manufacturing[(municipality.pk, year)] = value

    rows: dict[tuple[int, int], tuple[int, Municipality, Decimal]] = {}
    for key, (line, municipality, total) in totals.items():
        workers = manufacturing.get(key)
        if workers is None:
            result.missing += 1
            continue
        if total <= 0 or workers > total:
            problem(
                line,
                "value",
                _(
                    "%(city)s %(year)s: %(workers)s manufacturing workers of %(total)s in all is impossible."
                )
                % {
                    "city": municipality.name_ko,
                    "year": key[1],
                    "workers": workers,
                    "total": total,
                },
            )
            continue
        share = (workers * 100 / total).quantize(QUANTUM, rounding=ROUND_HALF_EVEN)
        rows[key] = (line, municipality, share)
    if not rows and not problems:
        problem(None, "file", _("The file holds no figures."))
    return rows


def manufacturing_share_import(
    *, content: bytes | str | Path, source: str = "", actor=None
) -> IndicatorImportResult:
    """The manufacturing employment share of each municipality and year from a
    전국사업체조사 table (workers by region and industry), all or nothing. Regions
    that are not platform municipalities are skipped and counted as missing."""
    if actor is not None and not actor.has_perm("cities.add_observation"):
        raise NotPermitted()
    indicator = Indicator.objects.filter(code="manufacturing_employment_share").first()
    if indicator is None:
        raise DomainError(
            _("The indicator manufacturing_employment_share does not exist yet."),
            fields={"indicator": [_("Load the indicators first.")]},
        )
    if isinstance(content, Path):
        content = content.read_bytes()
    text = csv_text_decode(content) if isinstance(content, bytes) else content
    result = IndicatorImportResult()
    rows = _establishment_rows(text, result, MunicipalityResolver())
    if result.problems:
        raise IndicatorImportRefused(
            _("The file was refused: %(count)d problem(s); nothing was imported.")
            % {"count": len(result.problems)},
            problems=result.problems,
        )
    _observations_write(
        indicator=indicator,
        rows=rows,
        source=source.strip() or ESTABLISHMENT_CENSUS_SOURCE,
        result=result,
    )
    return result
