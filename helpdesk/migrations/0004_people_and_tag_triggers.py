"""The workspace keeps the active people (the owner pickers and filters) and
the tags (the table's tag filter) between requests (helpdesk.memo): a change
of who is active, of a name or of a role changes the version; a sign-in
(last_login), an availability or a preference does not."""

from django.db import migrations

TRIGGER = """
CREATE TRIGGER helpdesk_config_changed AFTER INSERT OR {update} OR DELETE OR TRUNCATE ON {table}
FOR EACH STATEMENT EXECUTE FUNCTION helpdesk_config_changed();
"""

WATCHED = {
    "accounts_user": "UPDATE OF username, first_name, last_name, is_active, role",
    "tickets_tag": "UPDATE",
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return  # elsewhere the signals of helpdesk.memo.watch() change it
    for table, update in WATCHED.items():
        schema_editor.execute(TRIGGER.format(table=table, update=update))


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in WATCHED:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS helpdesk_config_changed ON {table}")


class Migration(migrations.Migration):
    dependencies = [
        ("helpdesk", "0003_pane_config_triggers"),
        ("accounts", "0004_user_can_write_articles"),
        ("tickets", "0024_ticket_statistics"),
    ]

    operations = [migrations.RunPython(create, drop)]
