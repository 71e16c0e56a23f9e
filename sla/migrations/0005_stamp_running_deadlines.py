"""Stamp the running deadlines of open tickets with the configuration version
they were computed with (issue 14, tickets.Ticket.sla_*_version), so that the
next change applied rebases them once.

When no change waits to be applied, every deadline follows the configuration
of now: the latest change's id (0 before any). When one waits (or is being
applied), a deadline may be from before or after its save and nothing says
which: those stay unstamped, and applying judges them by when their clock
started, as it did before the stamps.
"""

from django.db import migrations

CLOCKS = ["first_response", "next_response", "close"]


def stamp(apps, schema_editor):
    SlaChange = apps.get_model("sla", "SlaChange")
    Ticket = apps.get_model("tickets", "Ticket")
    if SlaChange.objects.exclude(status="done").exists():
        return
    last = SlaChange.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    for clock in CLOCKS:
        Ticket.objects.filter(
            **{f"sla_{clock}_due__isnull": False, f"sla_{clock}_version__isnull": True}
        ).update(**{f"sla_{clock}_version": last})


class Migration(migrations.Migration):
    dependencies = [
        ("sla", "0004_sla_change"),
        ("tickets", "0015_sla_versions"),
    ]

    operations = [migrations.RunPython(stamp, migrations.RunPython.noop)]
