"""Reading who uses Backlight and the import jobs list."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models import Count, QuerySet

from insights.models import (
    Contact,
    ImportJob,
)
from insights.roles import Role


def import_job_list() -> QuerySet[ImportJob]:
    return ImportJob.objects.select_related("created_by").order_by("-created_at", "-id")


def role_member_counts() -> list[tuple[str, int]]:
    """(role, number of users) for the four roles, plus users who hold none of them."""
    counts = dict(
        Group.objects.filter(name__in=Role.values)
        .annotate(members=Count("user"))
        .values_list("name", "members")
    )
    rows = [(role.label, counts.get(role.value, 0)) for role in Role]
    without_role = get_user_model().objects.exclude(groups__name__in=Role.values).count()
    rows.append(("No role", without_role))
    return rows


def contact_emails_sample(*, limit: int) -> list[str]:
    """Some contacts' emails, in a stable order (for demo sample exports)."""
    return list(Contact.objects.order_by("pk").values_list("email", flat=True)[:limit])
