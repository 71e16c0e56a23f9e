from django.db import migrations, models

from helpdesk.operations import AddIndexConcurrently


class Migration(migrations.Migration):
    """The duplicate check's index without its condition: the check runs as a
    prepared statement, whose generic plan cannot use an index that holds
    only non-empty hashes, and read every row done instead (issue 22). The
    new index is built first, without blocking the mail coming in; the old
    one goes after it."""

    atomic = False

    dependencies = [
        ("channels_inbound", "0013_inbound_payload_file"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="inbounditem",
            index=models.Index(fields=["message_hash"], name="inbound_content_hash"),
        ),
        migrations.RemoveIndex(model_name="inbounditem", name="inbound_message_hash"),
    ]
