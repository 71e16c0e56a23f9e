"""Keeping Ticket.search_vector current (tickets.search says what it holds).

The services call refresh_search_vectors() when a ticket's name, description or
associations change; a contact's or company's edit refreshes their tickets
through the signal receivers below.
"""

from collections import defaultdict
from collections.abc import Iterable

from django.db import connection
from django.db.models.signals import post_save
from django.dispatch import receiver

from crm.models import Company, Contact

from . import search

CONTACT_FIELDS = ("first_name", "last_name", "email", "phone", "mobile", "company__name")
# A contact or company edit refreshes at most this many of its tickets at once;
# more are refreshed in batches of this size.
BATCH = 1000


def related_lexemes(ticket_ids, ticket_model) -> dict[int, list[str]]:
    """The contact and company lexemes of each ticket, in two queries."""
    related = defaultdict(list)
    contacts = ticket_model.contacts.through.objects.filter(ticket_id__in=ticket_ids)
    for row in contacts.values("ticket_id", *(f"contact__{f}" for f in CONTACT_FIELDS)):
        contact = {f: row[f"contact__{f}"] or "" for f in CONTACT_FIELDS}
        contact["company"] = contact.pop("company__name")
        related[row["ticket_id"]] += search.contact_lexemes(contact)
    companies = ticket_model.companies.through.objects.filter(ticket_id__in=ticket_ids)
    for ticket_id, name in companies.values_list("ticket_id", "company__name"):
        related[ticket_id] += search.words(name)
    return related


def new_ticket_document(
    name: str, description: str, contacts: Iterable[Contact], companies: Iterable[Company]
) -> str | None:
    """The search vector of a ticket about to be created with these records,
    from what is in memory (written with its INSERT: no query of its own);
    None when a contact's company is not loaded, for the caller to refresh
    from the database after."""
    related: list[str] = []
    for contact in contacts:
        if contact.company_id and not Contact.company.is_cached(contact):
            return None
        row = {f: getattr(contact, f) or "" for f in CONTACT_FIELDS if f != "company__name"}
        row["company"] = contact.company.name if contact.company_id else ""
        related += search.contact_lexemes(row)
    for company in companies:
        related += search.words(company.name)
    return search.document(name, description, related)


def refresh_search_vectors(ticket_ids, *, ticket_model=None) -> dict[int, str]:
    """Recompute the search vectors of these tickets (a few queries per batch).
    Returns them, so a caller holding a ticket can keep it current: a later
    save() writes every field back."""
    if ticket_model is None:
        from .models import Ticket as ticket_model
    ticket_ids = list(ticket_ids)
    documents = {}
    for start in range(0, len(ticket_ids), BATCH):
        batch = ticket_ids[start : start + BATCH]
        related = related_lexemes(batch, ticket_model)
        rows = [
            (pk, search.document(name, description, related.get(pk, ())))
            for pk, name, description in ticket_model.objects.filter(pk__in=batch).values_list(
                "pk", "name", "description"
            )
        ]
        _write(rows, ticket_model)
        documents.update(rows)
    return documents


def _write(rows, ticket_model) -> None:
    if not rows:
        return
    table = ticket_model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            values = ", ".join(["(%s, %s)"] * len(rows))
            cursor.execute(
                f"UPDATE {table} AS t SET search_vector = v.doc::tsvector "
                f"FROM (VALUES {values}) AS v(id, doc) WHERE t.id = v.id",
                [value for row in rows for value in row],
            )
        else:
            cursor.executemany(
                f"UPDATE {table} SET search_vector = %s WHERE id = %s",
                [(doc, pk) for pk, doc in rows],
            )


def _tickets_of(**lookup) -> list[int]:
    from .models import Ticket

    return list(Ticket.objects.filter(**lookup).values_list("pk", flat=True).distinct())


@receiver(post_save, sender=Contact, dispatch_uid="tickets.search.contact")
def contact_saved(sender, instance: Contact, created: bool, **kwargs):
    if not created:
        refresh_search_vectors(_tickets_of(contacts=instance))


@receiver(post_save, sender=Company, dispatch_uid="tickets.search.company")
def company_saved(sender, instance: Company, created: bool, **kwargs):
    if not created:
        ids = set(_tickets_of(companies=instance)) | set(_tickets_of(contacts__company=instance))
        refresh_search_vectors(sorted(ids))
