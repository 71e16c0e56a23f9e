"""Every ticket open or closed as its status is (issue 22).

Until now a status holding tickets could be switched between open and
closed in the admin, and its tickets kept what they were. The admin now
refuses that (StageForm.clean_is_closed), and the status filters say in SQL
what their statuses say of their tickets: a ticket left behind would drop
out of them. This puts any such ticket in line with its status, as the
views already show it by its status's name."""

from django.db import migrations


def align(apps, schema_editor):
    Stage = apps.get_model("tickets", "Stage")
    Ticket = apps.get_model("tickets", "Ticket")
    for stage in Stage.objects.all():
        is_open = not stage.is_closed
        Ticket.objects.filter(stage=stage, is_open=not is_open).update(is_open=is_open)


class Migration(migrations.Migration):
    dependencies = [("tickets", "0024_ticket_statistics")]

    operations = [migrations.RunPython(align, migrations.RunPython.noop, elidable=True)]
