"""Delivery never fails because of a setting (issue 14, RELIABILITY A): a
channel whose first status cannot take a new ticket still turns every
message into a ticket, in a safe place, and says what was wrong."""

import json
import time

import pytest

from channels_inbound.ingest import inbound_process
from channels_inbound.models import (
    ChatWidget,
    InboundItem,
    MessengerPage,
    WebForm,
    WebFormField,
)
from channels_inbound.store import inbound_store
from tests.channels_inbound.mail import mail
from tests.factories import (
    EmailAddressFactory,
    EmailChannelFactory,
    PipelineFactory,
    StageFactory,
)
from tickets import services
from tickets.models import Pipeline, Stage


def deliver(source, payload) -> InboundItem:
    item, _created = inbound_store(source=source, payload=payload)
    inbound_process(item.pk)
    item.refresh_from_db()
    return item


@pytest.fixture
def other(db):
    return PipelineFactory(name="Billing")


@pytest.fixture
def email_channel(db, pipeline):
    address = EmailAddressFactory(email="support@helpdesk.example")
    return EmailChannelFactory(address=address, pipeline=pipeline)


def email(channel):
    return deliver(InboundItem.Source.PIPE, mail(to=channel.address.email))


@pytest.fixture
def webform(db, pipeline):
    form = WebForm.objects.create(
        name="Contact",
        slug="contact",
        title="Contact",
        pipeline=pipeline,
        stage=pipeline.stages.first(),
    )
    for kind in (WebFormField.Kind.EMAIL, WebFormField.Kind.MESSAGE):
        WebFormField.objects.create(form=form, kind=kind, label=kind, required=True)
    return form


def submission(form):
    fields = {f.kind: str(f.pk) for f in form.fields.all()}
    values = {fields["email"]: "hanna@acme.example", fields["message"]: "Charged twice"}
    payload = {"form": form.pk, "values": values, "files": []}
    return deliver(InboundItem.Source.FORM, json.dumps(payload).encode())


@pytest.fixture
def widget(db, pipeline):
    return ChatWidget.objects.create(name="Site", pipeline=pipeline, stage=pipeline.stages.first())


def chat(widget):
    payload = {"widget": widget.pk, "visitor": "a" * 32, "text": "Is anyone there?"}
    return deliver(InboundItem.Source.CHAT, json.dumps(payload).encode())


@pytest.fixture
def page(db, pipeline):
    return MessengerPage.objects.create(
        page_id="1001",
        name="Acme",
        pipeline=pipeline,
        stage=pipeline.stages.first(),
        access_token_env="ACME_PAGE_TOKEN",
    )


def messenger(page):
    now = int(time.time() * 1000)
    event = {"sender": {"id": "psid-7"}, "timestamp": now, "message": {"mid": "m-1", "text": "Hi"}}
    payload = {"object": "page", "entry": [{"id": page.page_id, "messaging": [event]}]}
    return deliver(InboundItem.Source.MESSENGER, json.dumps(payload).encode())


CHANNELS = {
    "email": ("email_channel", email),
    "form": ("webform", submission),
    "chat": ("widget", chat),
    "messenger": ("page", messenger),
}


@pytest.fixture(params=CHANNELS)
def channel_and_delivery(request):
    fixture, delivery = CHANNELS[request.param]
    return request.getfixturevalue(fixture), delivery


def test_a_first_status_of_another_pipeline_still_delivers_to_the_channels_pipeline(
    channel_and_delivery, other, mismatched_pairs
):
    channel, delivery = channel_and_delivery
    type(channel).objects.filter(pk=channel.pk).update(stage=other.stages.first())
    item = delivery(channel)
    assert item.status == InboundItem.Status.DONE, (item.error, item.disposition)
    ticket = item.ticket
    assert ticket.pipeline == channel.pipeline
    assert ticket.stage == channel.pipeline.stages.get(name="New")
    assert ticket.messages.count() >= 1
    assert item.warning == "other_pipeline"
    assert item.delivered_to == f"{channel.pipeline} · New"


def test_a_closed_first_status_delivers_to_an_open_one(email_channel):
    closed = email_channel.pipeline.stages.get(name="Closed")
    type(email_channel).objects.filter(pk=email_channel.pk).update(stage=closed)
    item = email(email_channel)
    assert (item.status, item.ticket.is_open, item.warning) == ("done", True, "closed")


def test_a_first_status_needing_properties_delivers_to_one_that_needs_none(webform):
    asks = StageFactory(pipeline=webform.pipeline, name="Triaged", required_properties=["priority"])
    WebForm.objects.filter(pk=webform.pk).update(stage=asks)
    item = submission(webform)
    assert (item.status, item.ticket.stage.name, item.warning) == ("done", "New", "requires")


def test_a_pipeline_without_an_open_status_sends_tickets_to_the_first_pipeline_that_has_one(
    widget, other
):
    # The widget's pipeline is left with closed statuses only.
    Stage.objects.filter(pipeline=widget.pipeline).update(is_closed=True)
    item = chat(widget)
    assert item.status == "done", item.error
    assert item.ticket.pipeline == other
    assert item.delivered_to == "Billing · New"


def test_with_no_open_status_anywhere_the_delivery_fails_with_its_reason_not_waiting(page):
    Stage.objects.update(is_closed=True)
    item = messenger(page)
    assert item.status == InboundItem.Status.FAILED
    assert "No pipeline has an open status" in item.error


def test_a_well_set_channel_delivers_where_it_says_with_no_warning(email_channel):
    item = email(email_channel)
    assert (item.ticket.stage, item.warning, item.delivered_to) == (email_channel.stage, "", "")


def test_a_reply_to_a_closed_ticket_reopens_it_although_the_reply_status_is_of_another_pipeline(
    email_channel, other, mismatched_pairs
):
    pipeline = email_channel.pipeline
    Pipeline.objects.filter(pk=pipeline.pk).update(
        stage_on_customer_reply=other.stages.first(),
        closed_reply=Pipeline.ClosedReply.REOPEN,
    )
    first = email(email_channel)
    ticket = first.ticket
    services.ticket_set_stage(
        actor=None,
        ticket=ticket,
        stage=pipeline.stages.get(name="Closed"),
        category="billing_issue",
    )
    message = first.message
    reply = deliver(
        InboundItem.Source.PIPE,
        mail(
            to=email_channel.address.email,
            subject="Re: Printer on fire",
            in_reply_to=message.message_id,
            references=message.message_id,
        ),
    )
    assert reply.status == "done", (reply.error, reply.disposition)
    ticket.refresh_from_db()
    assert (reply.ticket, ticket.stage.name, ticket.is_open) == (ticket, "New", True)


def test_a_customer_reply_never_closes_the_ticket_even_if_the_pipeline_says_so(email_channel):
    pipeline = email_channel.pipeline
    Pipeline.objects.filter(pk=pipeline.pk).update(
        stage_on_customer_reply=pipeline.stages.get(name="Closed")
    )
    first = email(email_channel)
    reply = deliver(
        InboundItem.Source.PIPE,
        mail(to=email_channel.address.email, in_reply_to=first.message.message_id),
    )
    assert reply.ticket.is_open and reply.ticket.stage.name == "New"
