"""Signing in to the portal by a one-time link (issue 20): it is emailed in
the page's language, works once, within 15 minutes, for the contact it was
made for only; a changed link is refused; asking is rate-limited per client
address and per email address; and the page never tells whether an address
is ours."""

import re

import pytest
from django.core import mail, signing
from django.urls import reverse

from portal.links import SALT, link_token, link_use
from portal.models import SignInLink
from portal.session import CONTACT
from tests.factories import ContactFactory


@pytest.fixture
def contact(db):
    return ContactFactory(email="Mira@Customer.example")


def ask(client, email, **extra):
    return client.post(reverse("portal:sign_in"), {"email": email}, **extra)


def emailed_link(index=-1) -> str:
    return re.search(r"https?://\S+/portal/sign-in/\S+/", mail.outbox[index].body).group(0)


def test_a_link_is_emailed_in_the_pages_language_and_signs_in_once(
    client, contact, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = ask(client, "mira@customer.example", HTTP_ACCEPT_LANGUAGE="de")
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == ["Mira@Customer.example"]
    assert sent.extra_headers["Auto-Submitted"] == "auto-generated"
    assert "Anmeldelink" in sent.subject
    path = emailed_link().split("127.0.0.1:8000", 1)[-1]
    opened = client.get(path)
    assert opened.status_code == 200 and CONTACT not in client.session  # opening spends nothing
    assert client.post(path).status_code == 302
    assert client.session[CONTACT] == contact.pk
    assert client.get(reverse("portal:home")).status_code == 200
    # The same link again, in another browser: spent.
    other = client.__class__()
    assert other.post(path).status_code == 410
    assert other.get(path).status_code == 410
    assert CONTACT not in other.session


def test_an_unknown_address_gets_the_same_answer_and_no_email(
    client, contact, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        unknown = ask(client, "nobody@elsewhere.example")
    with django_capture_on_commit_callbacks(execute=True):
        known = ask(client, "mira@customer.example")
    assert unknown.status_code == known.status_code == 302
    assert unknown["Location"] == known["Location"]
    assert [m.to for m in mail.outbox] == [["Mira@Customer.example"]]


def test_a_link_expires_after_15_minutes(client, contact, time_machine):
    time_machine.move_to("2026-12-04 10:00:00+00:00")
    link = SignInLink.objects.create(contact=contact, email=contact.email)
    token = link_token(link)
    time_machine.move_to("2026-12-04 10:15:01+00:00")
    assert client.post(reverse("portal:link", args=[token])).status_code == 410
    assert CONTACT not in client.session
    link.refresh_from_db()
    assert link.used_at is None


def test_a_link_within_15_minutes_works(client, contact, time_machine):
    time_machine.move_to("2026-12-04 10:00:00+00:00")
    link = SignInLink.objects.create(contact=contact, email=contact.email)
    time_machine.move_to("2026-12-04 10:14:30+00:00")
    assert client.post(reverse("portal:link", args=[link_token(link)])).status_code == 302


def swapped_payload(token: str, value) -> str:
    """`token` with another payload under its timestamp and signature."""
    _payload, timestamp, signature = token.split(":")
    payload = signing.b64_encode(signing.JSONSerializer().dumps(value)).decode()
    return f"{payload}:{timestamp}:{signature}"


def test_a_changed_link_signs_nobody_in(client, contact):
    other = ContactFactory()
    link = SignInLink.objects.create(contact=contact, email=contact.email)
    token = link_token(link)
    forged = [
        # Another row's id with this row's signature.
        swapped_payload(token, [link.pk + 1, link.nonce]),
        token[:-2] + ("AA" if not token.endswith("AA") else "BB"),
        signing.dumps([link.pk, link.nonce], salt="another purpose"),
        signing.dumps([link.pk, "0" * 32], salt=SALT),  # right key, wrong nonce
        "not-a-link",
    ]
    for token_ in forged:
        assert client.post(reverse("portal:link", args=[token_])).status_code == 410, token_
    assert CONTACT not in client.session
    assert link_use(link_token(link)) == contact != other


def test_a_link_signs_in_only_its_contact_and_not_after_their_address_changed(client, contact):
    someone = ContactFactory()
    link = SignInLink.objects.create(contact=contact, email=contact.email)
    client.post(reverse("portal:link", args=[link_token(link)]))
    assert client.session[CONTACT] == contact.pk != someone.pk
    contact.email = "mira@new.example"
    contact.save()
    assert client.get(reverse("portal:home")).status_code == 302  # signed out
    stale = SignInLink.objects.create(contact=contact, email="Mira@Customer.example")
    assert link_use(link_token(stale)) is None


def test_signing_in_gives_a_new_session_key(client, contact):
    client.get(reverse("portal:sign_in"))
    session = client.session
    session["x"] = 1
    session.save()
    before = session.session_key
    link = SignInLink.objects.create(contact=contact, email=contact.email)
    client.post(reverse("portal:link", args=[link_token(link)]))
    assert client.session.session_key != before


def test_signing_out_ends_the_portal_session(client, contact):
    link = SignInLink.objects.create(contact=contact, email=contact.email)
    client.post(reverse("portal:link", args=[link_token(link)]))
    assert client.post(reverse("portal:sign_out")).status_code == 302
    assert client.get(reverse("portal:home")).status_code == 302


def test_links_are_rate_limited_per_email_address(client, contact, settings):
    settings.HELPDESK_PORTAL_LINKS_PER_ADDRESS = 2
    settings.HELPDESK_PORTAL_LINKS_PER_IP = 100
    codes = [
        ask(client, "mira@customer.example", REMOTE_ADDR=f"198.51.100.{n}").status_code
        for n in range(3)
    ]
    assert codes == [302, 302, 429]
    assert SignInLink.objects.count() == 2
    # The same address in other letters counts as the same address.
    assert ask(client, "MIRA@customer.example", REMOTE_ADDR="198.51.100.9").status_code == 429


def test_links_are_rate_limited_per_client_address(db, client, settings):
    settings.HELPDESK_PORTAL_LINKS_PER_IP = 2
    ContactFactory(email="a@customer.example")
    codes = [
        ask(client, f"x{n}@customer.example", REMOTE_ADDR="203.0.113.7").status_code
        for n in range(3)
    ]
    assert codes == [302, 302, 429]
    assert ask(client, "y@customer.example", REMOTE_ADDR="203.0.113.8").status_code == 302
    limited = ask(client, "a@customer.example", REMOTE_ADDR="203.0.113.7")
    assert limited.status_code == 429
    assert "Too many sign-in links" in limited.content.decode()
    assert not SignInLink.objects.exists()


def test_a_bad_address_is_told_and_nothing_is_sent(client, contact):
    response = ask(client, "not an address")
    assert response.status_code == 400
    assert "Enter the email address" in response.content.decode()
    assert 'value="not an address"' in response.content.decode()
    assert not SignInLink.objects.exists()


def test_a_used_link_is_not_emailed_and_old_links_are_purged(contact, time_machine):
    from portal.emails import sign_in_email_send
    from portal.links import links_purge

    time_machine.move_to("2026-12-04 10:00:00+00:00")
    link = SignInLink.objects.create(contact=contact, email=contact.email)
    link_use(link_token(link))
    assert not sign_in_email_send(link.pk)
    assert not mail.outbox
    time_machine.move_to("2026-12-05 10:16:00+00:00")
    assert links_purge() == 1
