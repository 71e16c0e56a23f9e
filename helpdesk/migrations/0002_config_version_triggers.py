"""On PostgreSQL the settings the workers keep in memory (helpdesk.memo)
change the version from the database itself: a statement trigger on each of
their tables, so no write is missed (a QuerySet.update(), bulk_create, a
fix made in psql). The number comes from a sequence: a change rolled back
never gives its number back to other settings."""

from django.db import migrations

TABLES = [
    "channels_inbound_emailchannel",
    "channels_inbound_blockedsender",
    "conversations_emailaddress",
    "conversations_inbox",
    "sla_slasettings",
    "tickets_pipeline",
    "tickets_stage",
]

FUNCTION = """
CREATE SEQUENCE IF NOT EXISTS helpdesk_config_version_seq START 2;
CREATE OR REPLACE FUNCTION helpdesk_config_changed() RETURNS trigger AS $$
BEGIN
    UPDATE helpdesk_configversion SET value = nextval('helpdesk_config_version_seq') WHERE id = 1;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;
"""

# Teams change often (round robin remembers its last agent): only a change
# of whether a team is routed counts.
COLUMN_TRIGGERS = {"accounts_team": "routing"}

TRIGGER = """
CREATE TRIGGER helpdesk_config_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table}
FOR EACH STATEMENT EXECUTE FUNCTION helpdesk_config_changed();
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return  # elsewhere the signals of helpdesk.memo.watch() change it
    schema_editor.execute(FUNCTION)
    for table in TABLES:
        schema_editor.execute(TRIGGER.format(table=table))
    for table, column in COLUMN_TRIGGERS.items():
        schema_editor.execute(
            TRIGGER.format(table=table).replace("OR UPDATE OR", f"OR UPDATE OF {column} OR")
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in [*TABLES, *COLUMN_TRIGGERS]:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS helpdesk_config_changed ON {table}")
    schema_editor.execute("DROP FUNCTION IF EXISTS helpdesk_config_changed()")
    schema_editor.execute("DROP SEQUENCE IF EXISTS helpdesk_config_version_seq")


class Migration(migrations.Migration):
    dependencies = [
        ("helpdesk", "0001_config_version"),
        ("channels_inbound", "0013_inbound_payload_file"),
        ("conversations", "0018_message_external_id_message_message_external_id"),
        ("sla", "0005_stamp_running_deadlines"),
        ("tickets", "0021_recent_searches"),
        ("accounts", "0004_user_can_write_articles"),
    ]

    operations = [migrations.RunPython(create, drop)]
