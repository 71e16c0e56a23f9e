"""The SLA badge with the time left or past, in the list and the ticket
header, derived at read time with no query per row."""

import datetime

import time_machine
from django.urls import reverse

from tests.factories import TicketFactory
from tests.sla.test_clocks import T0, customer_writes

MIN = datetime.timedelta(minutes=1)


def test_the_list_and_header_show_time_left_then_overdue(
    client,
    goals,
    agent,
    pipeline,
    htmx,
    django_assert_max_num_queries,
):
    with time_machine.travel(T0, tick=False):
        tickets = [TicketFactory(pipeline=pipeline, team=agent.main_team) for _n in range(20)]
        for ticket in tickets:
            customer_writes(ticket)
    client.force_login(agent)
    url = reverse("tickets:view_tickets", args=["all-open"])
    # 19: the page reads the rows' tags in one more query (issue 17).
    with time_machine.travel(T0 + 10 * MIN, tick=False), django_assert_max_num_queries(19):
        page = client.get(url, headers=htmx("workspace")).content.decode()
    assert page.count("sla sla-on_track") == 20 and "50\xa0minutes left" in page
    with time_machine.travel(T0 + 50 * MIN, tick=False):
        page = client.get(url, headers=htmx("workspace")).content.decode()
    assert page.count("sla sla-due_soon") == 20
    with time_machine.travel(T0 + 125 * MIN, tick=False):
        detail = client.get(
            reverse("tickets:ticket_detail", args=["all-open", tickets[0].pk]), follow=True
        ).content.decode()
    assert "First response · Overdue by 1\xa0hour" in detail
