"""/api/v1/tickets/{id}/messages, replies, comments and attachments: through
conversations.access and conversations.services, like the conversation pane."""

from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import File, Query, Router, Status
from ninja.files import UploadedFile

from conversations import attachments, queries, services
from conversations.access import get_attachment_for_user
from tickets.access import get_ticket_for_user
from tickets.models import Stage

from .. import serialize
from ..auth import WRITE
from ..schemas import AttachmentOut, CommentIn, MessageOut, MessagePage, ReplyIn

router = Router(tags=["Conversations"])
PAGE = 50


@router.get(
    "/tickets/{int:pk}/messages",
    response=MessagePage,
    url_name="message_list",
    summary="List a ticket's messages",
)
def message_list(request, pk: int, cursor: str = Query("", description="From `next`.")):
    """Messages and internal comments, newest first, 50 a page."""
    ticket = get_ticket_for_user(request.user, pk)
    before = int(cursor) if cursor.isdigit() else None
    page, has_earlier = queries.messages_for_ticket(ticket, before=before, limit=PAGE)
    page = list(reversed(page))
    next_cursor = str(page[-1].pk) if has_earlier and page else None
    return {
        "items": [serialize.message(m) for m in page],
        "next": serialize.next_link(request, next_cursor),
    }


def _stage(pk: int | None, ticket) -> Stage | None:
    if pk is None:
        return None
    stage = Stage.objects.filter(pk=pk, pipeline_id=ticket.pipeline_id).first()
    if stage is None:
        raise ValidationError({"stage": _("Choose a status of this ticket's pipeline.")})
    return stage


def _created(request, response: HttpResponse, message) -> Status:
    loaded = queries.message_of_ticket(message.ticket, message.pk)
    response["Location"] = reverse("api-v1:message_list", args=[message.ticket_id])
    return Status(201, serialize.message(loaded))


@router.post(
    "/tickets/{int:pk}/replies",
    response={201: MessageOut},
    auth=WRITE,
    url_name="reply_send",
    summary="Reply to the customer",
)
def reply_send(request, pk: int, payload: ReplyIn, response: HttpResponse):
    """By email (to the recipients given, or the latest message's sender), or
    on the chat or Messenger thread when the latest message came that way."""
    ticket = get_ticket_for_user(request.user, pk)
    reply_to = queries.message_of_ticket(ticket, payload.reply_to) if payload.reply_to else None
    if payload.reply_to and reply_to is None:
        raise ValidationError({"reply_to": _("That message belongs to another ticket.")})
    to = payload.to or services.default_recipients(
        ticket, reply_to or services.latest_message(ticket)
    )
    message = services.reply_send(
        actor=request.user,
        ticket=ticket,
        html=payload.html,
        to=to,
        cc=payload.cc,
        bcc=payload.bcc,
        reply_to=reply_to,
        stage=_stage(payload.stage, ticket),
        attachments=payload.attachments,
    )
    return _created(request, response, message)


@router.post(
    "/tickets/{int:pk}/comments",
    response={201: MessageOut},
    auth=WRITE,
    url_name="comment_add",
    summary="Add an internal comment",
)
def comment_add(request, pk: int, payload: CommentIn, response: HttpResponse):
    """Never sent to the customer; mentioned teammates who can see the ticket
    are told."""
    ticket = get_ticket_for_user(request.user, pk)
    message = services.comment_add(
        actor=request.user, ticket=ticket, html=payload.html, attachments=payload.attachments
    )
    return _created(request, response, message)


@router.post(
    "/tickets/{int:pk}/attachments",
    response={201: AttachmentOut},
    auth=WRITE,
    url_name="attachment_upload",
    summary="Upload a file for a reply or comment",
)
def attachment_upload(request, pk: int, file: File[UploadedFile]):
    """Multipart upload (field `file`), up to the configured size. Send its id
    in the next reply's or comment's `attachments`."""
    ticket = get_ticket_for_user(request.user, pk)
    stored = attachments.attachment_upload(user=request.user, ticket=ticket, upload=file)
    return Status(201, serialize.attachment(stored))


@router.get(
    "/attachments/{int:pk}/content",
    url_name="attachment_content",
    summary="Download a file",
    response={200: None},
)
def attachment_content(request, pk: int):
    """The file's bytes, if you may see its ticket."""
    found = get_attachment_for_user(request.user, pk)
    try:
        handle = found.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(
        handle, as_attachment=True, filename=found.filename, content_type=found.content_type
    )
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response
