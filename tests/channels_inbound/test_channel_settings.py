"""Channel settings that cannot lose a message (issue 14): a first status must
be an open one of the channel's pipeline, a web form needs a contact and a
message field, and admins see where a channel's tickets really go."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from channels_inbound.models import (
    ChatWidget,
    EmailChannel,
    InboundItem,
    MessengerPage,
    WebForm,
    WebFormField,
)
from tests.factories import EmailAddressFactory, EmailChannelFactory, PipelineFactory, StageFactory

Kind = WebFormField.Kind


@pytest.fixture
def other(db):
    return PipelineFactory(name="Billing")


@pytest.fixture
def admin_client(client, super_admin):
    client.force_login(super_admin)
    return client


def channels(pipeline):
    stage = pipeline.stages.get(name="New")
    common = {"pipeline": pipeline, "stage": stage}
    return [
        EmailChannelFactory(pipeline=pipeline),
        WebForm(name="Contact", slug="contact", title="Contact", **common),
        ChatWidget(name="Site", **common),
        MessengerPage(page_id="1001", name="Acme", access_token_env="X", **common),
    ]


def test_every_channel_refuses_a_first_status_of_another_pipeline(pipeline, other):
    for channel in channels(pipeline):
        channel.stage = other.stages.get(name="New")
        with pytest.raises(ValidationError) as refused:
            channel.full_clean(exclude=["address"])
        assert refused.value.message_dict["stage"] == [
            "Choose a status of the selected pipeline."
        ], type(channel)


def test_every_channel_refuses_a_closed_or_conditional_first_status(pipeline):
    asks = StageFactory(pipeline=pipeline, name="Triaged", required_properties=["priority"])
    for channel in channels(pipeline):
        for stage, words in (
            (pipeline.stages.get(name="Closed"), "cannot start closed"),
            (asks, "requires"),
        ):
            channel.stage = stage
            with pytest.raises(ValidationError, match=words):
                channel.full_clean(exclude=["address"])


@pytest.mark.skipif(connection.vendor != "postgresql", reason="composite keys are PostgreSQL's")
def test_postgresql_refuses_a_channel_whose_first_status_is_of_another_pipeline(pipeline, other):
    for channel in channels(pipeline):
        channel.save()
        with pytest.raises(IntegrityError), transaction.atomic():
            type(channel).objects.filter(pk=channel.pk).update(stage=other.stages.first())


def email_channel_data(address, pipeline, stage):
    return {
        "address": address.pk,
        "pipeline": pipeline.pk,
        "stage": stage.pk,
        "cc_only": "thread_only",
        "is_active": "on",
        "imap_port": 993,
        "imap_folder": "INBOX",
    }


def test_the_channel_admin_refuses_another_pipelines_status_with_a_clear_message(
    admin_client, pipeline, other
):
    address = EmailAddressFactory()
    url = reverse("admin:channels_inbound_emailchannel_add")
    page = admin_client.get(url).content.decode()
    # Each status is named with its pipeline and carries it for the picker's script.
    billing_new = other.stages.get(name="New")
    assert f'data-pipeline="{other.pk}" value="{billing_new.pk}"' in page or (
        f'value="{billing_new.pk}" data-pipeline="{other.pk}"' in page
    )
    assert "Billing · New" in page
    response = admin_client.post(url, email_channel_data(address, pipeline, billing_new))
    assert response.status_code == 200
    assert "Choose a status of the selected pipeline." in response.content.decode()
    assert not EmailChannel.objects.exists()
    ok = admin_client.post(url, email_channel_data(address, pipeline, pipeline.stages.first()))
    assert ok.status_code == 302 and EmailChannel.objects.count() == 1


def test_admins_see_where_a_misconfigured_channels_tickets_go(
    admin_client, pipeline, mismatched_pairs, other
):
    channel = EmailChannelFactory(pipeline=pipeline)
    EmailChannel.objects.filter(pk=channel.pk).update(stage=other.stages.get(name="New"))
    warning = (
        "The first status belongs to another pipeline. New tickets go to "
        f"“{pipeline} · New” until it is corrected."
    )
    listing = admin_client.get(reverse("admin:channels_inbound_emailchannel_changelist"))
    assert warning in listing.content.decode()
    page = admin_client.get(
        reverse("admin:channels_inbound_emailchannel_change", args=[channel.pk])
    )
    assert warning in page.content.decode()


def test_inbound_messages_say_what_was_wrong_and_where_the_item_went(admin_client):
    InboundItem.objects.create(
        source="form",
        payload=b"{}",
        dedupe_key="form:1",
        status="done",
        warning="closed",
        delivered_to="Support · New",
    )
    page = admin_client.get(reverse("admin:channels_inbound_inbounditem_changelist"))
    assert (
        "The first status is a closed one. Delivered to “Support · New” instead."
        in page.content.decode()
    )


# Web forms: who wrote and what they want


def webform_data(pipeline, fields):
    data = {
        "name": "Contact",
        "slug": "contact",
        "title": "Contact us",
        "thanks": "Thanks",
        "pipeline": pipeline.pk,
        "stage": pipeline.stages.first().pk,
        "is_active": "on",
        "fields-TOTAL_FORMS": len(fields),
        "fields-INITIAL_FORMS": 0,
        "fields-MIN_NUM_FORMS": 0,
        "fields-MAX_NUM_FORMS": 1000,
    }
    for i, (kind, required) in enumerate(fields):
        data |= {f"fields-{i}-kind": kind, f"fields-{i}-label": kind, f"fields-{i}-position": i}
        if required:
            data[f"fields-{i}-required"] = "on"
    return data


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ([], "Add a required email or phone field"),
        ([(Kind.EMAIL, True)], "Add a required message field"),
        ([(Kind.MESSAGE, True), (Kind.FIRST_NAME, True)], "Add a required email or phone"),
        ([(Kind.EMAIL, False), (Kind.MESSAGE, True)], "Add a required email or phone"),
    ],
)
def test_a_web_form_without_a_contact_and_a_message_field_cannot_be_saved(
    admin_client, pipeline, fields, problem
):
    url = reverse("admin:channels_inbound_webform_add")
    response = admin_client.post(url, webform_data(pipeline, fields))
    assert response.status_code == 200
    assert problem in response.content.decode()
    assert not WebForm.objects.exists()


def test_a_web_form_with_a_contact_and_a_message_field_is_saved(admin_client, pipeline):
    url = reverse("admin:channels_inbound_webform_add")
    fields = [(Kind.PHONE, True), (Kind.MESSAGE, True)]
    assert admin_client.post(url, webform_data(pipeline, fields)).status_code == 302
    assert WebForm.objects.get().fields.count() == 2


@pytest.fixture
def loose_form(db, pipeline):
    """A form saved before the admin checked it: optional fields only."""
    form = WebForm.objects.create(
        name="Old", slug="old", title="Old", pipeline=pipeline, stage=pipeline.stages.first()
    )
    for kind in (Kind.EMAIL, Kind.MESSAGE):
        WebFormField.objects.create(form=form, kind=kind, label=kind.label)
    return form


def test_an_empty_submission_re_renders_with_field_errors_and_stores_nothing(client, loose_form):
    response = client.post("/forms/old/", {"token": "0" * 32})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Tell us how to reach you." in page and "Write your message." in page
    assert not InboundItem.objects.exists()


def test_a_form_without_fields_takes_no_submission(client, pipeline):
    WebForm.objects.create(
        name="Bare", slug="bare", title="Bare", pipeline=pipeline, stage=pipeline.stages.first()
    )
    response = client.post("/forms/bare/", {"token": "0" * 32})
    assert response.status_code == 400
    assert "cannot take messages yet" in response.content.decode()
    assert not InboundItem.objects.exists()


def test_a_filled_in_submission_of_the_same_form_is_stored(
    client, loose_form, django_capture_on_commit_callbacks
):
    fields = {f.kind: f"f{f.pk}" for f in loose_form.fields.all()}
    data = {
        fields[Kind.EMAIL]: "hanna@acme.example",
        fields[Kind.MESSAGE]: "Help",
        "token": "1" * 32,
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/forms/old/", data)
    assert response.status_code == 302
    item = InboundItem.objects.get()
    assert item.status == "done" and item.ticket.contacts.get().email == "hanna@acme.example"


def test_admins_see_that_a_form_saved_without_its_fields_takes_no_messages(
    admin_client, loose_form
):
    listing = admin_client.get(reverse("admin:channels_inbound_webform_changelist"))
    assert "Add a required email or phone field" in listing.content.decode()
    page = admin_client.get(reverse("admin:channels_inbound_webform_change", args=[loose_form.pk]))
    assert "Add a required message field" in page.content.decode()
