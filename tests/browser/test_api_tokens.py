"""API tokens in Chromium (issue 18): made from the account menu, shown once,
usable at once, and the page's own session can call the API with its CSRF
token."""

from playwright.sync_api import expect

from api.models import AccessToken


def test_create_a_token_from_the_account_menu_and_see_it_once(page, sign_in, agent, pipeline):
    sign_in(agent)
    page.goto("/views/mine/")
    page.locator(".account-menu > summary").click()
    with page.expect_navigation():
        page.get_by_role("link", name="API tokens").click()
    expect(page.get_by_role("heading", name="API tokens", level=1)).to_be_visible()

    page.get_by_label("Name").fill("Shop integration")
    page.get_by_label("Read and write").check()
    page.get_by_label("Expires").select_option("30")
    with page.expect_navigation():
        page.get_by_role("button", name="Create token").click()

    secret_box = page.locator(".token-secret")
    expect(secret_box).to_be_visible()
    secret = secret_box.input_value()
    assert secret.startswith("hd_")
    expect(page.locator(".token-created")).to_contain_text("shown only once")
    row = page.locator(".token-table tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Shop integration")

    # The token works at once, as its user.
    answer = page.request.get("/api/v1/users/me", headers={"Authorization": f"Bearer {secret}"})
    assert answer.status == 200 and answer.json()["username"] == agent.username

    # Shown once: reloading the page shows only its first characters.
    page.goto("/account/tokens/")
    expect(page.locator(".token-secret")).to_have_count(0)
    assert secret not in page.content()
    expect(page.locator(".token-table")).to_contain_text(secret[:10])
    assert AccessToken.objects.get(user=agent).last_used_at is not None

    # The page's own session calls the API with its CSRF token.
    status = page.evaluate(
        """async () => {
            const csrf = JSON.parse(document.body.getAttribute('hx-headers'))['X-CSRFToken'];
            const made = await fetch('/api/v1/tickets', {method: 'POST',
                headers: {'Content-Type': 'application/json', 'X-CSRFToken': csrf},
                body: JSON.stringify({name: 'From the page'})});
            return made.status;
        }"""
    )
    assert status == 201
    # Without it (the same session cookie, from outside the page) it is refused.
    refused = page.request.post("/api/v1/tickets", data={"name": "No CSRF"})
    assert refused.status == 403

    # Revoked, it stops working.
    with page.expect_navigation():
        page.get_by_role("button", name="Revoke “Shop integration”").click()
    expect(page.locator(".token-table")).to_have_count(0)
    answer = page.request.get("/api/v1/users/me", headers={"Authorization": f"Bearer {secret}"})
    assert answer.status == 401
