from django import forms
from django.contrib.auth.forms import UserCreationForm
from django.contrib.auth.models import User
from django.contrib.gis.geos import Point
from django.utils.translation import gettext_lazy as _

from core.errors import DomainError
from renewal.api.spaces import KOREA_BOUNDS, VacantSpaceFilter
from renewal.models import MatchingSettings, VacantSpace
from renewal.models.matching import MATCHING_SETTINGS_FIELDS
from renewal.models.projects import PROJECT_NEEDS_FIELDS
from renewal.models.spaces import SPACE_EDITABLE_FIELDS, SPACE_OWNER_FIELDS


class DomainErrorFormMixin:
    """Shows a service's refusal on the form: its sentence, and each field's messages
    on that field. `domain_error_fields` maps a service field onto the form field
    that stands for it (the location onto the longitude input)."""

    domain_error_fields: dict[str, str] = {}

    def add_domain_error(self, error: DomainError) -> None:
        self.add_error(None, str(error.message))
        for name, messages in error.fields.items():
            target = self.domain_error_fields.get(name, name)
            if target in self.fields:
                for message in messages:
                    self.add_error(target, str(message))


def longitude_field(*, required: bool = True) -> forms.FloatField:
    """The longitude of a place in South Korea (EPSG:4326), typed or clicked."""
    return forms.FloatField(
        label=_("Longitude"),
        required=required,
        min_value=KOREA_BOUNDS[0],
        max_value=KOREA_BOUNDS[2],
        widget=forms.NumberInput(attrs={"step": "any"}),
        help_text=_("Click on the map, or type the coordinates (EPSG:4326)."),
    )


def typed_point(cleaned: dict) -> Point | None:
    """The point of a form's longitude and latitude fields (EPSG:4326); None when
    either is empty."""
    longitude, latitude = cleaned.get("longitude"), cleaned.get("latitude")
    if longitude is None or latitude is None:
        return None
    return Point(longitude, latitude, srid=4326)


def latitude_field(*, required: bool = True) -> forms.FloatField:
    return forms.FloatField(
        label=_("Latitude"),
        required=required,
        min_value=KOREA_BOUNDS[1],
        max_value=KOREA_BOUNDS[3],
        widget=forms.NumberInput(attrs={"step": "any"}),
    )


class SignUpForm(UserCreationForm):
    email = forms.EmailField(
        label=_("E-mail"),
        help_text=_("Needed to reset your password and to receive notifications."),
    )

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ["username", "email"]

    def clean_email(self):
        email = self.cleaned_data["email"].strip().lower()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(
                _("An account with this e-mail address already exists.")
            )
        return email


class VacantSpacePageFilter(VacantSpaceFilter):
    """The API's filters for the map and list pages, with labels for people.

    The filtering itself is the API's; only the presentation differs. The city comes
    from the page's address, and the map asks the API for the bounding box itself.
    """

    PAGE_FIELDS = (
        "kind",
        "status",
        "availability",
        "grade",
        "in_downtown",
        "min_area",
        "max_area",
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.filters = {name: self.filters[name] for name in self.PAGE_FIELDS}
        for page_filter in self.filters.values():
            # A filter builds its form field once and keeps it; the FilterSet's copy
            # of the class-level filters carries that field along. The API's schema
            # builds the fields of these same filters, after which the labels and
            # choices set below would never reach the form: drop the built field so
            # the form is made from them, in this request's language.
            page_filter.__dict__.pop("_field", None)
        labels = {
            "kind": _("Kind"),
            "status": _("Status"),
            "availability": _("Availability"),
            "grade": _("Condition grade"),
            "in_downtown": _("Downtown"),
            "min_area": _("Floor area from (m²)"),
            "max_area": _("Floor area up to (m²)"),
        }
        for name, label in labels.items():
            self.filters[name].label = label
        for name in ("kind", "status", "availability", "in_downtown"):
            self.filters[name].extra["empty_label"] = _("Any")
        self.filters["in_downtown"].extra["choices"] = [
            ("true", _("In the downtown")),
            ("false", _("Outside the downtown")),
        ]
        for name in ("grade", "min_area", "max_area"):
            self.filters[name].extra["min_value"] = 0


# The survey identifier, rarely typed by hand, comes last on the page.
SPACE_FIELDS = sorted(SPACE_EDITABLE_FIELDS, key=lambda name: name == "external_id")
OWNER_FORM_FIELDS = {f"owner_{name}": name for name in SPACE_OWNER_FIELDS}


class VacantSpaceForm(DomainErrorFormMixin, forms.Form):
    """A space's public fields, its location and its owner, for staff pages.

    A plain form built from the model's fields rather than a ModelForm: the services
    validate and save, so the form must not validate or change the instance itself.
    """

    domain_error_fields = {"location": "longitude"}

    longitude = longitude_field()
    latitude = latitude_field()
    owner_name = forms.CharField(label=_("Owner name"), max_length=120, required=False)
    owner_contact = forms.CharField(
        label=_("Owner contact"), max_length=120, required=False
    )
    owner_note = forms.CharField(
        label=_("Note on the owner"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, space: VacantSpace | None = None, **kwargs) -> None:
        if space is not None and "initial" not in kwargs:
            kwargs["initial"] = self.initial_for(space)
        super().__init__(*args, **kwargs)
        model_fields = forms.fields_for_model(
            VacantSpace,
            fields=SPACE_FIELDS,
            widgets={"vacant_since": forms.DateInput(attrs={"type": "date"})},
        )
        self.fields = {**model_fields, **self.fields}

    # Bound fields in the page's three fieldsets.
    @property
    def space_fields(self) -> list:
        return [self[name] for name in SPACE_FIELDS]

    @property
    def location_fields(self) -> list:
        return [self["longitude"], self["latitude"]]

    @property
    def owner_fields(self) -> list:
        return [self[name] for name in OWNER_FORM_FIELDS]

    @staticmethod
    def initial_for(space: VacantSpace) -> dict:
        initial = {name: getattr(space, name) for name in SPACE_FIELDS}
        initial["longitude"] = space.location.x
        initial["latitude"] = space.location.y
        owner = getattr(space, "owner", None)
        if owner is not None:
            for field, attribute in OWNER_FORM_FIELDS.items():
                initial[field] = getattr(owner, attribute)
        return initial

    def space_data(self) -> dict:
        data = {name: self.cleaned_data[name] for name in SPACE_FIELDS}
        # An empty choice arrives as "", which the model stores as blank text.
        for name in ("external_id", "address", "source", "grading_scheme"):
            data[name] = data[name] or ""
        data["location"] = typed_point(self.cleaned_data)
        return data

    def owner_data(self) -> dict:
        return {
            attribute: self.cleaned_data[field]
            for field, attribute in OWNER_FORM_FIELDS.items()
        }


# Renewal projects and participation pages.


class ProjectPageFilter(forms.Form):
    """Category and status filters of a city's project map and list (GET)."""

    category = forms.ChoiceField(label=_("Category"), required=False)
    status = forms.ChoiceField(label=_("Status"), required=False)

    def __init__(self, *args, **kwargs) -> None:
        from renewal.models import ProjectCategory, ProjectStatus

        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", _("Any")), *ProjectCategory.choices]
        self.fields["status"].choices = [("", _("Any")), *ProjectStatus.choices]

    def filter(self, projects):
        if not self.is_bound or not self.is_valid():
            return projects
        for name in ("category", "status"):
            if self.cleaned_data[name]:
                projects = projects.filter(**{name: self.cleaned_data[name]})
        return projects


PROJECT_FIELDS = ["title", "description", "category"]


class RenewalProjectProposalForm(DomainErrorFormMixin, forms.Form):
    """A resident's proposal. The place is a point (clicked, or typed as numbers) or
    an area drawn on the map, which arrives as a GeoJSON polygon in `area`."""

    domain_error_fields = {"place": "longitude", "needs": "needs_min_area_m2"}

    longitude = longitude_field(required=False)
    latitude = latitude_field(required=False)
    area = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, space=None, **kwargs) -> None:
        from django.contrib.postgres.fields import ArrayField

        from renewal.models import RenewalProject

        # A proposal from the listing stands on its space: no place to pick.
        self.space = space
        super().__init__(*args, **kwargs)
        model_fields = forms.fields_for_model(
            RenewalProject,
            fields=[*PROJECT_FIELDS, *PROJECT_NEEDS_FIELDS],
            widgets={
                "earliest_start": forms.DateInput(attrs={"type": "date"}),
                "description": forms.Textarea(attrs={"rows": 5}),
            },
        )
        # ArrayFields of choices: one checkbox per choice reads better than a
        # comma-separated text box.
        for name in PROJECT_NEEDS_FIELDS:
            field = RenewalProject._meta.get_field(name)
            if not isinstance(field, ArrayField):
                continue
            base = field.base_field
            model_fields[name] = forms.MultipleChoiceField(
                label=model_fields[name].label,
                choices=base.choices,
                required=False,
                widget=forms.CheckboxSelectMultiple,
            )
        self.fields = {**model_fields, **self.fields}

    @property
    def project_fields(self) -> list:
        return [self[name] for name in PROJECT_FIELDS]

    @property
    def needs_fields(self) -> list:
        return [self[name] for name in PROJECT_NEEDS_FIELDS]

    @property
    def place_fields(self) -> list:
        return [self["longitude"], self["latitude"]]

    def clean(self):
        from django.contrib.gis.geos import GEOSException, GEOSGeometry

        cleaned = super().clean()
        area = (cleaned.get("area") or "").strip()
        if self.space is not None:
            cleaned["place"] = self.space.location
        elif area:
            try:
                place = GEOSGeometry(area, srid=4326)
            except (GEOSException, ValueError, TypeError):
                raise forms.ValidationError(_("The drawn area could not be read."))
            cleaned["place"] = place
        elif (point := typed_point(cleaned)) is not None:
            cleaned["place"] = point
        elif not self.has_error("longitude") and not self.has_error("latitude"):
            raise forms.ValidationError(
                _(
                    "Place the project: click on the map, draw an area, or type the "
                    "coordinates."
                )
            )
        return cleaned

    def project_data(self) -> dict:
        data = {name: self.cleaned_data[name] for name in PROJECT_FIELDS}
        data.update({name: self.cleaned_data[name] for name in PROJECT_NEEDS_FIELDS})
        data["place"] = self.cleaned_data["place"]
        if self.space is not None:
            data["space"] = self.space
        return data


class ProgressUpdateForm(forms.Form):
    text = forms.CharField(
        label=_("What happened"), widget=forms.Textarea(attrs={"rows": 3})
    )
    percent_complete = forms.IntegerField(
        label=_("Percent complete"), min_value=0, max_value=100
    )
    milestone = forms.CharField(label=_("Milestone"), max_length=200, required=False)


class ParticipationEventForm(forms.Form):
    """An event run by one of the user's organisations (the choices are set by the
    view from the user's memberships)."""

    organization = forms.TypedChoiceField(label=_("Organisation"), coerce=int)
    kind = forms.ChoiceField(label=_("Kind of event"))
    date = forms.DateField(
        label=_("Date"), widget=forms.DateInput(attrs={"type": "date"})
    )
    place = forms.CharField(label=_("Place"), max_length=200, required=False)
    attendees_under_20 = forms.IntegerField(
        label=_("Attendees under 20"), min_value=0, initial=0
    )
    attendees_20_39 = forms.IntegerField(
        label=_("Attendees 20–39"), min_value=0, initial=0
    )
    attendees_40_64 = forms.IntegerField(
        label=_("Attendees 40–64"), min_value=0, initial=0
    )
    attendees_65_plus = forms.IntegerField(
        label=_("Attendees 65 and over"), min_value=0, initial=0
    )
    volunteer_hours = forms.DecimalField(
        label=_("Volunteer hours"),
        min_value=0,
        max_digits=8,
        decimal_places=1,
        initial=0,
    )

    def __init__(self, *args, organizations=(), **kwargs) -> None:
        from renewal.models import EventKind

        super().__init__(*args, **kwargs)
        self.fields["organization"].choices = [
            (organization.pk, organization.name) for organization in organizations
        ]
        self.fields["kind"].choices = EventKind.choices

    def event_data(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("organization")
        return data


# Matching pages.


class UseAgreementForm(DomainErrorFormMixin, forms.Form):
    """The use agreement a project accepts an offered space with. The service
    checks it (dates in order, no rent for free use); its refusals land here."""

    kind = forms.ChoiceField(label=_("Kind of agreement"))
    start_date = forms.DateField(
        label=_("Start"), widget=forms.DateInput(attrs={"type": "date"})
    )
    end_date = forms.DateField(
        label=_("End"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Leave empty for an agreement without an end date."),
    )
    monthly_rent_krw = forms.IntegerField(
        label=_("Monthly rent (KRW)"),
        min_value=0,
        max_value=2_147_483_647,
        required=False,
        help_text=_("Leave empty for free use."),
    )

    def __init__(self, *args, **kwargs) -> None:
        from renewal.models import AgreementKind

        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = AgreementKind.choices

    def agreement_data(self) -> dict:
        return dict(self.cleaned_data)


# Matching settings page.


class MatchingSettingsForm(DomainErrorFormMixin, forms.ModelForm):
    """A city's matching weights and scales. The bounds are the service's
    (renewal.services.matching.settings), shown on the form when it refuses."""

    class Meta:
        model = MatchingSettings
        fields = MATCHING_SETTINGS_FIELDS


# Meetings.

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


def datetime_local_field(label, *, required: bool = True) -> forms.DateTimeField:
    """A date and time typed in the city's time zone (Asia/Seoul)."""
    return forms.DateTimeField(
        label=label,
        required=required,
        input_formats=[DATETIME_LOCAL],
        widget=forms.DateTimeInput(
            attrs={"type": "datetime-local"}, format=DATETIME_LOCAL
        ),
    )


class MeetingForm(DomainErrorFormMixin, forms.Form):
    """Announcing a meeting; the service (renewal/services/meetings.py) checks it."""

    domain_error_fields = {"location": "longitude"}

    kind = forms.ChoiceField(label=_("Kind of event"))
    title = forms.CharField(label=_("Title"), max_length=200)
    starts_at = datetime_local_field(_("Starts"))
    ends_at = datetime_local_field(_("Ends"), required=False)
    place = forms.CharField(
        label=_("Address of the place"),
        max_length=200,
        help_text=_("For example: 영주시 중앙로 12, 2층 회의실"),
    )
    longitude = longitude_field(required=False)
    latitude = latitude_field(required=False)
    capacity = forms.IntegerField(
        label=_("Places (leave empty for no limit)"), min_value=1, required=False
    )
    description = forms.CharField(
        label=_("What happens there"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args, **kwargs) -> None:
        from renewal.models import EventKind

        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = EventKind.choices
        self.fields["longitude"].help_text = _(
            "Optional: the point on a map, as longitude and latitude (EPSG:4326)."
        )

    def clean(self):
        data = super().clean()
        if (data.get("longitude") is None) != (data.get("latitude") is None):
            raise forms.ValidationError(
                _("Give both longitude and latitude, or neither.")
            )
        return data

    def meeting_data(self) -> dict:
        data = dict(self.cleaned_data)
        data["location"] = typed_point(data)
        del data["longitude"], data["latitude"]
        return data


class MeetingAttendanceForm(forms.Form):
    """Who came: RSVPs ticked by name, walk-ins counted by age band."""

    attended = forms.MultipleChoiceField(
        label=_("Who came (from the RSVPs)"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    attendees_under_20 = forms.IntegerField(
        label=_("Walk-ins under 20"), min_value=0, initial=0
    )
    attendees_20_39 = forms.IntegerField(
        label=_("Walk-ins 20–39"), min_value=0, initial=0
    )
    attendees_40_64 = forms.IntegerField(
        label=_("Walk-ins 40–64"), min_value=0, initial=0
    )
    attendees_65_plus = forms.IntegerField(
        label=_("Walk-ins 65 and over"), min_value=0, initial=0
    )
    volunteer_hours = forms.DecimalField(
        label=_("Volunteer hours"),
        min_value=0,
        max_digits=8,
        decimal_places=1,
        initial=0,
    )

    def __init__(self, *args, rsvps=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Any id is accepted here; the service refuses one that is not an RSVP.
        self.fields["attended"].choices = [
            (str(rsvp.user_id), rsvp.user.get_username()) for rsvp in rsvps
        ]
        self.fields["attended"].valid_value = lambda value: True

    def walk_ins(self) -> dict:
        from renewal.models.progress import WALK_IN_FIELDS

        return {name: self.cleaned_data[name] for name in WALK_IN_FIELDS}


# Following an area from a map page.

# The distances a resident chooses from; the service accepts any in its range.
AREA_FOLLOW_RADII_M = (500, 1000, 3000)


def radius_label(radius_m: int) -> str:
    """A distance as people say it: "500 m", "1 km"."""
    if radius_m >= 1000 and radius_m % 1000 == 0:
        return str(_("%(km)d km") % {"km": radius_m // 1000})
    return str(_("%(m)d m") % {"m": radius_m})


class AreaFollowForm(DomainErrorFormMixin, forms.Form):
    """ "Notify me about new projects within [500 m | 1 km | 3 km] of here"."""

    domain_error_fields = {"center": "longitude"}

    longitude = longitude_field()
    latitude = latitude_field()
    radius_m = forms.TypedChoiceField(
        label=_("Within"),
        coerce=int,
        choices=[],
        initial=1000,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["radius_m"].choices = [
            (radius, radius_label(radius)) for radius in AREA_FOLLOW_RADII_M
        ]

    def area_follow_data(self) -> dict:
        return {
            "center": typed_point(self.cleaned_data),
            "radius_m": self.cleaned_data["radius_m"],
        }


# Owners and the public listing (빈집은행).


class ListingFilterForm(forms.Form):
    """The listing's filters, shared by its page and its API."""

    city = forms.CharField(label=_("City code"), required=False, max_length=10)
    area = forms.CharField(
        label=_("Town or neighbourhood code (SGIS)"), required=False, max_length=7
    )
    kind = forms.ChoiceField(label=_("Kind"), required=False)
    availability = forms.ChoiceField(label=_("Offered for"), required=False)
    min_area = forms.DecimalField(
        label=_("Floor area from (m²)"), required=False, min_value=0
    )
    max_area = forms.DecimalField(
        label=_("Floor area up to (m²)"), required=False, min_value=0
    )
    max_rent = forms.IntegerField(
        label=_("Monthly rent up to (KRW)"), required=False, min_value=0
    )
    max_price = forms.IntegerField(
        label=_("Price up to (KRW)"), required=False, min_value=0
    )

    def __init__(self, *args, cities=(), areas=None, **kwargs) -> None:
        from renewal.models import Availability, SpaceKind
        from renewal.models.spaces import OFFERED_AVAILABILITIES

        super().__init__(*args, **kwargs)
        any_choice = [("", _("Any"))]
        self.fields["kind"].choices = any_choice + list(SpaceKind.choices)
        self.fields["availability"].choices = any_choice + [
            (value, label)
            for value, label in Availability.choices
            if value in OFFERED_AVAILABILITIES
        ]
        if cities:
            self.fields["city"] = forms.ChoiceField(
                label=_("City"),
                required=False,
                choices=any_choice + [(city.code, city.name) for city in cities],
            )
        if areas is not None:
            # On the page: the chosen city's towns and neighbourhoods by name, or
            # nothing to choose before a city is chosen.
            if areas:
                self.fields["area"] = forms.ChoiceField(
                    label=_("Town or neighbourhood"),
                    required=False,
                    choices=any_choice + [(a.sgis_code, a.name) for a in areas],
                )
            else:
                del self.fields["area"]

    def filters(self):
        from renewal.selectors.owners import ListingFilters

        data = self.cleaned_data
        return ListingFilters(
            **{
                name: data.get(name) if data.get(name) not in ("", None) else default
                for name, default in (
                    ("city", ""),
                    ("area", ""),
                    ("kind", ""),
                    ("availability", ""),
                    ("min_area", None),
                    ("max_area", None),
                    ("max_rent", None),
                    ("max_price", None),
                )
            }
        )


class OwnershipEvidenceForm(DomainErrorFormMixin, forms.Form):
    """How the city can check a claim: a document, or a visit."""

    evidence = forms.ChoiceField(
        label=_("How can the city check that you own it?"),
        widget=forms.RadioSelect,
    )
    document = forms.FileField(
        label=_("Document (PDF, JPEG or PNG, up to 10 MB)"),
        required=False,
        help_text=_(
            "A building register extract, a land registry extract or a property tax "
            "notice. Only you and the city's staff can open it."
        ),
        widget=forms.ClearableFileInput(
            attrs={"accept": "application/pdf,image/jpeg,image/png"}
        ),
    )
    note = forms.CharField(
        label=_("Note to the city (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, **kwargs) -> None:
        from renewal.models import ClaimEvidence

        super().__init__(*args, **kwargs)
        self.fields["evidence"].choices = ClaimEvidence.choices

    def claim_data(self) -> dict:
        return {
            "evidence": self.cleaned_data["evidence"],
            "document": self.cleaned_data.get("document"),
            "note": self.cleaned_data.get("note", ""),
        }


class NewBuildingClaimForm(OwnershipEvidenceForm):
    """A building not yet in the inventory, and the evidence of owning it."""

    domain_error_fields = {"location": "longitude"}

    address = forms.CharField(label=_("Address"), max_length=255)
    kind = forms.ChoiceField(label=_("Kind"))
    floor_area_m2 = forms.DecimalField(
        label=_("Floor area (m²)"), required=False, min_value=0.01, decimal_places=2
    )
    longitude = longitude_field()
    latitude = latitude_field()

    field_order = ["address", "kind", "floor_area_m2", "longitude", "latitude"]

    def __init__(self, *args, **kwargs) -> None:
        from renewal.models import SpaceKind

        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = SpaceKind.choices

    @property
    def building_fields(self) -> list:
        return [self["address"], self["kind"], self["floor_area_m2"]]

    @property
    def location_fields(self) -> list:
        return [self["longitude"], self["latitude"]]

    @property
    def evidence_fields(self) -> list:
        return [self["evidence"], self["document"], self["note"]]

    def building(self) -> dict:
        data = self.cleaned_data
        return {
            "address": data["address"],
            "kind": data["kind"],
            "floor_area_m2": data.get("floor_area_m2"),
            "location": typed_point(data),
        }


class ClaimDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("verify", _("Verify")), ("reject", _("Reject"))],
        widget=forms.HiddenInput,
    )
    reason = forms.CharField(
        label=_("Reason or note"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class OwnerSpaceForm(DomainErrorFormMixin, forms.Form):
    """What a verified owner sets: SPACE_OWNER_EDITABLE_FIELDS and the consent."""

    contact_channel = forms.CharField(
        label=_("Contact to share (phone or e-mail)"), required=False, max_length=120
    )
    contact_consent = forms.BooleanField(
        label=_(
            "I agree that the city shows this contact to the people whose project it "
            "offers my space to."
        ),
        required=False,
        help_text=_(
            "Without this, no contact of yours leaves the platform. Each time it is "
            "shown, it is recorded."
        ),
    )

    photo = forms.ImageField(
        label=_("Add a photo (JPEG, PNG or WebP)"),
        required=False,
        help_text=_(
            "Shown in the space bank once it is ready. Its camera data (time, "
            "place) is removed from the public copy."
        ),
        widget=forms.ClearableFileInput(
            attrs={"accept": "image/jpeg,image/png,image/webp"}
        ),
    )
    photo_caption = forms.CharField(
        label=_("Photo caption (optional)"), required=False, max_length=200
    )

    def __init__(self, *args, **kwargs) -> None:
        from renewal.models import VacantSpace
        from renewal.models.spaces import SPACE_OWNER_EDITABLE_FIELDS

        super().__init__(*args, **kwargs)
        fields = forms.fields_for_model(
            VacantSpace, fields=list(SPACE_OWNER_EDITABLE_FIELDS)
        )
        for field in fields.values():
            if isinstance(field, forms.IntegerField):
                field.min_value = 0
                field.widget.attrs["min"] = 0
        self.fields = {**fields, **self.fields}

    @property
    def offer_fields(self) -> list:
        from renewal.models.spaces import SPACE_OWNER_EDITABLE_FIELDS

        return [self[name] for name in SPACE_OWNER_EDITABLE_FIELDS]

    @property
    def consent_fields(self) -> list:
        return [self["contact_channel"], self["contact_consent"]]

    @property
    def photo_fields(self) -> list:
        return [self["photo"], self["photo_caption"]]

    def owner_data(self) -> dict:
        return {
            name: value
            for name, value in self.cleaned_data.items()
            if name not in ("photo", "photo_caption")
        }


class MatchDeclineReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Why do you decline?"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
