import pytest
from django.test import Client

from api import tokens
from tests.factories import TicketFactory


@pytest.fixture
def make_token(db):
    """A token for `user` with `scope`, and its secret."""

    def make(user, scope="write", days=None, name="Integration"):
        token, secret = tokens.token_create(user=user, name=name, scope=scope, expires_in_days=days)
        return token, secret

    return make


@pytest.fixture
def api(make_token):
    """A client that sends a token for `user`: api(user, scope) -> client."""

    def client_for(user, scope="write"):
        _token, secret = make_token(user, scope)
        return Client(headers={"Authorization": f"Bearer {secret}"})

    return client_for


@pytest.fixture
def ticket_a(pipeline, team_a, agent):
    return TicketFactory(pipeline=pipeline, team=team_a, name="Printer on fire", actor=agent)


@pytest.fixture
def ticket_b(pipeline, team_b, agent):
    return TicketFactory(pipeline=pipeline, team=team_b, name="Secret of team B", actor=agent)
