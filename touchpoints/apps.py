from django.apps import AppConfig


class TouchpointsConfig(AppConfig):
    name = "touchpoints"
    verbose_name = "Touchpoints"

    def ready(self) -> None:
        # The import engine lives in insights, which must not import touchpoints: it learns here
        # who stores the touchpoints files it reads.
        from insights.models import ImportJob
        from insights.services.import_sinks import import_sink_register
        from touchpoints.imports import touchpoint_records_store

        import_sink_register(kind=ImportJob.Kind.TOUCHPOINTS, store=touchpoint_records_store)
