"""Outbound requests never reach inside our network unless a setting allows
it: every address a name resolves to is checked, and the connection goes to
the checked address (DNS rebinding cannot swap it)."""

import socket

import pytest

from webhooks import delivery as sending
from webhooks import safehttp
from webhooks.models import Delivery, Subscription

from .test_delivery import one

REFUSED = [
    "http://127.0.0.1/hook",
    "http://127.1.2.3:8080/hook",
    "http://10.0.0.7/hook",
    "http://172.16.5.4/hook",
    "http://192.168.1.1/hook",
    "http://169.254.169.254/latest/meta-data/",
    "http://100.64.0.1/hook",
    "http://0.0.0.0/hook",
    "http://[::1]/hook",
    "http://[fe80::1]/hook",
    "http://[fc00::1]/hook",
    "http://[::ffff:127.0.0.1]/hook",
    "http://localhost/hook",
]


@pytest.fixture
def strict(settings):
    settings.HELPDESK_WEBHOOKS_ALLOW_PRIVATE = False


@pytest.mark.parametrize("url", REFUSED)
def test_private_loopback_and_link_local_targets_are_refused(strict, url):
    with pytest.raises(safehttp.Refused) as refused:
        safehttp.post(url, b"{}", {})
    assert refused.value.code == "private"


@pytest.mark.parametrize("url", ["ftp://example.com/", "file:///etc/passwd", "http:///nohost"])
def test_other_schemes_and_hostless_urls_are_refused(url):
    with pytest.raises(safehttp.Refused):
        safehttp.post(url, b"{}", {})


def test_every_address_of_a_name_is_checked(strict, monkeypatch):
    """A name with a public and a private address is refused, whichever comes first."""
    answers = [
        (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", 443)),
        (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.1.2.3", 443)),
    ]
    monkeypatch.setattr(socket, "getaddrinfo", lambda *a, **k: answers)
    with pytest.raises(safehttp.Refused) as refused:
        safehttp.resolve("https://mixed.example/hook")
    assert "10.1.2.3" in str(refused.value)


def test_the_connection_goes_to_the_checked_address_not_a_new_lookup(
    settings, monkeypatch, receiver
):
    """DNS rebinding: the name is resolved once; a second answer (private)
    is never asked for, because the connection uses the first."""
    settings.HELPDESK_WEBHOOKS_ALLOW_PRIVATE = False
    port = int(receiver.url.rsplit(":", 1)[1].split("/")[0])
    lookups = []

    def rebinding(host, *args, **kwargs):
        lookups.append(host)
        address = "93.184.215.14" if len(lookups) == 1 else "127.0.0.1"
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    connected = []

    def create_connection(address, timeout=None, *args, **kwargs):
        connected.append(address)
        raise ConnectionRefusedError

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    monkeypatch.setattr(socket, "create_connection", create_connection)
    with pytest.raises(ConnectionRefusedError):
        safehttp.post(f"http://rebind.example:{port}/hooks/", b"{}", {})
    assert lookups == ["rebind.example"]
    assert connected == [("93.184.215.14", port)]
    assert receiver.received == []


def test_a_refused_target_is_a_failed_try_with_the_reason(strict, subscription, ticket):
    Subscription.objects.filter(pk=subscription.pk).update(url="http://10.0.0.8/hook")
    delivery = one(ticket)
    assert sending.deliver(delivery.pk) == "retrying"
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.PENDING
    assert "10.0.0.8" in delivery.last_error and delivery.last_status_code is None


def test_the_setting_allows_a_local_receiver(settings, receiver):
    settings.HELPDESK_WEBHOOKS_ALLOW_PRIVATE = True
    answer = safehttp.post(receiver.url, b"{}", {"webhook-id": "msg_x"})
    assert answer.status == 200 and receiver.received[0].headers["webhook-id"] == "msg_x"


def test_ipv6_loopback_is_reachable_only_when_allowed(settings):
    server = socket.socket(socket.AF_INET6)
    try:
        server.bind(("::1", 0))
    except OSError:
        pytest.skip("no IPv6 loopback here")
    server.listen()
    port = server.getsockname()[1]
    try:
        settings.HELPDESK_WEBHOOKS_ALLOW_PRIVATE = False
        with pytest.raises(safehttp.Refused):
            safehttp.post(f"http://[::1]:{port}/", b"{}", {})
        settings.HELPDESK_WEBHOOKS_ALLOW_PRIVATE = True
        settings.HELPDESK_WEBHOOK_READ_TIMEOUT = 0.2
        with pytest.raises(TimeoutError):  # it connects; nobody answers
            safehttp.post(f"http://[::1]:{port}/", b"{}", {})
    finally:
        server.close()


@pytest.mark.parametrize(
    "address,allowed",
    [
        ("93.184.215.14", True),
        ("2606:2800:21f:cb07:6820:80da:af6b:8b2c", True),
        ("127.0.0.1", False),
        ("10.255.0.1", False),
        ("169.254.0.5", False),
        ("::1", False),
        ("::ffff:10.0.0.1", False),
        ("224.0.0.1", False),
        ("fe80::1%eth0", False),
    ],
)
def test_the_address_rule(address, allowed):
    assert safehttp.allowed_address(address) is allowed
