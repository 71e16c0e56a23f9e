"""Unassigned tickets in All tickets, oldest first or by status (issue 22)."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0004_user_can_write_articles'),
        ('crm', '0003_company_external_id_contact_external_id_and_more'),
        ('tickets', '0028_ticket_team_owner'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name='ticket',
            index=models.Index(condition=models.Q(('deleted_at__isnull', True), ('owner__isnull', True)), fields=['created_at', 'id'], name='ticket_unassigned_created'),
        ),
        migrations.AddIndex(
            model_name='ticket',
            index=models.Index(condition=models.Q(('deleted_at__isnull', True), ('owner__isnull', True)), fields=['last_activity_at', 'id'], name='ticket_unassigned_activity'),
        ),
        migrations.AddIndex(
            model_name='ticket',
            index=models.Index(condition=models.Q(('deleted_at__isnull', True), ('owner__isnull', True)), fields=['stage', 'id'], name='ticket_unassigned_stage'),
        ),
    ]
