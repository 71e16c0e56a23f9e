"""Signatures of agents and team addresses, rich text per language, put into
the reply editor in the language the reply is written in (issue 15)."""

import pytest
from django.db import IntegrityError
from django.urls import reverse

from conversations import services
from conversations.admin import SignatureForm
from conversations.models import Channel, Signature, Thread
from conversations.queries import conversation_for
from tests.factories import EmailAddressFactory, TicketFactory, UserFactory, inbound_message

FINNISH_CLIENT = "Hei\n\nti 28.5.2024 klo 9.00 Tuki <tuki@helpdesk.example> kirjoitti:\n> Moi"


@pytest.fixture
def address(db):
    return EmailAddressFactory(email="support0@helpdesk.example", display_name="Support")


@pytest.fixture
def ticket(pipeline, address):
    return TicketFactory(pipeline=pipeline, name="Printer on fire")


@pytest.fixture
def signatures(agent, address):
    for owner, language, html in [
        ({"user": agent}, "", "<p>Best regards, Sam</p>"),
        ({"user": agent}, "fi", "<p>Ystävällisin terveisin, Sam</p>"),
        ({"user": agent}, "de", "<p>Viele Grüße, Sam</p>"),
        ({"address": address}, "", "<p>ACME Support</p>"),
        ({"address": address}, "fi", "<p>ACME-tuki</p>"),
    ]:
        Signature.objects.create(**owner, language=language, html=html)


def _editor(agent, ticket) -> str:
    return conversation_for(agent, ticket)["composer"]["html"]


def test_a_new_reply_starts_with_the_agent_and_address_signatures(signatures, agent, ticket):
    inbound_message(ticket, to=("support0@helpdesk.example",))
    assert _editor(agent, ticket) == "<p><br></p><p>Best regards, Sam</p><p>ACME Support</p>"


def test_the_signatures_follow_the_customer_client_language(signatures, agent, ticket):
    inbound_message(ticket, text=FINNISH_CLIENT, to=("support0@helpdesk.example",))
    html = _editor(agent, ticket)
    assert "Ystävällisin terveisin, Sam" in html and "ACME-tuki" in html
    assert "Best regards" not in html


def test_else_the_agent_language_and_else_the_one_for_any_language(
    signatures, agent, ticket, address
):
    agent.language = "de"
    agent.save(update_fields=["language"])
    inbound_message(ticket, to=("support0@helpdesk.example",))
    html = _editor(agent, ticket)
    # German for the agent; the address has no German one, so its any-language one.
    assert "Viele Grüße, Sam" in html and "ACME Support" in html


def test_no_signature_no_prefill_and_none_in_a_chat(agent, ticket, pipeline, signatures):
    other = UserFactory(main_team=agent.main_team)
    inbound_message(ticket)
    assert _editor(other, ticket) == "<p><br></p><p>ACME Support</p>"
    Signature.objects.filter(address__isnull=False).delete()
    assert _editor(other, ticket) == ""
    chat = TicketFactory(pipeline=pipeline)
    thread = Thread.objects.create(
        ticket=chat, inbox=services.help_desk_inbox(), channel=Channel.CHAT, visitor_key="v1"
    )
    chat_message = inbound_message(chat)
    chat_message.thread = thread
    chat_message.save(update_fields=["thread"])
    assert _editor(agent, chat) == ""


def test_a_reply_of_only_the_signature_is_refused(signatures, agent, ticket):
    from django.core.exceptions import ValidationError

    inbound_message(ticket, to=("support0@helpdesk.example",))
    with pytest.raises(ValidationError):
        services.reply_send(
            actor=agent, ticket=ticket, html=_editor(agent, ticket), to=["a@b.example"]
        )
    sent = services.reply_send(
        actor=agent,
        ticket=ticket,
        html="<p>On it.</p>" + _editor(agent, ticket),
        to=["a@b.example"],
    )
    assert "Best regards, Sam" in sent.html


def test_a_signature_has_exactly_one_owner(agent, address):
    with pytest.raises(IntegrityError):
        Signature.objects.create(user=agent, address=address, html="<p>x</p>")


def test_the_admin_form_cleans_the_html_and_wants_one_owner(agent, address):
    form = SignatureForm(
        data={"user": agent.pk, "language": "ko", "html": "<p>감사합니다<script>x()</script></p>"}
    )
    assert form.is_valid(), form.errors
    assert form.cleaned_data["html"] == "<p>감사합니다</p>"
    both = SignatureForm(
        data={"user": agent.pk, "address": address.pk, "language": "", "html": "<p>x</p>"}
    )
    assert not both.is_valid()
    empty = SignatureForm(data={"user": agent.pk, "language": "", "html": "<p> </p>"})
    assert "html" in empty.errors


def test_super_admins_edit_signatures_and_agents_cannot(client, super_admin, agent, address):
    client.force_login(super_admin)
    assert client.get(reverse("admin:conversations_signature_changelist")).status_code == 200
    page = client.get(reverse("admin:conversations_emailaddress_change", args=[address.pk]))
    assert page.status_code == 200 and "signatures-TOTAL_FORMS" in page.content.decode()
    client.force_login(agent)
    response = client.get(reverse("admin:conversations_signature_changelist"))
    assert response.status_code == 302


def test_the_editor_knows_each_address_signature_for_a_change_of_from(
    signatures, agent, ticket, address
):
    billing = EmailAddressFactory(email="billing@helpdesk.example")
    Signature.objects.create(address=billing, html="<p>ACME Billing</p>")
    inbound_message(ticket, to=("support0@helpdesk.example",))
    composer = conversation_for(agent, ticket)["composer"]
    assert composer["signatures"][billing.pk].endswith(
        "<p>Best regards, Sam</p><p>ACME Billing</p>"
    )
    assert composer["signatures"][address.pk] == composer["html"]


def test_signatures_alone_are_not_a_draft(signatures, agent, ticket):
    inbound_message(ticket, to=("support0@helpdesk.example",))
    html = _editor(agent, ticket)
    assert services.draft_save(user=agent, ticket=ticket, kind="reply", html=html) is None
    kept = services.draft_save(user=agent, ticket=ticket, kind="reply", html="<p>Hi</p>" + html)
    assert kept is not None
