"""The settings (Django admin) look and read like the product: the workspace's
header, a navigation grouped by task that lists every registered model, and the
strict CSP kept (helpdesk.admin_site, templates/admin/, static/css/admin.css)."""

import re
from html.parser import HTMLParser

import pytest
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.models import LogEntry
from django.urls import reverse

from helpdesk.admin_site import OTHER_GROUP, SETTINGS_GROUPS, group_models, group_of
from tests.factories import EmailChannelFactory


class Page(HTMLParser):
    """The links of the sidebar and of the index cards, and anything inline."""

    def __init__(self):
        super().__init__()
        self.inside = []
        self.nav_links, self.card_links, self.inline = set(), set(), []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id") == "nav-sidebar":
            self.inside.append("nav")
        elif "settings-cards" in (attrs.get("class") or "").split():
            self.inside.append("cards")
        elif self.inside and tag in ("nav", "div"):
            self.inside.append(tag)
        if tag == "a" and "nav" in self.inside:
            self.nav_links.add(attrs.get("href"))
        if tag == "a" and "cards" in self.inside:
            self.card_links.add(attrs.get("href"))
        # A JSON data block (json_script, django-admin-sortable2's list config)
        # is never run, so the CSP does not govern it.
        runs = tag == "script" and not attrs.get("src") and attrs.get("type") != "application/json"
        if "style" in attrs or tag == "style" or runs:
            self.inline.append(self.get_starttag_text())

    def handle_endtag(self, tag):
        if self.inside and tag in ("nav", "div"):
            self.inside.pop()


def parse(response) -> Page:
    page = Page()
    page.feed(response.content.decode())
    return page


def changelist_url(model):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


def test_index_lists_every_registered_model_in_the_sidebar_and_the_cards(client, super_admin):
    client.force_login(super_admin)
    page = parse(client.get(reverse("admin:index")))
    for model in admin.site._registry:
        assert changelist_url(model) in page.nav_links, model
        assert changelist_url(model) in page.card_links, model


def test_index_groups_the_settings_by_task(client, super_admin):
    client.force_login(super_admin)
    body = client.get(reverse("admin:index")).content.decode()
    for name in ("Help desk", "Channels", "SLA", "Team", "Security"):
        assert f">{name}</h2>" in body
    helpdesk_card = body[body.index('id="helpdesk"') : body.index('id="channels"')]
    assert reverse("admin:tickets_pipeline_changelist") in helpdesk_card
    assert reverse("admin:channels_inbound_emailchannel_changelist") not in helpdesk_card


def test_a_model_no_group_names_shows_up_under_other():
    class Unlisted:
        class _meta:
            app_label, model_name = "shop", "coupon"

    app_list = [{"models": [{"model": Unlisted, "name": "Coupons", "admin_url": "/x/"}]}]
    groups = group_models(app_list)
    assert [g["app_label"] for g in groups] == [OTHER_GROUP.key]
    assert groups[0]["models"][0]["name"] == "Coupons"
    assert group_of(Unlisted._meta) is OTHER_GROUP


def test_every_grouped_model_is_registered():
    """A name in SETTINGS_GROUPS that matches no registered model is a typo."""
    registered = {f"{m._meta.app_label}.{m._meta.model_name}" for m in admin.site._registry}
    for group in SETTINGS_GROUPS:
        for key, _icon in group.models:
            assert key in registered, key


@pytest.mark.parametrize("page", ["index", "changelist", "change", "add"])
def test_settings_pages_wear_the_workspace_header_and_send_nothing_inline(
    client, super_admin, page
):
    channel = EmailChannelFactory()
    LogEntry.objects.log_actions(super_admin.pk, [channel], 2, change_message="")
    url = {
        "index": reverse("admin:index"),
        "changelist": reverse("admin:tickets_pipeline_changelist"),
        "change": reverse("admin:channels_inbound_emailchannel_change", args=[channel.pk]),
        "add": reverse("admin:channels_inbound_webform_add"),
    }[page]
    client.force_login(super_admin)
    response = client.get(url)
    assert response.status_code == 200
    body = response.content.decode()
    assert 'class="topbar settings-topbar"' in body
    assert f'href="{reverse("tickets:home")}"' in body  # the way back to the workspace
    assert reverse("accounts:logout") in body and "avatar-button" in body
    assert "css/admin.css" in body
    assert parse(response).inline == []
    csp = response["Content-Security-Policy"]
    assert "style-src 'self'" in csp and "unsafe-inline" not in csp


def test_the_admin_sign_in_is_the_products(client, agent):
    response = client.get(reverse("admin:index"), follow=True)
    assert response.redirect_chain[-1][0].startswith(reverse("accounts:login"))
    client.force_login(agent)
    assert client.get(reverse("admin:login") + "?next=/admin/").status_code == 403


def test_the_settings_colours_are_the_workspaces():
    """admin.css restates the one token Django's base.css also names (--accent)."""
    static = settings.BASE_DIR / "static" / "css"
    token = re.compile(r"--accent:\s*(#[0-9a-fA-F]+)")
    assert (
        token.search((static / "admin.css").read_text())[1]
        == (token.search((static / "app.css").read_text())[1])
    )
