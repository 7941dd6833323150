"""Forms of the report pages."""

from django import forms

from metrics.reports import PERIOD_KINDS
from metrics.selectors import QUARTER

CURRENT = "current"
COMPLETE = "complete"


class ExecutiveReportForm(forms.Form):
    """Which period the executive report (and its exports) compare with the one before."""

    period = forms.ChoiceField(
        required=False, choices=list(PERIOD_KINDS.items()), label="Compare by"
    )
    basis = forms.ChoiceField(
        required=False,
        choices=[(CURRENT, "This period so far"), (COMPLETE, "The last complete period")],
        label="Period",
    )

    def options(self) -> tuple[str, bool]:
        """(period kind, complete) of a valid form; the quarter so far otherwise."""
        if not self.is_bound or not self.is_valid():
            return QUARTER, False
        data = self.cleaned_data
        return data["period"] or QUARTER, data["basis"] == COMPLETE


class ReportSubscriptionForm(forms.Form):
    weekly_digest = forms.BooleanField(
        required=False, label="Email me the headline figures every Monday"
    )
