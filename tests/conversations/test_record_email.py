"""Emailing a contact or company from its page starts a ticket (S13)."""

import pytest
from django.core import mail

from conversations.models import Message
from tests.factories import CompanyFactory, ContactFactory, EmailAddressFactory
from tickets.models import Source, Ticket


@pytest.fixture
def setup(db, pipeline, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    company = CompanyFactory(name="Acme Oy")
    ana = ContactFactory(first_name="Ana", email="ana@acme.example", company=company)
    ben = ContactFactory(first_name="Ben", email="Ben@Acme.example", company=company)
    return {
        "company": company,
        "ana": ana,
        "ben": ben,
        "address": EmailAddressFactory(email="hello@helpdesk.example", display_name="Hello"),
    }


def post(client, kind, record, django_capture_on_commit_callbacks, **data):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(
            f"/records/{kind}/{record.pk}/email/",
            {"subject": "Your renewal", "html": "<p>Hi Ana, time to renew.</p>", **data},
            headers={"HX-Request": "true"},
        )


def test_emailing_a_contact_creates_a_ticket_and_sends(
    client, agent, setup, django_capture_on_commit_callbacks
):
    client.force_login(agent)
    form = client.get(f"/records/contact/{setup['ana'].pk}/email/").content.decode()
    assert 'value="ana@acme.example"' in form
    response = post(
        client,
        "contact",
        setup["ana"],
        django_capture_on_commit_callbacks,
        to="ana@acme.example",
        cc="boss@acme.example",
        from_address=setup["address"].pk,
    )
    ticket = Ticket.objects.get()
    assert response.status_code == 204
    assert response["HX-Redirect"] == f"/tickets/{ticket.pk}/"
    assert (ticket.name, ticket.source, ticket.owner) == ("Your renewal", Source.EMAIL, agent)
    assert list(ticket.contacts.all()) == [setup["ana"]]
    assert list(ticket.companies.all()) == [setup["company"]]
    assert ticket.is_open
    message = Message.objects.get()
    assert (message.direction, message.subject, message.in_reply_to) == (
        "outbound",
        "Your renewal",
        "",
    )
    [sent] = mail.outbox
    assert sent.subject == "Your renewal"
    assert sent.to == ["ana@acme.example"] and sent.cc == ["boss@acme.example"]
    assert sent.message()["From"] == "Hello <hello@helpdesk.example>"  # (envelope: VERP)
    assert sent.extra_headers["Message-ID"] == message.message_id


def test_emailing_a_company_associates_the_contacts_it_went_to(
    client, agent, setup, django_capture_on_commit_callbacks
):
    client.force_login(agent)
    post(
        client,
        "company",
        setup["company"],
        django_capture_on_commit_callbacks,
        to="ben@acme.example",
    )
    ticket = Ticket.objects.get()
    assert list(ticket.contacts.all()) == [setup["ben"]]
    assert list(ticket.companies.all()) == [setup["company"]]


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"to": "ana@acme.example", "subject": " "}, "Give the email a subject."),
        ({"to": "ana@acme.example", "html": "<p> </p>"}, "Write a message before sending."),
        ({"to": ""}, "Add at least one recipient"),
        ({"to": "not an address"}, "is not a valid email address"),
        ({"to": "a@b.example\r\nBcc: evil@x.example"}, "Addresses cannot contain line breaks."),
    ],
)
def test_a_bad_email_re_renders_with_the_reason_and_creates_nothing(
    client, agent, setup, data, error, django_capture_on_commit_callbacks
):
    client.force_login(agent)
    response = post(client, "contact", setup["ana"], django_capture_on_commit_callbacks, **data)
    assert response.status_code == 200
    assert error in response.content.decode()
    assert not Ticket.objects.exists() and not mail.outbox


def test_without_an_open_status_the_agent_is_told(
    client, agent, setup, pipeline, django_capture_on_commit_callbacks
):
    pipeline.stages.update(is_closed=True)
    client.force_login(agent)
    response = post(
        client, "contact", setup["ana"], django_capture_on_commit_callbacks, to="ana@acme.example"
    )
    assert "Set up a pipeline with an open status first." in response.content.decode()
    assert not Ticket.objects.exists()


def test_unknown_kinds_and_records_are_404(client, agent, setup):
    client.force_login(agent)
    assert client.get(f"/records/deal/{setup['ana'].pk}/email/").status_code == 404
    assert client.get("/records/contact/999999/email/").status_code == 404
    assert client.put(f"/records/contact/{setup['ana'].pk}/email/").status_code == 405
    client.logout()
    assert client.get(f"/records/contact/{setup['ana'].pk}/email/").status_code == 302
