"""What a signed-in contact may see in the portal: the only place that
decides it (as tickets.access does for agents, ARCHITECTURE rule 1).

A contact sees the tickets they are on, and, when their company shares its
tickets (SharedCompany), the company's: those associated with the company
and those of its other contacts. Never a deleted, spam or merged-away
ticket. Of a ticket, only its public messages (never internal comments) and
the files of those messages. Everything else is a 404, exactly like an id
that does not exist.
"""

from django.db.models import Prefetch, QuerySet
from django.http import Http404

from conversations.models import Attachment, Message
from crm.models import Contact
from tickets.models import Ticket, TicketQuerySet

from .models import SharedCompany

# What the customer was sent or wrote: never an internal comment.
PUBLIC_KINDS = (Message.Kind.MESSAGE, Message.Kind.BOT)

TicketContacts = Ticket.contacts.through
TicketCompanies = Ticket.companies.through


def shares_company_tickets(contact: Contact) -> bool:
    return bool(
        contact.company_id and SharedCompany.objects.filter(company_id=contact.company_id).exists()
    )


def visible_tickets_for_contact(contact: Contact | None) -> TicketQuerySet:
    """The tickets `contact` may list and open, as one SQL filter."""
    if contact is None or contact.pk is None:
        return Ticket.objects.none()
    ids = TicketContacts.objects.filter(contact_id=contact.pk).values("ticket_id")
    company = contact.company_id
    if company is not None and shares_company_tickets(contact):
        # One list of ids (UNION), which PostgreSQL joins by primary key: an
        # OR of subqueries would make it read every ticket.
        # The colleagues' ids first: probed in the index of ticket contacts,
        # where a join made PostgreSQL read that whole table.
        colleagues = list(Contact.objects.filter(company_id=company).values_list("pk", flat=True))
        ids = ids.union(
            TicketContacts.objects.filter(contact_id__in=colleagues).values("ticket_id"),
            TicketCompanies.objects.filter(company_id=company).values("ticket_id"),
        )
    return Ticket.objects.alive().filter(pk__in=ids, is_spam=False, merged_into__isnull=True)


def get_ticket_for_contact(contact: Contact | None, pk: int | str) -> Ticket:
    """The ticket `pk` if `contact` may see it, else Http404."""
    try:
        return visible_tickets_for_contact(contact).select_related("pipeline", "stage").get(pk=pk)
    except (Ticket.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def public_attachments() -> QuerySet[Attachment]:
    return Attachment.objects.filter(message__kind__in=PUBLIC_KINDS).order_by("id")


def public_messages(ticket: Ticket) -> QuerySet[Message]:
    """The ticket's conversation as the customer knows it, oldest first, each
    message with its files."""
    return (
        Message.objects.filter(ticket=ticket, kind__in=PUBLIC_KINDS)
        .select_related("author", "thread")
        .prefetch_related(Prefetch("attachments", queryset=public_attachments()))
        .order_by("created_at", "id")
    )


def get_attachment_for_contact(contact: Contact | None, pk: int | str) -> Attachment:
    """A file of a public message of a ticket `contact` may see, else Http404
    (an internal comment's file, a pending upload and another contact's file
    alike)."""
    try:
        return public_attachments().get(
            pk=pk, ticket__in=visible_tickets_for_contact(contact), message__isnull=False
        )
    except (Attachment.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
