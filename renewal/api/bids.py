"""Business Improvement Districts API: districts as GeoJSON, members, ballots and
votes, levy, budget and KPIs. Thin views: the services decide and check rights."""

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_gis.fields import GeometryField

from cities.models import Municipality
from config.api import GeoFeatureSerializer, GeoPagination
from core.errors import NotPermitted
from renewal.api.geometry import validate_korean_point
from renewal.models import (
    Ballot,
    BidMember,
    BusinessImprovementDistrict,
    CommunityOrganization,
)
from renewal.selectors.bids import bid_ballot_list, bid_kpi_list, bid_list
from renewal.services.bids import (
    MANAGE,
    ballot_failures_text,
    bid_ballot_close,
    bid_ballot_open,
    bid_budget_summary,
    bid_create,
    bid_levy_summary,
    bid_member_add,
    bid_member_levies,
    kpi_attainment,
    vote_cast,
)


class BidSerializer(GeoFeatureSerializer):
    municipality = serializers.SlugRelatedField(
        slug_field="code", queryset=Municipality.objects.all()
    )
    management_organization = serializers.PrimaryKeyRelatedField(
        queryset=CommunityOrganization.objects.all()
    )
    member_count = serializers.IntegerField(read_only=True, default=0)

    class Meta:
        model = BusinessImprovementDistrict
        geo_field = "polygon"
        fields = [
            "id",
            "municipality",
            "name",
            "management_organization",
            "status",
            "term_years",
            "term_start",
            "term_end",
            "preset",
            "declining_businesses",
            "declining_sales",
            "declining_population",
            "funding_model",
            "levy_rate_percent",
            "levy_threshold_krw",
            "levy_cap_krw",
            "ballot_rule",
            "min_turnout_count_percent",
            "min_turnout_value_percent",
            "source",
            "member_count",
        ]
        # The rule set decides the ballot rule, turnouts and funding model.
        read_only_fields = [
            "status",
            "term_start",
            "term_end",
            "funding_model",
            "ballot_rule",
            "min_turnout_count_percent",
            "min_turnout_value_percent",
        ]


class BidViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Business Improvement Districts as GeoJSON. Anyone reads them; the city's
    editors and the management organisation's members manage them."""

    serializer_class = BidSerializer
    pagination_class = GeoPagination
    queryset = BusinessImprovementDistrict.objects.none()

    def get_queryset(self):
        return bid_list()

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        district = bid_create(actor=self.request.user, **data)
        serializer.instance = self.get_queryset().get(pk=district.pk)

    @extend_schema(request=None, responses=OpenApiTypes.OBJECT)
    @action(detail=True, methods=["get"])
    def levy(self, request, pk=None):
        district = self.get_object()
        summary = bid_levy_summary(district=district)
        if request.user.has_perm(MANAGE, district):
            summary["members_levy"] = [
                {"member": m.pk, "name": m.name, "levy_krw": m.levy_krw}
                | {"rateable_value_krw": m.rateable_value_krw}
                for m in bid_member_levies(district=district)
            ]
        return Response(summary)

    @extend_schema(request=None, responses=OpenApiTypes.OBJECT)
    @action(detail=True, methods=["get"])
    def budget(self, request, pk=None):
        return Response({"years": bid_budget_summary(district=self.get_object())})

    @extend_schema(request=None, responses=OpenApiTypes.OBJECT)
    @action(detail=True, methods=["get"])
    def kpis(self, request, pk=None):
        results = []
        for kpi in bid_kpi_list(district=self.get_object()):
            observations = list(kpi.observations.all())
            row = kpi_attainment(kpi=kpi, observations=observations)
            row["observations"] = [
                {"period": o.period, "value": o.value, "source": o.source}
                for o in observations
            ]
            results.append(row)
        return Response({"kpis": results})


class MemberSerializer(serializers.ModelSerializer):
    location = GeometryField()

    class Meta:
        model = BidMember
        fields = ["id", "role", "name", "address", "location"]
        fields += ["rateable_value_krw"]

    def validate_location(self, location):
        return validate_korean_point(location)


def _district(pk: int) -> BusinessImprovementDistrict:
    # The district alone: bid_list()'s member count and joins are for its listing.
    return get_object_or_404(BusinessImprovementDistrict.objects.all(), pk=pk)


class BidMembersView(APIView):
    """Members of a district. Names, addresses and values are for its managers."""

    serializer_class = MemberSerializer

    @extend_schema(responses=MemberSerializer(many=True))
    def get(self, request, pk: int):
        district = _district(pk)
        if not request.user.has_perm(MANAGE, district):
            raise NotPermitted()
        return Response(
            MemberSerializer(district.members.order_by("id"), many=True).data
        )

    @extend_schema(request=MemberSerializer, responses=MemberSerializer)
    def post(self, request, pk: int):
        district = _district(pk)
        payload = MemberSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        member = bid_member_add(
            actor=request.user, district=district, **payload.validated_data
        )
        return Response(MemberSerializer(member).data, status=status.HTTP_201_CREATED)


class BallotSerializer(serializers.ModelSerializer):
    failures = serializers.SerializerMethodField()

    class Meta:
        model = Ballot
        fields = [
            "id",
            "kind",
            "preset",
            "rule",
            "min_turnout_count_percent",
            "min_turnout_value_percent",
            "opens_on",
            "closes_on",
            "closed_at",
            "eligible_count",
            "eligible_value_krw",
            "votes_cast",
            "value_cast_krw",
            "yes_count",
            "yes_value_krw",
            "turnout_count_percent",
            "turnout_value_percent",
            "passed",
            "result_reasons",
            "failures",
        ]
        read_only_fields = [f for f in fields if f not in ("opens_on", "closes_on")]

    def get_failures(self, ballot) -> list[str]:
        """The tests that failed, each a sentence in the reader's language."""
        return ballot_failures_text(ballot)


class BidBallotsView(APIView):
    """Ballots of a district with their results by count and by rateable value."""

    serializer_class = BallotSerializer

    @extend_schema(responses=BallotSerializer(many=True))
    def get(self, request, pk: int):
        district = _district(pk)
        return Response(
            BallotSerializer(bid_ballot_list(district=district), many=True).data
        )

    @extend_schema(request=BallotSerializer, responses=BallotSerializer)
    def post(self, request, pk: int):
        district = _district(pk)
        payload = BallotSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        ballot = bid_ballot_open(
            actor=request.user, district=district, **payload.validated_data
        )
        return Response(BallotSerializer(ballot).data, status=status.HTTP_201_CREATED)


class VoteSerializer(serializers.Serializer):
    member = serializers.IntegerField()
    in_favour = serializers.BooleanField()


class VoteReceiptSerializer(serializers.Serializer):
    ballot = serializers.IntegerField()
    member = serializers.IntegerField()
    votes_recorded = serializers.IntegerField()


def _ballot(pk: int, ballot_pk: int) -> Ballot:
    # One query; 404 as well when the ballot is another district's.
    return get_object_or_404(
        Ballot.objects.select_related("district"), district_id=pk, pk=ballot_pk
    )


class BallotVotesView(APIView):
    """Record one returned ballot paper. Each member votes once; a second paper is
    refused. Votes are confidential: only totals are ever returned."""

    serializer_class = VoteSerializer

    @extend_schema(request=VoteSerializer, responses=VoteReceiptSerializer)
    def post(self, request, pk: int, ballot_pk: int):
        ballot = _ballot(pk, ballot_pk)
        payload = VoteSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        if not request.user.has_perm(MANAGE, ballot.district):
            raise NotPermitted()
        member = get_object_or_404(
            BidMember, district=ballot.district, pk=payload.validated_data["member"]
        )
        vote_cast(
            actor=request.user,
            ballot=ballot,
            member=member,
            in_favour=payload.validated_data["in_favour"],
        )
        return Response(
            {
                "ballot": ballot.pk,
                "member": member.pk,
                "votes_recorded": ballot.votes.count(),
            },
            status=status.HTTP_201_CREATED,
        )


class BallotCloseView(APIView):
    """Close a ballot: count by number and rateable value, apply the rule, and move
    the district on (active with a new term, or back to proposed, or ended)."""

    serializer_class = BallotSerializer

    @extend_schema(request=None, responses=BallotSerializer)
    def post(self, request, pk: int, ballot_pk: int):
        ballot = bid_ballot_close(actor=request.user, ballot=_ballot(pk, ballot_pk))
        return Response(BallotSerializer(ballot).data)
