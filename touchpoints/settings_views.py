"""My touchpoint settings: email opt-outs and the secret calendar feed address. Also the feed
itself, which calendar apps fetch without a session."""

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required, permission_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from touchpoints import calendar, notifications


@permission_required("touchpoints.view_touchpoint", raise_exception=True)
@require_http_methods(["GET", "HEAD", "POST"])
def touchpoint_settings(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        notifications.engineer_settings_update(
            user=request.user,
            reminders=request.POST.get("reminders") == "on",
            team_digest=request.POST.get("team_digest") == "on",
        )
        messages.success(request, "Your touchpoint emails are updated.")
        return redirect("touchpoints:settings")
    settings_row = notifications.engineer_settings_get(user=request.user)
    feed_path = reverse("touchpoints:calendar-feed", kwargs={"token": settings_row.calendar_token})
    return render(
        request,
        "touchpoints/settings.html",
        {
            "settings_row": settings_row,
            "feed_url": request.build_absolute_uri(feed_path),
            "leads_a_team": request.user.teams_led.exists(),
        },
    )


@permission_required("touchpoints.view_touchpoint", raise_exception=True)
@require_POST
def calendar_secret_rotate(request: HttpRequest) -> HttpResponse:
    notifications.calendar_token_rotate(user=request.user)
    messages.success(
        request, "Your calendar has a new secret address; the old one no longer works."
    )
    return redirect("touchpoints:settings")


# Calendar apps fetch the feed without a session, so the login middleware must let it through:
# the unguessable token in the path is the credential (rotated from the settings page), and an
# unknown token or an inactive owner is a 404 that tells nothing about who exists.
@login_not_required
@require_safe
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    settings_row = notifications.engineer_settings_by_token(token=token)
    if settings_row is None:
        raise Http404("No such calendar.")
    response = HttpResponse(
        calendar.calendar_for_user(user=settings_row.user),
        content_type="text/calendar; charset=utf-8",
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex"
    return response
