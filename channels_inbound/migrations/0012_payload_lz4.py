"""Raw payloads are compressed with lz4 where PostgreSQL has it (issue 15).

A webhook stores the ESP's whole request before answering; with a 20 MiB
attachment, pglz compressing the payload was most of the answer's time
(1.1-1.4 s, against 0.8-1.1 s with lz4, measured side by side). PostgreSQL
built without lz4 keeps pglz; SQLite has no such setting.
"""

from django.db import migrations

TABLE_COLUMN = "channels_inbound_inbounditem ALTER COLUMN payload"


def has_lz4(cursor) -> bool:
    cursor.execute(
        "SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression'"
        " AND 'lz4' = ANY(enumvals)"
    )
    return cursor.fetchone() is not None


def compression(method):
    def change(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        with schema_editor.connection.cursor() as cursor:
            if has_lz4(cursor):
                cursor.execute(f"ALTER TABLE {TABLE_COLUMN} SET COMPRESSION {method}")

    return change


class Migration(migrations.Migration):
    dependencies = [
        ("channels_inbound", "0011_webform_address_help"),
    ]

    operations = [
        migrations.RunPython(compression("lz4"), compression("pglz")),
    ]
