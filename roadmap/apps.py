from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _roles_sync(sender, **kwargs):
    from django.contrib.auth.models import Group, Permission

    from insights.roles import roles_sync

    roles_sync(group_model=Group, permission_model=Permission)


class RoadmapConfig(AppConfig):
    name = "roadmap"
    verbose_name = "Roadmap"

    def ready(self) -> None:
        # The roles migration creates the groups once; this keeps them whole after every later
        # migrate, so a model added later lands in the Admin role without a migration of its own.
        # `roadmap` is the last app migrated, so every permission exists by the time it runs.
        post_migrate.connect(_roles_sync, sender=self, dispatch_uid="backlight-roles-sync")
        # The executive report (metrics, below roadmap) shows the wins through a panel it asks
        # for, never by importing roadmap.
        from metrics.report_panels import report_panel_register
        from roadmap.sharing import tasks  # noqa: F401  (workers learn sharing's tasks)
        from roadmap.wins import wins_report_panel

        report_panel_register(name="wins", render=wins_report_panel)
