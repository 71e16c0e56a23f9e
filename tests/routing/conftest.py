import pytest

from accounts.models import Team
from conversations import services as conversation_services
from conversations.models import Channel
from tests.factories import ContactFactory, TeamFactory, TicketFactory, UserFactory


@pytest.fixture
def team(db):
    return TeamFactory(name="Routed", routing=Team.Routing.ROUND_ROBIN)


@pytest.fixture
def agents(team):
    """Three agents of the routed team, in id order."""
    return [UserFactory(username=f"routed{n}", main_team=team) for n in range(3)]


@pytest.fixture
def waiting(team, pipeline):
    """An unassigned open ticket of the team, made without triggering routing."""

    def make(**kwargs):
        return TicketFactory(pipeline=pipeline, team=team, **kwargs)

    return make


def customer_writes(ticket, text, subject=""):
    """A customer's email stored as ingestion stores it (sends ticket_activity)."""
    contact = ContactFactory()
    return conversation_services.message_receive(
        ticket=ticket,
        thread=None,
        channel=Channel.EMAIL,
        contact=contact,
        from_name=contact.display_name,
        from_email=contact.email,
        to=["support@helpdesk.example"],
        cc=[],
        subject=subject,
        html="",
        text=text,
    )
