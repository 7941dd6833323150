"""Forms of the insights pages."""

from django import forms

from insights.formats import OVERRIDES as FORMAT_OVERRIDES
from insights.formats import Role as ColumnRole
from insights.models import Feedback, Plan, Segment, Theme
from insights.selectors import SCORE_FILTERS, FeedbackFilters


class FeedbackFilterForm(forms.Form):
    q = forms.CharField(
        required=False,
        max_length=200,
        label="Search",
        widget=forms.SearchInput(attrs={"placeholder": 'Words, "a phrase", -exclude'}),
    )
    source = forms.ChoiceField(
        required=False, choices=[("", "All sources"), *Feedback.Source.choices]
    )
    received_from = forms.DateField(
        required=False, label="From", widget=forms.DateInput(attrs={"type": "date"})
    )
    received_to = forms.DateField(
        required=False, label="To", widget=forms.DateInput(attrs={"type": "date"})
    )
    score = forms.ChoiceField(
        required=False,
        choices=[("", "Any score")] + [(key, label) for key, (label, _) in SCORE_FILTERS.items()],
    )
    sentiment_label = forms.ChoiceField(
        required=False,
        label="Sentiment",
        choices=[("", "Any sentiment"), *Feedback.SentimentLabel.choices],
    )
    segment = forms.ChoiceField(required=False, choices=[("", "All segments"), *Segment.choices])
    # Chosen from the theme facet; a select of every theme would cost a query on every page.
    theme = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args, search_original: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.search_original = search_original

    def clean(self) -> dict:
        data = super().clean()
        start, end = data.get("received_from"), data.get("received_to")
        if start and end and start > end:
            raise forms.ValidationError("The start date is after the end date.")
        return data

    def filters(self) -> FeedbackFilters:
        """The filters of a valid form; an invalid one filters nothing and shows its errors."""
        if not self.is_valid():
            return FeedbackFilters()
        data = self.cleaned_data
        return FeedbackFilters(
            source=data["source"],
            received_from=data["received_from"],
            received_to=data["received_to"],
            score=data["score"],
            sentiment_label=data["sentiment_label"],
            segment=data["segment"],
            theme_id=data["theme"],
            q=data["q"].strip(),
            search_original=self.search_original,
        )


class PainPointFilterForm(forms.Form):
    """Which feedback the pain points are counted among."""

    segment = forms.ChoiceField(required=False, choices=[("", "All segments"), *Segment.choices])
    plan = forms.ChoiceField(required=False, choices=[("", "All plans"), *Plan.choices])
    source = forms.ChoiceField(
        required=False, choices=[("", "All sources"), *Feedback.Source.choices]
    )
    received_from = forms.DateField(
        required=False, label="From", widget=forms.DateInput(attrs={"type": "date"})
    )
    received_to = forms.DateField(
        required=False, label="To", widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self) -> dict:
        data = super().clean()
        start, end = data.get("received_from"), data.get("received_to")
        if start and end and start > end:
            raise forms.ValidationError("The start date is after the end date.")
        return data

    def filters(self) -> FeedbackFilters:
        if not self.is_bound or not self.is_valid():
            return FeedbackFilters()
        data = self.cleaned_data
        return FeedbackFilters(
            segment=data["segment"],
            plan=data["plan"],
            source=data["source"],
            received_from=data["received_from"],
            received_to=data["received_to"],
        )


# --- theme edits: each posts to its own view, which calls one service ---------------------------


class ThemeRenameForm(forms.Form):
    label = forms.CharField(
        label="New name", max_length=120, error_messages={"required": "A theme needs a name."}
    )


class ThemeDismissForm(forms.Form):
    reason = forms.CharField(label="Why", required=False, max_length=500)


class ThemeChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Theme) -> str:
        return obj.label


class ThemeMergeForm(forms.Form):
    target = ThemeChoiceField(
        label="Merge into",
        queryset=Theme.objects.filter(status=Theme.Status.ACTIVE),
        error_messages={"required": "Choose the theme to merge into."},
    )


class FeedbackSelectionForm(forms.Form):
    """Feedback chosen with the checkboxes of a theme page."""

    feedback = forms.TypedMultipleChoiceField(
        coerce=int,
        choices=(),
        error_messages={"required": "Choose the feedback first (tick its boxes)."},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Any ids: the service checks which of them exist and belong where they should.
        values = self.data.getlist("feedback") if hasattr(self.data, "getlist") else []
        self.fields["feedback"].choices = [(value, value) for value in values if value.isdigit()]


class ThemeSplitForm(FeedbackSelectionForm):
    label = forms.CharField(
        label="Name of the new theme",
        max_length=120,
        error_messages={"required": "Name the new theme."},
    )


MOVE_OUT = "none"


class FeedbackMoveForm(FeedbackSelectionForm):
    target = forms.CharField(
        label="Move to", error_messages={"required": "Choose where to move the feedback."}
    )

    def clean_target(self) -> Theme | None:
        value = self.cleaned_data["target"]
        if value == MOVE_OUT:
            return None
        theme = Theme.objects.filter(pk=int(value)).first() if value.isdigit() else None
        if theme is None:
            raise forms.ValidationError("That theme no longer exists.")
        return theme


# --- imports --------------------------------------------------------------------------------------

# The exports `insights.formats` recognises, by name, for people.
IMPORT_FORMAT_LABELS: dict[str, str] = {
    "qualtrics": "Qualtrics",
    "qualtrics_legacy": "Qualtrics (legacy export)",
    "surveymonkey": "SurveyMonkey",
    "typeform": "Typeform",
    "google_forms": "Google Forms",
    "zendesk": "Zendesk",
    "intercom": "Intercom",
    "tickets": "Support tickets",
    "usage": "Usage analytics",
    "touchpoints": "Touchpoints",
    "outlook_calendar": "Outlook calendar",
    "generic": "Generic table",
}
# What each column role means, for the mapping selects.
IMPORT_ROLE_LABELS: dict[str, str] = {
    ColumnRole.IGNORE: "Ignore",
    ColumnRole.RESPONSE_ID: "Response ID",
    ColumnRole.SUBMITTED_AT: "Date",
    ColumnRole.EMAIL: "Email",
    ColumnRole.CUSTOMER_ID: "Account ID",
    ColumnRole.NPS: "NPS score (0–10)",
    ColumnRole.CSAT: "CSAT score (1–5)",
    ColumnRole.CES: "CES score (1–7)",
    ColumnRole.COMMENT: "Comment",
    ColumnRole.ATTRIBUTE: "Attribute (kept)",
    ColumnRole.CHANNEL: "Channel",
    ColumnRole.TICKET_ID: "Ticket ID",
    ColumnRole.SUBJECT: "Subject",
    ColumnRole.BODY: "Body",
    ColumnRole.TAGS: "Tags",
    ColumnRole.STATUS: "Status",
    ColumnRole.SATISFACTION: "Satisfaction rating",
    ColumnRole.PERIOD: "Month",
    ColumnRole.ACTIVE_USERS: "Active users",
    ColumnRole.FEATURE: "Feature adoption count",
    ColumnRole.TASK_ATTEMPTS: "Task attempts",
    ColumnRole.TASK_SUCCESSES: "Task successes",
    ColumnRole.ENGINEER: "Engineer (username, email or name)",
    ColumnRole.ATTENDEES: "Attendees",
    ColumnRole.TOUCHPOINT_KIND: "Touchpoint kind",
    ColumnRole.START_TIME: "Start time",
    ColumnRole.END_AT: "End",
    ColumnRole.END_TIME: "End time",
    ColumnRole.DURATION: "Duration",
    ColumnRole.PARTNER_TEAM: "Partner team",
    ColumnRole.OBSERVATIONS: "Observations (one per line)",
    ColumnRole.FOLLOW_UPS: "Follow-ups",
}
# Where a role reads differently in one kind of import.
IMPORT_ROLE_LABELS_BY_KIND: dict[str, dict[str, str]] = {
    "touchpoints": {
        ColumnRole.RESPONSE_ID: "Event ID",
        ColumnRole.SUBMITTED_AT: "Date (or start)",
        ColumnRole.CUSTOMER_ID: "Accounts (ids or names)",
        ColumnRole.EMAIL: "Customer emails",
        ColumnRole.SUBJECT: "Subject (summary)",
    },
}
IMPORT_ACCEPT = ".csv,.tsv,.txt,.xlsx"
AUTO_FORMAT = "auto"


def import_format_label(name: str) -> str:
    return IMPORT_FORMAT_LABELS.get(name, name.replace("_", " ").capitalize() if name else "—")


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label="Export file",
        allow_empty_file=False,
        error_messages={
            "required": "Choose a file to import.",
            "empty": "The file is empty.",
            "invalid": "No file was received; choose the file again.",
        },
        widget=forms.ClearableFileInput(attrs={"accept": IMPORT_ACCEPT}),
    )
    format_override = forms.ChoiceField(
        label="Format",
        required=False,
        initial=AUTO_FORMAT,
        choices=[(AUTO_FORMAT, "Detect automatically")]
        + [(name, import_format_label(name)) for name in FORMAT_OVERRIDES if name != AUTO_FORMAT],
        help_text="Leave on “Detect automatically” unless Backlight gets the export wrong.",
    )

    def clean_format_override(self) -> str:
        """The service's override: empty for automatic detection."""
        value = self.cleaned_data.get("format_override") or AUTO_FORMAT
        return "" if value == AUTO_FORMAT else value


class ImportMappingForm(forms.Form):
    """One role select per column of the file, and an optional preset name.

    Fields are named by column position (`column_0`, …) because column keys come from the file
    and may hold any character; `mapping()` turns them back into {column key: role}."""

    preset_name = forms.CharField(
        label="Save this mapping as a preset named",
        required=False,
        max_length=100,
        help_text=(
            "Optional. Later files with the same columns get this mapping by themselves; a "
            "preset of the same name is replaced."
        ),
    )

    def __init__(
        self, *args, columns, roles, mapping: dict[str, str], samples=None, kind: str = "", **kwargs
    ):
        super().__init__(*args, **kwargs)
        self.columns = list(columns)
        samples = samples or {}
        labels = IMPORT_ROLE_LABELS | IMPORT_ROLE_LABELS_BY_KIND.get(kind, {})
        choices = [_role_choice(role, labels) for role in roles]
        column_fields = {}
        for column in self.columns:
            column_fields[self.field_name(column)] = forms.ChoiceField(
                label=column.label or column.key,
                choices=choices,
                initial=mapping.get(column.key),
            )
        # Columns first, in file order; the preset name last.
        self.fields = {**column_fields, "preset_name": self.fields["preset_name"]}
        self.rows = [
            {
                "column": column,
                "field": self[self.field_name(column)],
                "show_key": column.key != column.label,
                "sample": samples.get(column.key, ""),
            }
            for column in self.columns
        ]

    @staticmethod
    def field_name(column) -> str:
        return f"column_{column.index}"

    def mapping(self) -> dict[str, str]:
        return {column.key: self.cleaned_data[self.field_name(column)] for column in self.columns}


def _role_choice(role: ColumnRole, labels: dict[str, str]) -> tuple[str, str]:
    value = str(role)
    return value, labels.get(value, value.replace("_", " ").capitalize())
