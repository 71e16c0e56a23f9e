"""A channel's first status is one of its pipeline's (issue 14), and a
delivery that could not land as configured says so.

Channels that break the rule are repaired first (the first open status of
their pipeline, else their status's own pipeline); then, on PostgreSQL,
composite foreign keys hold it (tickets 0010 explains them).
"""

from django.db import migrations, models
from django.db.models import F

from tickets.migrations._pairs import composite_keys

TABLES = ["emailchannel", "webform", "chatwidget", "messengerpage"]
PAIRS = [
    (f"channels_inbound_{t}", f"{t}_stage_of_pipeline", "pipeline_id", "stage_id") for t in TABLES
]


def repair(apps, schema_editor):
    Stage = apps.get_model("tickets", "Stage")
    for name in ("EmailChannel", "WebForm", "ChatWidget", "MessengerPage"):
        model = apps.get_model("channels_inbound", name)
        for channel in model.objects.exclude(pipeline_id=F("stage__pipeline_id")):
            stage = (
                Stage.objects.filter(
                    pipeline_id=channel.pipeline_id, is_closed=False, required_properties=[]
                )
                .order_by("position", "id")
                .first()
            )
            if stage is None:
                channel.pipeline_id = Stage.objects.get(pk=channel.stage_id).pipeline_id
            else:
                channel.stage = stage
            channel.save(update_fields=["pipeline", "stage"])


add_keys, remove_keys = composite_keys(PAIRS)


class Migration(migrations.Migration):
    dependencies = [
        ("channels_inbound", "0008_blocked_senders"),
        ("tickets", "0010_pipeline_stage_pairs"),
    ]

    operations = [
        migrations.AddField(
            model_name="inbounditem",
            name="delivered_to",
            field=models.CharField(blank=True, max_length=210, verbose_name="delivered to"),
        ),
        migrations.AddField(
            model_name="inbounditem",
            name="warning",
            field=models.CharField(
                blank=True,
                choices=[
                    ("other_pipeline", "The first status belongs to another pipeline."),
                    ("closed", "The first status is a closed one."),
                    ("requires", "The first status needs properties the channel cannot fill in."),
                ],
                max_length=20,
                verbose_name="settings problem",
            ),
        ),
        migrations.RunPython(repair, migrations.RunPython.noop),
        migrations.RunPython(add_keys, remove_keys),
    ]
