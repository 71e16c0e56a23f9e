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
        match = (
            Q(first_name__icontains=text)
            | Q(last_name__icontains=text)
            | Q(email__icontains=text)
            | Q(phone__icontains=text)
            | Q(company__name__icontains=text)
        )
        return list(Contact.objects.filter(match).select_related("company")[:RESULTS])
    if kind == "company":
        match = Q(name__icontains=text) | Q(domain__icontains=text)
        return list(Company.objects.filter(match)[:RESULTS])
    return list(Deal.objects.filter(name__icontains=text)[:RESULTS])
