"""Public web forms (S12): a page per form, embeddable in other sites, whose
submissions become tickets.

The request validates the fields (a bad field re-renders with its message),
refuses bots (a honeypot field) and floods (a per-address rate limit), and
stores the submission in the inbound log, raw-first like every channel. The
worker turns it into a ticket whose first message is the submission; replies
go to the submitter by email.
"""

import base64
import json
import re
import uuid

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from conversations import services as conversation_services
from conversations.models import Channel, Message
from crm.models import Contact
from tickets import services as ticket_services
from tickets.models import PropertyDefinition, Source

from .models import CONTACT_KINDS, BlockedSender, InboundItem, WebForm, WebFormField
from .parsing import InboundParseError
from .public import frameable, rate_limited
from .store import inbound_payload, inbound_store, land

HONEYPOT = "website"
TOKEN = re.compile(r"^[0-9a-f]{32}$")


def form_class(webform: WebForm) -> type[forms.Form]:
    """A Django form with one field per WebFormField, plus the honeypot."""
    fields = {
        "token": forms.CharField(widget=forms.HiddenInput, required=False),
        HONEYPOT: forms.CharField(required=False, label=_("Leave this empty")),
    }
    for field in webform.fields.all():
        fields[f"f{field.pk}"] = _field(field)
    return type("WebFormSubmission", (forms.Form,), fields)


def _field(field: WebFormField) -> forms.Field:
    common = {"label": field.label, "help_text": field.help_text, "required": field.required}
    kind = field.kind
    if kind == WebFormField.Kind.EMAIL:
        return forms.EmailField(max_length=254, **common)
    if kind == WebFormField.Kind.MESSAGE:
        return forms.CharField(
            widget=forms.Textarea(attrs={"rows": 6}), max_length=20_000, **common
        )
    if kind == WebFormField.Kind.FILE:
        return forms.FileField(**common)
    if kind == WebFormField.Kind.PROPERTY and field.property:
        definition = field.property
        if definition.type == PropertyDefinition.Type.CHOICE:
            return forms.ChoiceField(
                choices=[("", "—"), *((c, c) for c in definition.choices)], **common
            )
        if definition.type == PropertyDefinition.Type.NUMBER:
            return forms.DecimalField(**common)
        if definition.type == PropertyDefinition.Type.DATE:
            return forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), **common)
    return forms.CharField(max_length=500, **common)


def preview_page(request, webform: WebForm, fields: list[WebFormField], problems: list[str]):
    """The form's page as a visitor will see it, drawn from settings not yet
    saved (the admin's preview): `fields` are unsaved rows in their order,
    `problems` what keeps these settings from being saved. Its Send button
    is disabled and it has nowhere to post: a preview stores nothing."""
    form_fields = {f"f{index}": _field(field) for index, field in enumerate(fields)}
    form = type("WebFormPreview", (forms.Form,), form_fields)()
    return render(
        request,
        "channels_inbound/form_page.html",
        {"webform": webform, "form": form, "preview": True, "problems": problems},
    )


@csrf_exempt  # public and unauthenticated: nothing of a session to protect
@xframe_options_exempt  # framing is decided per form, in the CSP below
@require_http_methods(["GET", "POST"])
def form_page(request, slug):
    webform = get_object_or_404(
        WebForm.objects.prefetch_related("fields__property"), slug=slug, is_active=True
    )
    if request.method == "POST":
        origin = request.headers.get("Origin")
        own = f"{request.scheme}://{request.get_host()}"
        if origin and origin not in (own, *webform.origins):
            return HttpResponse(_("This form cannot be sent from that site."), status=403)
        if rate_limited(request):
            return _page(request, webform, None, status=429, limited=True)
        form = form_class(webform)(request.POST, request.FILES)
        if form.is_valid() and _says_who_and_what(webform, form):
            if form.cleaned_data[HONEYPOT]:
                # A bot filled the invisible field: answer as if all went well.
                return redirect(_thanks_url(request, webform))
            try:
                _store(webform, form, request)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                return redirect(_thanks_url(request, webform))
        return _page(request, webform, form, status=400)
    form = form_class(webform)(initial={"token": uuid.uuid4().hex})
    return _page(request, webform, form)


def _says_who_and_what(webform: WebForm, form: forms.Form) -> bool:
    """A submission must say who wrote and what they want, whatever the form's
    fields require (a form saved before the admin checked it, or changed
    through the ORM): otherwise the fields get errors and nothing is stored."""
    fields = list(webform.fields.all())
    filled = {
        field.kind for field in fields if form.cleaned_data.get(f"f{field.pk}") not in (None, "")
    }
    contact = [f for f in fields if f.kind in CONTACT_KINDS]
    message = [f for f in fields if f.kind == WebFormField.Kind.MESSAGE]
    if not contact or not message:
        form.add_error(
            None, _("This form cannot take messages yet. Please contact us another way.")
        )
        return False
    if not filled & set(CONTACT_KINDS):
        form.add_error(f"f{contact[0].pk}", _("Tell us how to reach you."))
    if WebFormField.Kind.MESSAGE not in filled:
        form.add_error(f"f{message[0].pk}", _("Write your message."))
    return not form.errors


def _thanks_url(request, webform) -> str:
    embed = "&embed=1" if request.GET.get("embed") else ""
    return f"{request.path}?sent=1{embed}"


def _page(request, webform, form, status=200, limited=False) -> HttpResponse:
    response = render(
        request,
        "channels_inbound/form_page.html",
        {
            "webform": webform,
            "form": form,
            "sent": request.GET.get("sent") == "1",
            "embed": bool(request.GET.get("embed")),
            "limited": limited,
            "honeypot": HONEYPOT,
        },
        status=status,
    )
    return frameable(response, webform.origins, scripts=False)


def _store(webform: WebForm, form: forms.Form, request) -> InboundItem:
    """Write the submission to the inbound log: values by field, files inline."""
    values, files = {}, []
    total = 0
    for field in webform.fields.all():
        value = form.cleaned_data.get(f"f{field.pk}")
        if field.kind == WebFormField.Kind.FILE:
            if value:
                total += value.size
                if value.size > settings.HELPDESK_ATTACHMENT_MAX_BYTES or total > (
                    settings.HELPDESK_MESSAGE_MAX_BYTES
                ):
                    raise ValidationError(
                        _("Files can add up to %(limit)d MB."),
                        params={"limit": settings.HELPDESK_MESSAGE_MAX_BYTES // 2**20},
                    )
                files.append(
                    {"name": value.name, "data": base64.b64encode(value.read()).decode("ascii")}
                )
        elif value not in (None, ""):
            values[str(field.pk)] = str(value).replace("\x00", "")
    token = form.cleaned_data.get("token") or ""
    payload = {"form": webform.pk, "values": values, "files": files}
    item, _created = inbound_store(
        source=InboundItem.Source.FORM,
        payload=json.dumps(payload).encode(),
        content_type="application/json",
        # The page's one-time token: a double click stores one submission.
        event_id=token if TOKEN.match(token) else "",
    )
    return item


def form_deliver(item: InboundItem) -> None:
    """The worker's part: a ticket from a stored submission."""
    try:
        payload = json.loads(inbound_payload(item))
        webform = WebForm.objects.get(pk=payload["form"])
        values, files = payload["values"], payload.get("files", [])
    except (ValueError, KeyError, TypeError, WebForm.DoesNotExist):
        raise FormPayloadError("The stored submission cannot be read.") from None
    fields = {str(f.pk): f for f in webform.fields.select_related("property")}
    by_kind = {}
    properties, lines = {}, []
    for pk, value in values.items():
        field = fields.get(pk)
        if field is None:
            continue
        by_kind.setdefault(field.kind, value)
        if field.kind == WebFormField.Kind.PROPERTY and field.property:
            properties[field.property.key] = value
        if field.kind != WebFormField.Kind.MESSAGE:
            lines.append((field.label, value))
    email = by_kind.get(WebFormField.Kind.EMAIL, "")
    contact = None
    if email:
        contact = Contact.objects.oldest_with_email(email)
        if contact is None:
            contact = Contact.objects.create(
                email=email,
                first_name=by_kind.get(WebFormField.Kind.FIRST_NAME, "")[:100],
                last_name=by_kind.get(WebFormField.Kind.LAST_NAME, "")[:100],
                phone=by_kind.get(WebFormField.Kind.PHONE, "")[:40],
            )
    name = by_kind.get(WebFormField.Kind.SUBJECT) or webform.name
    try:
        properties = ticket_services.clean_properties(properties)
    except ValidationError:
        properties = {}  # definitions changed since the page was shown: keep the text only
    landing = land(item, webform)
    ticket = ticket_services.ticket_create(
        actor=None,
        name=name[:255],
        pipeline=landing.pipeline,
        stage=landing.stage,
        team=webform.team,
        source=Source.FORM,
        properties=properties,
        contacts=[contact] if contact else [],
    )
    if email and BlockedSender.objects.blocks(email):
        ticket = ticket_services.ticket_mark_spam(actor=None, ticket=ticket)
    message_text = by_kind.get(WebFormField.Kind.MESSAGE, "")
    details = "".join(f"<li><b>{escape(label)}</b>: {escape(value)}</li>" for label, value in lines)
    html = "".join(f"<p>{escape(p)}</p>" for p in message_text.split("\n\n") if p.strip())
    html += f"<ul>{details}</ul>" if details else ""
    sender = " ".join(v for v in (by_kind.get("first_name", ""), by_kind.get("last_name", "")) if v)
    message = conversation_services.message_receive(
        ticket=ticket,
        thread=None,
        channel=Channel.FORM,
        contact=contact,
        from_name=sender or email,
        from_email=email,
        to=[],
        cc=[],
        subject=name,
        html=html or "<p></p>",
        text="",
        files=[
            conversation_services.InboundFile(f["name"], "", base64.b64decode(f["data"]))
            for f in files
        ],
        joined_by=Message.JoinedBy.NEW,
    )
    item.ticket, item.message = ticket, message
    item.status = InboundItem.Status.DONE
    item.disposition = f"web form “{webform.name}”: new ticket"


class FormPayloadError(InboundParseError):
    pass
