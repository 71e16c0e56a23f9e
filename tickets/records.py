"""Contact and company pages in the workspace: who they are and their tickets,
with a way to email them (S13; the email form belongs to conversations)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_GET

from crm.models import Company, Contact

from . import queries
from .rendering import nav_context, render_pane


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
