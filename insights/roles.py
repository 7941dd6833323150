"""The four roles of Backlight, as Django groups with permissions.

Role definitions are data; `roles_sync` (called by a migration, and again by `seed_demo`) makes the
groups match them. Views and APIs check permissions, never group names, so a company can widen a
role in the admin without touching code.
"""

from django.db import models

APPS = ("insights", "touchpoints", "metrics", "roadmap")


class Role(models.TextChoices):
    ADMIN = "Admin", "Admin"
    PRODUCT_MANAGER = "Product manager", "Product manager"
    ENGINEER = "Engineer", "Engineer"
    EXECUTIVE = "Executive", "Executive"


_READ_INSIGHTS = [
    "insights.view_customer",
    "insights.view_contact",
    "insights.view_feedback",
    "insights.view_theme",
    "insights.view_usagesnapshot",
    "insights.view_modelrun",
    "insights.view_churnscore",
]
_READ_TOUCHPOINTS = [
    "touchpoints.view_team",
    "touchpoints.view_touchpoint",
    "touchpoints.view_observation",
    "touchpoints.view_touchpointgoal",
    "touchpoints.view_hackathon",
    "touchpoints.view_hackathonproblem",
    "touchpoints.view_hackathonteam",
    "touchpoints.view_hackathonoutcome",
]
# Engineers form the teams and write up what they built; problems and the hackathon itself are
# planned by product managers.
_RUN_HACKATHON_TEAMS = [
    "touchpoints.add_hackathonteam",
    "touchpoints.change_hackathonteam",
    "touchpoints.add_hackathonoutcome",
    "touchpoints.change_hackathonoutcome",
]
_READ_ROADMAP = [
    "roadmap.view_backlogitem",
    "roadmap.view_backlogthemelink",
    "roadmap.view_impactreview",
]
_READ_REPORTS = ["metrics.view_metricsnapshot"]

# Admin gets every permission of the four apps plus user management, on top of these.
ROLE_PERMISSIONS: dict[str, list[str]] = {
    Role.ADMIN: [
        "auth.view_user",
        "auth.add_user",
        "auth.change_user",
        "auth.view_group",
        "auth.change_group",
        "authtoken.view_tokenproxy",
        "authtoken.add_tokenproxy",
        "authtoken.delete_tokenproxy",
    ],
    Role.PRODUCT_MANAGER: [
        *_READ_INSIGHTS,
        *_READ_TOUCHPOINTS,
        *_READ_ROADMAP,
        *_READ_REPORTS,
        "insights.change_feedback",
        "insights.add_theme",
        "insights.change_theme",
        "insights.add_modelrun",
        "touchpoints.add_touchpoint",
        "touchpoints.change_touchpoint",
        "touchpoints.change_all_touchpoints",
        "touchpoints.add_observation",
        "touchpoints.change_observation",
        "touchpoints.add_hackathon",
        "touchpoints.change_hackathon",
        "touchpoints.add_hackathonproblem",
        "touchpoints.change_hackathonproblem",
        *_RUN_HACKATHON_TEAMS,
        "roadmap.add_backlogitem",
        "roadmap.change_backlogitem",
        "roadmap.delete_backlogitem",
        "roadmap.add_backlogthemelink",
        "roadmap.change_backlogthemelink",
        "roadmap.delete_backlogthemelink",
        # Team subscriptions to digests and alerts; everyone manages their own without these.
        "roadmap.view_subscription",
        "roadmap.add_subscription",
        "roadmap.change_subscription",
        "roadmap.delete_subscription",
    ],
    Role.ENGINEER: [
        *_READ_INSIGHTS,
        *_READ_TOUCHPOINTS,
        *_READ_ROADMAP,
        "touchpoints.add_touchpoint",
        "touchpoints.change_touchpoint",
        "touchpoints.add_observation",
        "touchpoints.change_observation",
        *_RUN_HACKATHON_TEAMS,
    ],
    Role.EXECUTIVE: [
        *_READ_INSIGHTS,
        *_READ_TOUCHPOINTS,
        *_READ_ROADMAP,
        *_READ_REPORTS,
    ],
}


def roles_sync(*, group_model, permission_model, strict: bool = True) -> None:
    """Make the four groups hold exactly their permissions. Takes the models as arguments so that
    a migration can pass its historical ones. A migration passes `strict=False`: permissions of
    models that later migrations create do not exist yet and are skipped there, and the sync after
    `migrate` (roadmap's post_migrate handler, strict) adds them."""
    for role, names in ROLE_PERMISSIONS.items():
        group, _ = group_model.objects.get_or_create(name=role)
        wanted = set(names)
        query = permission_model.objects.select_related("content_type")
        if role == Role.ADMIN:
            permissions = [
                p
                for p in query
                if p.content_type.app_label in APPS
                or f"{p.content_type.app_label}.{p.codename}" in wanted
            ]
        else:
            permissions = [p for p in query if f"{p.content_type.app_label}.{p.codename}" in wanted]
        found = {f"{p.content_type.app_label}.{p.codename}" for p in permissions}
        missing = wanted - found
        if missing and strict:
            raise LookupError(f"Role {role!r} names unknown permissions: {sorted(missing)}")
        group.permissions.set(permissions)
