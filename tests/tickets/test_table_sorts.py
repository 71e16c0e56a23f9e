"""The table's sorts by contact, team and SLA due next, and the owner quick
filter's "Unassigned" (issue 19)."""

import datetime

from django.urls import reverse
from django.utils import timezone

from tests.factories import ContactFactory, TeamFactory, TicketFactory
from tickets.models import Ticket


def names(client, **params) -> list[str]:
    response = client.get(reverse("tickets:view_list", args=["all"]), params)
    assert response.status_code == 200
    return [t.name for t in response.context["page"].tickets]


def test_sort_by_contact_puts_tickets_without_one_last(client, agent, pipeline):
    TicketFactory(pipeline=pipeline, name="Nobody")
    TicketFactory(pipeline=pipeline, name="Zed's", contacts=[ContactFactory(first_name="zed")])
    TicketFactory(pipeline=pipeline, name="Anna's", contacts=[ContactFactory(first_name="Anna")])
    client.force_login(agent)
    assert names(client, sort="contact") == ["Anna's", "Zed's", "Nobody"]
    assert names(client, sort="-contact") == ["Zed's", "Anna's", "Nobody"]


def test_sort_by_team(client, agent, pipeline):
    TicketFactory(pipeline=pipeline, name="No team")
    TicketFactory(pipeline=pipeline, name="Billing", team=TeamFactory(name="Billing"))
    TicketFactory(pipeline=pipeline, name="Apps", team=TeamFactory(name="Apps"))
    client.force_login(agent)
    assert names(client, sort="team") == ["Apps", "Billing", "No team"]
    assert names(client, sort="-team") == ["Billing", "Apps", "No team"]


def test_sort_by_sla_due_next(client, agent, pipeline):
    now = timezone.now()
    hours = lambda n: now + datetime.timedelta(hours=n)  # noqa: E731
    tickets = {
        name: TicketFactory(pipeline=pipeline, name=name)
        for name in ("Close in 3h", "Reply in 1h", "Answered, close in 5h", "Paused", "None")
    }
    Ticket.objects.filter(pk=tickets["Close in 3h"].pk).update(
        sla_close_due=hours(3), sla_first_response_due=None
    )
    Ticket.objects.filter(pk=tickets["Reply in 1h"].pk).update(
        sla_first_response_due=hours(1), sla_close_due=hours(8)
    )
    # The first response was sent: its deadline no longer counts.
    Ticket.objects.filter(pk=tickets["Answered, close in 5h"].pk).update(
        sla_first_response_due=hours(-2), sla_first_response_at=now, sla_close_due=hours(5)
    )
    Ticket.objects.filter(pk=tickets["Paused"].pk).update(
        sla_close_due=hours(-1), sla_paused_at=now
    )
    Ticket.objects.filter(pk__in=[tickets["None"].pk]).update(
        sla_first_response_due=None, sla_close_due=None, sla_next_response_due=None
    )
    client.force_login(agent)
    order = names(client, sort="sla")
    assert order[:3] == ["Reply in 1h", "Close in 3h", "Answered, close in 5h"]
    assert set(order[3:]) == {"Paused", "None"}
    assert names(client, sort="-sla")[:3] == ["Answered, close in 5h", "Close in 3h", "Reply in 1h"]


def test_the_owner_quick_filter_offers_unassigned(client, agent, pipeline):
    TicketFactory(pipeline=pipeline, name="Mine", owner=agent)
    TicketFactory(pipeline=pipeline, name="Nobody's")
    client.force_login(agent)
    response = client.get(reverse("tickets:view_list", args=["all"]))
    owner_choices = dict(next(c for key, _p, c in response.context["quick"] if key == "owner"))
    assert owner_choices["none"] == "Unassigned"
    assert names(client, owner="none") == ["Nobody's"]
    assert sorted(names(client, owner=["none", "me"])) == ["Mine", "Nobody's"]
    assert names(client, f="owner:is_not:none") == ["Mine"]
