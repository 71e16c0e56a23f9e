"""Reply, comment and draft endpoints of the conversation pane (S16-S25)."""

import re

from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.db.models.functions import Lower
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_POST

from crm.models import Company, Contact
from crm.queries import records_matching
from tickets.access import get_ticket_for_user, users_who_see, visible_tickets
from tickets.forms import StageChangeForm, attach_errors
from tickets.views.workspace import detail_changed_response

from .. import attachments, outbox, services
from ..access import get_attachment_for_user, get_message_for_user
from ..forms import DraftForm, EditorForm, NewContactForm, RecordEmailForm, ReplyForm
from ..inserts import inserts_for
from ..models import Attachment, Draft, Notification
from ..presence import presence_ping
from ..queries import (
    EARLIER_PAGE,
    comments_allowed,
    conversation_for,
    message_of_ticket,
    messages_for_ticket,
    messages_since,
)
from ..recommend import recommendations_for
from ..sanitize import clean_inbound_html

COMPOSER = "conversations/conversation.html"


def _composer(request, ticket, partial: str, **extra) -> HttpResponse:
    """The editor again, with the agent's input and what went wrong; htmx puts it
    in place of the editor instead of the whole pane."""
    context = {
        "ticket": ticket,
        "view_slug": request.POST.get("view", ""),
        "stages": list(ticket.pipeline.stages.all()),
        "conversation": conversation_for(request.user, ticket, posted=request.POST),
        **extra,
    }
    response = render(request, f"{COMPOSER}#{partial}", context)
    response["HX-Retarget"] = f"#{partial}"
    response["HX-Reswap"] = "outerHTML"
    return response


@login_required
@require_POST
def reply_send(request, pk):
    """Send a reply, optionally setting the status in the same action (S20)."""
    ticket = get_ticket_for_user(request.user, pk)
    form = ReplyForm(request.POST)
    if not form.is_valid():
        return _composer(request, ticket, "composer-reply", reply_form=form)
    data = form.cleaned_data
    stage = data["stage"]
    # A status of another pipeline (the ticket moved since the page was shown)
    # goes on to the service, which refuses it with a message by the picker.
    # Without one, the pipeline's automatic status asks for what it requires
    # like a chosen one (S21): the agent can fill it in, not only read why.
    asking = stage if stage is not None else ticket.pipeline.stage_on_agent_reply
    same_pipeline = asking is not None and asking.pipeline_id == ticket.pipeline_id
    stage_form = None
    if same_pipeline:
        posted = request.POST.copy()
        posted["stage"] = asking.pk
        stage_form = StageChangeForm(posted, ticket=ticket, stage=asking)
    if stage_form and len(stage_form.fields) > 1 and not stage_form.is_valid():
        # A conditional status asks for its properties before anything is sent (S7).
        return _composer(request, ticket, "composer-reply", reply_form=form, stage_form=stage_form)
    try:
        services.reply_send(
            actor=request.user,
            ticket=ticket,
            html=data["html"],
            to=data["to"],
            cc=data["cc"],
            bcc=data["bcc"],
            from_address=data["from_address"],
            reply_to=message_of_ticket(ticket, data["reply_to"]),
            stage=stage,
            stage_values={**stage_form.builtin_values(), **stage_form.custom_properties()}
            if stage_form and stage_form.is_valid()
            else None,
            seen_message_id=data["seen"],
            attachments=request.POST.getlist("attachments"),
        )
    except services.Collision as collision:
        return _composer(
            request, ticket, "composer-reply", reply_form=form, collision=collision.messages
        )
    except ValidationError as error:
        attach_errors(form, error)
        return _composer(request, ticket, "composer-reply", reply_form=form)
    return detail_changed_response(request, ticket, toast="sent")


@login_required
@require_POST
def comment_add(request, pk):
    """Add an internal comment (S24)."""
    ticket = get_ticket_for_user(request.user, pk)
    if not comments_allowed(ticket, request.user):
        raise Http404  # S25: not before an email to the caller
    form = EditorForm(request.POST)
    if form.is_valid():
        try:
            services.comment_add(
                actor=request.user,
                ticket=ticket,
                html=form.cleaned_data["html"],
                seen_message_id=form.cleaned_data["seen"],
                attachments=request.POST.getlist("attachments"),
            )
        except services.Collision as collision:
            return _composer(
                request, ticket, "composer-comment", comment_form=form, collision=collision.messages
            )
        except ValidationError as error:
            attach_errors(form, error)
        else:
            return detail_changed_response(request, ticket, toast="commented")
    return _composer(request, ticket, "composer-comment", comment_form=form)


@login_required
@require_POST
def draft_save(request, pk):
    """Autosave of the editor (S19). Answers 204: nothing on screen changes,
    except on a call ticket whose first reply this draft is (S25): then comments
    open, and the answer carries the Comment tab and its editor, swapped in
    out of band."""
    ticket = get_ticket_for_user(request.user, pk)
    form = DraftForm(request.POST)
    if not form.is_valid():
        return HttpResponse(status=400)
    data = form.cleaned_data
    comments_closed = data["kind"] == Draft.Kind.REPLY and not comments_allowed(
        ticket, request.user
    )
    draft = services.draft_save(
        user=request.user,
        ticket=ticket,
        kind=data["kind"],
        html=data["html"],
        seen_message_id=data["seen"],
        **(
            {
                "to": data["to"],
                "cc": data["cc"],
                "bcc": data["bcc"],
                "from_address": data["from_address"],
                "reply_to": message_of_ticket(ticket, data["reply_to"]),
            }
            if data["kind"] == Draft.Kind.REPLY
            else {}
        ),
    )
    if comments_closed and draft is not None:
        context = {
            "ticket": ticket,
            "view_slug": request.POST.get("view", ""),
            "oob": True,
            "conversation": {
                "comments_allowed": True,
                "seen_message_id": "" if data["seen"] is None else data["seen"],
                "uploads": {"comment": []},
            },
        }
        return render(request, f"{COMPOSER}#comments-opened", context)
    return HttpResponse(status=204)


MENTION_RESULTS = 8


@login_required
@require_GET
def mention_search(request, pk):
    """Teammates to mention in a comment on ticket `pk`: only those who can see it."""
    ticket = get_ticket_for_user(request.user, pk)
    text = request.GET.get("q", "").strip()[:50]
    candidates = users_who_see(ticket).exclude(pk=request.user.pk)
    if text:
        candidates = candidates.filter(
            Q(first_name__istartswith=text)
            | Q(last_name__istartswith=text)
            | Q(username__istartswith=text)
        )
    users = list(candidates.order_by("first_name", "last_name")[:MENTION_RESULTS])
    return render(request, "conversations/mention_results.html", {"users": users})


def _notifications_for(user):
    """The user's notifications on tickets they can still see (S3)."""
    return Notification.objects.filter(user=user, ticket__in=visible_tickets(user))


@login_required
@require_GET
def notification_list(request):
    notifications = list(
        _notifications_for(request.user).select_related(
            "actor", "ticket", "message__thread", "message__author"
        )[:20]
    )
    return render(request, "conversations/notifications.html", {"notifications": notifications})


@login_required
@require_GET
def notification_count(request):
    unread = _notifications_for(request.user).filter(read_at__isnull=True).count()
    return render(request, "conversations/notifications.html#unread-count", {"unread": unread})


@login_required
@require_GET
def notification_open(request, pk):
    """Mark read and open the conversation at the comment."""
    notification = get_object_or_404(_notifications_for(request.user), pk=pk)
    Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
        read_at=timezone.now()
    )
    url = reverse("tickets:ticket_open", args=[notification.ticket_id])
    return redirect(f"{url}#message-{notification.message_id}" if notification.message_id else url)


@login_required
@require_POST
def attachment_upload(request, pk):
    """One file for the message being written. Answers with its chip, or 400 and a
    sentence saying why (too big, too many)."""
    ticket = get_ticket_for_user(request.user, pk)
    upload = request.FILES.get("file")
    if upload is None:
        return HttpResponse(_("Choose a file to attach."), status=400, content_type="text/plain")
    try:
        attachment = attachments.attachment_upload(user=request.user, ticket=ticket, upload=upload)
    except ValidationError as error:
        return HttpResponse(error.messages[0], status=400, content_type="text/plain")
    return render(request, "conversations/conversation.html#upload-chip", {"a": attachment})


@login_required
@require_GET
def attachment_download(request, pk):
    """A file, for users who can see its ticket (S3); a pending upload only for
    whoever uploaded it. Never rendered by the browser unless a raster image."""
    return _file_response(get_attachment_for_user(request.user, pk))


def _file_response(attachment: Attachment) -> FileResponse:
    """The file with headers that keep the browser from running it (RELIABILITY 50)."""
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=not attachment.is_image,
        filename=attachment.filename,
        content_type=attachment.content_type,
    )
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=3600"
    return response


@login_required
@require_POST
def presence(request, pk):
    """A ping from an open ticket every few seconds; answers with the teammates
    also there, and whether messages arrived since the agent's latest one.
    A ticket deleted, merged or moved out of the agent's sight meanwhile ends
    the polling (HTTP 286) with a sentence saying so."""
    try:
        ticket = get_ticket_for_user(request.user, pk)
    except Http404:
        ticket = None
    if ticket is None or ticket.merged_into_id:
        context = {"merged_into": ticket.merged_into_id if ticket else None}
        return render(request, f"{COMPOSER}#presence-gone", context, status=286)
    others = presence_ping(
        ticket_id=ticket.pk, user=request.user, state=request.POST.get("state", "")
    )
    seen = request.POST.get("seen", "")
    newer = messages_since(ticket, int(seen), request.user) if seen.isdigit() else 0
    return render(
        request,
        "conversations/conversation.html#presence",
        {
            "ticket": ticket,
            "others": others,
            "newer": newer,
            "presence_view": _view_slug(request),
            "polled": True,
        },
    )


def _view_slug(request) -> str:
    """The workspace view the ticket is open in (a slug, else "mine")."""
    slug = request.POST.get("view", "")
    return slug if re.fullmatch(r"[-a-z0-9]{1,50}", slug) else "mine"


@login_required
@require_GET
def insert_search(request, pk):
    """The Insert menu's results for ticket `pk`, placeholders filled for it."""
    ticket = get_ticket_for_user(request.user, pk)
    results = inserts_for(ticket, request.user, request.GET.get("q", ""))
    return render(request, "conversations/insert_results.html", {"results": results})


@login_required
@require_GET
def earlier_messages(request, pk):
    """The messages before `before` in a long thread, oldest first."""
    ticket = get_ticket_for_user(request.user, pk)
    before = request.GET.get("before", "")
    if not before.isdigit():
        raise Http404
    messages, has_earlier = messages_for_ticket(ticket, before=int(before), limit=EARLIER_PAGE)
    return render(
        request,
        "conversations/conversation.html#earlier",
        {
            "ticket": ticket,
            "conversation": {"messages": messages, "has_earlier": has_earlier},
        },
    )


def _visitor_message(request, pk):
    message = get_message_for_user(request.user, pk)
    if not message.is_inbound or message.contact_id:
        raise Http404
    return message


@login_required
@require_GET
def visitor_search(request, pk):
    """Contacts to link an unknown visitor's message to (S22); with `panel`, the
    linking form itself (loaded when the agent first opens it)."""
    message = _visitor_message(request, pk)
    if request.GET.get("panel"):
        return render(
            request, "conversations/visitor.html#visitor-form", {"message": message, "open": True}
        )
    return render(
        request,
        "conversations/visitor.html#visitor-results",
        {
            "message": message,
            "records": records_matching("contact", request.GET.get("q", "")),
            "query": request.GET.get("q", "").strip(),
        },
    )


@login_required
@require_POST
def visitor_associate(request, pk):
    """Link the visitor to the chosen contact, or to a new one made here."""
    message = _visitor_message(request, pk)
    contact = None
    if request.POST.get("contact"):
        contact = get_object_or_404(Contact, pk=_digits(request.POST["contact"]))
        services.visitor_associate(actor=request.user, message=message, contact=contact)
    else:
        form = NewContactForm(request.POST)
        if not form.is_valid():
            response = render(
                request,
                "conversations/visitor.html#visitor-form",
                {"message": message, "new_contact_form": form},
            )
            response["HX-Retarget"] = f"#visitor-{message.pk}"
            response["HX-Reswap"] = "outerHTML"
            return response
        services.visitor_associate(
            actor=request.user, message=message, new_contact=form.cleaned_data
        )
    return detail_changed_response(request, message.ticket)


def _digits(value: str) -> int:
    if not str(value).isdigit():
        raise Http404
    return int(value)


@login_required
@require_GET
def recommendations(request, pk):
    """Suggested answers for the open ticket (S23), loaded after the ticket so
    they never slow it down."""
    ticket = get_ticket_for_user(request.user, pk)
    messages, _has_earlier = messages_for_ticket(ticket, limit=5)
    return render(
        request,
        "conversations/conversation.html#recommendations",
        {
            "recommendations": recommendations_for(ticket, request.user, messages),
        },
    )


INLINE_IMAGE_MAX_AGE = 6 * 3600
_inline_signer = signing.TimestampSigner(salt="conversations.inline-image")


@login_required
@require_GET
@xframe_options_sameorigin
def message_original(request, pk):
    """An inbound message with its own formatting, as a document for a sandboxed
    frame (RELIABILITY 40): no scripts, no same origin, styles that cannot fetch,
    and remote images only when the agent asked (`?images=1`). The frame cannot
    send our session cookie, so its inline images use short-lived signed URLs."""
    message = get_message_for_user(request.user, pk, prefetch=("attachments",))
    if not message.is_inbound:
        raise Http404
    remote = request.GET.get("images") == "1"
    images = {
        a.content_id: reverse(
            "conversations:attachment_inline", args=[a.pk, _inline_signer.sign(str(a.pk))]
        )
        for a in message.attachments.all()
        if a.content_id and a.is_image
    }
    body = clean_inbound_html(
        message.html + message.quoted_html, images, styles=True, remote=remote
    )
    response = render(request, "conversations/original.html", {"body": mark_safe(body.html)})
    origin = f"{request.scheme}://{request.get_host()}"
    response["Content-Security-Policy"] = "; ".join(
        [
            "sandbox allow-popups allow-popups-to-escape-sandbox",
            "default-src 'none'",
            "style-src 'unsafe-inline'",
            f"img-src {origin} data:" + (" https: http:" if remote else ""),
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'self'",
        ]
    )
    response["Referrer-Policy"] = "no-referrer"
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
def attachment_inline(request, pk, token):
    """An inline image for the sandboxed frame, by signed URL (it expires)."""
    try:
        signed_pk = _inline_signer.unsign(token, max_age=INLINE_IMAGE_MAX_AGE)
    except signing.BadSignature:
        raise Http404 from None
    if signed_pk != str(pk):
        raise Http404
    attachment = get_object_or_404(Attachment, pk=pk, message__isnull=False)
    if not attachment.is_image:
        raise Http404
    return _file_response(attachment)


@login_required
@require_GET
def message_frame(request, pk):
    """Open (or close) the isolated frame with a message's original formatting."""
    message = get_message_for_user(request.user, pk)
    if not message.is_inbound:
        raise Http404
    partial = "message-frame-closed" if request.GET.get("close") else "message-frame"
    return render(
        request,
        f"{COMPOSER}#{partial}",
        {"message": message, "remote": request.GET.get("images") == "1"},
    )


@login_required
@require_POST
def message_resend(request, pk):
    """Send a reply again after the outbox gave up on it (RELIABILITY 17)."""
    message = get_message_for_user(request.user, pk, related=("outbound", "messenger"))
    ticket = message.ticket
    if message.delivery is None:
        raise Http404
    outbox.outbox_retry(message.delivery)
    message = messages_for_ticket(ticket, before=message.pk + 1, limit=1)[0][0]
    return render(request, f"{COMPOSER}#message", {"ticket": ticket, "m": message})


@login_required
@require_POST
def message_move(request, pk):
    """Move a customer's message that joined the wrong ticket to a new ticket,
    or to the ticket numbered in `to` (ARCHITECTURE rule 3)."""
    message = get_message_for_user(request.user, pk, related=("thread",))
    ticket = message.ticket
    number = request.POST.get("to", "").strip().lstrip("#")
    error = ""
    target = None
    if number:
        try:
            target = get_ticket_for_user(request.user, int(number))
        except (ValueError, Http404):
            error = _("There is no ticket #%(number)s that you can open.") % {"number": number[:12]}
    if not error:
        try:
            services.message_move(actor=request.user, message=message, to_ticket=target)
        except ValidationError as invalid:
            error = invalid.messages[0]
    if not error:
        return detail_changed_response(request, ticket, toast="moved")
    message = messages_for_ticket(ticket, before=message.pk + 1, limit=1)[0][0]
    response = render(
        request,
        f"{COMPOSER}#message",
        {"ticket": ticket, "m": message, "move_error": error, "move_to": number[:12]},
    )
    response["HX-Retarget"] = f"#message-{message.pk}"
    response["HX-Reswap"] = "outerHTML"
    return response


RECORD_KINDS = {"contact": Contact, "company": Company}


@login_required
def record_email(request, kind, pk):
    """Email a contact or company from its page; sending starts a ticket (S13)."""
    if kind not in RECORD_KINDS:
        raise Http404
    record = get_object_or_404(RECORD_KINDS[kind], pk=pk)
    recipients = [record] if kind == "contact" else list(record.contacts.exclude(email="")[:1])
    if request.method == "POST":
        form = RecordEmailForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                ticket = services.ticket_start_by_email(
                    actor=request.user,
                    subject=data["subject"],
                    html=data["html"],
                    to=data["to"],
                    cc=data["cc"],
                    bcc=data["bcc"],
                    from_address=data["from_address"],
                    contacts=_contacts_addressed(record, kind, data),
                    companies=[record]
                    if kind == "company"
                    else [c.company for c in recipients if c.company_id],
                )
            except ValidationError as error:
                attach_errors(form, error)
            else:
                response = HttpResponse(status=204)
                response["HX-Redirect"] = reverse("tickets:ticket_open", args=[ticket.pk])
                return response
    elif request.method == "GET":
        sender = services.default_from_address(request.user, None)
        form = RecordEmailForm(
            initial={
                "to": ", ".join(c.email for c in recipients if c.email),
                "from_address": sender.pk if sender else None,
            }
        )
    else:
        return HttpResponse(status=405, headers={"Allow": "GET, POST"})
    return render(
        request,
        "conversations/record_email.html",
        {
            "form": form,
            "kind": kind,
            "record": record,
            "from_addresses": services.sending_addresses(),
        },
    )


def _contacts_addressed(record, kind: str, data: dict) -> list[Contact]:
    """The contact of the page, or the company's contacts the email goes to."""
    if kind == "contact":
        return [record]
    addresses = {a.lower() for a in [*data["to"], *data["cc"], *data["bcc"]]}
    return list(record.contacts.annotate(address=Lower("email")).filter(address__in=addresses))
