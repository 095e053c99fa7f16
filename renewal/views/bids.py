"""Pages of Business Improvement Districts: a city's list and a district's page.

The map and the KPI charts are drawn on the server as inline SVG, so the district,
its members and every number can be read without JavaScript; the tables below them
carry the same figures.
"""

import math

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.gis.gdal import GDALException
from django.contrib.gis.geos import GEOSException, GEOSGeometry
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext_lazy as _

from cities.views_support import geojson, municipality_or_404, refusal_shown
from renewal.forms import DomainErrorFormMixin
from renewal.models import (
    BID_DECLINE_FIELDS,
    BidMember,
    BidPresetCode,
    BusinessImprovementDistrict,
    CommunityOrganization,
    OrganizationKind,
    ServiceLine,
)
from renewal.selectors.bids import bid_ballot_list, bid_kpi_list, bid_list
from renewal.services.bids import (
    MANAGE,
    ballot_failures_text,
    bid_ballot_close,
    bid_ballot_open,
    bid_budget_line_set,
    bid_budget_summary,
    bid_create,
    bid_eligibility,
    bid_levy_set,
    bid_levy_summary,
    bid_member_levies,
    bid_members_import,
    bid_preset_set,
    district_polygon_read,
    eligibility_text,
    kpi_attainment,
    vote_cast,
)
from renewal.services.bids.districts import CREATE

MAP_WIDTH = 480
MAP_HEIGHT = 360
MAP_PADDING = 12
CHART_WIDTH = 320
CHART_HEIGHT = 140
CHART_PADDING = 24


def _projector(extent):
    """Longitude/latitude to SVG pixels: equirectangular, scaled by cos(latitude),
    which is exact enough over a downtown of a kilometre or two."""
    min_x, min_y, max_x, max_y = extent
    squash = math.cos(math.radians((min_y + max_y) / 2))
    width = max((max_x - min_x) * squash, 1e-9)
    height = max(max_y - min_y, 1e-9)
    scale = min(
        (MAP_WIDTH - 2 * MAP_PADDING) / width, (MAP_HEIGHT - 2 * MAP_PADDING) / height
    )

    def project(x: float, y: float) -> tuple[float, float]:
        return (
            round(MAP_PADDING + (x - min_x) * squash * scale, 1),
            round(MAP_HEIGHT - MAP_PADDING - (y - min_y) * scale, 1),
        )

    return project


def _district_map(district, members) -> dict:
    project = _projector(district.polygon.extent)
    paths = []
    for polygon in district.polygon:
        for ring in polygon:
            points = [project(x, y) for x, y in ring.coords]
            paths.append("M" + " L".join(f"{px},{py}" for px, py in points) + " Z")
    dots = []
    for member in members:
        px, py = project(member.location.x, member.location.y)
        dots.append({"x": px, "y": py, "member": member})
    return {
        "width": MAP_WIDTH,
        "height": MAP_HEIGHT,
        "path": " ".join(paths),
        "dots": dots,
    }


def _kpi_chart(attainment: dict, observations: list) -> dict:
    values = [float(o.value) for o in observations] + [float(attainment["target"])]
    low, high = min(0.0, min(values)), max(values) or 1.0
    span = (high - low) or 1.0
    inner_w = CHART_WIDTH - 2 * CHART_PADDING
    inner_h = CHART_HEIGHT - 2 * CHART_PADDING

    def y_of(value: float) -> float:
        return round(CHART_HEIGHT - CHART_PADDING - (value - low) / span * inner_h, 1)

    step = inner_w / max(len(observations) - 1, 1)
    points = [
        {
            "x": round(CHART_PADDING + index * step, 1),
            "y": y_of(float(o.value)),
            "observation": o,
        }
        for index, o in enumerate(observations)
    ]
    return {
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT,
        "padding": CHART_PADDING,
        "right": CHART_WIDTH - CHART_PADDING,
        "baseline": CHART_HEIGHT - CHART_PADDING,
        "target_y": y_of(float(attainment["target"])),
        "polyline": " ".join(f"{p['x']},{p['y']}" for p in points),
        "points": points,
    }


def bid_city_list(request, code: str):
    municipality = municipality_or_404(code)
    return render(
        request,
        "renewal/bid_list.html",
        {
            "municipality": municipality,
            "districts": bid_list(municipality=municipality),
            "can_start": request.user.has_perm(
                CREATE, BusinessImprovementDistrict(municipality=municipality)
            ),
        },
    )


def bid_detail(request, pk: int):
    district = get_object_or_404(bid_list(), pk=pk)
    can_manage = request.user.has_perm(MANAGE, district)
    members = list(bid_member_levies(district=district))
    kpis = []
    for kpi in bid_kpi_list(district=district):
        observations = list(kpi.observations.all())
        attainment = kpi_attainment(kpi=kpi, observations=observations)
        kpis.append(
            {
                "kpi": kpi,
                "attainment": attainment,
                "observations": observations,
                "chart": _kpi_chart(attainment, observations) if observations else None,
            }
        )
    ballots = list(bid_ballot_list(district=district))
    for ballot in ballots:
        ballot.failures = ballot_failures_text(ballot)
    return render(
        request,
        "renewal/bid_detail.html",
        {
            "district": district,
            "municipality": district.municipality,
            "can_manage": can_manage,
            "members": members,
            "map": _district_map(district, members),
            "ballots": ballots,
            "levy": bid_levy_summary(district=district),
            "budget": bid_budget_summary(district=district),
            "kpis": kpis,
        },
    )


# Pages for the city's editors and the management body: start a district, keep its
# register, rule set, levy and budget, open and close ballots. Each form calls one
# service; a refusal is shown on the page and changes nothing.


class DistrictStartForm(DomainErrorFormMixin, forms.Form):
    name = forms.CharField(label=_("Name of the district"), max_length=200)
    management_organization = forms.ModelChoiceField(
        label=_("Management organisation"), queryset=None
    )
    preset = forms.ChoiceField(label=_("Rule set"), choices=BidPresetCode.choices)
    polygon = forms.CharField(
        label=_("District boundary (GeoJSON, filled in by drawing on the map)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    polygon_file = forms.FileField(
        label=_("…or upload the boundary (GeoJSON, zipped Shapefile, GeoPackage)"),
        required=False,
    )

    def __init__(self, *args, municipality, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields[
            "management_organization"
        ].queryset = CommunityOrganization.objects.filter(
            municipality=municipality, kind=OrganizationKind.BID_BODY
        ).order_by("name")

    def clean_polygon(self):
        text = self.cleaned_data["polygon"].strip()
        if not text:
            return None
        try:
            return GEOSGeometry(text, srid=4326)
        except (ValueError, GEOSException, GDALException):
            raise forms.ValidationError(
                _("The drawn boundary is not a GeoJSON polygon.")
            ) from None


class DistrictRulesForm(DomainErrorFormMixin, forms.Form):
    preset = forms.ChoiceField(label=_("Rule set"), choices=BidPresetCode.choices)
    term_years = forms.IntegerField(label=_("Term (years)"), min_value=1, max_value=10)
    declining_businesses = forms.BooleanField(
        label=_("Number of businesses falling two years running"), required=False
    )
    declining_sales = forms.BooleanField(
        label=_("Sales falling two years running"), required=False
    )
    declining_population = forms.BooleanField(
        label=_("Population falling two years running"), required=False
    )


class LevyForm(DomainErrorFormMixin, forms.Form):
    levy_rate_percent = forms.DecimalField(
        label=_("Rate (% of rateable value)"), max_digits=5, decimal_places=3
    )
    levy_threshold_krw = forms.IntegerField(
        label=_("Threshold (KRW): members below it pay nothing"), min_value=0
    )
    levy_cap_krw = forms.IntegerField(
        label=_("Cap per member (KRW, empty for none)"), required=False
    )


class MemberListForm(DomainErrorFormMixin, forms.Form):
    file = forms.FileField(
        label=_("Member list (CSV: name, role, rateable_value_krw, lon, lat, address)")
    )


class BallotOpenForm(DomainErrorFormMixin, forms.Form):
    opens_on = forms.DateField(
        label=_("Opens on"), widget=forms.DateInput(attrs={"type": "date"})
    )
    closes_on = forms.DateField(
        label=_("Closes on"), widget=forms.DateInput(attrs={"type": "date"})
    )


class VoteForm(DomainErrorFormMixin, forms.Form):
    member = forms.ModelChoiceField(label=_("Member"), queryset=None)
    in_favour = forms.TypedChoiceField(
        label=_("The returned paper says"),
        choices=[("yes", _("In favour")), ("no", _("Against"))],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, ballot, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = (
            ballot.district.members.exclude(votes__ballot=ballot).order_by("name")
            if ballot
            else BidMember.objects.none()
        )


class BudgetLineForm(DomainErrorFormMixin, forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=1900, max_value=2100)
    service_line = forms.ChoiceField(
        label=_("Service line"), choices=ServiceLine.choices
    )
    planned_krw = forms.IntegerField(label=_("Planned (KRW)"), min_value=0)
    spent_krw = forms.IntegerField(label=_("Spent (KRW)"), min_value=0, initial=0)


@login_required
def bid_start(request, code: str):
    municipality = municipality_or_404(code)
    if not request.user.has_perm(
        CREATE, BusinessImprovementDistrict(municipality=municipality)
    ):
        raise PermissionDenied
    form = DistrictStartForm(
        request.POST or None, request.FILES or None, municipality=municipality
    )
    if request.method == "POST" and form.is_valid():
        with refusal_shown(request, form=form):
            upload = form.cleaned_data["polygon_file"]
            polygon = (
                district_polygon_read(upload)
                if upload
                else form.cleaned_data["polygon"]
            )
            if polygon is None:
                form.add_error(
                    "polygon", _("Draw the district on the map or upload its boundary.")
                )
            else:
                district = bid_create(
                    actor=request.user,
                    municipality=municipality,
                    name=form.cleaned_data["name"],
                    polygon=polygon,
                    management_organization=form.cleaned_data[
                        "management_organization"
                    ],
                    preset=form.cleaned_data["preset"],
                )
                messages.success(request, _("The district was created."))
                return redirect("renewal:bid-manage", district.pk)
    return render(
        request,
        "renewal/bid_start.html",
        {
            "municipality": municipality,
            "form": form,
            "downtown": geojson(municipality.downtown)
            if municipality.downtown
            else None,
            "centre": [municipality.location.y, municipality.location.x],
        },
    )


def _managed_district(request, pk: int) -> BusinessImprovementDistrict:
    district = get_object_or_404(
        BusinessImprovementDistrict.objects.select_related("municipality"), pk=pk
    )
    if not request.user.has_perm(MANAGE, district):
        raise PermissionDenied
    return district


@login_required
def bid_manage(request, pk: int):
    district = _managed_district(request, pk)
    action = request.POST.get("action") if request.method == "POST" else None
    data = request.POST if action else None
    open_ballot = district.ballots.filter(closed_at__isnull=True).first()
    forms_by_action = {
        "vote": VoteForm(data if action == "vote" else None, ballot=open_ballot),
        "rules": DistrictRulesForm(
            data if action == "rules" else None,
            initial={
                "preset": district.preset,
                "term_years": district.term_years,
                **{name: getattr(district, name) for name in BID_DECLINE_FIELDS},
            },
        ),
        "levy": LevyForm(
            data if action == "levy" else None,
            initial={
                "levy_rate_percent": district.levy_rate_percent,
                "levy_threshold_krw": district.levy_threshold_krw,
                "levy_cap_krw": district.levy_cap_krw,
            },
        ),
        "members": MemberListForm(
            data if action == "members" else None,
            request.FILES if action == "members" else None,
        ),
        "ballot_open": BallotOpenForm(data if action == "ballot_open" else None),
        "budget": BudgetLineForm(data if action == "budget" else None),
    }
    report = None
    form = forms_by_action.get(action)
    if action == "ballot_close" and open_ballot is not None:
        with refusal_shown(request):
            ballot = bid_ballot_close(actor=request.user, ballot=open_ballot)
            messages.success(
                request,
                _("The ballot passed.")
                if ballot.passed
                else _("The ballot failed: %(reasons)s")
                % {"reasons": "; ".join(ballot_failures_text(ballot))},
            )
            return redirect("renewal:bid-manage", district.pk)
    elif form is not None and form.is_valid():
        values = form.cleaned_data
        with refusal_shown(request, form=form):
            if action == "rules":
                bid_preset_set(actor=request.user, district=district, **values)
            elif action == "levy":
                bid_levy_set(actor=request.user, district=district, **values)
            elif action == "ballot_open":
                bid_ballot_open(actor=request.user, district=district, **values)
            elif action == "vote" and open_ballot is not None:
                vote_cast(
                    actor=request.user,
                    ballot=open_ballot,
                    member=values["member"],
                    in_favour=values["in_favour"],
                )
            elif action == "budget":
                bid_budget_line_set(actor=request.user, district=district, **values)
            elif action == "members":
                report = bid_members_import(
                    actor=request.user, district=district, upload=values["file"]
                )
            if report is None or report.ok:
                messages.success(
                    request,
                    _("%(count)s members were added.") % {"count": report.added}
                    if report
                    else _("Saved."),
                )
                return redirect("renewal:bid-manage", district.pk)
    district = bid_list().get(pk=district.pk)
    return render(
        request,
        "renewal/bid_manage.html",
        {
            "district": district,
            "municipality": district.municipality,
            "forms": forms_by_action,
            "report": report,
            "open_ballot": open_ballot,
            "eligibility": [
                {"passed": check["passed"], "text": eligibility_text(check)}
                for check in bid_eligibility(district)
            ],
            "ballots": [
                {"ballot": ballot, "failures": ballot_failures_text(ballot)}
                for ballot in bid_ballot_list(district=district)
            ],
        },
    )
