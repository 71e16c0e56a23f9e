"""The SLA report: attainment per goal and team for a period, and the missed
tickets, counting only tickets the viewer may see (S3)."""

import datetime

from django.urls import reverse
from django.utils import timezone

from sla.models import SlaOutcome
from tests.factories import TicketFactory


def outcome(ticket, goal, met, days_ago=1):
    done = timezone.now() - datetime.timedelta(days=days_ago)
    return SlaOutcome.objects.create(
        ticket=ticket, team=ticket.team, goal=goal, due_at=done, done_at=done, met=met
    )


def test_the_report_counts_what_the_viewer_may_see(client, team_agent, outsider, pipeline):
    mine = TicketFactory(pipeline=pipeline, team=team_agent.main_team, name="Printer down")
    hidden = TicketFactory(pipeline=pipeline, team=outsider.main_team, name="Secret deal")
    outcome(mine, "first_response", True)
    outcome(mine, "first_response", False)
    outcome(mine, "close", True)
    outcome(mine, "close", True, days_ago=60)  # outside the default 30 days
    outcome(hidden, "first_response", False)
    client.force_login(team_agent)
    page = client.get(reverse("reports:sla")).content.decode()
    assert "50.0 %" in page and "1 of 2 met" in page  # first response: mine only
    assert "100.0 %" in page and "1 of 1 met" in page  # close, in the period
    assert "Printer down" in page and "Secret deal" not in page
    assert "<rect" in page  # the daily chart
    wide = client.get(
        reverse("reports:sla"), {"range": "custom", "from": "2000-01-01", "to": "2100-01-01"}
    )
    assert wide.status_code == 200  # a year at most, silently


def test_the_report_needs_a_sign_in(client):
    assert client.get(reverse("reports:sla")).status_code == 302
