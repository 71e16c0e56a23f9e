"""The customer's side in a browser (issue 20): a customer signs in to the
portal by the emailed link, replies with a file, and the agent sees the
reply; a survey link rates a closed ticket and the rating shows on it."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from conversations.models import Message
from surveys.models import Survey
from tests.factories import ContactFactory, TicketFactory, UserFactory, inbound_message
from tests.surveys.helpers import closed_ticket, settings_for

pytestmark = pytest.mark.browser


@pytest.fixture
def desk(team_a, pipeline, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    agent = UserFactory(username="maya", first_name="Maya", last_name="L", main_team=team_a)
    contact = ContactFactory(first_name="Mira", email="mira@customer.example")
    ticket = TicketFactory(
        pipeline=pipeline, owner=agent, team=team_a, name="Printer on fire", contacts=[contact]
    )
    inbound_message(ticket, contact=contact, text="The printer smokes.")
    return {"agent": agent, "contact": contact, "ticket": ticket, "pipeline": pipeline}


def test_a_customer_signs_in_by_link_replies_and_the_agent_sees_it(page, sign_in, desk, tmp_path):
    page.goto("/portal/")
    page.fill("input[name=email]", "mira@customer.example")
    with page.expect_navigation():
        page.click("button[type=submit]")
    expect(page.locator(".portal-notice")).to_be_visible()
    link = re.search(r"https?://\S+(/portal/sign-in/\S+/)", mail.outbox[-1].body).group(1)
    page.goto(link)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name=re.compile("Printer on fire")).click()
    expect(page.locator(".portal-message")).to_contain_text("The printer smokes.")
    page.fill("textarea[name=text]", "It still smokes after the restart.")
    photo = tmp_path / "photo.png"
    photo.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 32)
    page.set_input_files("input[name=files]", str(photo))
    with page.expect_navigation():
        page.get_by_role("button", name="Send", exact=True).click()
    expect(page.locator(".portal-notice")).to_be_visible()
    expect(page.locator("#latest")).to_contain_text("It still smokes after the restart.")
    expect(page.locator("#latest")).to_contain_text("photo.png")
    reply = Message.objects.get(html__contains="It still smokes")
    assert reply.ticket_id == desk["ticket"].pk and reply.contact == desk["contact"]

    sign_in(desk["agent"])
    page.goto(f"/views/mine/tickets/{desk['ticket'].pk}/")
    expect(page.locator("#detail-pane")).to_contain_text("It still smokes after the restart.")
    expect(page.locator("#detail-pane")).to_contain_text("photo.png")


def test_a_survey_link_rates_a_closed_ticket_and_the_rating_shows(page, sign_in, desk, pipeline):
    settings_for(pipeline)
    ticket = closed_ticket(pipeline, desk["contact"])
    survey = Survey.objects.get(ticket=ticket, status=Survey.Status.SENT)
    bad = re.search(r"https?://\S+(/survey/\S+\?rating=bad)", mail.outbox[-1].body).group(1)
    page.goto(bad)
    # One click: the page sends the answer itself.
    expect(page.locator(".portal-notice")).to_be_visible()
    page.fill("textarea[name=comment]", "Took three days.")
    with page.expect_navigation():
        page.get_by_role("button", name="Send").click()
    survey.refresh_from_db()
    assert (survey.rating, survey.comment) == ("bad", "Took three days.")

    sign_in(desk["agent"])
    page.goto(f"/views/mine/tickets/{ticket.pk}/")
    expect(page.locator(".csat-badge")).to_have_text("Rated bad")
    expect(page.locator("#timeline")).to_contain_text("The customer rated the support: bad")


def test_a_closed_chat_asks_for_a_rating_in_the_chat_window(
    page, desk, pipeline, browser, live_server
):
    from channels_inbound.models import ChatWidget
    from surveys.services import surveys_send_due
    from tickets import services as ticket_services
    from tickets.models import Ticket

    settings_for(pipeline, scale="five")
    widget = ChatWidget.objects.create(
        name="Acme help", pipeline=pipeline, stage=pipeline.stages.first()
    )
    visitor = browser.new_context(viewport={"width": 400, "height": 600}, base_url=live_server.url)
    chat = visitor.new_page()
    chat.goto(f"/chat/{widget.key}/")
    chat.locator("textarea[name=text]").fill("Is the shop open on Sunday?")
    chat.keyboard.press("Enter")
    expect(chat.locator(".chat-mine.is-pending")).to_have_count(0, timeout=5000)
    ticket = Ticket.objects.get(name="Is the shop open on Sunday?")
    ticket_services.ticket_set_stage(
        actor=None, ticket=ticket, stage=pipeline.stages.get(is_closed=True), category="question"
    )
    surveys_send_due()
    survey = Survey.objects.get(ticket=ticket)
    expect(chat.locator(".chat-survey")).to_contain_text("How would you rate", timeout=5000)
    with visitor.expect_page() as opened:
        chat.get_by_role("link", name="4 - Good").click()
    rating_page = opened.value
    expect(rating_page.locator(".portal-notice")).to_be_visible()
    survey.refresh_from_db()
    assert survey.rating == "4"
    visitor.close()
