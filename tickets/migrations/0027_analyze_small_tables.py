"""Statistics for the small tables the ticket lists join and probe (issue 22).

PostgreSQL's autovacuum analyzes a table once 50 rows (and a tenth of it)
changed since the last time. A help desk's teams, statuses and pipelines, and
often its agents, never change that much: their tables were never analyzed,
and the planner took six teams for 140. A list sorted by team then read every
open ticket of its status to find which teams hold one (100 ms at a million
tickets) rather than probing each team's index (0.2 ms). Any change now
analyzes them (they are a few pages), and this analyzes them once."""

from django.db import migrations

TABLES = ("accounts_team", "accounts_user", "tickets_pipeline", "tickets_stage")


def analyze(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"ALTER TABLE {table} SET (autovacuum_analyze_threshold = 1)")
        schema_editor.execute(f"ANALYZE {table}")


def reset(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"ALTER TABLE {table} RESET (autovacuum_analyze_threshold)")


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("tickets", "0026_ticket_team_stage_statistics"),
    ]

    operations = [migrations.RunPython(analyze, reset, elidable=False)]
