"""Reads of Business Improvement Districts. Districts, ballot results, levy totals,
budgets and KPIs are public; member names and votes are for the managers only."""

from django.db.models import Count, Prefetch, QuerySet

from renewal.models import Ballot, BusinessImprovementDistrict, Kpi, KpiObservation


def bid_list(*, municipality=None) -> QuerySet[BusinessImprovementDistrict]:
    queryset = BusinessImprovementDistrict.objects.select_related(
        "municipality", "management_organization"
    ).annotate(member_count=Count("members"))
    if municipality is not None:
        queryset = queryset.filter(municipality=municipality)
    return queryset.order_by("id")


def bid_ballot_list(*, district: BusinessImprovementDistrict) -> QuerySet[Ballot]:
    return district.ballots.order_by("-opens_on", "-id")


def bid_kpi_list(*, district: BusinessImprovementDistrict) -> QuerySet[Kpi]:
    return district.kpis.prefetch_related(
        Prefetch("observations", queryset=KpiObservation.objects.order_by("period"))
    ).order_by("code")
