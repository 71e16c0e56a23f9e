"""The settings (Django admin) in a browser: the workspace's look, the grouped
sidebar open with the current page marked, the account menu's language switch,
and no CSP violation from Django's own scripts (the page fixture fails on any
console error)."""

import pytest

from accounts.models import User
from tests.factories import EmailChannelFactory, UserFactory

pytestmark = pytest.mark.browser


def test_settings_wear_the_workspace_and_switch_language(page, sign_in):
    admin = UserFactory(role=User.Role.SUPER_ADMIN)
    channel = EmailChannelFactory()
    sign_in(admin)

    page.goto(f"/admin/channels_inbound/emailchannel/{channel.pk}/change/")
    current = page.locator("#nav-sidebar [aria-current=page]")
    assert current.is_visible()
    assert current.inner_text().strip() == "Email channels"
    assert "system-ui" in page.evaluate("getComputedStyle(document.body).fontFamily")
    header = page.locator(".settings-topbar")
    assert header.evaluate("el => getComputedStyle(el).backgroundColor") == "rgb(255, 255, 255)"
    assert page.locator(".settings-topbar a.brand").get_attribute("href") == "/"

    page.click(".settings-topbar details.menu summary")
    with page.expect_navigation():
        page.select_option(".settings-topbar select[name=language]", "ko")
    assert page.locator("html").get_attribute("lang") == "ko"
    assert page.locator("#nav-sidebar [aria-current=page]").inner_text().strip() == "이메일 채널"

    page.goto("/admin/")
    assert page.locator("#content h1").inner_text() == "설정"
    assert page.locator(".settings-card").count() >= 5
