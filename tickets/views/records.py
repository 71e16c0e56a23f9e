"""Contact and company pages in the workspace: who they are and their tickets,
with a way to email them (S13; the email form belongs to conversations)."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from crm.models import Company, Contact
from crm.queries import records_matching

from .. import queries
from ..access import get_ticket_for_user
from ..rendering import nav_context, render_pane


@login_required
@require_GET
def contact_record(request, pk):
    contact = get_object_or_404(Contact.objects.select_related("company"), pk=pk)
    return _record(request, "contact", contact)


@login_required
@require_GET
def company_record(request, pk):
    company = get_object_or_404(Company, pk=pk)
    return _record(request, "company", company)


def _record(request, kind: str, record) -> object:
    context = {
        "kind": kind,
        "record": record,
        "record_tickets": queries.tickets_of_record(request.user, record),
        "company_contacts": list(record.contacts.order_by("last_name", "first_name")[:50])
        if kind == "company"
        else [],
        **nav_context(request.user, None),
    }
    return render_pane(request, "tickets/record.html", context)


# The Create ticket form's field each picker fills.
PICKER_FIELDS = {"contact": "contacts", "company": "company", "deal": "deals"}


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
        "field_name": PICKER_FIELDS[kind],
        "records": records_matching(kind, request.GET.get("q", "")),
        "ticket": ticket,
        "view_slug": request.GET.get("view", ""),
        "query": request.GET.get("q", "").strip(),
    }
    return render(request, "crm/record_search.html", context)
