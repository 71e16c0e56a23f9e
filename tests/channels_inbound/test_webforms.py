"""Public web forms: validation, bots, floods, embedding, and the ticket they
make (issue 4, RELIABILITY 67)."""

from html.parser import HTMLParser

import pytest
from django.core import mail as sent_mail
from django.core.files.uploadedfile import SimpleUploadedFile

from channels_inbound.models import InboundItem, WebForm, WebFormField
from conversations import services
from tests.factories import TeamFactory
from tickets.models import PropertyDefinition, Ticket

Kind = WebFormField.Kind


@pytest.fixture
def webform(db, pipeline, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    area = PropertyDefinition.objects.create(
        key="product_area", label="Product area", type="choice", choices=["Billing", "App"]
    )
    form = WebForm.objects.create(
        name="Contact us",
        slug="contact",
        title="How can we help?",
        pipeline=pipeline,
        stage=pipeline.stages.first(),
        team=TeamFactory(name="Web"),
        allowed_origins="https://www.acme.example",
    )
    for position, (kind, label, required, prop) in enumerate(
        [
            (Kind.EMAIL, "Your email", True, None),
            (Kind.FIRST_NAME, "First name", False, None),
            (Kind.SUBJECT, "Subject", True, None),
            (Kind.MESSAGE, "Message", True, None),
            (Kind.PROPERTY, "Area", False, area),
            (Kind.FILE, "Screenshot", False, None),
        ]
    ):
        WebFormField.objects.create(
            form=form, kind=kind, label=label, required=required, property=prop, position=position
        )
    return form


def field_names(form):
    return {f.kind: f"f{f.pk}" for f in form.fields.all()}


def submission(form, **overrides):
    names = field_names(form)
    data = {
        names[Kind.EMAIL]: "hanna@acme.example",
        names[Kind.FIRST_NAME]: "Hanna",
        names[Kind.SUBJECT]: "Invoice question",
        names[Kind.MESSAGE]: "Why was I charged twice?\n\nThanks!",
        names[Kind.PROPERTY]: "Billing",
        "token": "0123456789abcdef0123456789abcdef",
    }
    data.update({names.get(k, k): v for k, v in overrides.items()})
    return data


def post(client, form, capture, data, **headers):
    with capture(execute=True):
        return client.post(f"/forms/{form.slug}/", data, **headers)


def test_the_public_page_can_be_embedded_only_by_allowed_sites(client, webform):
    response = client.get("/forms/contact/?embed=1")
    assert response.status_code == 200
    assert "How can we help?" in response.content.decode()
    assert "frame-ancestors 'self' https://www.acme.example" in response["Content-Security-Policy"]
    assert "script-src 'none'" in response["Content-Security-Policy"]
    assert "X-Frame-Options" not in response


def test_a_submission_becomes_a_ticket_with_its_fields_and_file(
    client, webform, django_capture_on_commit_callbacks
):
    data = submission(webform)
    data[field_names(webform)[Kind.FILE]] = SimpleUploadedFile("shot.png", b"\x89PNG\r\n\x1a\n0000")
    response = post(client, webform, django_capture_on_commit_callbacks, data)
    assert response.status_code == 302 and response["Location"].endswith("?sent=1")
    item = InboundItem.objects.get()
    assert (item.source, item.status) == ("form", "done")
    ticket = item.ticket
    assert (ticket.name, ticket.source, ticket.team.name) == ("Invoice question", "form", "Web")
    assert ticket.properties == {"product_area": "Billing"}
    contact = ticket.contacts.get()
    assert (contact.email, contact.first_name) == ("hanna@acme.example", "Hanna")
    message = ticket.messages.get()
    assert message.text.startswith("Why was I charged twice?")
    assert "Area" in message.html and "Billing" in message.html
    assert message.attachments.get().filename == "shot.png"
    assert "Thank you" in client.get(response["Location"]).content.decode()


def test_replies_to_a_form_ticket_go_to_the_submitter_by_email(
    client, webform, agent, django_capture_on_commit_callbacks
):
    from conversations.services import default_recipients

    post(client, webform, django_capture_on_commit_callbacks, submission(webform))
    ticket = Ticket.objects.get()
    recipients = default_recipients(ticket, ticket.messages.get())
    assert recipients == ["hanna@acme.example"]
    with django_capture_on_commit_callbacks(execute=True):
        services.reply_send(actor=agent, ticket=ticket, html="<p>Sorted</p>", to=recipients)
    assert sent_mail.outbox[0].to == ["hanna@acme.example"]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({Kind.EMAIL: "not-an-email"}, "Enter a valid email address."),
        ({Kind.SUBJECT: ""}, "This field is required."),
        ({Kind.PROPERTY: "Nonsense"}, "Select a valid choice."),
    ],
)
def test_a_bad_field_re_renders_with_its_message_and_stores_nothing(
    client, webform, django_capture_on_commit_callbacks, overrides, message
):
    response = post(
        client, webform, django_capture_on_commit_callbacks, submission(webform, **overrides)
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert "Why was I charged twice?" in response.content.decode()  # what was typed stays
    assert not InboundItem.objects.exists()


class Elements(HTMLParser):
    """Every element of a page with its attributes and text, by id and by name."""

    def __init__(self, html):
        super().__init__()
        self.by_id, self.by_name, self.open = {}, {}, []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        element = {"tag": tag, "text": "", **dict(attrs)}
        if "id" in element:
            self.by_id[element["id"]] = element
        if "name" in element:
            self.by_name[element["name"]] = element
        if tag not in ("input", "br", "img", "link", "meta"):
            self.open.append(element)

    def handle_endtag(self, tag):
        if self.open:
            self.open.pop()

    def handle_data(self, data):
        for element in self.open:
            element["text"] += data


def test_an_invalid_field_is_marked_and_described_by_its_message(
    client, webform, django_capture_on_commit_callbacks
):
    """Issue 19 (WCAG 3.3.1, 4.1.2): the error summary takes the focus, each
    invalid field says so and names its message; valid fields do not."""
    message = webform.fields.get(kind=Kind.MESSAGE)
    message.help_text = "The more detail, the faster we help."
    message.save()
    data = submission(webform, **{Kind.EMAIL: "not-an-email", Kind.SUBJECT: ""})
    response = post(client, webform, django_capture_on_commit_callbacks, data)
    page = Elements(response.content.decode())
    names = field_names(webform)
    summary = page.by_id["form-errors"]
    assert summary["tabindex"] == "-1" and "autofocus" in summary
    for kind, error in [
        (Kind.EMAIL, "Enter a valid email address."),
        (Kind.SUBJECT, "This field is required."),
    ]:
        field = page.by_name[names[kind]]
        assert field["aria-invalid"] == "true"
        described = [page.by_id[i] for i in field["aria-describedby"].split()]
        assert [d["text"] for d in described] == [error]
        assert f'href="#{field["id"]}"' in response.content.decode()  # the summary's link
    valid = page.by_name[names[Kind.MESSAGE]]
    assert "aria-invalid" not in valid
    assert page.by_id[valid["aria-describedby"]]["text"] == "The more detail, the faster we help."


def test_a_bot_filling_the_honeypot_is_thanked_and_ignored(
    client, webform, django_capture_on_commit_callbacks
):
    response = post(
        client,
        webform,
        django_capture_on_commit_callbacks,
        submission(webform, website="http://spam"),
    )
    assert response.status_code == 302
    assert not InboundItem.objects.exists() and not Ticket.objects.exists()


def test_floods_are_throttled_and_double_clicks_store_once(
    client, webform, settings, django_capture_on_commit_callbacks
):
    settings.HELPDESK_FORM_RATE = 3
    statuses = [
        post(client, webform, django_capture_on_commit_callbacks, submission(webform)).status_code
        for _attempt in range(5)
    ]
    assert statuses == [302, 302, 302, 429, 429]
    assert InboundItem.objects.count() == 1  # the same page token each time
    assert Ticket.objects.count() == 1


def test_posts_from_foreign_sites_are_refused(client, webform, django_capture_on_commit_callbacks):
    evil = post(
        client,
        webform,
        django_capture_on_commit_callbacks,
        submission(webform),
        HTTP_ORIGIN="https://evil.example",
    )
    assert evil.status_code == 403
    embedded = post(
        client,
        webform,
        django_capture_on_commit_callbacks,
        submission(webform),
        HTTP_ORIGIN="https://www.acme.example",
    )
    assert embedded.status_code == 302


def test_inactive_or_unknown_forms_are_404(client, webform):
    WebForm.objects.filter(pk=webform.pk).update(is_active=False)
    assert client.get("/forms/contact/").status_code == 404
    assert client.get("/forms/nope/").status_code == 404


def test_a_submission_from_a_blocked_address_lands_in_spam(
    client, webform, django_capture_on_commit_callbacks
):
    from channels_inbound.models import BlockedSender

    BlockedSender.objects.create(pattern="acme.example")
    post(client, webform, django_capture_on_commit_callbacks, submission(webform))
    assert Ticket.objects.get().is_spam
