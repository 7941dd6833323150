"""The subscriptions page (everyone who reads the roadmap manages their own; product managers
manage their teams') and the admins' webhook page. Thin: selectors read, services write."""

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from roadmap.models import Subscription
from roadmap.sharing import selectors, services
from roadmap.sharing.alerts import MIN_MENTIONS
from roadmap.sharing.forms import (
    PersonalSubscriptionForm,
    SubscriptionUpdateForm,
    TeamSubscriptionForm,
)

READ_ROADMAP = "roadmap.view_backlogitem"


def _form_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, field_errors in error.error_dict.items():
            for field_error in field_errors:
                form.add_error(field if field in form.fields else None, field_error)
    else:
        form.add_error(None, error)


def _page(request: HttpRequest, *, personal_form=None, team_form=None, status: int = 200):
    user = request.user
    sees_teams = user.has_perm("roadmap.view_subscription")
    return render(
        request,
        "roadmap/sharing/subscriptions.html",
        {
            "mine": selectors.subscription_list_for_user(user=user),
            "personal_form": personal_form or PersonalSubscriptionForm(),
            "team_subscriptions": selectors.subscription_list_for_teams() if sees_teams else [],
            "sees_teams": sees_teams,
            "team_form": (team_form or TeamSubscriptionForm())
            if user.has_perm("roadmap.add_subscription")
            else None,
            "can_change_team": user.has_perm("roadmap.change_subscription"),
            "can_delete_team": user.has_perm("roadmap.delete_subscription"),
            "min_mentions": MIN_MENTIONS,
        },
        status=status,
    )


@permission_required(READ_ROADMAP, raise_exception=True)
@require_http_methods(["GET", "HEAD", "POST"])
def subscriptions(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _page(request)
    form = PersonalSubscriptionForm(request.POST)
    if form.is_valid():
        try:
            services.subscription_create(
                kind=form.cleaned_data["kind"],
                user=request.user,
                threshold=form.cleaned_data["threshold"],
            )
        except ValidationError as error:
            _form_errors(form, error)
        else:
            messages.success(request, "Subscribed.")
            return redirect("roadmap:subscriptions")
    return _page(request, personal_form=form, status=400)


@permission_required("roadmap.add_subscription", raise_exception=True)
@require_POST
def subscription_team_create(request: HttpRequest) -> HttpResponse:
    form = TeamSubscriptionForm(request.POST)
    if form.is_valid():
        try:
            services.subscription_create(
                kind=form.cleaned_data["kind"],
                channel=form.cleaned_data["channel"],
                team=form.cleaned_data["team"],
                webhook=form.cleaned_data["webhook"],
                threshold=form.cleaned_data["threshold"],
            )
        except ValidationError as error:
            _form_errors(form, error)
        else:
            messages.success(request, f"{form.cleaned_data['team']} is subscribed.")
            return redirect("roadmap:subscriptions")
    return _page(request, team_form=form, status=400)


def _subscription_for(request: HttpRequest, pk: int, *, team_permission: str) -> Subscription:
    """The subscription, if it is the user's own or a team's and they may manage teams';
    otherwise 404, which tells nothing about other people's subscriptions."""
    subscription = selectors.subscription_get(subscription_id=pk)
    if subscription is None:
        raise Http404("No such subscription.")
    if subscription.user_id == request.user.pk:
        return subscription
    if subscription.team_id is not None and request.user.has_perm(team_permission):
        return subscription
    raise Http404("No such subscription.")


@permission_required(READ_ROADMAP, raise_exception=True)
@require_POST
def subscription_update(request: HttpRequest, pk: int) -> HttpResponse:
    subscription = _subscription_for(request, pk, team_permission="roadmap.change_subscription")
    form = SubscriptionUpdateForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Not saved: " + " ".join(form.errors.get("threshold", [])))
        return redirect("roadmap:subscriptions")
    services.subscription_update(
        subscription=subscription,
        threshold=form.cleaned_data["threshold"],
        is_active=form.cleaned_data["is_active"],
    )
    messages.success(request, "Subscription saved.")
    return redirect("roadmap:subscriptions")


@permission_required(READ_ROADMAP, raise_exception=True)
@require_POST
def subscription_delete(request: HttpRequest, pk: int) -> HttpResponse:
    subscription = _subscription_for(request, pk, team_permission="roadmap.delete_subscription")
    services.subscription_delete(subscription=subscription)
    messages.success(request, "Unsubscribed.")
    return redirect("roadmap:subscriptions")


@permission_required("roadmap.view_outboundwebhook", raise_exception=True)
@require_safe
def webhooks(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "roadmap/sharing/webhooks.html",
        {
            "overviews": selectors.webhook_overview(),
            "can_test": request.user.has_perm("roadmap.change_outboundwebhook"),
        },
    )


@permission_required("roadmap.change_outboundwebhook", raise_exception=True)
@require_POST
def webhook_test(request: HttpRequest, pk: int) -> HttpResponse:
    webhook = selectors.webhook_get(webhook_id=pk)
    if webhook is None:
        raise Http404("No such webhook.")
    if not webhook.is_active:
        messages.error(request, f"{webhook} is switched off; switch it on in the admin first.")
        return redirect("roadmap:webhooks")
    services.webhook_test_send(webhook=webhook, user=request.user)
    messages.success(request, f"A test message to {webhook} is on its way; reload to see it.")
    return redirect("roadmap:webhooks")
