from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET

from tickets.access import get_ticket_for_user

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


@login_required
@require_GET
def record_search(request, kind):
    """Search results for a picker: in the Create ticket panel (pick into the form)
    or in a ticket's sidebar (associate with that ticket)."""
    if kind not in ("contact", "company", "deal"):
        raise Http404
    ticket = None
    if request.GET.get("ticket"):
        ticket = get_ticket_for_user(request.user, request.GET["ticket"])
    context = {
        "kind": kind,
        "records": records_matching(kind, request.GET.get("q", "")),
        "ticket": ticket,
        "view_slug": request.GET.get("view", ""),
        "query": request.GET.get("q", "").strip(),
    }
    return render(request, "crm/record_search.html", context)
