"""What a signed-in contact does in the portal: reply, open a request, close
a request. Messages go through the same service as every channel's
(conversations.services.message_receive, ARCHITECTURE rule 3), on the email
conversation of the ticket, so a reply from the portal lands where the
customer's email reply would, and the agent's answer goes out by email as
usual. A reply to a closed ticket follows the pipeline's rule for replies to
closed tickets, exactly as an email would.

Stored in the request rather than raw-first through the inbound log: the
customer is signed in and waits for the page, and the message, its files and
the ticket commit or fail together before it answers.
"""

from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.html import escape
from django.utils.translation import gettext as _

from channels_inbound.mail import closed_ticket_reply
from channels_inbound.models import BlockedSender
from conversations import services as conversation_services
from conversations.models import Channel, Message, Thread
from crm.models import Contact
from tickets import services as ticket_services
from tickets.models import Source, Stage, Ticket, TicketEvent

from .models import PortalSettings

MAX_TEXT = 20_000
MAX_FILES = 10
# The channels whose conversation takes a reply from the portal: email (and
# a web form's, which is answered by email). Chat and Messenger answers go
# to their own window, which the portal is not.
EMAIL_CHANNELS = (Channel.EMAIL, Channel.FORM)


@dataclass
class Upload:
    name: str
    data: bytes


def _html(text: str) -> str:
    paragraphs = [p.strip() for p in text.replace("\r\n", "\n").split("\n\n") if p.strip()]
    return "".join(f"<p>{escape(p).replace(chr(10), '<br>')}</p>" for p in paragraphs)


def clean_text(text: str) -> str:
    text = (text or "").replace("\x00", "").strip()
    if not text:
        raise ValidationError({"text": _("Write your message.")})
    if len(text) > MAX_TEXT:
        raise ValidationError(
            {"text": _("Keep your message under %(limit)d characters.") % {"limit": MAX_TEXT}}
        )
    return text


def clean_files(files) -> list[Upload]:
    """The uploaded files, read, within the limits every channel keeps."""
    if len(files) > MAX_FILES:
        raise ValidationError(
            {"files": _("Attach at most %(count)d files.") % {"count": MAX_FILES}}
        )
    total, uploads = 0, []
    for file in files:
        total += file.size
        if file.size > settings.HELPDESK_ATTACHMENT_MAX_BYTES or (
            total > settings.HELPDESK_MESSAGE_MAX_BYTES
        ):
            raise ValidationError(
                {
                    "files": _("Files can add up to %(limit)d MB.")
                    % {"limit": settings.HELPDESK_MESSAGE_MAX_BYTES // 2**20}
                }
            )
        uploads.append(Upload(file.name or "file", file.read()))
    return uploads


def _email_thread(ticket: Ticket, contact: Contact) -> Thread | None:
    """The conversation the contact's email reply would join: the one of
    their latest email on the ticket, else the ticket's latest email
    conversation; None opens a new one."""
    latest = (
        Message.objects.filter(ticket=ticket, contact=contact, thread__channel__in=EMAIL_CHANNELS)
        .order_by("-created_at", "-id")
        .select_related("thread")
        .first()
    )
    if latest is not None:
        return latest.thread
    return ticket.threads.filter(channel__in=EMAIL_CHANNELS).order_by("-created_at", "-id").first()


def _receive(ticket, thread, contact, subject, text, uploads, **extra) -> Message:
    return conversation_services.message_receive(
        ticket=ticket,
        thread=thread,
        channel=Channel.EMAIL,
        contact=contact,
        from_name=contact.display_name,
        from_email=contact.email,
        to=[],
        cc=[],
        subject=subject,
        html=_html(text),
        text="",
        files=[conversation_services.InboundFile(u.name, "", u.data) for u in uploads],
        **extra,
    )


def portal_reply(
    *, contact: Contact, ticket: Ticket, text: str, uploads: list[Upload] = ()
) -> Message:
    """The contact's reply on `ticket` (one they may see). On a closed ticket
    the pipeline decides: reopened, or a new ticket linked to it."""
    text = clean_text(text)
    with transaction.atomic(), _by(contact):
        ticket = Ticket.objects.select_related("pipeline", "stage").get(pk=ticket.pk)
        thread = _email_thread(ticket, contact)
        if not ticket.is_open:
            reopened, thread, _reason = closed_ticket_reply(ticket, thread, "")
            if reopened is None:
                return _new_ticket(
                    contact,
                    ticket.name,
                    text,
                    uploads,
                    follow_up_of=ticket,
                )
            ticket = reopened
        if not ticket.contacts.filter(pk=contact.pk).exists():
            ticket_services.ticket_associate(actor=None, ticket=ticket, record=contact)
        return _receive(
            ticket,
            thread,
            contact,
            _("Re: %(subject)s") % {"subject": ticket.name},
            text,
            uploads,
        )


def clean_request(subject: str, text: str) -> tuple[str, str]:
    """A new request's subject and text, each field's problem told at once."""
    subject = (subject or "").replace("\x00", "").strip()
    errors = {}
    if not subject:
        errors["subject"] = [_("Give your request a subject.")]
    try:
        text = clean_text(text)
    except ValidationError as error:
        errors |= error.message_dict
    if errors:
        raise ValidationError(errors)
    return subject, text


def portal_request(
    *, contact: Contact, subject: str, text: str, uploads: list[Upload] = ()
) -> Message:
    """A new request from the portal: a ticket where the portal's settings
    say, its first message the contact's."""
    subject, text = clean_request(subject, text)
    with transaction.atomic(), _by(contact):
        return _new_ticket(contact, subject[:255], text, uploads)


def _new_ticket(contact, subject, text, uploads, follow_up_of: Ticket | None = None) -> Message:
    pipeline, stage = PortalSettings.current().landing()
    ticket = ticket_services.ticket_create(
        actor=None,
        name=subject[:255],
        pipeline=pipeline,
        stage=stage,
        team=PortalSettings.current().team,
        source=Source.PORTAL,
        contacts=[contact],
        companies=[contact.company] if contact.company_id else [],
    )
    joined_by, joined_ticket_id = Message.JoinedBy.NEW, None
    if follow_up_of is not None:
        ticket_services.ticket_link(actor=None, ticket=ticket, other=follow_up_of)
        joined_by, joined_ticket_id = Message.JoinedBy.CLOSED_FOLLOW_UP, follow_up_of.pk
    if BlockedSender.objects.blocks(contact.email):
        ticket = ticket_services.ticket_mark_spam(actor=None, ticket=ticket)
    return _receive(
        ticket,
        None,
        contact,
        subject,
        text,
        uploads,
        joined_by=joined_by,
        joined_ticket_id=joined_ticket_id,
        new_ticket=True,
    )


def closing_stage(ticket: Ticket) -> Stage | None:
    """The closed status a customer's "this is solved" moves the ticket to:
    the pipeline's first closed status that needs nothing the ticket lacks."""
    for stage in ticket.pipeline.stages.filter(is_closed=True).order_by("position", "id"):
        values = {key: ticket.property_value(key) for key in stage.required_properties}
        if not ticket_services.missing_required_properties(stage, values):
            return stage
    return None


def portal_close(*, contact: Contact, ticket: Ticket) -> Ticket:
    """Close `ticket` because its customer considers it solved."""
    if not ticket.is_open:
        return ticket
    stage = closing_stage(ticket)
    if stage is None:
        raise ValidationError(
            _("This request cannot be closed here. Write to us and we will close it.")
        )
    with _by(contact):
        return ticket_services.ticket_set_stage(actor=None, ticket=ticket, stage=stage)


def _by(contact: Contact):
    """Timeline lines written inside say the customer did it, in the portal."""
    return ticket_services.acting_as(TicketEvent.Via.PORTAL, contact.display_name)
