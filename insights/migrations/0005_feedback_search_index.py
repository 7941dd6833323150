"""PostgreSQL full-text search over the redacted text (the feedback explorer's search box).

The index expression is the one `insights.selectors._feedback_searched` builds through
`SearchVector("redacted_text", config="english")`, so PostgreSQL can use it. SQLite has no such
index; the explorer falls back to a substring match there.
"""

from django.db import migrations

INDEX = "insights_feedback_redacted_search"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON insights_feedback USING gin "
            "(to_tsvector('english'::regconfig, COALESCE(redacted_text, '')))"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("insights", "0004_analysis")]

    operations = [migrations.RunPython(create, drop)]
