"""Setting a few columns on many rows at once, for the analysis steps that update 100k rows."""

import io
from collections.abc import Sequence

from django.db import connection, transaction

from insights.services.feedback import copy_escape


def columns_set(model, field_names: Sequence[str], rows: Sequence[tuple]) -> None:
    """Set these fields of many rows, (pk, *values) each (a foreign key by its id). PostgreSQL:
    COPY into a temporary table and one UPDATE … FROM (a 100k-row bulk_update builds huge CASE
    expressions); elsewhere bulk_update."""
    if not rows:
        return
    fields = [model._meta.get_field(name) for name in field_names]
    if connection.vendor != "postgresql":
        objects = []
        for pk, *values in rows:
            item = model(pk=pk)
            for field, value in zip(fields, values, strict=True):
                setattr(item, field.attname, value)
            objects.append(item)
        model.objects.bulk_update(objects, list(field_names), batch_size=500)
        return
    # Column names and types come from the model, never from input.
    definitions = ", ".join(
        f"{field.column} {(field.target_field if field.is_relation else field).db_type(connection)}"
        for field in fields
    )
    buffer = io.StringIO()
    for pk, *values in rows:
        cells = [str(pk)]
        cells.extend("\\N" if value is None else copy_escape(str(value)) for value in values)
        buffer.write("\t".join(cells) + "\n")
    buffer.seek(0)
    assignments = ", ".join(f"{field.column} = s.{field.column}" for field in fields)
    with transaction.atomic(), connection.cursor() as cursor, connection.wrap_database_errors:
        cursor.execute(
            f"CREATE TEMPORARY TABLE analysis_stage (id bigint PRIMARY KEY, {definitions}) "
            "ON COMMIT DROP"
        )
        cursor.copy_expert("COPY analysis_stage FROM STDIN", buffer)
        cursor.execute(
            f"UPDATE {model._meta.db_table} t SET {assignments} "  # noqa: S608
            "FROM analysis_stage s WHERE t.id = s.id"
        )
        cursor.execute("DROP TABLE analysis_stage")
