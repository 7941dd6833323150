"""The touchpoint form: parses the typed-in customers and observation lines into clean values."""

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone

from insights.formats.touchpoint_values import (
    MAX_DURATION_MINUTES,
    MAX_OBSERVATION_LENGTH,
    MAX_OBSERVATIONS,
    observation_lines,
)
from insights.models import Customer
from touchpoints.models import PartnerTeam, TouchpointKind

DURATION_CHOICES = (30, 60, 90, 120)
MAX_CUSTOMERS = 10
CUSTOMER_INPUTS = 3


def observations_parse(text: str) -> list[tuple[str, str]]:
    """One observation per non-empty line, as (text, severity). A line may start with a
    severity — "high: …", "[medium] …", "(low) …" — otherwise its severity is left blank. The
    same reading as a touchpoint import's (`insights.formats.touchpoint_values`)."""
    try:
        return observation_lines(text)
    except ValueError as error:
        raise forms.ValidationError(str(error)) from error


class MultipleTextInput(forms.TextInput):
    """Several inputs of the same name (one per customer)."""

    def value_from_datadict(self, data, files, name):
        return data.getlist(name) if hasattr(data, "getlist") else data.get(name, [])


class CustomerNamesField(forms.Field):
    widget = MultipleTextInput

    def to_python(self, value):
        if not value:
            return []
        if isinstance(value, str):
            value = [value]
        return [name.strip() for name in value if name and name.strip()]

    def validate(self, value):
        super().validate(value)
        if len(value) > MAX_CUSTOMERS:
            raise forms.ValidationError(f"Name at most {MAX_CUSTOMERS} customers.")

    def clean(self, value):
        names = super().clean(value)
        customers, unknown, ambiguous = [], [], []
        for name in dict.fromkeys(names):
            matches = list(Customer.objects.filter(name__iexact=name)[:2])
            if not matches:
                unknown.append(name)
            elif len(matches) > 1:
                ambiguous.append(name)
            else:
                customers.append(matches[0])
        errors = []
        if unknown:
            errors.append(
                "No customer named "
                + ", ".join(f"“{n}”" for n in unknown)
                + ": pick a name from the suggestions."
            )
        if ambiguous:
            errors.append(
                "Several customers are named "
                + ", ".join(f"“{n}”" for n in ambiguous)
                + ": ask an admin to tell them apart."
            )
        if errors:
            raise forms.ValidationError(errors)
        return list(dict.fromkeys(customers))


def engineer_choices():
    """People who log touchpoints: those allowed to add one, through a group or directly."""
    condition = Q(
        groups__permissions__codename="add_touchpoint",
        groups__permissions__content_type__app_label="touchpoints",
    ) | Q(
        user_permissions__codename="add_touchpoint",
        user_permissions__content_type__app_label="touchpoints",
    )
    return (
        get_user_model()
        .objects.filter(condition, is_active=True)
        .distinct()
        .order_by("first_name", "last_name", "username")
    )


class EngineerChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return obj.get_full_name() or obj.get_username()


class TouchpointForm(forms.Form):
    kind = forms.ChoiceField(choices=TouchpointKind.choices, initial=TouchpointKind.CUSTOMER_CALL)
    occurred_on = forms.DateField(
        label="Date",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": "Enter the date as YYYY-MM-DD."},
    )
    duration_minutes = forms.IntegerField(
        label="Duration (minutes)",
        initial=60,
        min_value=5,
        max_value=MAX_DURATION_MINUTES,
        error_messages={
            "invalid": "Enter the duration as a whole number of minutes.",
            "min_value": "A touchpoint lasts at least 5 minutes.",
            "max_value": "A touchpoint lasts at most 24 hours (1440 minutes).",
        },
    )
    partner_team = forms.ChoiceField(
        choices=[("", "No partner team"), *PartnerTeam.choices], required=False
    )
    customers = CustomerNamesField(required=False, label="Customers")
    co_attendees = EngineerChoiceField(
        queryset=get_user_model().objects.none(),
        required=False,
        label="Other engineers there",
        widget=forms.SelectMultiple(attrs={"size": 4}),
    )
    observations = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 6}),
        required=False,
        label="Observations",
        help_text=(
            "One observation per line. Start a line with “high:”, “medium:” or “low:” to give "
            "it a severity, e.g. “high: exports time out on big accounts”."
        ),
    )
    summary = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    follow_ups = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False, label="Follow-ups"
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["co_attendees"].queryset = engineer_choices().exclude(pk=user.pk)
        self.fields["occurred_on"].initial = timezone.localdate

    def clean_occurred_on(self):
        occurred_on = self.cleaned_data["occurred_on"]
        if occurred_on > timezone.localdate():
            raise forms.ValidationError(
                "The date is in the future: log a touchpoint once it happened."
            )
        return occurred_on

    def clean_observations(self):
        observations = observations_parse(self.cleaned_data["observations"])
        if len(observations) > MAX_OBSERVATIONS:
            raise forms.ValidationError(f"Write at most {MAX_OBSERVATIONS} observations.")
        too_long = [
            i for i, (text, _) in enumerate(observations, 1) if len(text) > MAX_OBSERVATION_LENGTH
        ]
        if too_long:
            raise forms.ValidationError(
                f"Observation {too_long[0]} is longer than {MAX_OBSERVATION_LENGTH} characters: "
                "split it into several lines."
            )
        return observations

    def touchpoint_fields(self) -> dict:
        """The cleaned fields as `touchpoint_log` and `touchpoint_update` take them."""
        data = self.cleaned_data
        return {
            "kind": data["kind"],
            "occurred_on": data["occurred_on"],
            "duration_minutes": data["duration_minutes"],
            "partner_team": data["partner_team"],
            "customers": data["customers"],
            "co_attendees": list(data["co_attendees"]),
            "observations": data["observations"],
            "summary": data["summary"],
            "follow_ups": data["follow_ups"],
        }


def observations_as_text(observations) -> str:
    """The textarea's text for stored observations (the reverse of `observations_parse`)."""
    return "\n".join(f"{o.severity}: {o.text}" if o.severity else o.text for o in observations)
