"""How open tickets spread over teams and statuses together (issue 22).

A status filter now says whether its tickets are open (filters._stages_state).
With the two-column statistics of 0024 PostgreSQL read "open, in team 1"
from one of them and multiplied by the share of all tickets in the status, as
if the two were unrelated: a tenth of the team's open tickets in "Waiting on
us" there are, at a million tickets. It then sorted them all for a page
(15 ms) rather than reading the team's open tickets in order (0.5 ms)."""

from django.db import migrations

NAME = "ticket_open_team_stage_stats"


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"CREATE STATISTICS IF NOT EXISTS {NAME} (mcv) ON is_open, team_id, stage_id "
        "FROM tickets_ticket"
    )
    schema_editor.execute("ANALYZE tickets_ticket")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP STATISTICS IF EXISTS {NAME}")


class Migration(migrations.Migration):
    dependencies = [("tickets", "0025_tickets_open_as_their_status")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
