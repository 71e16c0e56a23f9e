import html
import re

import pytest
from django.db import connection, transaction
from django.test import override_settings

from accounts.models import User
from tests.factories import PipelineFactory, TeamFactory, UserFactory


def pytest_report_header(config):
    settings = connection.settings_dict
    return f"database: {connection.vendor} ({settings['NAME']})"


@pytest.fixture(scope="session", autouse=True)
def _fast_password_hashing():
    """Every test user gets a password; PBKDF2 spends a quarter of a second on
    each, which made password hashing most of the suite's time."""
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@pytest.fixture
def team_a(db):
    return TeamFactory(name="Support A")


@pytest.fixture
def team_b(db):
    return TeamFactory(name="Support B")


@pytest.fixture
def pipeline(db):
    return PipelineFactory(name="Support pipeline")


@pytest.fixture
def super_admin(team_a):
    return UserFactory(username="root", role=User.Role.SUPER_ADMIN, main_team=team_a)


@pytest.fixture
def agent(team_a):
    """An agent with a seat on team A who sees every ticket."""
    return UserFactory(username="agent", main_team=team_a)


@pytest.fixture
def team_agent(team_a):
    """An agent on team A who sees team A's tickets only."""
    return UserFactory(username="team_agent", main_team=team_a, visibility=User.Visibility.TEAMS)


@pytest.fixture
def owned_agent(team_a):
    """An agent who sees only the tickets they own."""
    return UserFactory(username="owned_agent", main_team=team_a, visibility=User.Visibility.OWNED)


@pytest.fixture
def collaborator(team_a):
    return UserFactory(
        username="collab",
        main_team=team_a,
        role=User.Role.COLLABORATOR,
        visibility=User.Visibility.TEAMS,
    )


@pytest.fixture
def outsider(team_b):
    """An agent of team B limited to team B: the outsider of team A's tickets."""
    return UserFactory(username="outsider", main_team=team_b, visibility=User.Visibility.TEAMS)


@pytest.fixture
def htmx():
    """Headers of an htmx request aimed at a pane."""

    def headers(target: str | None = None) -> dict:
        result = {"HX-Request": "true"}
        if target:
            result["HX-Target"] = target
        return result

    return headers


@pytest.fixture
def sidebar_counts():
    """The views sidebar's counts as a page asks for them once it shows
    (tickets.views.workspace.view_counts): {view slug: the count shown}."""

    def read(client, page) -> dict[str, str]:
        nav = re.search(r'<nav id="nav-pane"[^>]*hx-get="([^"]+)"', page.content.decode())
        answer = client.get(html.unescape(nav[1]), headers={"HX-Request": "true"})
        assert answer.status_code == 200
        spans = r'<span class="count" id="count-([\w-]+)" hx-swap-oob="true">([^<]*)</span>'
        return dict(re.findall(spans, answer.content.decode()))

    return read


@pytest.fixture(autouse=True)
def clear_cache():
    """Each test starts with an empty cache (presence, throttling)."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _no_chance_purge_of_rate_counters(monkeypatch):
    """A rate-limited request purges the expired counters on 1 % of its hits
    (channels_inbound.public): a test counting an API request's statements
    saw one more now and then. test_rate_limits tests the purge itself."""
    from channels_inbound import public

    monkeypatch.setattr(public, "PURGE_CHANCE", 0)


@pytest.fixture(autouse=True)
def _process_clock_for_sla(settings):
    """time_machine moves this process's clock but not PostgreSQL's: tests keep
    SLA event times on the process clock unless they test the correction."""
    settings.HELPDESK_SLA_DATABASE_CLOCK = False


@pytest.fixture
def mismatched_pairs(db):
    """Lets a test write a (pipeline, stage) pair whose stage is of another
    pipeline, as older data or SQLite can hold: PostgreSQL's composite keys
    wait for a commit no test reaches, and the rows are rolled back before
    the test database checks its constraints."""
    if connection.vendor != "postgresql":
        yield
        return
    savepoint = transaction.savepoint()
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    yield
    transaction.savepoint_rollback(savepoint)
