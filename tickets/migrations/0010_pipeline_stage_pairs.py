"""A stage is used only with its own pipeline (issue 14).

Rows that break the rule are repaired first: a ticket follows its status's
pipeline, and a pipeline forgets an automation status of another pipeline.
Then, on PostgreSQL, composite foreign keys hold the rule for every later
write, whatever path it takes (SQLite keeps the checks in clean() and the
services).
"""

from django.db import migrations, models
from django.db.models import F

from tickets.migrations._pairs import composite_keys

PAIRS = [
    # (table, constraint, pipeline column, stage column)
    ("tickets_ticket", "ticket_stage_of_pipeline", "pipeline_id", "stage_id"),
    ("tickets_pipeline", "pipeline_agent_reply_stage_own", "id", "stage_on_agent_reply_id"),
    ("tickets_pipeline", "pipeline_customer_reply_stage_own", "id", "stage_on_customer_reply_id"),
]


def repair(apps, schema_editor):
    Pipeline = apps.get_model("tickets", "Pipeline")
    Ticket = apps.get_model("tickets", "Ticket")
    Ticket.objects.exclude(pipeline_id=F("stage__pipeline_id")).update(
        pipeline_id=models.Subquery(
            apps.get_model("tickets", "Stage")
            .objects.filter(pk=models.OuterRef("stage_id"))
            .values("pipeline_id")[:1]
        )
    )
    for field in ("stage_on_agent_reply", "stage_on_customer_reply"):
        Pipeline.objects.filter(**{f"{field}__isnull": False}).exclude(
            **{f"{field}__pipeline_id": F("id")}
        ).update(**{field: None})


add_keys, remove_keys = composite_keys(PAIRS)


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0009_follow_merge_delete"),
    ]

    operations = [
        migrations.AddConstraint(
            model_name="stage",
            constraint=models.UniqueConstraint(
                fields=("pipeline", "id"), name="stage_pipeline_pair"
            ),
        ),
        migrations.RunPython(repair, migrations.RunPython.noop),
        migrations.RunPython(add_keys, remove_keys),
    ]
