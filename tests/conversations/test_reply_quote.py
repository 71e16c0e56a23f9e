"""Outgoing replies carry the conversation's quoted history below the reply, as
mail clients write it (issue 15), in the customer's language where their
client showed it, folded in our conversation view."""

import datetime
import email
from email import policy

import pytest
import time_machine
from django.core import mail

from channels_inbound.parsing import parse_email
from conversations import services
from conversations.emails import quoted_history
from conversations.quoting import inbound_body
from conversations.templatetags.conversation_tags import message_body
from tests.factories import EmailAddressFactory, TicketFactory, UserFactory, inbound_message

SENT_AT = datetime.datetime(2024, 6, 3, 10, 0, tzinfo=datetime.UTC)


@pytest.fixture
def ticket(pipeline):
    EmailAddressFactory(email="support0@helpdesk.example", display_name="Support")
    return TicketFactory(pipeline=pipeline, name="Printer on fire")


@pytest.fixture
def send(agent, ticket, django_capture_on_commit_callbacks):
    """reply_send with its after-commit task run, returning the stored message
    and the MIME that left."""

    def send(html="<p>We are on it.</p>", **kwargs):
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            message = services.reply_send(
                actor=kwargs.pop("actor", agent),
                ticket=ticket,
                html=html,
                to=["ana@example.com"],
                **kwargs,
            )
        [sent] = mail.outbox
        return message, sent.message().as_bytes()

    return send


def _parts(raw: bytes) -> tuple[str, str]:
    mime = email.message_from_bytes(raw, policy=policy.default)
    return (
        mime.get_body(("plain",)).get_content(),
        mime.get_body(("html",)).get_content(),
    )


def _customer_mail(ticket, **kwargs):
    with time_machine.travel(SENT_AT, tick=False):
        return inbound_message(ticket, **kwargs)


def test_the_reply_quotes_the_answered_message_below_it_in_text_and_html(send, ticket):
    customer = _customer_mail(ticket, text="My printer is on fire.\nPlease help.")
    message, raw = send()
    text, html = _parts(raw)
    name = f"{customer.from_name} <{customer.from_email}>"
    assert text.startswith("We are on it.\n\nOn June 3, 2024, 10 a.m., " + name + " wrote:\n")
    assert "> My printer is on fire.\n> Please help." in text
    assert html.index("We are on it.") < html.index("wrote:") < html.index("My printer is on fire.")
    assert '<blockquote class="gmail_quote" type="cite"' in html
    # Stored apart from what the agent wrote: previews and suggestions stay clean.
    assert message.text == "We are on it." and "My printer" in message.quoted_html


def test_the_customer_client_reads_our_reply_as_new_text_and_history(send, ticket):
    _customer_mail(ticket, text="My printer is on fire.")
    _message, raw = send()
    parsed = parse_email(raw)
    body = inbound_body(html=parsed.html, text=parsed.text)
    assert body["text"] == "We are on it."
    assert "My printer is on fire." in body["quoted_html"]
    assert "My printer" not in body["html"]


def test_a_second_reply_nests_the_whole_history(send, ticket):
    _customer_mail(ticket, text="My printer is on fire.")
    send(html="<p>First answer.</p>")
    _message, raw = send(html="<p>Second answer.</p>")
    text, html = _parts(raw)
    assert "> First answer." in text
    assert ">> My printer is on fire." in text
    assert html.count("<blockquote") == 2


@pytest.mark.parametrize(
    ("client_quote", "agent_language", "attribution"),
    [
        # The customer's client wrote its own attribution in Finnish: Finnish.
        (
            "ti 28.5.2024 klo 9.00 Support <support0@helpdesk.example> kirjoitti:\n> Hei",
            "de",
            "kirjoitti:",
        ),
        (
            "2024년 5월 28일 (화) 오전 9:00, Support <support0@helpdesk.example>님이 작성:\n> 안녕",
            "en",
            "님이 작성:",
        ),
        (
            "Von: Support <support0@helpdesk.example>\nGesendet: Dienstag, 28. Mai 2024\n"
            "An: Ana\nBetreff: Drucker",
            "fi",
            "schrieb",
        ),
        # Nothing tells: the agent's language.
        ("", "pl", "pisze:"),
        ("", "zh-hant", "寫道："),
        ("", "", "wrote:"),
    ],
    ids=["fi-client", "ko-client", "de-outlook", "agent-pl", "agent-zh-hant", "default-en"],
)
def test_the_attribution_speaks_the_customer_language_else_the_agent(
    send, ticket, team_a, client_quote, agent_language, attribution
):
    agent = UserFactory(main_team=team_a, language=agent_language)
    _customer_mail(
        ticket, text=f"Still broken.\n\n{client_quote}" if client_quote else "Still broken."
    )
    _message, raw = send(actor=agent)
    text, _html = _parts(raw)
    [line] = [line for line in text.splitlines() if line.endswith((":", "："))][:1]
    assert attribution in line


def test_a_reply_to_our_own_message_keeps_the_customer_language(send, ticket, agent):
    _customer_mail(
        ticket, text="Hei\n\nti 28.5.2024 klo 9.00 Support <s@helpdesk.example> kirjoitti:\n> Moi"
    )
    first, _raw = send(html="<p>Vastaus.</p>")
    _message, raw = send(html="<p>Lisäys.</p>", reply_to=first)
    assert "kirjoitti:" in _parts(raw)[0].split("\n\n")[1]


def test_the_date_is_in_the_agent_time_zone(ticket):
    customer = _customer_mail(ticket)
    html = quoted_history(customer, language="en", time_zone="Asia/Seoul")
    assert "June 3, 2024, 7 p.m." in html


def test_inline_images_of_the_answered_message_are_left_out(send, ticket):
    _customer_mail(ticket, html='<p>See <img src="cid:shot@mail" alt="shot"> here</p>', text="")
    message, raw = send()
    assert "cid:" not in message.quoted_html
    assert "See" in _parts(raw)[1]


def test_our_view_folds_the_history_of_a_sent_reply(send, ticket):
    _customer_mail(ticket, text="My printer is on fire.")
    message, _raw = send()
    body = message_body(message)
    assert "We are on it." in body["html"] and "My printer" not in body["html"]
    assert "My printer is on fire." in body["quoted"]


def test_a_reply_without_an_earlier_message_quotes_nothing(send):
    message, raw = send()
    assert message.quoted_html == ""
    assert _parts(raw)[0].strip() == "We are on it."
