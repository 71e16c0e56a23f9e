"""The composer's Insert menu with the library (S18): a document uploaded in
the workspace and a quote written for the ticket's deal go into one reply; the
customer opens the one and accepts the other, and the agent sees both."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from conversations.models import Message
from library.models import Document, DocumentOpen, Quote
from tests.factories import (
    ContactFactory,
    DealFactory,
    EmailAddressFactory,
    TicketFactory,
    UserFactory,
    inbound_message,
)

LINK = re.compile(r'href="http://127\.0\.0\.1:8000(/[lq]/[^"]+/)"')


@pytest.fixture
def desk(team_a, pipeline, settings, tmp_path):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.MEDIA_ROOT = tmp_path
    EmailAddressFactory(email="support0@helpdesk.example", display_name="Support")
    agent = UserFactory(username="maya", first_name="Maya", last_name="L", main_team=team_a)
    deal = DealFactory(name="Northwind renewal")
    contact = ContactFactory(first_name="Emma", email="emma@northwind.example")
    ticket = TicketFactory(
        pipeline=pipeline,
        owner=agent,
        team=team_a,
        name="Renewal",
        contacts=[contact],
        deals=[deal],
    )
    inbound_message(ticket, text="Could you send the prices for next year?")
    return {"agent": agent, "ticket": ticket, "deal": deal}


def insert(composer, search, label):
    composer.get_by_role("button", name="Insert").click()
    composer.locator("[data-insert-search]").fill(search)
    composer.locator(".result", has_text=label).first.click()


def test_insert_a_document_then_a_quote_into_a_reply(page, sign_in, desk, tmp_path):
    sign_in(desk["agent"])
    # Upload the document once, for everyone.
    page.goto("/library/documents/")
    page.get_by_role("link", name="Upload document").click()
    page.get_by_label("Name").fill("Price list 2027")
    file = tmp_path / "price-list.pdf"
    file.write_bytes(b"%PDF-1.4 price list")
    page.get_by_label("File").set_input_files(str(file))
    page.get_by_label("Everyone").check()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status").first).to_contain_text("Document saved.")
    expect(page.locator(".library-table")).to_contain_text("Price list 2027")

    # A quote written from the deal.
    page.goto(f"/library/quotes/new/?deal={desk['deal'].pk}")
    expect(page.get_by_label("Title")).to_have_value("Quote for Northwind renewal")
    page.locator("[name=lines-0-description]").fill("Seats")
    page.locator("[name=lines-0-quantity]").fill("3")
    page.locator("[name=lines-0-unit_price]").fill("19.99")
    page.locator("[name=lines-1-description]").fill("Onboarding")
    page.locator("[name=lines-1-quantity]").fill("1")
    page.locator("[name=lines-1-unit_price]").fill("150")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".library-total")).to_have_text("209.97 EUR")

    # Both into one reply from the Insert menu.
    page.goto(f"/views/mine/tickets/{desk['ticket'].pk}/")
    composer = page.locator("#composer-reply")
    composer.locator("[data-editor]").click()
    page.keyboard.type("Here are the prices and our offer.")
    insert(composer, "price", "Price list 2027")
    expect(composer.locator("[data-editor] a", has_text="Price list 2027")).to_be_visible()
    # The link starts a line of its own, after the text typed before it.
    expect(composer.locator("[data-editor] p").nth(1).locator("a")).to_have_text("Price list 2027")
    insert(composer, "", "Quote for Northwind renewal")
    expect(
        composer.locator("[data-editor] a", has_text="Quote for Northwind renewal")
    ).to_be_visible()
    page.get_by_role("button", name="Send", exact=True).click()
    expect(page.locator(".toast")).to_have_text("Reply sent")
    sent = Message.objects.get(direction="outbound", kind="message")
    document_path, quote_path = LINK.findall(sent.html)
    assert document_path.startswith("/l/") and quote_path.startswith("/q/")
    assert "/l/" in mail.outbox[0].body or "/l/" in mail.outbox[0].alternatives[0][0]

    # The customer opens the document and accepts the quote (leave the
    # ticket first: its presence ping would answer 403 without the session).
    page.goto("about:blank")
    page.context.clear_cookies()
    response = page.request.get(document_path)
    assert response.status == 200 and response.body() == b"%PDF-1.4 price list"
    page.goto(quote_path)
    expect(page.locator(".quote-total")).to_have_text("209.97 EUR")
    page.get_by_label("Your name").fill("Emma Wilson")
    page.get_by_role("button", name="Accept the quote").click()
    expect(page.get_by_role("status")).to_contain_text("Accepted by Emma Wilson")
    assert DocumentOpen.objects.get(document=Document.objects.get()).open_count == 1
    assert Quote.objects.get().accepted_by == "Emma Wilson"

    # The agent sees both on the timeline and the accepted state in the quotes.
    sign_in(desk["agent"])
    timeline = page.request.get(f"/tickets/{desk['ticket'].pk}/activity/").text()
    assert "The customer opened the document “Price list 2027”" in timeline
    assert "Emma Wilson accepted the quote “Quote for Northwind renewal”" in timeline
    page.goto("/library/quotes/")
    expect(page.locator(".library-table .tag-green")).to_contain_text("Accepted")
