import re
import struct
import zlib

from django.core.management import call_command

from accounts.models import User
from channels_inbound.models import (
    ChatWidget,
    InboundItem,
    MessengerPage,
    WebForm,
    WebFormField,
)
from conversations.models import Attachment, Message
from helpdesk.demo.files import pdf_document, png_screenshot
from surveys.models import Survey
from tickets.models import Pipeline, Source, Stage, Tag, Ticket, TicketTag
from workflows.models import Macro


def counts():
    return tuple(
        model.objects.count()
        for model in (
            User,
            Pipeline,
            Stage,
            Ticket,
            Message,
            Attachment,
            InboundItem,
            WebForm,
            WebFormField,
            ChatWidget,
            MessengerPage,
            Tag,
            TicketTag,
            Survey,
        )
    )


def test_demo_data_is_realistic_and_loading_it_twice_changes_nothing(
    db, settings, tmp_path, client
):
    settings.MEDIA_ROOT = tmp_path
    call_command("seed_demo")
    first = counts()
    call_command("seed_demo")
    assert counts() == first
    assert first[3] == 304  # the week's 300, and one new ticket from each non-email channel + mail
    # The Satisfaction report has ratings to show: good and bad, some with comments.
    rated = Survey.objects.filter(rated_at__isnull=False)
    assert 10 <= rated.count() < Survey.objects.count()
    assert rated.filter(rating="bad").exists() and rated.exclude(comment="").exists()
    assert {u.role for u in User.objects.all()} == set(User.Role.values)
    assert {u.visibility for u in User.objects.all()} == set(User.Visibility.values)
    assert Stage.objects.filter(is_closed=True).exists()
    assert Stage.objects.exclude(required_properties=[]).exists()
    assert (
        Ticket.objects.filter(is_open=True).exists()
        and Ticket.objects.filter(is_open=False).exists()
    )
    names = " ".join(Ticket.objects.values_list("name", flat=True))
    for sample in ("결제", "發票", "Rechnung", "Laskussa", "fakturze", "Invoice"):
        assert sample in names
    assert_routing_and_languages()
    assert_demo_rules()
    # Tags on a share of the tickets, coloured, each tag on several.
    tagged = Ticket.objects.filter(tags__isnull=False).distinct().count()
    assert 50 < tagged < 300
    assert all(tag.colour and tag.tickets.count() > 1 for tag in Tag.objects.all())
    macros = {m.name: m for m in Macro.objects.all()}  # issue 17, once each on a second run
    assert set(macros) == {"Ask for order number", "Escalate to billing", "Solve as answered"}
    assert "ko" in macros["Ask for order number"].actions[1]["translations"]
    assert macros["Escalate to billing"].teams.get().name == "Billing"
    # One load of the demo (a few seconds) serves both checks.
    assert_every_channel_with_attachments(client)


def assert_routing_and_languages():
    """Teams route, agents declare languages (set again on the second run, never
    added twice), and the language detected in each demo ticket's first message
    is the one its contact writes in."""
    from accounts.models import Team
    from helpdesk.demo import data

    assert set(Team.objects.values_list("routing", flat=True)) == set(Team.Routing.values)
    assert User.objects.get(username="minjun").languages == ["ko", "en"]
    assert Team.objects.get(name="Customer Support").leads.count() == 1
    wrote = {
        (first, last): language
        for (first, last, _company), language in zip(
            data.CONTACTS, data.CONTACT_LANGUAGES, strict=True
        )
    }
    checked = wrong = 0
    for ticket in Ticket.objects.filter(source=Source.EMAIL).exclude(language=""):
        contact = ticket.contacts.order_by("id").first()
        expected = wrote.get((contact.first_name, contact.last_name)) if contact else None
        if expected:
            checked += 1
            wrong += ticket.language != expected
    assert checked > 100 and wrong == 0, (checked, wrong)


def assert_every_channel_with_attachments(client):
    webform = WebForm.objects.get(is_active=True)
    kinds = set(webform.fields.values_list("kind", flat=True))
    assert {WebFormField.Kind.EMAIL, WebFormField.Kind.MESSAGE} <= kinds
    assert client.get(f"/forms/{webform.slug}/").status_code == 200  # published
    assert ChatWidget.objects.filter(is_active=True, bot_enabled=True).exists()
    page = MessengerPage.objects.get(is_active=True)
    assert page.access_token_env == "MESSENGER_TOKEN_NORTHWIND"

    # Each channel's item went through the inbound log to a ticket.
    items = InboundItem.objects.all()
    assert {item.status for item in items} == {InboundItem.Status.DONE}
    assert {item.source for item in items} == {
        InboundItem.Source.FORM,
        InboundItem.Source.PIPE,
        InboundItem.Source.CHAT,
        InboundItem.Source.MESSENGER,
    }
    by_source = {item.source: item.ticket for item in items}
    assert by_source[InboundItem.Source.CHAT].messages.filter(kind=Message.Kind.BOT).exists()
    assert by_source[InboundItem.Source.MESSENGER].source == Source.MESSENGER
    assert (
        by_source[InboundItem.Source.FORM].owner.username == "kasia"
    )  # an owned-only agent sees it

    # An inline screenshot and PDFs, stored from the bytes customers sent.
    image = Attachment.objects.get(content_type="image/png")
    assert image.content_id and image.ticket == by_source[InboundItem.Source.PIPE]
    assert image.file.read() == png_screenshot()
    pdfs = Attachment.objects.filter(filename__endswith=".pdf")
    assert {a.ticket for a in pdfs} == {
        by_source[InboundItem.Source.PIPE],
        by_source[InboundItem.Source.FORM],
    }
    assert all(a.file.read().startswith(b"%PDF-1.4") for a in pdfs)


def test_the_demo_screenshot_is_a_valid_png():
    data = png_screenshot(width=40, height=30)
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    chunks, position = [], 8
    while position < len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind = data[position + 4 : position + 8]
        body = data[position + 8 : position + 8 + length]
        (crc,) = struct.unpack(">I", data[position + 8 + length : position + 12 + length])
        assert crc == zlib.crc32(kind + body), kind
        chunks.append((kind, body))
        position += 12 + length
    assert [kind for kind, _body in chunks] == [b"IHDR", b"IDAT", b"IEND"]
    width, height, depth, colour_type = struct.unpack(">IIBB", chunks[0][1][:10])
    assert (width, height, depth, colour_type) == (40, 30, 8, 2)
    assert len(zlib.decompress(chunks[1][1])) == height * (1 + 3 * width)


def test_the_demo_pdf_points_to_each_of_its_objects():
    data = pdf_document("Rechnung (Kopie)", ["Fällig: 2026-04-15", "back\\slash"])
    start = int(re.search(rb"startxref\n(\d+)\n%%EOF\n$", data).group(1))
    assert data[start:].startswith(b"xref\n0 7\n")
    offsets = re.findall(rb"(\d{10}) 00000 n ", data[start:])
    for number, offset in enumerate(offsets, start=1):
        assert data[int(offset) :].startswith(b"%d 0 obj\n" % number)
    length = int(re.search(rb"/Length (\d+) >>\nstream\n", data).group(1))
    stream = data.split(b"stream\n", 1)[1]
    assert stream[length:].startswith(b"\nendstream")
    assert b"(Rechnung \\(Kopie\\)) Tj" in stream
    assert "Fällig".encode("latin-1") in stream


def assert_demo_rules():
    """The four rules a team sets up first, each valid and active (issue 17)."""
    from workflows import actions, conditions
    from workflows.models import Rule

    rules = Rule.objects.filter(is_active=True)
    assert rules.count() == 4
    for rule in rules:
        actions.validate(rule.actions, for_macro=False)
        conditions.clean(rule.conditions_all, time_based=rule.trigger == Rule.Trigger.TIME)
