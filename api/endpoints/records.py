"""/api/v1/contacts and /api/v1/companies: search, find by email or domain,
create, read, update and delete (admin scope), and each record's tickets
that you may see."""

from django.http import Http404, HttpResponse
from django.urls import reverse
from ninja import Query, Router, Status

from crm import services
from crm.models import Company, Contact
from tickets import queries
from tickets.access import visible_tickets

from .. import serialize
from ..auth import ADMIN, WRITE
from ..schemas import (
    CompanyIn,
    CompanyOut,
    CompanyPage,
    CompanyPatch,
    ContactIn,
    ContactOut,
    ContactPage,
    ContactPatch,
    TicketPage,
)
from .tickets import _rows

router = Router(tags=["Contacts and companies"])
PAGE = 50


def _page(request, rows, cursor: str, limit: int, shape):
    after = int(cursor) if cursor.isdigit() else 0
    found = list(rows.filter(pk__gt=after).order_by("pk")[: limit + 1])
    next_cursor = str(found[limit - 1].pk) if len(found) > limit else None
    return {
        "items": [shape(r) for r in found[:limit]],
        "next": serialize.next_link(request, next_cursor),
    }


def _contact(pk: int) -> Contact:
    found = Contact.objects.select_related("company").filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


def _company(pk: int) -> Company:
    found = Company.objects.filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


def _tickets_of(request, record) -> dict:
    ids = [t.pk for t in queries.tickets_of_record(request.user, record)]
    rows = _rows(visible_tickets(request.user).filter(pk__in=ids)).order_by(
        "-last_activity_at", "-id"
    )
    return {"items": [serialize.ticket(r) for r in rows], "next": None}


@router.get("/contacts", response=ContactPage, url_name="contact_list", summary="List contacts")
def contact_list(
    request,
    q: str = Query("", description="Words of the name, email or phone."),
    email: str = Query("", description="Contacts with exactly this email (any case)."),
    cursor: str = Query(""),
    limit: int = Query(PAGE, ge=1, le=100),
):
    rows = Contact.objects.select_related("company")
    if email:
        rows = rows.with_email(email.strip())
    if q:
        rows = rows.filter(services.contact_search(q))
    return _page(request, rows, cursor, limit, serialize.contact)


@router.post(
    "/contacts",
    response={201: ContactOut},
    auth=WRITE,
    url_name="contact_create",
    summary="Create a contact",
)
def contact_create(request, payload: ContactIn, response: HttpResponse):
    contact = services.contact_save(Contact(), payload.dict())
    response["Location"] = reverse("api-v1:contact_get", args=[contact.pk])
    return Status(201, serialize.contact(_contact(contact.pk)))


@router.get(
    "/contacts/{int:pk}", response=ContactOut, url_name="contact_get", summary="Get a contact"
)
def contact_get(request, pk: int):
    return serialize.contact(_contact(pk))


@router.patch(
    "/contacts/{int:pk}",
    response=ContactOut,
    auth=WRITE,
    url_name="contact_update",
    summary="Update a contact",
)
def contact_update(request, pk: int, payload: ContactPatch):
    services.contact_save(_contact(pk), payload.dict(exclude_unset=True))
    return serialize.contact(_contact(pk))


@router.delete(
    "/contacts/{int:pk}",
    response={204: None},
    auth=ADMIN,
    url_name="contact_delete",
    summary="Delete a contact",
)
def contact_delete(request, pk: int):
    """Super admins, with a token of the admin scope. Its tickets stay."""
    services.contact_delete(_contact(pk))
    return Status(204, None)


@router.get(
    "/contacts/{int:pk}/tickets",
    response=TicketPage,
    url_name="contact_tickets",
    summary="A contact's tickets",
)
def contact_tickets(request, pk: int):
    """The contact's latest 50 tickets that you may see."""
    return _tickets_of(request, _contact(pk))


@router.get("/companies", response=CompanyPage, url_name="company_list", summary="List companies")
def company_list(
    request,
    q: str = Query("", description="Words of the name or domain."),
    domain: str = Query("", description="Companies with exactly this domain (any case)."),
    cursor: str = Query(""),
    limit: int = Query(PAGE, ge=1, le=100),
):
    rows = Company.objects.all()
    if domain:
        rows = rows.with_domain(domain.strip())
    if q:
        rows = rows.filter(services.company_search(q))
    return _page(request, rows, cursor, limit, serialize.company)


@router.post(
    "/companies",
    response={201: CompanyOut},
    auth=WRITE,
    url_name="company_create",
    summary="Create a company",
)
def company_create(request, payload: CompanyIn, response: HttpResponse):
    company = services.company_save(Company(), payload.dict())
    response["Location"] = reverse("api-v1:company_get", args=[company.pk])
    return Status(201, serialize.company(company))


@router.get(
    "/companies/{int:pk}", response=CompanyOut, url_name="company_get", summary="Get a company"
)
def company_get(request, pk: int):
    return serialize.company(_company(pk))


@router.patch(
    "/companies/{int:pk}",
    response=CompanyOut,
    auth=WRITE,
    url_name="company_update",
    summary="Update a company",
)
def company_update(request, pk: int, payload: CompanyPatch):
    return serialize.company(services.company_save(_company(pk), payload.dict(exclude_unset=True)))


@router.delete(
    "/companies/{int:pk}",
    response={204: None},
    auth=ADMIN,
    url_name="company_delete",
    summary="Delete a company",
)
def company_delete(request, pk: int):
    """Super admins, with a token of the admin scope. Its contacts and tickets stay."""
    services.company_delete(_company(pk))
    return Status(204, None)


@router.get(
    "/companies/{int:pk}/tickets",
    response=TicketPage,
    url_name="company_tickets",
    summary="A company's tickets",
)
def company_tickets(request, pk: int):
    """The company's latest 50 tickets that you may see."""
    return _tickets_of(request, _company(pk))
