"""The customer portal's lines of `make bench` (issue 20): the signed-in
contact's ticket list (their own tickets, then their company's with the
company sharing them) and a ticket page, through the test client like the
workspace's pages. Runs in a transaction rolled back at the end: the
sign-in link and the sharing leave nothing behind."""

import time

from django.db import transaction
from django.db.models import Count
from django.test import Client
from django.urls import reverse

from conversations.models import Channel, Message, Thread
from conversations.services import help_desk_inbox
from crm.models import Contact
from portal.access import TicketContacts, visible_tickets_for_contact
from portal.links import link_token
from portal.models import SharedCompany, SignInLink

# Targets (ms, p95): a customer's pages are lighter than the workspace's.
LIST_TARGET = 50
PAGE_TARGET = 50
# The ticket page is measured with at least this many messages.
THREAD = 20


def _busiest_contact() -> Contact | None:
    """The contact on the most tickets, with a company and an address."""
    row = (
        TicketContacts.objects.filter(contact__company__isnull=False)
        .exclude(contact__email="")
        .values("contact_id")
        .annotate(n=Count("ticket_id"))
        .order_by("-n", "contact_id")
        .first()
    )
    return Contact.objects.select_related("company").get(pk=row["contact_id"]) if row else None


def _converse(ticket, contact, count: int) -> None:
    """`count` messages on `ticket`, the customer's and an agent's in turn."""
    thread = ticket.threads.first() or Thread.objects.create(
        ticket=ticket, inbox=help_desk_inbox(), channel=Channel.EMAIL
    )
    Message.objects.bulk_create(
        Message(
            thread=thread,
            ticket=ticket,
            direction=Message.Direction.INBOUND if n % 2 == 0 else Message.Direction.OUTBOUND,
            contact=contact if n % 2 == 0 else None,
            from_email=contact.email if n % 2 == 0 else "",
            html=f"<p>Bench message {n}: the printer still smokes, see the log.</p>" * 3,
        )
        for n in range(count)
    )


def _signed_in(contact: Contact) -> Client:
    client = Client(SERVER_NAME="localhost")
    link = SignInLink.objects.create(contact=contact, email=contact.email)
    client.post(reverse("portal:link", args=[link_token(link)]))
    return client


def _time(name, client, url, runs, summary, counter, target) -> dict:
    client.get(url)  # warm up
    with counter() as counted:
        response = client.get(url)
    if response.status_code != 200:
        raise RuntimeError(f"{name}: HTTP {response.status_code}")
    timings = []
    for _run in range(runs):
        started = time.perf_counter()
        client.get(url)
        timings.append((time.perf_counter() - started) * 1000)
    return summary(name, timings, counted.count, target)


def time_portal(runs: int, summary, counter) -> list[dict]:
    contact = _busiest_contact()
    if contact is None:
        return []
    results = []
    with transaction.atomic():
        client = _signed_in(contact)
        own = visible_tickets_for_contact(contact).count()
        home = reverse("portal:home")
        results.append(
            _time(
                f"portal: ticket list ({own} own tickets)",
                client,
                home,
                runs,
                summary,
                counter,
                LIST_TARGET,
            )
        )
        SharedCompany.objects.create(company=contact.company)
        shared = visible_tickets_for_contact(contact).count()
        results.append(
            _time(
                f"portal: ticket list, company sharing ({shared} tickets)",
                client,
                home,
                runs,
                summary,
                counter,
                LIST_TARGET,
            )
        )
        ticket = (
            visible_tickets_for_contact(contact)
            .annotate(n=Count("messages"))
            .order_by("-n", "-id")
            .first()
        )
        messages = Message.objects.filter(ticket=ticket).count()
        if messages < THREAD:
            _converse(ticket, contact, THREAD - messages)
            messages = THREAD
        results.append(
            _time(
                f"portal: ticket page ({messages} messages)",
                client,
                reverse("portal:ticket", args=[ticket.pk]),
                runs,
                summary,
                counter,
                PAGE_TARGET,
            )
        )
        transaction.set_rollback(True)
    return results
