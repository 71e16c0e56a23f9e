"""The webhooks' settings pages: subscribing a URL (a private one refused
with a clear error), the secret shown, rotation, a test event, the delivery
log and "send again" from it."""

import pytest
from django.urls import reverse

from webhooks import delivery as sending
from webhooks.models import Delivery, Subscription

from .test_delivery import one


@pytest.fixture
def admin_client(client, super_admin):
    client.force_login(super_admin)
    return client


def test_an_admin_subscribes_a_url_to_events(admin_client, receiver):
    response = admin_client.post(
        reverse("admin:webhooks_subscription_add"),
        {
            "name": "Shop",
            "url": receiver.url,
            "events": ["ticket.created", "ticket.closed"],
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    subscription = Subscription.objects.get()
    assert subscription.events == ["ticket.created", "ticket.closed"]
    assert subscription.secret.startswith("whsec_")
    page = admin_client.get(reverse("admin:webhooks_subscription_change", args=[subscription.pk]))
    text = page.content.decode()
    assert subscription.secret in text  # shown to the admin
    assert "Standard Webhooks" in text
    assert reverse("admin:webhooks_delivery_changelist") in text


@pytest.mark.parametrize(
    "url,error",
    [
        ("http://169.254.169.254/latest", "private, loopback or link-local"),
        ("http://10.0.0.1/hook", "private, loopback or link-local"),
        ("ftp://example.com/hook", "Only http and https addresses"),
        ("not a url", "Enter a valid URL."),
    ],
)
def test_a_url_that_cannot_be_used_is_refused_with_a_reason(admin_client, settings, url, error):
    settings.HELPDESK_WEBHOOKS_ALLOW_PRIVATE = False
    response = admin_client.post(
        reverse("admin:webhooks_subscription_add"),
        {"name": "Bad", "url": url, "events": ["ticket.created"], "is_active": "on"},
    )
    assert response.status_code == 200
    assert error in response.content.decode()
    assert not Subscription.objects.exists()


def test_unknown_events_are_refused(admin_client, receiver):
    response = admin_client.post(
        reverse("admin:webhooks_subscription_add"),
        {"name": "Shop", "url": receiver.url, "events": ["ticket.exploded"], "is_active": "on"},
    )
    assert response.status_code == 200 and not Subscription.objects.exists()
    assert "ticket.exploded" in response.content.decode()


def test_rotating_keeps_the_old_secret_signing_for_a_day(admin_client, subscription):
    old = subscription.secret
    response = admin_client.post(
        reverse("admin:webhooks_subscription_changelist"),
        {"action": "rotate_secret", "_selected_action": [subscription.pk]},
    )
    assert response.status_code == 302
    subscription.refresh_from_db()
    assert subscription.secret != old and subscription.previous_secret == old
    assert subscription.secrets() == [subscription.secret, old]
    page = admin_client.get(reverse("admin:webhooks_subscription_change", args=[subscription.pk]))
    assert old in page.content.decode() and subscription.secret in page.content.decode()


def test_a_test_event_reaches_the_receiver(
    admin_client, subscription, receiver, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            reverse("admin:webhooks_subscription_changelist"),
            {"action": "send_test_event", "_selected_action": [subscription.pk]},
        )
    assert receiver.events() == ["webhook.test"]


def test_switching_a_webhook_back_on_starts_the_count_again(admin_client, subscription, receiver):
    Subscription.objects.filter(pk=subscription.pk).update(
        is_active=False, failures=12, disabled_reason="12 failed"
    )
    response = admin_client.post(
        reverse("admin:webhooks_subscription_change", args=[subscription.pk]),
        {"name": "Shop", "url": receiver.url, "events": ["ticket.created"], "is_active": "on"},
    )
    assert response.status_code == 302
    subscription.refresh_from_db()
    assert subscription.is_active and subscription.failures == 0
    assert subscription.disabled_reason == ""


def test_the_delivery_log_shows_status_time_and_answer(
    admin_client, subscription, receiver, ticket, django_assert_max_num_queries
):
    receiver.answer(500, b"Internal trouble")
    for _ in range(30):
        sending.deliver(one(ticket).pk)
    url = (
        reverse("admin:webhooks_delivery_changelist")
        + f"?subscription__id__exact={subscription.pk}"
    )
    with django_assert_max_num_queries(14):
        page = admin_client.get(url)
    text = page.content.decode()
    assert page.status_code == 200
    assert "Internal trouble" in text and "500" in text
    assert "Pending" in text  # retried later; the others wait behind it
    delivery = Delivery.objects.order_by("id").first()
    with django_assert_max_num_queries(14):
        detail = admin_client.get(reverse("admin:webhooks_delivery_change", args=[delivery.pk]))
    text = detail.content.decode()
    assert "Send again" in text and "Internal trouble" in text
    assert "&quot;ticket.updated&quot;" in text or "ticket.updated" in text


def test_the_subscription_list_is_one_page_of_constant_queries(
    admin_client, receiver, django_assert_max_num_queries
):
    Subscription.objects.bulk_create(
        Subscription(name=f"Hook {n}", url=receiver.url, events=["ticket.created"])
        for n in range(25)
    )
    with django_assert_max_num_queries(10):
        page = admin_client.get(reverse("admin:webhooks_subscription_changelist"))
    assert page.status_code == 200 and "Hook 24" in page.content.decode()


def test_send_again_from_the_log(
    admin_client, subscription, receiver, ticket, django_capture_on_commit_callbacks
):
    delivery = one(ticket)
    sending.deliver(delivery.pk)
    url = reverse("admin:webhooks_delivery_send_again", args=[delivery.pk])
    assert admin_client.get(url).status_code == 405
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(url)
    again = Delivery.objects.exclude(pk=delivery.pk).get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:webhooks_delivery_change", args=[again.pk])
    assert again.status == Delivery.Status.SUCCEEDED and len(receiver.received) == 2
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            reverse("admin:webhooks_delivery_changelist"),
            {"action": "send_again", "_selected_action": [delivery.pk, again.pk]},
        )
    assert Delivery.objects.count() == 4 and len(receiver.received) == 4


def test_agents_cannot_reach_the_webhook_settings(client, agent, subscription, ticket):
    client.force_login(agent)
    delivery = one(ticket)
    for url in (
        reverse("admin:webhooks_subscription_changelist"),
        reverse("admin:webhooks_delivery_changelist"),
    ):
        assert client.get(url).status_code in (302, 403)
    assert client.post(
        reverse("admin:webhooks_delivery_send_again", args=[delivery.pk])
    ).status_code in (302, 403)
    assert Delivery.objects.count() == 1


def test_the_settings_list_webhooks_under_integrations(admin_client, subscription):
    page = admin_client.get(reverse("admin:index")).content.decode()
    assert "Integrations" in page
    assert reverse("admin:webhooks_subscription_changelist") in page
    assert reverse("admin:webhooks_delivery_changelist") in page
