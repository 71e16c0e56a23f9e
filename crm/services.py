"""Changes to contacts and companies from outside the admin (the REST API).

Each checks the row as the admin's form would (model validation) and saves
it; the ticket search index follows through tickets.indexing's signals."""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Model
from django.utils.translation import gettext as _

from .models import Company, Contact
from .queries import company_match, contact_match

CONTACT_FIELDS = ("first_name", "last_name", "email", "phone", "mobile")


def _save(row: Model, values: dict[str, Any], fields: tuple[str, ...], check=None) -> Model:
    for name in fields:
        if name in values:
            value = values[name]
            if value is None:
                raise ValidationError({name: _("This field cannot be null.")})
            setattr(row, name, " ".join(str(value).split()))
    if check:
        check(row)
    row.full_clean()
    with transaction.atomic():
        row.save()
    return row


def contact_save(contact: Contact, values: dict[str, Any]) -> Contact:
    """Create or change a contact from `values` (only the keys given change).
    A contact needs a name, an email or a phone number; `company` is an id."""
    if "company" in values:
        company_id = values["company"]
        company = Company.objects.filter(pk=company_id).first() if company_id else None
        if company_id and company is None:
            raise ValidationError({"company": _("There is no company with this id.")})
        contact.company = company
    if values.get("email"):
        values = {**values, "email": values["email"].strip().lower()}
    _save(contact, values, CONTACT_FIELDS, _reachable)
    return contact


def _reachable(contact: Contact) -> None:
    if not any(getattr(contact, f) for f in CONTACT_FIELDS):
        raise ValidationError(_("A contact needs a name, an email or a phone number."))


def company_save(company: Company, values: dict[str, Any]) -> Company:
    """Create or change a company from `values` (only the keys given change)."""
    if values.get("domain"):
        values = {**values, "domain": values["domain"].strip().lower()}
    _save(company, values, ("name", "domain"))
    return company


def contact_delete(contact: Contact) -> None:
    """Remove a contact; its tickets and messages stay, without it."""
    contact.delete()


def company_delete(company: Company) -> None:
    """Remove a company; its contacts and tickets stay, without it."""
    company.delete()


def contact_search(text: str):
    return contact_match(text.strip()[:100])


def company_search(text: str):
    return company_match(text.strip()[:100])
