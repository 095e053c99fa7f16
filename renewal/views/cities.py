"""Pages about cities that read the inventory and projects: a city's page and the
comparison of city types (the home page is renewal.views.home).

Reads go through the selectors, the override through its service, permissions
through the rules; charts are SVG drawn on the server (cities/charts.py) with a
table beside each, so every number is readable without JavaScript.
"""

import datetime

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from cities.charts import bar_chart, line_chart
from cities.decline import municipality_decline
from cities.models import BOUNDARY_ATTRIBUTION, CityType, Municipality
from cities.selectors import (
    municipality_group_list,
    municipality_indicator_series,
    municipality_zone,
)
from cities.services.typology import typology_override_set
from cities.typology import STUDY_GROUP, TypologyStatus, municipality_typology
from cities.views_support import (
    detail_url_template,
    geojson,
    municipality_or_404,
    refusal_shown,
)
from renewal.models import ProjectStatus, SpaceKind, SpaceStatus
from renewal.selectors.dashboard import city_type_dashboard
from renewal.selectors.downtown import (
    downtown_health_by_year,
    downtown_vacant_spaces_geojson,
)
from renewal.selectors.projects import renewal_project_list, visible_projects

DOWNTOWN_TREND_YEARS = 5
CITY_PROJECTS_SHOWN = 20


class TypologyOverrideForm(forms.Form):
    city_type = forms.ChoiceField(
        label=gettext_lazy("Type"),
        choices=[("", gettext_lazy("The computed type (withdraw)")), *CityType.choices],
        required=False,
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
    )


def _this_year() -> int:
    return datetime.date.today().year


def _indicator_sections(municipality: Municipality) -> list[dict]:
    sections = []
    for entry in municipality_indicator_series(municipality):
        points = entry["points"]
        sections.append(
            {
                "indicator": entry["indicator"],
                "points": points,
                # One figure is a fact, not a trend: the table alone shows it.
                "chart": line_chart(
                    [("", [(point.year, point.value) for point in points])]
                )
                if len(points) > 1
                else None,
                "illustrative": any(point.is_illustrative for point in points),
            }
        )
    return sections


def _downtown_trend(municipality: Municipality, year: int) -> list:
    """Downtown health at the end of each of the last few years, oldest first (one
    statement for all of them)."""
    by_year = downtown_health_by_year(
        [municipality], years=range(year - DOWNTOWN_TREND_YEARS + 1, year + 1)
    )
    return [entries[0] for _year, entries in sorted(by_year.items())]


def city_detail(request, code: str):
    municipality = municipality_or_404(code)
    year = _this_year()
    typology = municipality_typology(municipality)
    override = typology.override if typology.override else None
    trend = _downtown_trend(municipality, year)
    projects = visible_projects(renewal_project_list(), request.user).filter(
        municipality=municipality
    )
    by_status = dict(
        projects.order_by()
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    can_override = request.user.has_perm("cities.override_typology", municipality)
    downtown_spaces = downtown_vacant_spaces_geojson(
        user=request.user, municipality=municipality
    )
    zone = municipality_zone(municipality)
    map_config = {
        "center": [municipality.location.y, municipality.location.x],
        "downtown": geojson(municipality.downtown),
        "spaces": downtown_spaces,
        "spaceDetailUrl": detail_url_template("renewal:space-detail"),
        "zone": zone["zone"] if zone else None,
        "labels": {
            "kind": {k: str(v) for k, v in SpaceKind.choices},
            "status": {k: str(v) for k, v in SpaceStatus.choices},
        },
        "text": {
            "details": _("Details"),
            "persons": _("persons"),
            "ofCommuters": _("of its commuters"),
        },
    }
    decline = sorted(
        municipality_decline(municipality),
        key=lambda a: (not a.qualifies, a.submunicipality.sgis_code),
    )
    return render(
        request,
        "renewal/city_detail.html",
        {
            "municipality": municipality,
            "decline": decline,
            "decline_qualifying": sum(1 for a in decline if a.qualifies),
            "decline_illustrative": any(a.is_illustrative for a in decline),
            "decline_url": reverse("municipality-decline", args=[municipality.code]),
            "boundary_attribution": BOUNDARY_ATTRIBUTION,
            "can_change_downtown": request.user.has_perm(
                "cities.change_downtown", municipality
            ),
            "typology": typology,
            "override": override,
            "effective_type_label": _type_label(typology.effective_type),
            "computed_type_label": _type_label(typology.computed.city_type),
            "subtype_labels": [_subtype_label(s) for s in typology.computed.subtypes],
            "override_type_label": _type_label(override.city_type)
            if override and override.city_type
            else None,
            "can_override": can_override,
            "override_form": TypologyOverrideForm() if can_override else None,
            "indicators": _indicator_sections(municipality),
            "year": year,
            "health": trend[-1],
            "health_trend": trend,
            "health_chart": bar_chart(
                [(entry.year, entry.downtown.vacant) for entry in trend]
            ),
            "downtown_spaces": downtown_spaces,
            "zone": zone,
            "projects": projects[:CITY_PROJECTS_SHOWN],
            "projects_total": sum(by_status.values()),
            "projects_by_status": [
                (label, by_status.get(value, 0))
                for value, label in ProjectStatus.choices
            ],
            "bids_url": reverse("renewal:bid-list", args=[municipality.code]),
            "map_config": map_config,
        },
    )


def _type_label(city_type: str | None) -> str | None:
    return str(CityType(city_type).label) if city_type else None


def _subtype_label(subtype: str) -> str:
    from cities.models import CitySubtype

    return str(CitySubtype(subtype).label)


@require_POST
def city_typology_override(request, code: str):
    """Staff of the city record an override with a reason (the service checks)."""
    municipality = municipality_or_404(code)
    if not request.user.has_perm("cities.override_typology", municipality):
        raise PermissionDenied
    form = TypologyOverrideForm(request.POST)
    page = reverse("cities:city-detail", args=[municipality.code])
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(f"{page}#typology")
    with refusal_shown(request):
        typology_override_set(
            actor=request.user,
            municipality=municipality,
            city_type=form.cleaned_data["city_type"],
            reason=form.cleaned_data["reason"],
        )
        messages.success(request, _("The override is recorded."))
    return redirect(f"{page}#typology")


def dashboard(request):
    """The city types side by side: the same figures as /api/v1/dashboard/city-types/."""
    year = _this_year()
    groups = municipality_group_list()
    group = request.GET.get("group") or STUDY_GROUP
    if group not in {g.slug for g in groups} and group != STUDY_GROUP:
        raise Http404(
            _("There is no municipality group “%(slug)s”.") % {"slug": group[:60]}
        )
    entries, unclassified = city_type_dashboard(
        user=request.user, year=year, group=group
    )
    for entry in entries:
        entry["stages"] = [
            (label, entry["projects_by_stage"].get(value, 0))
            for value, label in ProjectStatus.choices
        ]
    years = sorted(
        {point["year"] for entry in entries for point in entry["population_trend"]}
    )
    for entry in entries:
        by_year = {p["year"]: p["population"] for p in entry["population_trend"]}
        entry["population_row"] = [by_year.get(y) for y in years]
    wide = 150  # the type names are long
    return render(
        request,
        "renewal/dashboard.html",
        {
            "year": year,
            "entries": entries,
            "groups": groups,
            "group": group,
            "unclassified": [
                (str(TypologyStatus(status).label), codes)
                for status, codes in sorted(unclassified.items())
            ],
            "has_provisional": any(entry["provisional_cities"] for entry in entries),
            "years": years,
            "statuses": [label for _value, label in ProjectStatus.choices],
            "population_chart": line_chart(
                [
                    (
                        entry["label"],
                        [
                            (p["year"], p["population"])
                            for p in entry["population_trend"]
                        ],
                    )
                    for entry in entries
                    if entry["population_trend"]
                ]
            ),
            "vacancy_chart": bar_chart(
                [
                    (
                        entry["label"],
                        (entry["downtown_vacancy"] or {}).get("downtown_vacant", 0),
                    )
                    for entry in entries
                ],
                bar_width=wide,
            ),
            "projects_chart": bar_chart(
                [(entry["label"], entry["projects_total"]) for entry in entries],
                bar_width=wide,
            ),
            "participation_chart": bar_chart(
                [
                    (entry["label"], entry["participation"]["attendees"])
                    for entry in entries
                ],
                bar_width=wide,
            ),
            "has_bids": any(entry["bid_kpi_attainment"] for entry in entries),
        },
    )
