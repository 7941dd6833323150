"""Forms of the insights pages."""

from django import forms

from insights.models import Feedback
from insights.selectors import SCORE_FILTERS, FeedbackFilters


class FeedbackFilterForm(forms.Form):
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
        )
