"""A team's tickets of an owner (issue 22): the index is built before the
team's own foreign key index goes, which it replaces."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_user_can_write_articles"),
        ("crm", "0003_company_external_id_contact_external_id_and_more"),
        ("tickets", "0027_analyze_small_tables"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(fields=["team", "owner"], name="ticket_team_owner"),
        ),
        migrations.AlterField(
            model_name="ticket",
            name="team",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                to="accounts.team",
                verbose_name="team",
            ),
        ),
    ]
