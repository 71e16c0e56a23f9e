"""The account menu's API tokens page: made, shown once, revoked."""

from django.test import Client

from api.models import AccessToken
from api.tokens import digest


def test_the_account_menu_links_to_the_token_page(client, agent):
    client.force_login(agent)
    assert 'href="/account/tokens/"' in client.get("/views/mine/").content.decode()


def test_a_new_token_is_shown_once_and_stored_hashed(client, agent):
    client.force_login(agent)
    response = client.post("/account/tokens/", {"name": "Shop", "scope": "write", "expires": "30"})
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    token = AccessToken.objects.get(user=agent)
    html = response.content.decode()
    secret = html.split('class="token-secret" value="')[1].split('"')[0]
    assert token.digest == digest(secret) and token.scope == "write"
    assert token.expires_at is not None
    again = client.get("/account/tokens/").content.decode()
    assert secret not in again and token.prefix in again
    works = Client(headers={"Authorization": f"Bearer {secret}"}).get("/api/v1/users/me")
    assert works.status_code == 200


def test_invalid_choices_are_refused_with_the_reason(client, agent):
    client.force_login(agent)
    response = client.post("/account/tokens/", {"name": "", "scope": "admin", "expires": "5"})
    assert response.status_code == 422
    html = response.content.decode()
    assert "Give the token a name." in html
    assert "Choose one of the scopes offered." in html
    assert "Choose one of the expiry times offered." in html
    assert not AccessToken.objects.exists()


def test_revoke_only_ones_own_tokens(client, agent, super_admin):
    from api import tokens

    mine, secret = tokens.token_create(user=agent, name="Mine", scope="read", expires_in_days=None)
    theirs, _ = tokens.token_create(
        user=super_admin, name="Theirs", scope="read", expires_in_days=None
    )
    client.force_login(agent)
    assert client.post(f"/account/tokens/{theirs.pk}/revoke/").status_code == 404
    response = client.post(f"/account/tokens/{mine.pk}/revoke/")
    assert response.status_code == 302
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.revoked_at is not None and theirs.revoked_at is None
    assert (
        Client(headers={"Authorization": f"Bearer {secret}"}).get("/api/v1/users/me").status_code
        == 401
    )
    page = client.get("/account/tokens/").content.decode()
    assert "Token “Mine” revoked." in page and f'id="token-{mine.pk}"' not in page


def test_the_token_page_needs_a_sign_in(db):
    assert Client().get("/account/tokens/").status_code == 302
