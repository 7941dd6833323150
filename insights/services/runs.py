"""Background runs (imports and model runs): claiming them and failing the lost ones."""

from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from insights.models import ImportJob, ModelRun, RunStatus

STALE_RUN_MESSAGE = "The run stopped reporting and was failed by the reaper."


@dataclass(frozen=True)
class ReapResult:
    import_jobs: int
    model_runs: int


def run_claim(*, model: type[ImportJob] | type[ModelRun], run_id: int) -> bool:
    """PENDING → RUNNING, atomically. False means another worker has it or it already ran."""
    claimed = model.objects.filter(pk=run_id, status=RunStatus.PENDING).update(
        status=RunStatus.RUNNING, started_at=timezone.now()
    )
    return claimed == 1


@transaction.atomic
def stale_runs_reap() -> ReapResult:
    """Fail every run left RUNNING longer than BACKLIGHT_RUN_STALE_AFTER: a worker killed hard
    never gets to say so. A run that finishes meanwhile is not touched (the update is conditional).
    """
    cutoff = timezone.now() - settings.BACKLIGHT_RUN_STALE_AFTER
    now = timezone.now()
    counts = []
    # An import reports a heartbeat with every chunk (and is resumed by import_jobs_resume long
    # before this); a model run only has its start.
    silent_import = Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, started_at__lt=cutoff)
    for model, silent in ((ImportJob, silent_import), (ModelRun, Q(started_at__lt=cutoff))):
        counts.append(
            model.objects.filter(silent, status=RunStatus.RUNNING).update(
                status=RunStatus.FAILED, error=STALE_RUN_MESSAGE, finished_at=now
            )
        )
    return ReapResult(import_jobs=counts[0], model_runs=counts[1])
