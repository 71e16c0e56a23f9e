"""The moments time-based rules count from, for tickets made before they were
kept: the latest status change in the timeline (else creation), the latest
customer message and the latest agent reply. Without this a rule such as
"5 days in Waiting on contact" would count an old ticket's days from nothing."""

from django.db import migrations
from django.db.models import OuterRef, Subquery
from django.db.models.functions import Coalesce


def backfill(apps, schema_editor):
    Ticket = apps.get_model("tickets", "Ticket")
    TicketEvent = apps.get_model("tickets", "TicketEvent")
    Message = apps.get_model("conversations", "Message")

    def latest(queryset):
        return Subquery(
            queryset.filter(ticket_id=OuterRef("pk"))
            .order_by("-created_at")
            .values("created_at")[:1]
        )

    Ticket.objects.filter(stage_changed_at__isnull=True).update(
        stage_changed_at=Coalesce(
            latest(TicketEvent.objects.filter(kind="changed", field="stage")), "created_at"
        )
    )
    messages = Message.objects.filter(kind="message")
    Ticket.objects.filter(last_customer_message_at__isnull=True).update(
        last_customer_message_at=latest(messages.filter(direction="inbound"))
    )
    Ticket.objects.filter(last_agent_reply_at__isnull=True).update(
        last_agent_reply_at=latest(messages.filter(direction="outbound", author__isnull=False))
    )


class Migration(migrations.Migration):
    dependencies = [
        ("workflows", "0002_rules"),
        ("tickets", "0014_rule_time_anchors"),
        ("conversations", "0017_automatic_messages"),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop, elidable=True)]
