"""The home page: the cities on a map. A city's page and the comparison of city
types read the inventory and projects, so they live in renewal/views/cities.py."""

from django.shortcuts import render

from cities.api.serializers import MunicipalitySerializer
from cities.selectors import municipality_group_list, municipality_list


def home(request):
    """The cities on a map, with the same list as a table for people without a map."""
    municipalities = list(municipality_list())
    return render(
        request,
        "cities/home.html",
        {
            "municipalities": municipalities,
            "municipalities_geojson": MunicipalitySerializer(
                municipalities, many=True
            ).data,
            "groups": municipality_group_list(),
        },
    )
