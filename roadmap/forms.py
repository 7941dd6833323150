"""The backlog item form, its linked pain points, and the board's move form.

The item form is a ModelForm for the model's fields, labels and help texts; it never saves:
`item_fields()` hands the cleaned values to `roadmap.services`, which writes.
"""

from django import forms
from django.core.validators import RegexValidator, URLValidator

from insights.selectors import theme_list_active
from roadmap.models import BacklogItem
from roadmap.selectors import (
    SHIPPED_STATUSES,
    backlog_owner_choices,
    backlog_team_choices,
    status_choices_by_column,
)
from roadmap.services import EDITABLE_FIELDS, ThemeLinkInput

Metric = BacklogItem.MetricKind
MAX_THEME_LINKS = 20
EXTRA_THEME_ROWS = 2
# Where the target of each kind of metric may lie (see BacklogItem.target's help text).
TARGET_RANGES: dict[str, tuple[float, float, str]] = {
    Metric.THEME_VOLUME: (-100, 1000, "a % change of at least −100 (−50 halves it)"),
    Metric.NPS: (-200, 200, "a change of −200 to 200 NPS points"),
    Metric.CSAT: (-4, 4, "a change of −4 to 4 CSAT points"),
    Metric.CHURN_RISK: (-100, 100, "a change of −100 to 100 percentage points"),
    Metric.TASK_SUCCESS: (0, 100, "the % to reach, 0–100"),
    Metric.ADOPTION: (0, 100, "the % to reach, 0–100"),
}
FEATURE_KINDS = (Metric.ADOPTION, Metric.TASK_SUCCESS)
TRACKER_KEY = RegexValidator(
    r"^[A-Za-z][A-Za-z0-9_]*-[0-9]+$", "Write the ticket key as in the tracker, e.g. APP-123."
)


class OwnerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.get_full_name() or obj.get_username()


def _textarea(rows: int) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows})


class BacklogItemForm(forms.ModelForm):
    """What an item answers: whose problem, what outcome, and how we will know it worked."""

    status = forms.ChoiceField(
        label="Column",
        help_text="Where the item starts on the board. Now needs the problem, outcome and metric.",
    )

    tracker_url = forms.URLField(
        required=False,
        max_length=200,
        assume_scheme="https",
        validators=[URLValidator(schemes=["http", "https"])],
        label="Tracker link",
        help_text="The issue in Jira or Linear, once there is one.",
    )

    class Meta:
        model = BacklogItem
        # tracker_url is declared above: the model's form field would assume "http://".
        fields = tuple(name for name in EDITABLE_FIELDS if name != "tracker_url")
        labels = {
            "customer_problem": "Customer problem",
            "desired_outcome": "Desired outcome",
            "metric_kind": "The success metric measures",
            "metric_description": "Success metric",
            "metric_feature": "Feature",
            "metric_window_days": "Measured within (days after shipping)",
            "impact_level": "Impact on each customer reached",
            "effort_weeks": "Effort (person-weeks)",
            "confidence": "Confidence (%)",
            "tracker_key": "Tracker key",
        }
        widgets = {
            "customer_problem": _textarea(4),
            "desired_outcome": _textarea(3),
        }

    def __init__(self, *args, creating: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.creating = creating
        if self.instance.pk:
            self.initial.setdefault("tracker_url", self.instance.tracker_url)
        if creating:
            self.fields["status"].choices = [
                (status, label)
                for status, label in status_choices_by_column()
                if status not in SHIPPED_STATUSES and status != BacklogItem.Status.IN_PROGRESS
            ]
            self.fields["status"].initial = BacklogItem.Status.IDEA
        else:
            del self.fields["status"]
        self.fields["metric_kind"].choices = [("", "— choose —"), *Metric.choices]
        self.fields["team"].queryset = backlog_team_choices()
        self.fields["team"].empty_label = "— no team —"
        self.fields["owner"] = OwnerChoiceField(
            queryset=backlog_owner_choices(include=self.instance.owner if self.instance else None),
            required=False,
            label="Owner",
            empty_label="— nobody yet —",
        )
        self.fields["tracker_key"].validators.append(TRACKER_KEY)
        for name, low, high in (
            ("confidence", 0, 100),
            ("metric_window_days", 7, 365),
        ):
            self.fields[name].min_value, self.fields[name].max_value = low, high
            self.fields[name].widget.attrs.update(min=low, max=high)
        self.fields["effort_weeks"].widget.attrs.update(min="0.1", step="0.5")

    def clean_effort_weeks(self):
        effort = self.cleaned_data.get("effort_weeks")
        if effort is not None and not 0 < effort <= 520:
            raise forms.ValidationError("Estimate the effort as more than 0 person-weeks.")
        return effort

    def clean_confidence(self):
        confidence = self.cleaned_data.get("confidence")
        if confidence is None or not 0 <= confidence <= 100:
            raise forms.ValidationError("Confidence is a percentage from 0 to 100.")
        return confidence

    def clean_metric_window_days(self):
        days = self.cleaned_data.get("metric_window_days")
        if days is None or not 7 <= days <= 365:
            raise forms.ValidationError("Measure within 7 to 365 days of shipping.")
        return days

    def clean(self):
        data = super().clean()
        kind = data.get("metric_kind")
        if kind in FEATURE_KINDS and not (data.get("metric_feature") or "").strip():
            self.add_error("metric_feature", "Name the feature whose use this measures.")
        target = data.get("target")
        if kind and target is not None:
            low, high, reads = TARGET_RANGES[kind]
            if not low <= target <= high:
                self.add_error("target", f"For {Metric(kind).label.lower()} the target is {reads}.")
        return data

    def item_fields(self) -> dict:
        data = self.cleaned_data
        fields = {name: data[name] for name in EDITABLE_FIELDS}
        for name in ("title", "metric_description", "metric_feature", "tracker_key"):
            fields[name] = (fields[name] or "").strip()
        return fields


class ThemeLinkForm(forms.Form):
    theme = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)
    rationale = forms.CharField(
        required=False,
        max_length=2000,
        widget=_textarea(2),
        help_text="Why this item takes this pain away.",
    )

    def __init__(self, *args, theme_choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["theme"].choices = theme_choices
        self.fields["theme"].label = "Pain point"

    def clean(self):
        data = super().clean()
        theme, rationale = data.get("theme"), (data.get("rationale") or "").strip()
        if theme and not rationale:
            self.add_error("rationale", "Say why this item addresses the pain point.")
        if rationale and not theme and "theme" not in self.errors:
            self.add_error("theme", "Choose the pain point this reason is about.")
        return data


class BaseThemeLinkFormSet(forms.BaseFormSet):
    def clean(self):
        if any(self.errors):
            return
        seen = set()
        for form in self.forms:
            theme = form.cleaned_data.get("theme")
            if not theme:
                continue
            if theme in seen:
                form.add_error("theme", "This pain point is linked twice.")
            seen.add(theme)

    def links(self) -> list[ThemeLinkInput]:
        return [
            ThemeLinkInput(form.cleaned_data["theme"], form.cleaned_data["rationale"].strip())
            for form in self.forms
            if form.cleaned_data.get("theme")
        ]


ThemeLinkFormSet = forms.formset_factory(
    ThemeLinkForm,
    formset=BaseThemeLinkFormSet,
    extra=EXTRA_THEME_ROWS,
    max_num=MAX_THEME_LINKS,
    validate_max=True,
)


def theme_link_choices(*, item: BacklogItem | None) -> list[tuple[object, str]]:
    """Active pain points by name, and any no longer active that the item is linked to."""
    choices: list[tuple[object, str]] = [("", "— no pain point —")]
    active = theme_list_active()
    choices += [(theme.pk, theme.label) for theme in active]
    if item is not None and item.pk:
        active_ids = {theme.pk for theme in active}
        for link in item.theme_links.all():
            if link.theme_id not in active_ids:
                theme = link.theme
                choices.append((theme.pk, f"{theme.label} ({theme.get_status_display().lower()})"))
    return choices


def theme_link_formset(*, item: BacklogItem | None, data=None) -> BaseThemeLinkFormSet:
    initial = None
    if data is None and item is not None and item.pk:
        initial = [
            {"theme": link.theme_id, "rationale": link.rationale} for link in item.theme_links.all()
        ]
    return ThemeLinkFormSet(
        data,
        initial=initial,
        prefix="links",
        form_kwargs={"theme_choices": theme_link_choices(item=item)},
    )


class BacklogMoveForm(forms.Form):
    """Where an item goes on the board: the column (or its stage) and the place in it."""

    status = forms.ChoiceField(label="Move to")
    position = forms.IntegerField(
        label="Position", min_value=1, required=False, help_text="1 is the top; empty: the end."
    )
    after = forms.IntegerField(required=False, widget=forms.HiddenInput)
    before = forms.IntegerField(required=False, widget=forms.HiddenInput)
    shipped_on = forms.DateField(
        label="Shipped on",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text="When it becomes shipped; today when empty.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = status_choices_by_column()
