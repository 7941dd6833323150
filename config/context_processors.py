"""The role-aware navigation: each entry is shown to the users whose permissions open it."""

from django.urls import reverse

NAVIGATION = (
    # (label, url name, permission needed — None for every signed-in user)
    ("Home", "home", None),
    ("Feedback", "insights:feedback-list", "insights.view_feedback"),
    ("Pain points", "insights:theme-list", "insights.view_theme"),
    ("At risk", "insights:churn-at-risk", "insights.view_churnscore"),
    ("Roadmap", "roadmap:backlog-list", "roadmap.view_backlogitem"),
    ("Touchpoints", "touchpoints:touchpoint-list", "touchpoints.view_touchpoint"),
    ("Reports", "metrics:report", "metrics.view_metricsnapshot"),
    ("Imports", "insights:import-list", "insights.view_importjob"),
)


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"navigation": []}
    items = []
    for label, url_name, permission in NAVIGATION:
        if permission is None or user.has_perm(permission):
            url = reverse(url_name)
            items.append(
                {
                    "label": label,
                    "url": url,
                    "active": request.path == url or (url != "/" and request.path.startswith(url)),
                }
            )
    if user.is_staff:
        items.append({"label": "Admin", "url": reverse("admin:index"), "active": False})
    return {"navigation": items}
