"""Shared SLA test setup."""

import pytest

from sla.models import SlaGoal, SlaSettings
from tests.factories import EmailAddressFactory


@pytest.fixture
def goals(db, settings):
    """SLAs on, 24/7: first response 60 min, next 30, close 480, due soon 15 before."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    EmailAddressFactory(email="support@helpdesk.example")
    SlaSettings.objects.create(pk=1, enabled=True, mode=SlaSettings.Mode.ALWAYS)
    return SlaGoal.objects.create(
        first_response_minutes=60,
        next_response_minutes=30,
        close_minutes=480,
        due_soon_minutes=15,
    )
