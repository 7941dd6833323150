import datetime as dt

import factory
from django.utils import timezone

from metrics.models import MetricSnapshot


class MetricSnapshotFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MetricSnapshot

    metric = MetricSnapshot.Metric.NPS
    period_kind = MetricSnapshot.PeriodKind.MONTH
    period_start = dt.date(2026, 1, 1)
    value = 25.0
    n = 100
    computed_at = factory.LazyFunction(timezone.now)
