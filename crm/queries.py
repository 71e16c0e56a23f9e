"""Finding contacts, companies and deals for the association pickers."""

from django.db.models import Q

from .models import Company, Contact, Deal

RESULTS = 8


def records_matching(kind: str, text: str) -> list:
    """Contacts, companies or deals whose name (or a contact's email, phone or
    company) contains `text`, for the association pickers."""
    text = text.strip()[:100]
    if not text:
        return []
    if kind == "contact":
        return list(Contact.objects.filter(contact_match(text)).select_related("company")[:RESULTS])
    if kind == "company":
        return list(Company.objects.filter(company_match(text))[:RESULTS])
    return list(Deal.objects.filter(name__icontains=text)[:RESULTS])


def contact_match(text: str) -> Q:
    """Contacts whose name, email, phone or company contains `text`."""
    return (
        Q(first_name__icontains=text)
        | Q(last_name__icontains=text)
        | Q(email__icontains=text)
        | Q(phone__icontains=text)
        | Q(company__name__icontains=text)
    )


def company_match(text: str) -> Q:
    """Companies whose name or domain contains `text`."""
    return Q(name__icontains=text) | Q(domain__icontains=text)
