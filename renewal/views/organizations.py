"""Public pages of community organisations: the list, and one organisation with
what it does, the projects it leads and the events it ran. Organisations are public
(the API lists them for anyone); contact details only when it chose to show them."""

from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, render

from cities.models import Municipality
from cities.views_support import query_without_page
from renewal.models import Capability, CommunityOrganization, EventStatus
from renewal.selectors.meetings import organization_event_list
from renewal.selectors.progress import (
    participation_events_in_scope,
    participation_totals,
)
from renewal.selectors.projects import renewal_project_list, visible_projects

LIST_PAGE_SIZE = 50
EVENTS_SHOWN = 30


def organization_list(request):
    organizations = (
        CommunityOrganization.objects.select_related("municipality")
        .annotate(
            led_project_count=Count(
                "led_projects", filter=Q(led_projects__is_hidden=False), distinct=True
            )
        )
        .order_by("municipality__name_ko", "-verified", "name", "id")
    )
    city_code = request.GET.get("city", "")
    city = Municipality.objects.filter(code=city_code).first() if city_code else None
    if city is not None:
        organizations = organizations.filter(municipality=city)
    page = Paginator(organizations, LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "renewal/organization_list.html",
        {"page": page, "city": city, "query": query_without_page(request)},
    )


def organization_detail(request, pk: int):
    organization = get_object_or_404(
        CommunityOrganization.objects.select_related("municipality"), pk=pk
    )
    events = list(
        organization_event_list(user=request.user, organization=organization)[
            :EVENTS_SHOWN
        ]
    )
    return render(
        request,
        "renewal/organization_detail.html",
        {
            "organization": organization,
            "capabilities": [
                Capability(capability).label
                for capability in organization.capabilities
                if capability in Capability.values
            ],
            "projects": visible_projects(
                renewal_project_list().filter(lead_organization=organization),
                request.user,
            ),
            "totals": participation_totals(
                events=participation_events_in_scope(
                    user=request.user, organization=organization
                )
            ),
            "meetings": [e for e in events if e.status == EventStatus.ANNOUNCED],
            "held_events": [e for e in events if e.status == EventStatus.HELD],
            "is_member": request.user.has_perm(
                "renewal.change_communityorganization", organization
            ),
        },
    )
