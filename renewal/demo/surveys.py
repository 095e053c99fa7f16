"""An illustrative field-survey round of the demo city (Gyeongju): vacant houses
and shops reported but not yet surveyed, downtown first, open for this season, with a demo
surveyor assigned. A city editor adds their own account as a surveyor on the
round's page to try the phone survey (README, "Demo data")."""

import datetime

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from cities.models import Municipality
from renewal.demo.bids import CITY_CODE
from renewal.models import SpaceKind, SpaceStatus, SurveyRound, VacantSpace
from renewal.models.spaces import GradingScheme
from renewal.services.surveys import (
    survey_assignment_create,
    survey_round_create,
    survey_round_spaces_add,
)

USERNAME = "demo_surveyor"
ROUND_NAME = "원도심 빈집 실태조사 (예시)"
ROUND_SPACES = 40


@transaction.atomic
def demo_survey_load() -> int:
    """Create the demo round; how many spaces it holds (0 when it exists already
    or the demo city has no spaces)."""
    city = Municipality.objects.filter(code=CITY_CODE).first()
    if city is None or SurveyRound.objects.filter(municipality=city).exists():
        return 0
    space_ids = list(
        VacantSpace.objects.filter(
            municipality=city,
            status=SpaceStatus.REPORTED,
            kind__in=[SpaceKind.HOUSE, SpaceKind.SHOP],
        )
        .order_by("-in_downtown", "id")
        .values_list("pk", flat=True)[:ROUND_SPACES]
    )
    if not space_ids:
        return 0
    today = timezone.localdate()
    survey_round = survey_round_create(
        actor=None,
        municipality=city,
        data={
            "name": ROUND_NAME,
            "grading_scheme": GradingScheme.NATIONAL_2023,
            "starts_on": today,
            "ends_on": today + datetime.timedelta(days=90),
        },
    )
    surveyor, created = get_user_model().objects.get_or_create(
        username=USERNAME, defaults={"email": "demo-surveyor@example.kr"}
    )
    if created:
        surveyor.set_unusable_password()
        surveyor.save(update_fields=["password"])
    survey_assignment_create(actor=None, survey_round=survey_round, surveyor=surveyor)
    return survey_round_spaces_add(survey_round=survey_round, space_ids=space_ids)
