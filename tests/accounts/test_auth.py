import datetime

import pytest
from django.contrib.auth import BACKEND_SESSION_KEY
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone

from accounts import backends
from tests.factories import PASSWORD


def sign_in(client, username, password):
    return client.post(reverse("accounts:login"), {"username": username, "password": password})


def test_sign_in_opens_the_workspace(client, agent):
    response = sign_in(client, agent.username, PASSWORD)
    assert response.status_code == 302 and response["Location"] == reverse("tickets:home")


def test_a_wrong_password_shows_a_clear_error(client, agent):
    response = sign_in(client, agent.username, "nope")
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()


def test_password_guessing_is_locked_out_after_five_failures(client, agent, settings):
    for _ in range(4):
        assert sign_in(client, agent.username, "wrong").status_code == 200
    assert sign_in(client, agent.username, "wrong").status_code == 429  # the fifth
    locked = sign_in(client, agent.username, PASSWORD)  # even the right password now
    assert locked.status_code == 429
    assert "Too many attempts" in locked.content.decode()
    assert "_auth_user_id" not in client.session


def test_lockout_is_per_user_and_address(client, agent, team_agent):
    for _ in range(5):
        sign_in(client, agent.username, "wrong")
    assert sign_in(client, team_agent.username, PASSWORD).status_code == 302


def test_sign_out_needs_post(client, agent):
    client.force_login(agent)
    assert client.get(reverse("accounts:logout")).status_code == 405
    assert client.post(reverse("accounts:logout")).status_code == 302
    assert "_auth_user_id" not in client.session


def test_deactivated_users_lose_their_session_on_the_next_request(client, agent):
    client.force_login(agent)
    agent.is_active = False
    agent.save()
    assert client.get("/views/mine/").status_code == 302


def test_accept_language_is_the_default(client, agent):
    client.force_login(agent)
    response = client.get("/views/mine/", headers={"Accept-Language": "ko"})
    assert response["Content-Language"] == "ko"
    assert "나에게 할당됨" in response.content.decode()


def test_chosen_language_wins_over_the_browser(client, agent):
    client.force_login(agent)
    response = client.post(
        reverse("accounts:set_language"), {"language": "de", "next": "/views/mine/"}
    )
    assert response["Location"] == "/views/mine/"
    agent.refresh_from_db()
    assert agent.language == "de"
    page = client.get("/views/mine/", headers={"Accept-Language": "ko"})
    assert page["Content-Language"] == "de"


@pytest.mark.parametrize("code", ["en", "ko", "fi", "de", "zh-hant", "pl"])
def test_every_language_renders_the_workspace(client, agent, code):
    client.force_login(agent)
    client.post(reverse("accounts:set_language"), {"language": code})
    response = client.get("/views/mine/")
    assert response.status_code == 200 and response["Content-Language"] == code


def test_unknown_language_is_refused(client, agent):
    client.force_login(agent)
    assert client.post(reverse("accounts:set_language"), {"language": "xx"}).status_code == 400


def test_language_switch_never_redirects_off_site(client, agent):
    client.force_login(agent)
    response = client.post(
        reverse("accounts:set_language"), {"language": "fi", "next": "https://evil.example/"}
    )
    assert response["Location"] == "/"


def test_role_is_the_only_source_of_admin_rights(client, agent, super_admin):
    client.force_login(agent)
    assert client.get("/admin/").status_code == 302
    client.force_login(super_admin)
    assert client.get("/admin/").status_code == 200
    super_admin.role = "agent"
    super_admin.save()
    assert client.get("/admin/").status_code == 302  # takes effect on the next request


def test_a_session_is_kept_until_it_expires(client, agent):
    # Sessions are read with a prepared query (accounts.sessions): the
    # expiry is checked on the row read.
    sign_in(client, agent.username, PASSWORD)
    mine = reverse("tickets:view_tickets", args=["mine"])
    assert client.get(mine).status_code == 200
    key = client.session.session_key
    Session.objects.filter(session_key=key).update(
        expire_date=timezone.now() - datetime.timedelta(seconds=1)
    )
    response = client.get(mine)
    assert response.status_code == 302 and response["Location"].startswith(
        reverse("accounts:login")
    )


def test_the_signed_in_user_is_read_with_a_compiled_query(client, agent):
    """accounts.backends: the user of each request comes from a query built
    once per process, as Django's backend reads it; a deleted user is
    signed out."""
    sign_in(client, agent.username, PASSWORD)
    mine = reverse("tickets:view_tickets", args=["mine"])
    assert client.get(mine).status_code == 200
    assert client.session[BACKEND_SESSION_KEY] == "accounts.backends.UserBackend"
    assert backends.UserBackend().get_user(agent.pk) == agent
    assert backends.UserBackend().get_user("not a number") is None
    agent.delete()
    assert client.get(mine).status_code == 302


def test_a_session_signed_in_through_djangos_backend_stays_signed_in(client, agent):
    """Sessions made before accounts.backends name Django's ModelBackend:
    they are read as ours, not signed out by the upgrade."""
    sign_in(client, agent.username, PASSWORD)
    session = client.session
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session.save()
    response = client.get(reverse("tickets:view_tickets", args=["mine"]))
    assert response.status_code == 200 and response.context["user"] == agent
