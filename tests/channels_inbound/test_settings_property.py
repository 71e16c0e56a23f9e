"""Whatever the admins set up, nothing is lost (issue 14, RELIABILITY A).

Hypothesis draws help desks: pipelines of open, closed and conditional
statuses; channels of every kind whose first status may be any status,
another pipeline's too (written through the ORM, past the forms, as older
data can hold); automation statuses that may be of another pipeline, closed,
conditional or deleted. Then a customer writes through every channel and
answers, and an agent replies on every ticket. Every delivery must end as a
ticket or message (or be ignored with a reason), none may wait, and every
reply must be sent or show the agent why not.
"""

import json
import time

import pytest
from django.db import connection, transaction
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from channels_inbound.ingest import inbound_process
from channels_inbound.models import (
    ChatWidget,
    EmailChannel,
    InboundItem,
    MessengerPage,
    WebForm,
    WebFormField,
)
from channels_inbound.store import inbound_store
from conversations.models import EmailAddress, Message
from tests.channels_inbound.mail import mail
from tickets.models import Pipeline, Stage, Ticket

# A status: (closed, needs a priority to enter).
statuses = st.lists(st.tuples(st.booleans(), st.booleans()), min_size=1, max_size=3)
# A pick of any status of the help desk, by index (modulo the count).
picks = st.integers(min_value=0, max_value=20)
# An automation status: none, any status, or one deleted since.
automation = st.one_of(st.none(), st.just("deleted"), picks)

help_desks = st.fixed_dictionaries(
    {
        "pipelines": st.lists(statuses, min_size=1, max_size=3),
        "channels": st.fixed_dictionaries(
            {kind: st.tuples(picks, picks) for kind in ("email", "form", "chat", "messenger")}
        ),
        "agent_reply": automation,
        "customer_reply": automation,
        "closed_reply": st.sampled_from(Pipeline.ClosedReply.values),
    }
)


def build(desk) -> dict:
    """The help desk as drawn; at least one status somewhere is open and asks
    for nothing, as a help desk that takes messages at all has."""
    pipelines, stages = [], []
    for n, specs in enumerate(desk["pipelines"]):
        pipeline = Pipeline.objects.create(name=f"P{n}", position=n)
        pipelines.append(pipeline)
        for m, (closed, needs) in enumerate(specs):
            stages.append(
                Stage.objects.create(
                    pipeline=pipeline,
                    name=f"S{n}.{m}",
                    position=m,
                    is_closed=closed,
                    required_properties=["priority"] if needs else [],
                )
            )
    if not any(not s.is_closed and not s.required_properties for s in stages):
        Stage.objects.filter(pk=stages[0].pk).update(is_closed=False, required_properties=[])
        stages[0].refresh_from_db()
    made = {}
    for kind, (pipeline_pick, stage_pick) in desk["channels"].items():
        pipeline = pipelines[pipeline_pick % len(pipelines)]
        # Created where the rule holds, then pointed anywhere past clean().
        common = {"pipeline": pipeline, "stage": stages[0] if stages[0].pipeline == pipeline else
                  pipeline.stages.first() or stages[0]}  # fmt: skip
        if kind == "email":
            address = EmailAddress.objects.create(email="support@helpdesk.example")
            channel = EmailChannel.objects.create(address=address, **common)
        elif kind == "form":
            channel = WebForm.objects.create(name="F", slug="f", title="F", **common)
            for field in (WebFormField.Kind.EMAIL, WebFormField.Kind.MESSAGE):
                WebFormField.objects.create(form=channel, kind=field, label=field, required=True)
        elif kind == "chat":
            channel = ChatWidget.objects.create(name="C", **common)
        else:
            channel = MessengerPage.objects.create(
                page_id="1001", name="M", access_token_env="M_TOKEN", **common
            )
        type(channel).objects.filter(pk=channel.pk).update(stage=stages[stage_pick % len(stages)])
        made[kind] = channel
    for field, choice in (
        ("stage_on_agent_reply", desk["agent_reply"]),
        ("stage_on_customer_reply", desk["customer_reply"]),
    ):
        for pipeline in pipelines:
            if choice == "deleted":
                gone = Stage.objects.create(pipeline=pipeline, name=f"gone {field}")
                Pipeline.objects.filter(pk=pipeline.pk).update(**{field: gone})
                gone.delete()
            elif choice is not None:
                Pipeline.objects.filter(pk=pipeline.pk).update(
                    **{field: stages[choice % len(stages)]}
                )
    Pipeline.objects.update(closed_reply=desk["closed_reply"])
    return made


def deliver(source, payload: bytes) -> InboundItem:
    item, _created = inbound_store(source=source, payload=payload)
    inbound_process(item.pk)
    item.refresh_from_db()
    return item


def deliveries(channels):
    form = channels["form"]
    fields = {f.kind: str(f.pk) for f in form.fields.all()}
    now = int(time.time() * 1000)
    event = {"sender": {"id": "psid"}, "timestamp": now, "message": {"mid": "m1", "text": "Hi"}}
    first_mail = mail(to="support@helpdesk.example", message_id="<first@acme.example>")
    return [
        (InboundItem.Source.PIPE, first_mail),
        (
            InboundItem.Source.FORM,
            json.dumps(
                {
                    "form": form.pk,
                    "values": {fields["email"]: "ana@acme.example", fields["message"]: "Help"},
                }
            ).encode(),
        ),
        (
            InboundItem.Source.CHAT,
            json.dumps({"widget": channels["chat"].pk, "visitor": "b" * 32, "text": "Hi"}).encode(),
        ),
        (
            InboundItem.Source.MESSENGER,
            json.dumps(
                {"object": "page", "entry": [{"id": "1001", "messaging": [event]}]}
            ).encode(),
        ),
    ]


def assert_delivered(item: InboundItem) -> None:
    assert item.status != InboundItem.Status.PENDING, item.error
    assert item.status != InboundItem.Status.FAILED, item.error
    if item.status == InboundItem.Status.DONE:
        assert item.ticket_id and item.message_id
    else:
        assert item.disposition


def reply(client, ticket: Ticket) -> None:
    """An agent's reply: sent (an outbound message exists), or the editor
    comes back with the reason and the text."""
    before = Message.objects.filter(ticket=ticket, direction="outbound").count()
    response = client.post(
        reverse("conversations:reply_send", args=[ticket.pk]),
        {"html": "<p>Answer kept</p>", "to": "ana@acme.example"},
        headers={"HX-Request": "true", "HX-Target": "composer-reply"},
    )
    assert response.status_code == 200
    sent = Message.objects.filter(ticket=ticket, direction="outbound").count() == before + 1
    if not sent:
        page = response.content.decode()
        assert response["HX-Retarget"] == "#composer-reply"
        assert "Answer kept" in page
        assert 'class="alert alert-error"' in page or 'class="field-error"' in page


@pytest.mark.django_db
@settings(
    max_examples=8,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(desk=help_desks)
def test_no_configuration_loses_a_message_or_a_reply(desk, client, super_admin):
    client.force_login(super_admin)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:  # past the composite keys, as older data
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        channels = build(desk)
        items = [deliver(source, payload) for source, payload in deliveries(channels)]
        for item in items:
            assert_delivered(item)
        # The customer answers on the email ticket, once open and once closed.
        ticket = items[0].ticket
        answer = mail(
            to="support@helpdesk.example",
            subject="Re: Printer on fire",
            in_reply_to="<first@acme.example>",
            message_id="<second@acme.example>",
        )
        assert_delivered(deliver(InboundItem.Source.PIPE, answer))
        Ticket.objects.filter(pk=ticket.pk).update(is_open=False)
        again = mail(
            to="support@helpdesk.example",
            subject="Re: Printer on fire",
            in_reply_to="<first@acme.example>",
            message_id="<third@acme.example>",
        )
        assert_delivered(deliver(InboundItem.Source.PIPE, again))
        for item in items:
            reply(client, Ticket.objects.get(pk=item.ticket_id))
        transaction.set_rollback(True)
