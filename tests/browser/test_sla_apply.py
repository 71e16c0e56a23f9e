"""Applying an SLA change to open tickets in a browser (issue 14): saving a
goal offers it with the number of tickets it would touch, the offer's page
applies it, and nothing breaks the Content Security Policy (the page fixture
fails on any console error)."""

import datetime
import os

import pytest
from django.utils import timezone

from accounts.models import User
from sla.models import SlaGoal, SlaSettings
from tests.factories import TicketFactory, UserFactory
from tickets.models import Ticket

pytestmark = pytest.mark.browser


@pytest.mark.parametrize(
    ("language", "offer", "applied"),
    [
        ("en", "Apply to open tickets", "Deadlines moved on 3 of 3 tickets checked."),
        ("ko", "미해결 티켓에 적용", "확인한 티켓 3개 중 3개의 기한이 변경되었습니다."),
    ],
)
def test_saving_a_goal_offers_to_apply_it_and_applying_moves_deadlines(
    page, sign_in, language, offer, applied
):
    admin = UserFactory(
        role=User.Role.SUPER_ADMIN, first_name="Riya", last_name="Admin", language=language
    )
    SlaSettings.objects.create(pk=1, enabled=True, mode=SlaSettings.Mode.ALWAYS)
    goal = SlaGoal.objects.create(first_response_minutes=60, close_minutes=480)
    now = timezone.now()
    tickets = TicketFactory.create_batch(3)
    Ticket.objects.filter(pk__in=[t.pk for t in tickets]).update(
        created_at=now - datetime.timedelta(minutes=10),
        sla_first_response_due=now + datetime.timedelta(minutes=50),
        sla_due_soon_minutes=60,
    )
    shots = os.environ.get("SLA_SHOTS_DIR")  # where to keep screenshots, if anywhere
    sign_in(admin)

    page.goto(f"/admin/sla/slagoal/{goal.pk}/change/")
    page.fill("input[name=first_response_minutes]", "30")
    with page.expect_navigation():
        page.click("input[name=_save]")
    message = page.locator(".messagelist li", has_text=offer)
    assert message.is_visible()
    assert "3" in message.inner_text()
    if shots:
        page.screenshot(path=f"{shots}/sla-offer-{language}.png", full_page=True)

    with page.expect_navigation():
        message.locator("a.button").click()
    assert page.locator("input[type=submit]").get_attribute("value") == offer
    if shots:
        page.screenshot(path=f"{shots}/sla-apply-page-{language}.png", full_page=True)
    with page.expect_navigation():
        page.click("input[type=submit]")
    page.reload()
    assert applied in page.locator("#content").inner_text()
    if shots:
        page.screenshot(path=f"{shots}/sla-applied-{language}.png", full_page=True)
    due = Ticket.objects.filter(pk__in=[t.pk for t in tickets]).values_list(
        "sla_first_response_due", flat=True
    )
    assert all(
        abs(d - (now + datetime.timedelta(minutes=20))) < datetime.timedelta(minutes=1) for d in due
    )
