from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from metrics.models import MetricSnapshot
from metrics.selectors import headline
from tests.insights.factories import FeedbackFactory

pytestmark = pytest.mark.django_db


def test_compute_metrics_writes_the_snapshots_the_pages_read():
    # Given NPS answers today: two promoters and a detractor
    for score in (10, 9, 3):
        FeedbackFactory(nps=score, received_at=timezone.now())
    out = StringIO()

    # When the command runs (as `make demo` does, with no beat in the embedded default)
    call_command("compute_metrics", stdout=out)

    # Then the snapshots exist and the headline reads them
    assert out.getvalue().startswith("Metric snapshots computed: run #")
    assert MetricSnapshot.objects.filter(metric="nps").exists()
    current = headline("nps").current
    assert (round(current.value, 1), current.n) == (33.3, 3)
