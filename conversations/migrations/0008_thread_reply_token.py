import secrets

from django.db import migrations, models

import conversations.models


def fill_tokens(apps, schema_editor):
    """Existing threads get their own token each (a column default would give
    them all the same one)."""
    Thread = apps.get_model("conversations", "Thread")
    pending = Thread.objects.filter(reply_token__isnull=True)
    while batch := list(pending.values_list("pk", flat=True)[:2000]):
        Thread.objects.bulk_update(
            [Thread(pk=pk, reply_token=secrets.token_hex(16)) for pk in batch],
            ["reply_token"],
        )


class Migration(migrations.Migration):
    dependencies = [("conversations", "0007_document")]

    operations = [
        migrations.AddField(
            model_name="emailaddress",
            name="plus_addressing",
            field=models.BooleanField(
                default=True,
                help_text=(
                    "Replies are asked to go to name+token@domain, which identifies the ticket. "
                    "Turn this off if your mail server does not deliver plus addresses."
                ),
                verbose_name="replies to a plus address",
            ),
        ),
        migrations.AddField(
            model_name="thread",
            name="reply_token",
            field=models.CharField(max_length=32, null=True, editable=False),
        ),
        migrations.RunPython(fill_tokens, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="thread",
            name="reply_token",
            field=models.CharField(
                default=conversations.models.reply_token,
                editable=False,
                max_length=32,
                unique=True,
            ),
        ),
    ]
