"""Imports: upload, mapping, progress, summary and the rejected rows as CSV."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_safe

from insights import selectors, selectors_imports
from insights.exports import csv_download
from insights.forms import (
    ImportMappingForm,
    ImportUploadForm,
    import_format_label,
)
from insights.models import ImportJob, RunStatus
from insights.services import imports
from insights.views.common import PAGE_SIZE


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
        kind=fmt.kind,
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
