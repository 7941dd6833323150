"""Reading usage for aggregation, and the marks that tell a consumer (metric snapshots) whether the
data it computes from has changed since it last looked."""

import datetime as dt

from django.db import connection
from django.db.models import Max, QuerySet

from insights.models import Customer, Feedback, ImportJob, UsageSnapshot


def usage_snapshots_between(*, start: dt.date, end: dt.date) -> QuerySet[UsageSnapshot]:
    """Usage of the months that overlap start…end (a month counts when its first day is on or
    before `end` and it does not end before `start`), for aggregating; no joins, no order."""
    return UsageSnapshot.objects.filter(
        period__gte=start.replace(day=1), period__lte=end
    ).order_by()


def usage_feature_names(*, start: dt.date, end: dt.date) -> list[str]:
    """Every feature named in the usage of those months, sorted; the database lists the keys."""
    first = start.replace(day=1)
    table = UsageSnapshot._meta.db_table
    if connection.vendor == "postgresql":
        sql = (
            f"SELECT DISTINCT jsonb_object_keys(feature_adoption) FROM {table} "  # noqa: S608
            "WHERE period >= %s AND period <= %s AND jsonb_typeof(feature_adoption) = 'object'"
        )
    elif connection.vendor == "sqlite":
        sql = (
            f"SELECT DISTINCT j.key FROM {table} AS u, json_each(u.feature_adoption) AS j "  # noqa: S608
            "WHERE u.period >= %s AND u.period <= %s AND json_type(u.feature_adoption) = 'object'"
        )
    else:
        names: set[str] = set()
        for adoption in usage_snapshots_between(start=start, end=end).values_list(
            "feature_adoption", flat=True
        ):
            names.update(adoption or {})
        return sorted(names)
    with connection.cursor() as cursor:
        cursor.execute(sql, [first, end])
        return sorted(row[0] for row in cursor.fetchall())


def feedback_max_id() -> int:
    """The highest feedback id (0 when there is none): new feedback raises it; one index lookup."""
    return Feedback.objects.aggregate(top=Max("id"))["top"] or 0


def insights_changed_since(*, since: dt.datetime, feedback_after_id: int) -> bool:
    """Whether feedback was added (an id above `feedback_after_id`), an import finished, usage was
    stored or an account changed (its segment, plan or region) after `since`. Cheap enough to ask
    every few minutes: an index lookup on feedback, and the small tables of imports, usage and
    accounts. Edits of existing feedback are not seen here; a nightly recomputation covers them."""
    return (
        Feedback.objects.filter(id__gt=feedback_after_id).exists()
        or ImportJob.objects.filter(finished_at__gt=since).exists()
        or UsageSnapshot.objects.filter(updated_at__gt=since).exists()
        or Customer.objects.filter(updated_at__gt=since).exists()
    )
