"""The insights pipeline through a real broker and a real worker on the `nlp` queue."""

import datetime as dt
import random
import time

import pytest
from django.utils import timezone

from insights.demo_text import comment_compose
from insights.models import Feedback, ModelRun, RunStatus, Theme
from insights.services.analysis import analysis_run_request, feedback_analyze_soon

pytestmark = pytest.mark.integration
RUN_TIMEOUT = 240


def _wait_for(check, *, timeout: float = RUN_TIMEOUT):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError("timed out")


# The worker is another process: it sees only committed rows, hence transaction=True.
@pytest.mark.django_db(transaction=True)
def test_an_analysis_requested_by_a_button_runs_on_the_worker(celery_worker):
    # Given feedback about two pain points, committed
    rng = random.Random(3)
    now = timezone.now()
    Feedback.objects.bulk_create(
        Feedback(
            source=Feedback.Source.SURVEY,
            text=comment_compose(rng, tone="pain", pain_point=key),
            received_at=now - dt.timedelta(days=index % 60),
            nps=(2 if index % 2 else None),
        )
        for key in ("slow_exports", "sso_login_loops")
        for index in range(40)
    )

    # When a PM asks for an analysis (the request commits, then the task is sent)
    run = analysis_run_request(reason="button")

    # Then the worker runs it to its end: themes, ranked, with the run's figures recorded
    finished = _wait_for(
        lambda: (
            ModelRun.objects.filter(pk=run.pk, status=RunStatus.SUCCEEDED).first()
            or _failed(run.pk)
        )
    )
    assert finished.progress == 1
    assert finished.data_size == 80
    assert Theme.objects.filter(status=Theme.Status.ACTIVE, impact__gt=0).count() >= 2
    assert not Feedback.objects.filter(redacted_text="").exists()

    # And feedback arriving later is themed by the worker within seconds
    arriving = Feedback.objects.create(
        source=Feedback.Source.API,
        text=comment_compose(rng, tone="pain", pain_point="sso_login_loops"),
        received_at=timezone.now(),
        content_hash="arriving-1",
    )
    assert feedback_analyze_soon(content_hashes=["arriving-1"]) == 1
    themed = _wait_for(
        lambda: Feedback.objects.filter(pk=arriving.pk, theme__isnull=False).first(), timeout=60
    )
    assert themed.sentiment_label


def _failed(run_id: int):
    run = ModelRun.objects.get(pk=run_id)
    if run.status == RunStatus.FAILED:
        raise AssertionError(f"the run failed: {run.error}")
    return None
