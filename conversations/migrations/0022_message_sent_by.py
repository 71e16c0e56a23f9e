from django.conf import settings
from django.db import migrations, models

from helpdesk.operations import AddIndexConcurrently


class Migration(migrations.Migration):
    atomic = False  # built without blocking the mail coming in

    dependencies = [
        ("conversations", "0021_message_created_at_settable"),
        ("crm", "0003_company_external_id_contact_external_id_and_more"),
        ("tickets", "0024_ticket_statistics"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="message",
            index=models.Index(
                condition=models.Q(("direction", "outbound"), ("kind", "message")),
                fields=["author", "ticket"],
                name="message_sent_by",
            ),
        ),
    ]
