"""Pages for feedback, pain points, accounts and imports. Thin: selectors read, templates show."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from insights import charts, selectors, selectors_imports
from insights.exports import csv_download
from insights.forms import (
    MOVE_OUT,
    FeedbackFilterForm,
    FeedbackMoveForm,
    ImportMappingForm,
    ImportUploadForm,
    PainPointFilterForm,
    ThemeDismissForm,
    ThemeMergeForm,
    ThemeRenameForm,
    ThemeSplitForm,
    import_format_label,
)
from insights.models import ImportJob, RunStatus, Theme
from insights.permissions import user_can_view_original_text
from insights.selectors import FeedbackFilters
from insights.services import analysis, imports, themes

PAGE_SIZE = 50
THEME_FEEDBACK_PAGE_SIZE = 25
TIMELINE_WEEKS = 52
EDIT_PERMISSION = "insights.change_theme"
PROMOTE_PERMISSION = "roadmap.add_backlogitem"


@permission_required("insights.view_feedback", raise_exception=True)
@require_safe
def feedback_list(request: HttpRequest) -> HttpResponse:
    show_original = user_can_view_original_text(request.user)
    form = FeedbackFilterForm(request.GET or None, search_original=show_original)
    filters = form.filters() if form.is_bound else FeedbackFilters()
    facets = selectors.feedback_facets(filters=filters)
    paginator = Paginator(selectors.feedback_list(filters=filters), PAGE_SIZE)
    # The facet query counted the same rows already.
    paginator.count = facets.total
    page = paginator.get_page(request.GET.get("page"))
    theme_id = filters.theme_id
    return render(
        request,
        "insights/feedback_list.html",
        {
            "form": form,
            "page_obj": page,
            "facets": facets,
            "filtered": filters != FeedbackFilters(search_original=show_original),
            "chosen_theme": next(
                (facet for facet in facets.theme if facet.value == str(theme_id)), None
            )
            if theme_id
            else None,
            "chosen_theme_id": theme_id,
            "facet_sections": _facet_sections(request, facets),
            "show_original": show_original,
        },
    )


FACETS = (
    # (title, attribute of FeedbackFacets, query parameter, test id)
    ("Source", "source", "source", "facet-source"),
    ("Pain point", "theme", "theme", "facet-theme"),
    ("Sentiment", "sentiment_label", "sentiment_label", "facet-sentiment"),
    ("NPS group", "nps_group", "score", "facet-nps"),
    ("Segment", "segment", "segment", "facet-segment"),
)


def _facet_sections(request: HttpRequest, facets: selectors.FeedbackFacets) -> list[dict]:
    """Each facet with a link per value that keeps the other filters and sets this one."""
    sections = []
    for title, attribute, param, testid in FACETS:
        links = []
        for facet in getattr(facets, attribute):
            query = request.GET.copy()
            query.pop("page", None)
            query[param] = facet.value
            links.append(
                {
                    "label": facet.label,
                    "count": facet.count,
                    "query": query.urlencode(),
                    "active": request.GET.get(param) == facet.value,
                }
            )
        if links:
            sections.append({"title": title, "testid": testid, "links": links})
    return sections


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
    return render(
        request,
        "insights/theme_detail.html",
        {
            "theme": theme,
            "statistics": theme.statistics or {},
            "parts": charts.score_parts(theme.statistics),
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


@permission_required("insights.view_customer", raise_exception=True)
@require_safe
def customer_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.customer_list(), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "insights/customer_list.html", {"page_obj": page})


@permission_required("insights.view_customer", raise_exception=True)
@require_safe
def customer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    customer = selectors.customer_get(customer_id=pk)
    if customer is None:
        raise Http404("No such account.")
    can_view_feedback = request.user.has_perm("insights.view_feedback")
    return render(
        request,
        "insights/customer_detail.html",
        {
            "customer": customer,
            "feedback": selectors.customer_feedback(customer=customer)
            if can_view_feedback
            else None,
            "usage": selectors.customer_usage(customer=customer),
            "churn_score": selectors.customer_churn_score_latest(customer=customer)
            if request.user.has_perm("insights.view_churnscore")
            else None,
            "show_original": user_can_view_original_text(request.user),
        },
    )


@permission_required("insights.view_importjob", raise_exception=True)
@require_safe
def import_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.import_job_list(), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "insights/import_list.html", {"page_obj": page})


# --- imports: upload, mapping, progress, results ---------------------------------------------

IMPORT_ERRORS_SHOWN = 100


@permission_required("insights.add_importjob", raise_exception=True)
@require_http_methods(["GET", "HEAD", "POST"])
def import_new(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _import_upload_page(request, ImportUploadForm())
    form = ImportUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _import_upload_page(request, form, status=400)
    upload = form.cleaned_data["file"]
    try:
        job = imports.import_job_create(
            file=upload,
            original_name=upload.name,
            created_by=request.user,
            format_override=form.cleaned_data["format_override"],
        )
    except imports.ImportFileError as error:
        form.add_error("file", str(error))
        return _import_upload_page(request, form, status=400)
    return redirect("insights:import-detail", pk=job.pk)


def _import_upload_page(request: HttpRequest, form: ImportUploadForm, *, status: int = 200):
    return render(
        request,
        "insights/import_new.html",
        {
            "form": form,
            "max_bytes": settings.BACKLIGHT_IMPORT_MAX_BYTES,
            "max_rows": settings.BACKLIGHT_IMPORT_MAX_ROWS,
            "max_columns": settings.BACKLIGHT_IMPORT_MAX_COLUMNS,
        },
        status=status,
    )


@permission_required("insights.view_importjob", raise_exception=True)
@require_http_methods(["GET", "HEAD", "POST"])
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    job = selectors_imports.import_job_get(job_id=pk)
    if job is None:
        raise Http404("No such import.")
    if request.method == "POST":
        if not request.user.has_perm("insights.add_importjob"):
            raise PermissionDenied
        return _import_confirm(request, job)
    if job.confirmed_at is None:
        return _import_mapping_page(request, job)
    return render(
        request,
        "insights/import_detail.html",
        {"job": job, "format_label": import_format_label(job.detected_format)}
        | _import_status_context(job),
    )


def _import_confirm(request: HttpRequest, job: ImportJob) -> HttpResponse:
    if job.confirmed_at is not None:
        messages.info(request, "This import was already started.")
        return redirect("insights:import-detail", pk=job.pk)
    return _import_mapping_page(request, job, data=request.POST)


def _import_mapping_page(request: HttpRequest, job: ImportJob, *, data=None) -> HttpResponse:
    """The mapping step. With `data` (a POST), confirm the mapping when it holds up; otherwise,
    or when the service refuses it, show the form again with the reasons."""
    context = {"job": job, "format_label": import_format_label(job.detected_format)}
    try:
        if not job.file:
            raise imports.ImportFileError("The uploaded file is no longer stored; upload it again.")
        preview = imports.import_job_preview(job=job)
    except (imports.ImportFileError, OSError) as error:
        # The file was readable at upload; it can only have gone missing or changed since.
        message = str(error) if isinstance(error, imports.ImportFileError) else None
        context["file_error"] = (
            message or "The uploaded file can no longer be read; upload it again."
        )
        return render(request, "insights/import_detail.html", context, status=409 if data else 200)
    fmt = preview.fmt
    form = ImportMappingForm(
        data,
        columns=fmt.columns,
        roles=fmt.roles_available(),
        mapping=job.mapping,
        samples=_column_samples(fmt.columns, preview.rows),
    )
    if data is not None and form.is_valid():
        try:
            imports.import_job_confirm(
                job=job,
                mapping=form.mapping(),
                preset_name=form.cleaned_data["preset_name"],
                user=request.user,
            )
        except ValidationError as error:
            for message in error.messages:
                form.add_error(None, message)
        else:
            return redirect("insights:import-detail", pk=job.pk)
    context |= {"fmt": fmt, "preview": preview, "form": form}
    return render(
        request, "insights/import_detail.html", context, status=400 if data is not None else 200
    )


def _column_samples(columns, rows: list[list[str]]) -> dict[str, str]:
    """The first non-blank value of each column in the preview rows."""
    samples = {}
    for column in columns:
        for row in rows:
            value = row[column.index].strip() if column.index < len(row) else ""
            if value:
                samples[column.key] = value
                break
    return samples


def _import_status_context(job: ImportJob) -> dict:
    awaiting_mapping = job.confirmed_at is None
    running = not awaiting_mapping and job.status in (RunStatus.PENDING, RunStatus.RUNNING)
    context = {
        "job": job,
        "awaiting_mapping": awaiting_mapping,
        "running": running,
        "percent": int(job.progress * 100),
    }
    if not running and not awaiting_mapping:
        summary = imports.import_job_summary(job=job, errors_limit=IMPORT_ERRORS_SHOWN)
        context |= {
            "summary": summary,
            "format_label": import_format_label(summary.format),
            "more_errors": summary.rejected > len(summary.errors),
        }
    return context


@permission_required("insights.view_importjob", raise_exception=True)
@require_safe
def import_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The status block of a job page, polled by htmx while the job runs; once it has finished,
    the answer is the summary, which does not poll."""
    job = selectors_imports.import_job_status_get(job_id=pk)
    if job is None:
        raise Http404("No such import.")
    return render(request, "insights/import_progress.html", _import_status_context(job))


@permission_required("insights.view_importjob", raise_exception=True)
@require_safe
def import_errors_csv(request: HttpRequest, pk: int) -> HttpResponse:
    job = selectors_imports.import_job_status_get(job_id=pk)
    if job is None:
        raise Http404("No such import.")
    return csv_download(
        f"import-{job.pk}-rejected-rows.csv",
        ["line", "reason"],
        selectors_imports.import_job_rejections(job=job),
    )
