"""The downtown (원도심) page: a city's editors choose its 읍면동 on the map or in the
list, or upload a 도시재생활성화지역 polygon. Both forms call the one service
(cities.services.downtown.downtown_set)."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cities.models import BOUNDARY_ATTRIBUTION, Municipality, SubMunicipality
from cities.services.downtown import (
    DOWNTOWN_PERMISSION,
    downtown_area_read,
    downtown_set,
)
from cities.views_support import municipality_or_404, refusal_shown
from renewal.forms import DomainErrorFormMixin


class _DowntownSourceForm(DomainErrorFormMixin, forms.Form):
    source = forms.CharField(
        label=gettext_lazy("Source"),
        max_length=255,
        help_text=gettext_lazy(
            "Where the downtown comes from: a plan, a designation, a survey."
        ),
    )
    designated_on = forms.DateField(
        label=gettext_lazy("Date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=gettext_lazy("When it was designated or drawn."),
    )


class DowntownSubmunicipalitiesForm(_DowntownSourceForm):
    submunicipalities = forms.ModelMultipleChoiceField(
        label=gettext_lazy("읍면동 of the downtown"),
        queryset=SubMunicipality.objects.none(),
        # The SGIS code, so that the map's outlines find their checkbox.
        to_field_name="sgis_code",
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, municipality: Municipality, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["submunicipalities"]
        field.queryset = municipality.submunicipalities.defer("boundary").order_by(
            "sgis_code"
        )
        field.label_from_instance = lambda sub: sub.name


class DowntownAreaForm(_DowntownSourceForm):
    domain_error_fields = {"area": "file"}

    file = forms.FileField(
        label=gettext_lazy("도시재생활성화지역 file"),
        help_text=gettext_lazy(
            "GeoJSON, GeoPackage or a zipped shapefile (.zip with .shp, .shx, .dbf, "
            ".prj); its polygons become the downtown."
        ),
    )


def city_downtown(request, code: str):
    municipality = municipality_or_404(code)
    if not request.user.has_perm(DOWNTOWN_PERMISSION, municipality):
        raise PermissionDenied
    current = {
        "source": municipality.downtown_source,
        "designated_on": municipality.downtown_date,
        "submunicipalities": list(
            municipality.downtown_submunicipalities.values_list("sgis_code", flat=True)
        ),
    }
    by_list = DowntownSubmunicipalitiesForm(
        municipality=municipality, initial=current, prefix="list"
    )
    by_file = DowntownAreaForm(initial=current, prefix="file")
    page = reverse("cities:city-detail", args=[municipality.code])
    if request.method == "POST":
        if "file-file" in request.FILES or request.POST.get("form") == "file":
            by_file = DowntownAreaForm(request.POST, request.FILES, prefix="file")
            form = by_file
        else:
            by_list = DowntownSubmunicipalitiesForm(
                request.POST, municipality=municipality, prefix="list"
            )
            form = by_list
        if form.is_valid():
            with refusal_shown(request, form=form):
                data = form.cleaned_data
                if form is by_file:
                    area = downtown_area_read(data["file"])
                    chosen = None
                else:
                    area = None
                    chosen = [sub.pk for sub in data["submunicipalities"]]
                downtown_set(
                    actor=request.user,
                    municipality=municipality,
                    source=data["source"],
                    designated_on=data["designated_on"],
                    submunicipality_ids=chosen,
                    area=area,
                )
                messages.success(request, _("The downtown is recorded."))
                return redirect(f"{page}#downtown-heading")
    return render(
        request,
        "renewal/downtown_form.html",
        {
            "municipality": municipality,
            "by_list": by_list,
            "by_file": by_file,
            "outlines_url": reverse(
                "municipality-submunicipalities", args=[municipality.code]
            ),
            "boundary_attribution": BOUNDARY_ATTRIBUTION,
        },
    )
