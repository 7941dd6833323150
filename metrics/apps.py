from django.apps import AppConfig


class MetricsConfig(AppConfig):
    name = "metrics"
    verbose_name = "Metrics"

    def ready(self) -> None:
        # Celery's autodiscovery finds `metrics.tasks` only; the weekly digest's task lives with
        # its service in `metrics.digest`.
        from metrics import digest  # noqa: F401
