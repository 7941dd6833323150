from django import forms
from django.core.exceptions import ValidationError

from roadmap.models import OutboundWebhook, Subscription
from roadmap.sharing import selectors
from roadmap.sharing.services import THRESHOLD_MAX, THRESHOLD_MIN, webhook_url_validate

THRESHOLD_HELP = (
    "Alerts only: a pain point's mentions this week ÷ its usual weekly mentions, at least "
    "(2 = twice as many as usual). Digests ignore it."
)


def _threshold_field() -> forms.FloatField:
    return forms.FloatField(
        min_value=THRESHOLD_MIN,
        max_value=THRESHOLD_MAX,
        initial=2.0,
        help_text=THRESHOLD_HELP,
        widget=forms.NumberInput(attrs={"step": "0.5"}),
    )


class PersonalSubscriptionForm(forms.Form):
    """What a person subscribes to for themselves: by email."""

    kind = forms.ChoiceField(choices=Subscription.Kind.choices, label="What")
    threshold = _threshold_field()


class TeamSubscriptionForm(forms.Form):
    """A team's subscription, by email to its members or through an admin-configured webhook."""

    team = forms.ModelChoiceField(queryset=selectors.team_list())
    kind = forms.ChoiceField(choices=Subscription.Kind.choices, label="What")
    channel = forms.ChoiceField(choices=Subscription.Channel.choices, label="How")
    webhook = forms.ModelChoiceField(
        queryset=selectors.webhook_list_active(),
        required=False,
        help_text="Webhooks are set up by an admin.",
    )
    threshold = _threshold_field()

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("channel") == Subscription.Channel.WEBHOOK and not cleaned.get("webhook"):
            self.add_error("webhook", "Choose the webhook to post to.")
        if cleaned.get("channel") == Subscription.Channel.EMAIL:
            cleaned["webhook"] = None
        return cleaned


class SubscriptionUpdateForm(forms.Form):
    threshold = _threshold_field()
    is_active = forms.BooleanField(required=False, label="Active")


class OutboundWebhookAdminForm(forms.ModelForm):
    """The Django admin's form for webhooks: the address must pass the SSRF rules that need no
    DNS (the sender checks the rest at every attempt)."""

    url = forms.URLField(max_length=500, assume_scheme="https")

    class Meta:
        model = OutboundWebhook
        fields = ("name", "url", "is_active", "created_by")

    def clean_url(self) -> str:
        url = self.cleaned_data["url"]
        try:
            webhook_url_validate(url)
        except ValidationError as error:
            raise ValidationError(error.message_dict["url"]) from error
        return url
