"""The customer portal's pages (issue 20): sign in by a one-time link, the
contact's requests, one request's conversation with a reply box, a new
request, closing a request. Every ticket, message and file is reached through
portal/access.py; anything else is a 404."""

import functools
import hashlib

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.core.validators import validate_email
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from channels_inbound.public import client_address, over_limit

from . import services
from .access import (
    get_attachment_for_contact,
    get_ticket_for_contact,
    public_messages,
    shares_company_tickets,
    visible_tickets_for_contact,
)
from .links import link_is_usable, link_request, link_use
from .session import portal_contact, portal_sign_in, portal_sign_out

PAGE_SIZE = 25


def contact_required(view):
    """The signed-in contact as the view's second argument; else to sign-in."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        contact = portal_contact(request)
        if contact is None:
            return redirect("portal:sign_in")
        return view(request, contact, *args, **kwargs)

    return wrapped


def _help_url() -> str:
    """The help center's address when it is installed (another app builds it)."""
    try:
        return reverse("help:home")
    except NoReverseMatch:
        return ""


def _render(request, template: str, context: dict, status: int = 200) -> HttpResponse:
    context = {"contact": portal_contact(request), "help_url": _help_url(), **context}
    response = render(request, f"portal/{template}", context, status=status)
    response["Cache-Control"] = "private, no-store"
    return response


def _limited(request, email: str) -> bool:
    """Sign-in links asked for per client address and per email address,
    counted in the store the web forms and chat share (RELIABILITY 67)."""
    per_ip = settings.HELPDESK_PORTAL_LINKS_PER_IP
    per_address = settings.HELPDESK_PORTAL_LINKS_PER_ADDRESS
    by_address = hashlib.sha256(email.strip().lower().encode()).hexdigest()
    return over_limit(
        "portal-link-ip", client_address(request), ((60, per_ip), (3600, per_ip * 10))
    ) or over_limit(
        "portal-link-address", by_address, ((900, per_address), (86400, per_address * 4))
    )


@require_http_methods(["GET", "POST"])
def sign_in(request):
    if request.method == "GET" and portal_contact(request) is not None:
        return redirect("portal:home")
    email, error = "", ""
    if request.method == "POST":
        email = request.POST.get("email", "").strip()[:254]
        try:
            validate_email(email)
        except ValidationError:
            error = _("Enter the email address you write to us from.")
        else:
            if _limited(request, email):
                return _render(request, "sign_in.html", {"email": email, "limited": True}, 429)
            link_request(email, language=get_language() or "")
            return redirect(reverse("portal:sign_in") + "?sent=1")
    return _render(
        request,
        "sign_in.html",
        {"email": email, "error": error, "sent": request.GET.get("sent") == "1"},
        status=400 if error else 200,
    )


@require_http_methods(["GET", "POST"])
def link(request, token):
    """Opening the link shows a button; pressing it signs in. A mail scanner
    that fetches every link in an email spends nothing."""
    if request.method == "POST":
        contact = link_use(token)
        if contact is not None:
            portal_sign_in(request, contact)
            return redirect("portal:home")
        return _render(request, "link.html", {"usable": False}, status=410)
    usable = link_is_usable(token)
    return _render(request, "link.html", {"usable": usable}, status=200 if usable else 410)


@require_POST
def sign_out(request):
    portal_sign_out(request)
    return redirect("portal:sign_in")


@require_GET
@contact_required
def home(request, contact):
    tickets = (
        visible_tickets_for_contact(contact)
        .only("pk", "name", "is_open", "contact_name", "last_activity_at")
        .order_by("-last_activity_at", "-id")
    )
    page = Paginator(tickets, PAGE_SIZE).get_page(request.GET.get("page"))
    return _render(
        request,
        "tickets.html",
        {"page": page, "tickets": list(page), "company": shares_company_tickets(contact)},
    )


@require_GET
@contact_required
def ticket(request, contact, pk):
    found = get_ticket_for_contact(contact, pk)
    return _ticket_page(request, contact, found)


def _ticket_page(request, contact, found, *, errors=None, text="", status=200):
    return _render(
        request,
        "ticket.html",
        {
            "ticket": found,
            "messages_": list(public_messages(found)),
            "errors": errors or {},
            "text": text,
            "may_close": found.is_open,
            "sent": request.GET.get("sent") == "1",
            "closed": request.GET.get("closed") == "1",
        },
        status=status,
    )


def _errors(error: ValidationError) -> dict:
    """Messages by field; those of no field under "form"."""
    if hasattr(error, "error_dict"):
        return {
            "form" if field == "__all__" else field: messages
            for field, messages in error.message_dict.items()
        }
    return {"form": error.messages}


@require_POST
@contact_required
def reply(request, contact, pk):
    found = get_ticket_for_contact(contact, pk)
    text = request.POST.get("text", "")
    try:
        uploads = services.clean_files(request.FILES.getlist("files"))
        message = services.portal_reply(contact=contact, ticket=found, text=text, uploads=uploads)
    except ValidationError as error:
        return _ticket_page(request, contact, found, errors=_errors(error), text=text, status=400)
    return redirect(reverse("portal:ticket", args=[message.ticket_id]) + "?sent=1#latest")


@require_POST
@contact_required
def close(request, contact, pk):
    found = get_ticket_for_contact(contact, pk)
    try:
        services.portal_close(contact=contact, ticket=found)
    except ValidationError as error:
        return _ticket_page(request, contact, found, errors=_errors(error), status=400)
    return redirect(reverse("portal:ticket", args=[found.pk]) + "?closed=1")


@require_http_methods(["GET", "POST"])
@contact_required
def new_request(request, contact):
    values, errors, status = {"subject": "", "text": ""}, {}, 200
    if request.method == "POST":
        values = {"subject": request.POST.get("subject", ""), "text": request.POST.get("text", "")}
        uploads = []
        # Every field's problem at once: the files, then the subject and text.
        try:
            uploads = services.clean_files(request.FILES.getlist("files"))
        except ValidationError as error:
            errors = _errors(error)
        try:
            services.clean_request(**values)
        except ValidationError as error:
            errors |= _errors(error)
        if not errors:
            message = services.portal_request(contact=contact, uploads=uploads, **values)
            return redirect(reverse("portal:ticket", args=[message.ticket_id]) + "?sent=1")
        status = 400
    return _render(request, "new.html", {"values": values, "errors": errors}, status=status)


@require_GET
@contact_required
def attachment(request, contact, pk):
    """A file of a public message, never run by the browser (RELIABILITY 50)."""
    found = get_attachment_for_contact(contact, pk)
    response = FileResponse(
        found.file.open("rb"),
        as_attachment=not found.is_image,
        filename=found.filename,
        content_type=found.content_type,
    )
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=3600"
    return response
