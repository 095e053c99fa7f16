"""Field surveys: rounds, their surveyors and spaces, the phone's download and sync,
and the editor's decision when a survey met an office change.

Check, then do, as everywhere: `survey_round_start`, `survey_surveyor_assign`,
`survey_round_spaces_assign`, `survey_observations_sync` and
`survey_conflict_resolve` ask the rules; the do-functions they call validate and
write. A synced observation always becomes evidence (who, when, where); its grade
and the "surveyed" step reach the space through `vacant_space_change` and
`space_status_set`, the same checks and history as any edit, unless the office
changed the space after the phone downloaded it: then nothing is applied and the
city's editors decide.
"""

import copy
import datetime
import uuid
from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.contrib.gis.db.models import GeometryField, Union
from django.contrib.gis.db.models.functions import AsGeoJSON
from django.contrib.gis.geos import MultiPolygon, Point
from django.db import IntegrityError, transaction
from django.db.models import F, FloatField, Func, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from core.errors import DomainError, require_perm
from core.geography import KOREA_BOUNDS
from renewal.models import (
    CONDITION_CHECKLISTS,
    Confidence,
    EvidenceKind,
    InventoryChange,
    LocationSource,
    ObservationState,
    SpaceKind,
    SpaceStatus,
    SurveyAssignment,
    SurveyObservation,
    SurveyRound,
    SurveyRoundSpace,
    SurveyRoundStatus,
    VacancyEvidence,
    VacancySign,
    VacantSpace,
)
from renewal.models.photos import PhotoSource
from renewal.models.spaces import GRADED_KINDS, HIGHEST_GRADE, SPACE_TRANSITIONS
from renewal.models.surveys import ConditionRating
from renewal.services.notifications import enqueue_survey_conflict_notifications
from renewal.services.photos import space_photo_create
from renewal.services.spaces import (
    space_status_set,
    vacant_space_change,
    vacant_space_check,
    vacant_spaces_boundary_refusals,
)

# The name of the phone's cache of the survey pages, shared by the page and its
# service worker; a new name makes the worker drop the old copies.
SURVEY_CACHE = "renewal-survey-v1"
# Records per sync request: small enough that a request on a weak connection ends
# before it is cut, large enough that 500 records take ten requests.
SYNC_BATCH_MAX = 50
# A phone's clock may be off by minutes; a record from tomorrow is a wrong record.
FUTURE_TOLERANCE = datetime.timedelta(hours=1)
# About 5 m: the outline the phone draws needs no more detail than that.
AREA_SIMPLIFY_DEGREES = 0.00005
NOTE_MAX = 2000


class SyncResult:
    STORED = "stored"
    DUPLICATE = "duplicate"
    CONFLICT = "conflict"
    REFUSED = "refused"


# Rounds, their surveyors and spaces.


def survey_round_create(*, actor, municipality, data: dict) -> SurveyRound:
    """A new round of the city: named, with its scheme and dates."""
    name = (data.get("name") or "").strip()
    if not name:
        raise DomainError(
            _("A survey round needs a name."), fields={"name": [_("Required.")]}
        )
    if data.get("grading_scheme") not in HIGHEST_GRADE:
        raise DomainError(
            _("Choose the grading scheme the round grades by."),
            fields={"grading_scheme": [_("Required.")]},
        )
    starts_on, ends_on = data.get("starts_on"), data.get("ends_on")
    if not starts_on or not ends_on or ends_on < starts_on:
        raise DomainError(
            _("A survey round ends on or after the day it starts."),
            fields={"ends_on": [_("On or after the start.")]},
        )
    return SurveyRound.objects.create(
        municipality=municipality,
        name=name,
        grading_scheme=data["grading_scheme"],
        starts_on=starts_on,
        ends_on=ends_on,
        status=data.get("status", SurveyRoundStatus.OPEN),
        area=data.get("area"),
        created_by=actor if actor is not None and actor.is_authenticated else None,
    )


def survey_round_start(*, actor, municipality, data: dict) -> SurveyRound:
    require_perm(actor, "renewal.manage_survey_rounds", municipality)
    return survey_round_create(actor=actor, municipality=municipality, data=data)


def survey_assignment_create(*, actor, survey_round: SurveyRound, surveyor):
    """Give `surveyor` the survey role in the round; giving it twice changes nothing."""
    assignment, _created = SurveyAssignment.objects.get_or_create(
        round=survey_round,
        surveyor=surveyor,
        defaults={
            "assigned_by": actor
            if actor is not None and actor.is_authenticated
            else None
        },
    )
    return assignment


def survey_surveyor_assign(*, actor, survey_round: SurveyRound, username: str):
    require_perm(actor, "renewal.manage_survey_rounds", survey_round)
    surveyor = (
        get_user_model()
        .objects.filter(username=(username or "").strip(), is_active=True)
        .first()
    )
    if surveyor is None:
        raise DomainError(
            _("No active account is named “%(name)s”.") % {"name": username},
            fields={"username": [_("Ask the surveyor to sign up first.")]},
        )
    return survey_assignment_create(
        actor=actor, survey_round=survey_round, surveyor=surveyor
    )


def survey_round_spaces_add(*, survey_round: SurveyRound, space_ids: Iterable[int]):
    """Add spaces of the round's city to the round; how many were new. Spaces of
    another city are refused, naming them."""
    wanted = set(space_ids)
    found = set(
        VacantSpace.objects.filter(
            pk__in=wanted, municipality_id=survey_round.municipality_id
        ).values_list("pk", flat=True)
    )
    missing = sorted(wanted - found)
    if missing:
        raise DomainError(
            _("These spaces are not spaces of the round's city: %(ids)s.")
            % {"ids": ", ".join(map(str, missing[:20]))},
            fields={"spaces": [_("Only spaces of the city.")]},
        )
    before = survey_round.round_spaces.count()
    SurveyRoundSpace.objects.bulk_create(
        [SurveyRoundSpace(round=survey_round, space_id=pk) for pk in sorted(found)],
        ignore_conflicts=True,
    )
    return survey_round.round_spaces.count() - before


def survey_round_spaces_assign(
    *, actor, survey_round: SurveyRound, space_ids: Iterable[int], areas=None
) -> int:
    """Add spaces to the round; `areas` (the 읍면동 they were chosen from) join the
    round's area, which the phone draws as the ground to cover."""
    require_perm(actor, "renewal.manage_survey_rounds", survey_round)
    with transaction.atomic():
        if areas is not None:
            survey_round_area_extend(survey_round=survey_round, areas=areas)
        return survey_round_spaces_add(survey_round=survey_round, space_ids=space_ids)


def survey_round_area_extend(*, survey_round: SurveyRound, areas) -> None:
    """Join the boundaries of `areas` (a queryset of the round's city's 읍면동) to
    its area, the union made by PostGIS."""
    union = areas.aggregate(union=Union("boundary"))["union"]
    if union is None:
        return
    if survey_round.area is not None:
        union = union.union(survey_round.area)
    if union.geom_type == "Polygon":
        union = MultiPolygon(union, srid=union.srid)
    survey_round.area = union
    survey_round.save(update_fields=["area"])


def survey_round_close(*, actor, survey_round: SurveyRound) -> SurveyRound:
    """Close the round: its surveyors' role ends, their queued records are refused."""
    require_perm(actor, "renewal.manage_survey_rounds", survey_round)
    survey_round.status = SurveyRoundStatus.CLOSED
    survey_round.save(update_fields=["status"])
    return survey_round


# The phone's download.


def checklist_definition(scheme: str) -> list[dict]:
    return [
        {"code": code, "label": str(label)}
        for code, label in CONDITION_CHECKLISTS.get(scheme, ())
    ]


def _space_versions():
    """The id of each space's last history entry: the version a phone saw."""
    return Coalesce(
        Subquery(
            InventoryChange.objects.filter(
                content_type=ContentType.objects.get_for_model(VacantSpace),
                object_id=OuterRef("pk"),
            )
            .order_by("-id")
            .values("id")[:1]
        ),
        Value(0),
    )


def survey_round_package(*, survey_round: SurveyRound) -> dict:
    """Everything the phone needs to survey offline, compact: each space is one
    array in the order `fields` names (2,000 spaces weigh about 200 kB), labels are
    in the active language, coordinates to 6 decimals (about 10 cm)."""
    rows = (
        VacantSpace.objects.filter(pk__in=survey_round.round_spaces.values("space_id"))
        .annotate(
            lon=Func(F("location"), function="ST_X", output_field=FloatField()),
            lat=Func(F("location"), function="ST_Y", output_field=FloatField()),
            version=_space_versions(),
        )
        .order_by("address", "id")
        .values_list(
            "id", "kind", "address", "lon", "lat", "grade", "status", "version"
        )
    )
    area = None
    if survey_round.area is not None:
        area = (
            SurveyRound.objects.filter(pk=survey_round.pk)
            .annotate(
                outline=AsGeoJSON(
                    Func(
                        F("area"),
                        Value(AREA_SIMPLIFY_DEGREES),
                        function="ST_SimplifyPreserveTopology",
                        output_field=GeometryField(srid=4326),
                    ),
                    precision=6,
                )
            )
            .values_list("outline", flat=True)
            .get()
        )
    scheme = survey_round.grading_scheme
    return {
        "round": {
            "id": survey_round.pk,
            "name": survey_round.name,
            "grading_scheme": scheme,
            "starts_on": survey_round.starts_on.isoformat(),
            "ends_on": survey_round.ends_on.isoformat(),
            "status": survey_round.status,
        },
        "grades": list(range(1, HIGHEST_GRADE[scheme] + 1)),
        "graded_kinds": sorted(GRADED_KINDS.get(scheme, ())),
        "checklist": checklist_definition(scheme),
        "ratings": [
            {"code": c, "label": str(label)} for c, label in ConditionRating.choices
        ],
        "signs": [{"code": c, "label": str(label)} for c, label in VacancySign.choices],
        "kinds": {c: str(label) for c, label in SpaceKind.choices},
        "statuses": {c: str(label) for c, label in SpaceStatus.choices},
        "area": area,
        "fields": ["id", "kind", "address", "lon", "lat", "grade", "status", "version"],
        "spaces": [
            [pk, kind, address, round(lon, 6), round(lat, 6), grade, status, version]
            for pk, kind, address, lon, lat, grade, status, version in rows
        ],
    }


# Sync.


def _refuse(message, field: str, hint=None):
    raise DomainError(message, fields={field: [hint or message]})


def _parse_record(survey_round: SurveyRound, record: dict) -> dict:
    """The record's values, typed, or a DomainError naming the field."""
    if not isinstance(record, dict):
        _refuse(_("Each record must be an object."), "record")
    try:
        client_id = uuid.UUID(str(record.get("client_id")))
    except ValueError:
        _refuse(_("The record has no valid id."), "client_id")
    space_id = record.get("space")
    if not isinstance(space_id, int) or isinstance(space_id, bool):
        _refuse(_("The record names no space."), "space")
    observed_at = parse_datetime(str(record.get("observed_at") or ""))
    if observed_at is None:
        _refuse(
            _("When was it observed? The time is missing or unreadable."), "observed_at"
        )
    if timezone.is_naive(observed_at):
        observed_at = timezone.make_aware(observed_at)
    if observed_at > timezone.now() + FUTURE_TOLERANCE:
        _refuse(
            _("The observation is dated in the future; check the phone's clock."),
            "observed_at",
        )
    source = record.get("location_source") or LocationSource.BUILDING
    if source not in LocationSource.values:
        _refuse(_("Unknown position source."), "location_source")
    location = None
    if source != LocationSource.BUILDING:
        position = record.get("location") or {}
        try:
            lon, lat = float(position["lon"]), float(position["lat"])
        except (KeyError, TypeError, ValueError):
            _refuse(_("A position from GPS or the map needs lon and lat."), "location")
        min_lon, min_lat, max_lon, max_lat = KOREA_BOUNDS
        if not (min_lon <= lon <= max_lon and min_lat <= lat <= max_lat):
            _refuse(_("The position lies outside Korea."), "location")
        location = Point(lon, lat, srid=4326)
    accuracy = record.get("accuracy_m")
    if accuracy is not None:
        try:
            accuracy = float(accuracy)
        except (TypeError, ValueError):
            _refuse(_("The accuracy must be a number of metres."), "accuracy_m")
        if accuracy < 0:
            _refuse(_("The accuracy must be a number of metres."), "accuracy_m")
    signs = record.get("signs") or []
    if not isinstance(signs, list) or any(s not in VacancySign.values for s in signs):
        _refuse(_("Unknown sign of vacancy."), "signs")
    checklist = record.get("checklist") or {}
    items = {code for code, _label in CONDITION_CHECKLISTS[survey_round.grading_scheme]}
    if not isinstance(checklist, dict) or any(
        key not in items or value not in ConditionRating.values
        for key, value in checklist.items()
    ):
        _refuse(
            _(
                "The checklist holds an item or rating this round's scheme does not have."
            ),
            "checklist",
        )
    grade = record.get("grade")
    if grade is not None and (not isinstance(grade, int) or isinstance(grade, bool)):
        _refuse(_("The grade must be a whole number."), "grade")
    note = str(record.get("note") or "")
    if len(note) > NOTE_MAX:
        _refuse(_("The note is too long."), "note")
    base_version = record.get("base_version") or 0
    if not isinstance(base_version, int) or base_version < 0:
        _refuse(_("The version of the downloaded space is unreadable."), "base_version")
    return {
        "client_id": client_id,
        "space_id": space_id,
        "observed_at": observed_at,
        "location_source": source,
        "location": location,
        "accuracy_m": accuracy,
        "signs": list(dict.fromkeys(signs)),
        "checklist": checklist,
        "grade": grade,
        "note": note.strip(),
        "base_version": base_version,
    }


def _confidence(signs: list[str]) -> str:
    # Several independent signs seen on site are strong evidence; none is weak.
    if len(signs) >= 3:
        return Confidence.HIGH
    if signs:
        return Confidence.MEDIUM
    return Confidence.LOW


def _office_changes(space: VacantSpace, *, since: int, surveyor) -> dict:
    """What others changed in the space after history entry `since`: field →
    [value then, value now], from the history."""
    entries = (
        InventoryChange.objects.filter(
            content_type=ContentType.objects.get_for_model(VacantSpace),
            object_id=space.pk,
            id__gt=since,
        )
        .exclude(actor=surveyor)
        .order_by("id")
    )
    changes: dict = {}
    for entry in entries:
        for name, values in entry.changes.items():
            if isinstance(values, list) and len(values) == 2:
                first = changes.get(name, values)[0]
                changes[name] = [first, values[1]]
            else:
                changes[name] = values
    return changes


def _survey_reason(observation: SurveyObservation) -> str:
    return _("Survey “%(round)s” by %(surveyor)s, record %(record)s") % {
        "round": observation.round.name,
        "surveyor": observation.surveyor.get_username(),
        "record": observation.client_id,
    }


def _apply(*, observation: SurveyObservation, space: VacantSpace, actor, reason: str):
    """The survey's grade and the "surveyed" step, through the space's own rules."""
    if observation.grade is not None:
        vacant_space_change(
            actor=actor,
            space=space,
            data={
                "grading_scheme": observation.round.grading_scheme,
                "grade": observation.grade,
            },
            reason=reason,
        )
    if SpaceStatus.SURVEYED in SPACE_TRANSITIONS[space.status] and (
        space.status == SpaceStatus.REPORTED
    ):
        space_status_set(
            space=space,
            to=SpaceStatus.SURVEYED,
            actor=actor,
            reason=reason,
            refusal=_("A space that is “%(current)s” cannot become “%(target)s”."),
        )


def survey_observation_record(
    *, actor, survey_round: SurveyRound, record: dict
) -> tuple[str, SurveyObservation]:
    """Store one record from the phone (the caller has asked the rules), in one
    transaction: the observation, its evidence and, unless the office changed the
    space since the download, the grade and status. Returns the result and the
    observation; a record seen before returns its stored observation unchanged."""
    values = _parse_record(survey_round, record)
    existing = (
        SurveyObservation.objects.filter(client_id=values["client_id"])
        .select_related("space")
        .first()
    )
    if existing is not None:
        if existing.surveyor_id != actor.pk or existing.round_id != survey_round.pk:
            _refuse(_("This record id belongs to another record."), "client_id")
        return SyncResult.DUPLICATE, existing
    try:
        with transaction.atomic():
            return _record(actor=actor, survey_round=survey_round, values=values)
    except IntegrityError:
        # The same record arrived twice at once: the other request stored it.
        existing = SurveyObservation.objects.filter(
            client_id=values["client_id"]
        ).first()
        if existing is None:
            raise
        return SyncResult.DUPLICATE, existing


def _record(*, actor, survey_round: SurveyRound, values: dict):
    space = (
        VacantSpace.objects.select_for_update()
        .filter(
            pk=values["space_id"],
            pk__in=survey_round.round_spaces.values("space_id"),
        )
        .first()
    )
    if space is None:
        _refuse(_("This space is not one of the round's spaces."), "space")
    grade = values["grade"]
    if grade is not None:
        # The grade as it would be stored, checked by the inventory's own rules
        # whether it is applied now or after an editor's decision.
        probe = copy.copy(space)
        probe.grading_scheme, probe.grade = survey_round.grading_scheme, grade
        vacant_space_check(probe, boundary=False)
    location = values["location"] or space.location
    if values["location"] is not None:
        probe = copy.copy(space)
        probe.location = location
        for refusal in vacant_spaces_boundary_refusals(
            space.municipality, [probe]
        ).values():
            raise refusal
    office_changes = _office_changes(
        space, since=values["base_version"], surveyor=actor
    )
    observed_at = values["observed_at"]
    evidence = VacancyEvidence.objects.create(
        space=space,
        kind=EvidenceKind.SURVEY_VISIT,
        observed_on=timezone.localdate(observed_at),
        observed_at=observed_at,
        location=location,
        confidence=_confidence(values["signs"]),
        note=values["note"],
        recorded_by=actor,
    )
    observation = SurveyObservation.objects.create(
        client_id=values["client_id"],
        round=survey_round,
        municipality_id=survey_round.municipality_id,
        space=space,
        surveyor=actor,
        observed_at=observed_at,
        location=location,
        location_source=values["location_source"],
        accuracy_m=values["accuracy_m"],
        signs=values["signs"],
        grade=grade,
        checklist=values["checklist"],
        note=values["note"],
        base_version=values["base_version"],
        state=ObservationState.CONFLICT if office_changes else ObservationState.APPLIED,
        office_changes=office_changes,
        evidence=evidence,
    )
    if office_changes:
        enqueue_survey_conflict_notifications(observation.pk)
        return SyncResult.CONFLICT, observation
    _apply(
        observation=observation,
        space=space,
        actor=actor,
        reason=_survey_reason(observation),
    )
    return SyncResult.STORED, observation


def survey_observations_sync(
    *, actor, survey_round: SurveyRound, records: list
) -> list[dict]:
    """Store a batch from the phone, each record on its own: one refused record
    does not hold back the others, and what was stored stays stored if the
    connection drops before the answer arrives (the phone sends it again and
    hears "duplicate"). One result per record, in order."""
    require_perm(
        actor,
        "renewal.survey_round",
        survey_round,
        message=_("You may not survey this round: it is closed or not yours."),
    )
    if not isinstance(records, list) or not records:
        raise DomainError(
            _("Send a list of records."), fields={"observations": [_("Required.")]}
        )
    if len(records) > SYNC_BATCH_MAX:
        raise DomainError(
            _("Send at most %(max)d records at a time.") % {"max": SYNC_BATCH_MAX},
            fields={"observations": [_("Too many records.")]},
        )
    results = []
    for record in records:
        client_id = record.get("client_id") if isinstance(record, dict) else None
        try:
            result, observation = survey_observation_record(
                actor=actor, survey_round=survey_round, record=record
            )
        except DomainError as refusal:
            results.append(
                {
                    "client_id": client_id,
                    "result": SyncResult.REFUSED,
                    "message": str(refusal.message),
                    "fields": {
                        k: [str(m) for m in v] for k, v in refusal.fields.items()
                    },
                }
            )
            continue
        results.append(
            {
                "client_id": str(observation.client_id),
                "result": result,
                "state": observation.state,
                "observation": observation.pk,
                "space": observation.space_id,
            }
        )
    return results


# Photos.


def survey_photo_add(
    *, actor, survey_round: SurveyRound, observation_client_id, upload, client_id
):
    """A photo the surveyor took of a building, sent after its observation: stored
    with the observation's space as a survey photo, unpublished until the city
    publishes it. Its own client_id makes a resent photo return the stored one."""
    require_perm(
        actor,
        "renewal.survey_round",
        survey_round,
        message=_("You may not survey this round: it is closed or not yours."),
    )
    try:
        observation_client_id = uuid.UUID(str(observation_client_id))
        client_id = uuid.UUID(str(client_id))
    except ValueError:
        _refuse(_("The photo has no valid id."), "client_id")
    observation = (
        SurveyObservation.objects.select_related("space")
        .filter(client_id=observation_client_id, round=survey_round, surveyor=actor)
        .first()
    )
    if observation is None:
        _refuse(
            _("Send the record before its photos: this record is not stored."),
            "observation",
        )
    return space_photo_create(
        actor=actor,
        space=observation.space,
        upload=upload,
        source=PhotoSource.SURVEY,
        client_id=client_id,
        publish=False,
    )


# Conflicts.

SURVEY_COMPARED_FIELDS = ("grade", "status")


def survey_conflict_values(observation: SurveyObservation) -> list[dict]:
    """The office's values now beside the survey's, for the editor's decision."""
    space = observation.space
    survey_status = (
        SpaceStatus.SURVEYED if space.status == SpaceStatus.REPORTED else space.status
    )
    return [
        {
            "field": "grade",
            "office": space.grade,
            "survey": observation.grade
            if observation.grade is not None
            else space.grade,
        },
        {
            "field": "status",
            "office": SpaceStatus(space.status).label,
            "survey": SpaceStatus(survey_status).label,
        },
    ]


@transaction.atomic
def survey_conflict_resolve(
    *, actor, observation: SurveyObservation, keep: str, reason: str = ""
) -> SurveyObservation:
    """The editor's decision on a conflict: apply the survey's values (with the
    editor as author and the observation named in the history) or keep the
    office's. The observation and its evidence stay either way."""
    observation = (
        SurveyObservation.objects.select_for_update()
        .select_related("round", "surveyor")
        .get(pk=observation.pk)
    )
    require_perm(actor, "renewal.resolve_survey_conflict", observation)
    if observation.state != ObservationState.CONFLICT:
        raise DomainError(
            _("This observation was settled already (%(state)s).")
            % {"state": ObservationState(observation.state).label}
        )
    if keep not in ("survey", "office"):
        raise DomainError(
            _("Choose the survey's values or the office's."),
            fields={"keep": [_("“survey” or “office”.")]},
        )
    reason = (reason or "").strip()
    if keep == "survey":
        space = VacantSpace.objects.select_for_update().get(pk=observation.space_id)
        history_reason = _survey_reason(observation)
        if reason:
            history_reason += " — " + reason
        _apply(observation=observation, space=space, actor=actor, reason=history_reason)
        observation.state = ObservationState.KEPT_SURVEY
    else:
        observation.state = ObservationState.KEPT_OFFICE
    observation.resolved_by = actor
    observation.resolved_at = timezone.now()
    observation.resolution_reason = reason
    observation.save(
        update_fields=["state", "resolved_by", "resolved_at", "resolution_reason"]
    )
    return observation
