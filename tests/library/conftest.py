import pytest

from tests.factories import ContactFactory, DealFactory, TicketFactory


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.HELPDESK_BASE_URL = "https://help.example.com"


@pytest.fixture
def deal(db):
    return DealFactory(name="Northwind renewal")


@pytest.fixture
def ticket(pipeline, team_a, deal):
    contact = ContactFactory(first_name="Emma", last_name="Wilson")
    return TicketFactory(
        pipeline=pipeline, team=team_a, name="Renewal", contacts=[contact], deals=[deal]
    )
