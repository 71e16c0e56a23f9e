"""The ticket pane keeps more settings between requests (helpdesk.memo):
their tables change the version too, and so does a change of a team's name,
which the pane shows (round robin's other writes to teams still do not)."""

from django.db import migrations

TRIGGER = """
CREATE TRIGGER helpdesk_config_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table}
FOR EACH STATEMENT EXECUTE FUNCTION helpdesk_config_changed();
"""

TABLES = [
    "tickets_propertydefinition",
    "tickets_ticketsettings",
    "tickets_workspacelayout",
    "conversations_emailaddress_default_for_teams",
]

TEAM_COLUMNS = {"before": "routing", "after": "routing, name, labels"}


def _team_trigger(schema_editor, columns: str) -> None:
    schema_editor.execute("DROP TRIGGER IF EXISTS helpdesk_config_changed ON accounts_team")
    schema_editor.execute(
        TRIGGER.format(table="accounts_team").replace("OR UPDATE OR", f"OR UPDATE OF {columns} OR")
    )


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return  # elsewhere the signals of helpdesk.memo.watch() change it
    for table in TABLES:
        schema_editor.execute(TRIGGER.format(table=table))
    _team_trigger(schema_editor, TEAM_COLUMNS["after"])


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS helpdesk_config_changed ON {table}")
    _team_trigger(schema_editor, TEAM_COLUMNS["before"])


class Migration(migrations.Migration):
    dependencies = [
        ("helpdesk", "0002_config_version_triggers"),
        ("tickets", "0024_ticket_statistics"),
        ("conversations", "0020_attachment_external_id"),
    ]

    operations = [migrations.RunPython(create, drop)]
