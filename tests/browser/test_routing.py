"""Availability in the browser (issue 17): an agent sets themselves Away in
the account menu, and round-robin routing passes them by until they are back."""

import pytest
from playwright.sync_api import expect

from accounts.models import Team, User
from tests.factories import TeamFactory, TicketFactory, UserFactory
from tests.routing.conftest import customer_writes
from tickets.models import Ticket

pytestmark = pytest.mark.browser


@pytest.fixture
def desk(pipeline):
    team = TeamFactory(name="Routed desk", routing=Team.Routing.ROUND_ROBIN)
    me = UserFactory(username="maya", first_name="Maya", last_name="L", main_team=team)
    others = [
        UserFactory(username="jonas", first_name="Jonas", last_name="B", main_team=team),
        UserFactory(username="aino", first_name="Aino", last_name="V", main_team=team),
    ]
    team.leads.add(me)
    return {"team": team, "me": me, "others": others, "pipeline": pipeline}


def _new_tickets(desk, count):
    tickets = []
    for n in range(count):
        ticket = TicketFactory(pipeline=desk["pipeline"], team=desk["team"], name=f"Order {n}")
        customer_writes(ticket, f"Hello, my order number {n} has not arrived yet.")
        tickets.append(ticket)
    return list(Ticket.objects.filter(pk__in=[t.pk for t in tickets]).order_by("pk"))


def test_an_agent_who_sets_themselves_away_is_skipped_by_routing(page, sign_in, desk):
    me = desk["me"]
    sign_in(me)
    menu = page.locator(".account-menu")
    expect(menu.locator("summary .availability")).to_have_text("Available")
    menu.locator("summary").click()
    page.get_by_role("button", name="Away").click()
    page.wait_for_load_state("load")
    expect(menu.locator("summary .availability")).to_have_text("Away")
    me.refresh_from_db()
    assert me.availability == User.Availability.AWAY

    tickets = _new_tickets(desk, 4)
    jonas, aino = desk["others"]
    assert [t.owner_id for t in tickets] == [jonas.pk, aino.pk, jonas.pk, aino.pk]

    # The lead's page shows them Away with none of the new tickets.
    menu.locator("summary").click()
    page.get_by_role("link", name="Team availability").click()
    row = page.locator("tr", has_text="Maya L")
    expect(row.locator(".availability")).to_have_text("Away")
    expect(row.locator("td.numeric")).to_have_text("0")
    expect(page.locator("tr", has_text="Jonas B").locator("td.numeric")).to_have_text("2")

    # Back: the next turn is theirs again.
    menu.locator("summary").click()
    page.get_by_role("button", name="Available").click()
    page.wait_for_load_state("load")
    expect(menu.locator("summary .availability")).to_have_text("Available")
    (ticket,) = _new_tickets(desk, 1)
    assert ticket.owner_id == me.pk
