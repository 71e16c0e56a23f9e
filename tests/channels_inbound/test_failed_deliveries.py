"""Incoming messages that could not be delivered (a deactivated channel, an
address no channel has) are kept with their reason; every settings page says
how many wait, until they are processed again (issue 14, RELIABILITY A)."""

import pytest
from django.urls import reverse

from channels_inbound.models import EmailChannel, InboundItem
from tests.channels_inbound.mail import mail
from tests.channels_inbound.test_ingest import deliver
from tests.factories import EmailAddressFactory, EmailChannelFactory


@pytest.fixture
def channel(db, pipeline):
    address = EmailAddressFactory(email="support@helpdesk.example")
    return EmailChannelFactory(address=address, pipeline=pipeline)


WARNING = "incoming message could not be delivered"


def test_mail_to_a_deactivated_channel_waits_and_every_settings_page_says_so(
    channel, super_admin, client
):
    client.force_login(super_admin)
    pages = [reverse("admin:index"), reverse("admin:tickets_pipeline_changelist")]
    assert all(WARNING not in client.get(url).content.decode() for url in pages)

    EmailChannel.objects.filter(pk=channel.pk).update(is_active=False)
    item = deliver(mail(subject="Where is my order?"))
    assert item.status == InboundItem.Status.FAILED
    assert "No connected email channel for support@helpdesk.example" in item.disposition
    for url in pages:
        page = client.get(url).content.decode()
        assert f"1 {WARNING}" in page, url
        assert "/admin/channels_inbound/inbounditem/?status__exact=failed" in page

    # Back on, processed again: delivered, and the pages are quiet again.
    EmailChannel.objects.filter(pk=channel.pk).update(is_active=True)
    client.post(
        reverse("admin:channels_inbound_inbounditem_changelist"),
        {"action": "process_again", "_selected_action": [item.pk]},
    )
    item.refresh_from_db()
    assert item.status == InboundItem.Status.DONE and item.ticket.name == "Where is my order?"
    assert all(WARNING not in client.get(url).content.decode() for url in pages)


def test_the_count_stops_at_a_thousand(db, super_admin, client, monkeypatch):
    from helpdesk import admin_site

    monkeypatch.setattr(admin_site, "FAILED_SHOWN", 3)
    InboundItem.objects.bulk_create(
        InboundItem(
            source=InboundItem.Source.PIPE,
            payload=b"x",
            dedupe_key=f"pipe:{n}",
            status=InboundItem.Status.FAILED,
        )
        for n in range(5)
    )
    client.force_login(super_admin)
    page = client.get(reverse("admin:index")).content.decode()
    assert "At least 3 incoming messages could not be delivered." in page
