"""Pain points: the ranked list, the analysis button and its progress, the theme map, a theme's
page and the edits people make to themes."""

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST, require_safe

from insights import charts, selectors
from insights.forms import (
    MOVE_OUT,
    FeedbackMoveForm,
    PainPointFilterForm,
    ThemeDismissForm,
    ThemeMergeForm,
    ThemeRenameForm,
    ThemeSplitForm,
)
from insights.models import RunStatus, Theme
from insights.permissions import user_can_view_original_text
from insights.services import analysis, themes
from insights.views.common import PAGE_SIZE

THEME_FEEDBACK_PAGE_SIZE = 25
TIMELINE_WEEKS = 52
EDIT_PERMISSION = "insights.change_theme"
PROMOTE_PERMISSION = "roadmap.add_backlogitem"


@permission_required("insights.view_theme", raise_exception=True)
@require_safe
def theme_list(request: HttpRequest) -> HttpResponse:
    form = PainPointFilterForm(request.GET or None)
    filters = form.filters()
    points = selectors.pain_points_ranked(filters=filters)
    page = Paginator(points, PAGE_SIZE).get_page(request.GET.get("page"))
    for point in page.object_list:
        point.parts = charts.score_parts(point.statistics)
        point.sparkline = charts.sparkline_points(point.statistics.get("weekly"))
    return render(
        request,
        "insights/theme_list.html",
        {
            "form": form,
            "page_obj": page,
            "strengths": selectors.strengths_ranked(),
            "filtered": selectors.pain_point_filters_set(filters),
            "run": selectors.analysis_run_latest(),
            "can_edit": request.user.has_perm(EDIT_PERMISSION),
            "show_original": user_can_view_original_text(request.user),
            "spark": {"width": charts.SPARK_WIDTH, "height": charts.SPARK_HEIGHT},
        },
    )


@permission_required(EDIT_PERMISSION, raise_exception=True)
@require_POST
def theme_analysis_run(request: HttpRequest) -> HttpResponse:
    latest = selectors.analysis_run_latest()
    already = latest is not None and latest.status in (RunStatus.PENDING, RunStatus.RUNNING)
    analysis.analysis_run_request(user=request.user, reason="requested on the pain points")
    if already:
        messages.info(request, "An analysis is already under way; it was not started twice.")
    else:
        messages.success(request, "The analysis is queued; the ranking updates when it finishes.")
    return redirect("insights:theme-list")


@permission_required("insights.view_modelrun", raise_exception=True)
@require_safe
def theme_analysis_status(request: HttpRequest) -> HttpResponse:
    """The latest analysis's status block, polled by htmx while the run waits or runs."""
    return render(
        request,
        "insights/theme_analysis_status.html",
        {
            "run": selectors.analysis_run_latest(),
            "can_edit": request.user.has_perm(EDIT_PERMISSION),
        },
    )


@permission_required("insights.view_theme", raise_exception=True)
@require_safe
def theme_map(request: HttpRequest) -> HttpResponse:
    figure = charts.theme_map_figure(selectors.theme_map_themes())
    return render(
        request,
        "insights/theme_map.html",
        {"chart": charts.figure_spec(figure) if figure else None},
    )


@permission_required(("insights.view_theme", "insights.view_feedback"), raise_exception=True)
@require_safe
def theme_detail(request: HttpRequest, pk: int) -> HttpResponse:
    theme = selectors.theme_get(theme_id=pk)
    if theme is None:
        raise Http404("No such pain point.")
    page = Paginator(selectors.theme_feedback(theme=theme), THEME_FEEDBACK_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    can_edit = request.user.has_perm(EDIT_PERMISSION)
    weeks = selectors.theme_weekly_volume(theme=theme, weeks=TIMELINE_WEEKS)
    split = selectors.theme_split(theme=theme)
    return render(
        request,
        "insights/theme_detail.html",
        {
            "theme": theme,
            "statistics": theme.statistics or {},
            "parts": charts.score_parts(theme.statistics),
            "split": split,
            # Older rankings counted no pain volume apart: their volume stands in for it.
            "pain_volume": int(
                (theme.statistics or {}).get("pain_90", (theme.statistics or {}).get("volume_90"))
                or 0
            ),
            "page_obj": page,
            "quotes": selectors.theme_quotes(theme=theme),
            "accounts": selectors.theme_accounts_top(theme=theme),
            "edits": selectors.theme_edit_list(theme=theme),
            "timeline": charts.figure_spec(charts.theme_timeline_figure(weeks))
            if any(count for _, count in weeks)
            else None,
            "can_edit": can_edit,
            "can_promote": request.user.has_perm(PROMOTE_PERMISSION)
            and theme.status == Theme.Status.ACTIVE,
            "other_themes": selectors.theme_list_active(exclude=theme) if can_edit else [],
            "move_out": MOVE_OUT,
            "show_original": user_can_view_original_text(request.user),
        },
    )


# --- theme edits: one POST view per service; a refusal comes back as a message, never a 500 ----


def _theme_or_404(pk: int) -> Theme:
    theme = selectors.theme_get(theme_id=pk)
    if theme is None:
        raise Http404("No such pain point.")
    return theme


def _form_errors(form) -> str:
    return " ".join(message for messages_ in form.errors.values() for message in messages_)


def _theme_edit(request: HttpRequest, pk: int, form_class, apply) -> HttpResponse:
    """Validate the form, call the service through `apply(theme, data)` (which returns the
    message to show and the theme to go back to) and go back to a theme page."""
    theme = _theme_or_404(pk)
    form = form_class(request.POST)
    if not form.is_valid():
        messages.error(request, _form_errors(form))
        return redirect("insights:theme-detail", pk=theme.pk)
    try:
        message, back_to = apply(theme, form.cleaned_data)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("insights:theme-detail", pk=theme.pk)
    messages.success(request, message)
    return redirect("insights:theme-detail", pk=back_to.pk)


@permission_required(EDIT_PERMISSION, raise_exception=True)
@require_POST
def theme_rename(request: HttpRequest, pk: int) -> HttpResponse:
    def apply(theme, data):
        renamed = themes.theme_rename(theme=theme, label=data["label"], user=request.user)
        return f"Renamed to “{renamed.label}”.", renamed

    return _theme_edit(request, pk, ThemeRenameForm, apply)


@permission_required(EDIT_PERMISSION, raise_exception=True)
@require_POST
def theme_merge(request: HttpRequest, pk: int) -> HttpResponse:
    def apply(theme, data):
        target = themes.theme_merge(source=theme, target=data["target"], user=request.user)
        return f"“{theme.label}” was merged into “{target.label}”.", target

    return _theme_edit(request, pk, ThemeMergeForm, apply)


@permission_required(EDIT_PERMISSION, raise_exception=True)
@require_POST
def theme_dismiss(request: HttpRequest, pk: int) -> HttpResponse:
    def apply(theme, data):
        dismissed = themes.theme_dismiss(theme=theme, reason=data["reason"], user=request.user)
        return "Dismissed: it stays out of the ranking until restored.", dismissed

    return _theme_edit(request, pk, ThemeDismissForm, apply)


@permission_required(EDIT_PERMISSION, raise_exception=True)
@require_POST
def theme_restore(request: HttpRequest, pk: int) -> HttpResponse:
    def apply(theme, data):
        restored = themes.theme_restore(theme=theme, user=request.user)
        return "Restored: it is ranked again after the next analysis.", restored

    return _theme_edit(request, pk, ThemeDismissForm, apply)


@permission_required(EDIT_PERMISSION, raise_exception=True)
@require_POST
def theme_split(request: HttpRequest, pk: int) -> HttpResponse:
    def apply(theme, data):
        new = themes.theme_split(
            theme=theme, feedback_ids=data["feedback"], label=data["label"], user=request.user
        )
        return f"Split off into the new theme “{new.label}”.", theme

    return _theme_edit(request, pk, ThemeSplitForm, apply)


@permission_required(EDIT_PERMISSION, raise_exception=True)
@require_POST
def theme_feedback_move(request: HttpRequest, pk: int) -> HttpResponse:
    def apply(theme, data):
        target = data["target"]
        moved = themes.feedback_move(feedback_ids=data["feedback"], theme=target, user=request.user)
        where = f"“{target.label}”" if target else "no theme"
        return f"Moved {moved} feedback item{'s' if moved != 1 else ''} to {where}.", theme

    return _theme_edit(request, pk, FeedbackMoveForm, apply)
