import secrets
import uuid

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import Team
from crm.models import Contact
from tickets.models import Ticket


class Inbox(models.Model):
    """Where conversations live. Only the help desk inbox's conversations show in
    the workspace (S14); others exist for conversations moved out of it."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    is_help_desk = models.BooleanField(_("help desk inbox"), default=False)

    class Meta:
        verbose_name = _("inbox")
        verbose_name_plural = _("inboxes")
        constraints = [
            models.UniqueConstraint(
                fields=["is_help_desk"], condition=Q(is_help_desk=True), name="one_help_desk_inbox"
            )
        ]

    def __str__(self) -> str:
        return self.name


class EmailAddress(models.Model):
    """A connected team email address agents send from (S17)."""

    email = models.EmailField(_("email address"), unique=True)
    display_name = models.CharField(_("display name"), max_length=100, blank=True)
    plus_addressing = models.BooleanField(
        _("replies to a plus address"),
        default=True,
        help_text=_(
            "Replies are asked to go to name+token@domain, which identifies the ticket. "
            "Turn this off if your mail server does not deliver plus addresses."
        ),
    )
    default_for_teams = models.ManyToManyField(
        Team,
        verbose_name=_("default From for teams"),
        blank=True,
        related_name="default_from_addresses",
    )

    class Meta:
        ordering = ["email"]
        verbose_name = _("team email address")
        verbose_name_plural = _("team email addresses")

    def __str__(self) -> str:
        return f"{self.display_name} <{self.email}>" if self.display_name else self.email


class Signature(models.Model):
    """A sign-off put into the reply editor (issue 15): an agent's own or a
    team address's, for one language or, with no language, for any language
    that has none of its own. Rich text, cleaned like the editor's."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="signatures",
    )
    address = models.ForeignKey(
        EmailAddress, null=True, blank=True, on_delete=models.CASCADE, related_name="signatures"
    )
    language = models.CharField(
        _("language"),
        max_length=10,
        blank=True,
        choices=settings.LANGUAGES,
        help_text=_("Empty: for every language without a signature of its own."),
    )
    html = models.TextField(_("signature"))

    class Meta:
        verbose_name = _("signature")
        verbose_name_plural = _("signatures")
        constraints = [
            models.CheckConstraint(
                condition=Q(user__isnull=False, address__isnull=True)
                | Q(user__isnull=True, address__isnull=False),
                name="signature_has_one_owner",
            ),
            models.UniqueConstraint(
                fields=["user", "language"],
                condition=Q(user__isnull=False),
                name="one_user_signature_per_language",
            ),
            models.UniqueConstraint(
                fields=["address", "language"],
                condition=Q(address__isnull=False),
                name="one_address_signature_per_language",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user or self.address} ({self.language or '*'})"


class Channel(models.TextChoices):
    EMAIL = "email", _("Email")
    FORM = "form", _("Form")
    CHAT = "chat", _("Chat")
    MESSENGER = "messenger", _("Facebook Messenger")
    PHONE = "phone", _("Phone")


def reply_token() -> str:
    return secrets.token_hex(16)  # 128 bits (RELIABILITY rule 3)


class Thread(models.Model):
    """One conversation of a ticket, on one channel, in one inbox. Its reply
    token goes out in the Reply-To address (support+<token>@…), so a reply finds
    its ticket even from a mail client that drops the threading headers."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="threads")
    inbox = models.ForeignKey(Inbox, on_delete=models.PROTECT, related_name="threads")
    channel = models.CharField(max_length=20, choices=Channel, default=Channel.EMAIL)
    reply_token = models.CharField(max_length=32, unique=True, default=reply_token, editable=False)
    # Who is on the other end outside email: a chat visitor's key.
    visitor_key = models.CharField(max_length=100, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.ticket_id}/{self.channel}"


class Message(models.Model):
    """A message in a thread: inbound from a contact, outbound from an agent, or an
    internal comment (S24) that is never sent or shown to the contact."""

    class Kind(models.TextChoices):
        MESSAGE = "message", _("Message")
        COMMENT = "comment", _("Internal comment")
        # A chat widget's rule-based bot answering before a person was asked
        # for: part of the conversation, never an agent's reply.
        BOT = "bot", _("Chatbot message")

    class Direction(models.TextChoices):
        INBOUND = "inbound", _("Inbound")
        OUTBOUND = "outbound", _("Outbound")

    class JoinedBy(models.TextChoices):
        """How an inbound message came to be on its ticket (ARCHITECTURE rule
        3), shown on hover so an agent can trust, or correct, the threading."""

        NEW = "new", _("Started this ticket")
        CLOSED_FOLLOW_UP = "closed", _("Started this ticket because the earlier ticket is closed")
        NOT_PARTICIPANT = (
            "stranger",
            _("Started this ticket: the sender takes no part in the ticket it refers to"),
        )
        IN_REPLY_TO = "in_reply_to", _("Joined as a reply to one of this ticket's messages")
        REFERENCES = "references", _("Joined by a message of this ticket in its References")
        REPLY_TOKEN = "reply_token", _("Joined by this conversation's reply address")
        SUBJECT_NUMBER = "subject", _("Joined by the ticket number in the subject")
        VISITOR = "visitor", _("Joined the open conversation of the same visitor")
        MOVED = "moved", _("Moved here by an agent")

    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="messages")
    # Denormalised from the thread: a ticket's messages in one index range.
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages")
    kind = models.CharField(max_length=10, choices=Kind, default=Kind.MESSAGE)
    direction = models.CharField(max_length=10, choices=Direction)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    contact = models.ForeignKey(Contact, null=True, blank=True, on_delete=models.SET_NULL)
    from_name = models.CharField(max_length=200, blank=True)
    from_email = models.EmailField(blank=True)
    to = models.JSONField(default=list, blank=True)
    cc = models.JSONField(default=list, blank=True)
    bcc = models.JSONField(default=list, blank=True)
    subject = models.CharField(max_length=998, blank=True)
    html = models.TextField(blank=True)  # sanitised
    # Inbound mail: the quoted history and signature after what the sender
    # wrote, sanitised; folded in the conversation.
    quoted_html = models.TextField(blank=True)
    text = models.TextField(blank=True)
    # Which sanitiser rules cleaned `html`: messages can be cleaned again after a change.
    # The cleaning rules `html` went through; 0 = unknown, cleaned again when shown.
    sanitizer_version = models.PositiveSmallIntegerField(default=0)
    message_id = models.CharField(max_length=998, blank=True, db_index=True)
    in_reply_to = models.CharField(max_length=998, blank=True)
    references = models.TextField(blank=True)
    reply_to = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replies"
    )
    joined_by = models.CharField(max_length=20, choices=JoinedBy, blank=True)
    # Inbound email: DMARC for the From domain as a trusted server or the ESP
    # saw it ("pass", "fail", "" unknown). "fail" is shown as unverified.
    dmarc = models.CharField(max_length=10, blank=True)
    # Written by a machine, not a person: an out-of-office or a bounce that
    # came in, or an auto-reply a rule sent (RFC 3834). Never answered by one.
    is_automatic = models.BooleanField(default=False, db_default=False)
    # The other ticket the reason names (the closed one, the refused one, the
    # one it was moved from), when there is one.
    joined_ticket_id = models.PositiveBigIntegerField(null=True, blank=True)
    # The message's id in the system it was imported from (a Zendesk comment
    # id; a CSV message's place in its ticket): imported again, it is kept once.
    external_id = models.CharField(max_length=100, blank=True, default="", db_default="")
    # Settable: a ticket opened by a message carries the same moment (ingestion).
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["ticket", "created_at", "id"], name="message_ticket_time"),
            # The Sent view walks the tickets by last activity and asks, of
            # each, whether the agent replied on it: one look in this index,
            # never the messages themselves (tickets.queries._sent_by).
            models.Index(
                fields=["author", "ticket"],
                name="message_sent_by",
                condition=Q(direction="outbound", kind="message"),
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["ticket", "external_id"],
                condition=~Q(external_id=""),
                name="message_external_id",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.pk} on {self.ticket_id}"

    @property
    def is_comment(self) -> bool:
        return self.kind == self.Kind.COMMENT

    @property
    def is_inbound(self) -> bool:
        return self.direction == self.Direction.INBOUND

    @property
    def is_bot(self) -> bool:
        return self.kind == self.Kind.BOT

    @property
    def delivery(self):
        """The outbox row of an outbound email or Messenger reply, else None (no
        exception, so a template can ask every message)."""
        for outbox in ("outbound", "messenger"):
            try:
                return getattr(self, outbox)
            except ObjectDoesNotExist:
                continue
        return None

    @property
    def sender_display(self) -> str:
        """The author, the sender's name or address, else a word for a sender
        we know nothing of, in the reader's language."""
        if self.author_id:
            return self.author.display_name
        if self.is_bot:
            return gettext("Chatbot")
        if self.contact_id and self.thread.visitor_key:
            # A chat visitor linked to a contact (S22): the contact's name, on
            # the messages before the link too.
            return self.contact.display_name
        if self.from_name or self.from_email:
            return self.from_name or self.from_email
        if self.thread.channel == Channel.MESSENGER:
            return gettext("Messenger user")
        return gettext("Visitor")


class OutboxRow(models.Model):
    """A reply waiting to leave, sent by a task that claims it first
    (conversations.outbox.claim), so a retried task never sends twice."""

    # The name of the Celery task that sends a row (it takes the row's id).
    send_task = ""

    class Status(models.TextChoices):
        PENDING = "pending", _("Sending")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    status = models.CharField(max_length=10, choices=Status, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True


class OutboundEmail(OutboxRow):
    """The email outbox (RELIABILITY L): one row per outbound email, written
    with its message."""

    send_task = "conversations.tasks.send_outbound_email"

    message = models.OneToOneField(Message, on_delete=models.CASCADE, related_name="outbound")

    class Meta:
        indexes = [
            models.Index(
                fields=["claimed_at"],
                name="outbound_unsent",
                condition=Q(status__in=["pending", "sending"]),
            )
        ]

    def __str__(self) -> str:
        return f"outbound {self.message_id} {self.status}"


class Draft(models.Model):
    """What an agent typed and did not send (S19): one per user, ticket and tab.
    Only its author ever sees it."""

    class Kind(models.TextChoices):
        REPLY = "reply", _("Reply")
        COMMENT = "comment", _("Comment")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="drafts")
    kind = models.CharField(max_length=10, choices=Kind, default=Kind.REPLY)
    html = models.TextField(blank=True)
    to = models.CharField(max_length=2000, blank=True)
    cc = models.CharField(max_length=2000, blank=True)
    bcc = models.CharField(max_length=2000, blank=True)
    from_address = models.ForeignKey(EmailAddress, null=True, blank=True, on_delete=models.SET_NULL)
    reply_to = models.ForeignKey(Message, null=True, blank=True, on_delete=models.SET_NULL)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "ticket", "kind"], name="draft_per_user")
        ]
        indexes = [models.Index(fields=["user", "-updated_at"], name="draft_user_recent")]

    def __str__(self) -> str:
        return f"{self.kind} draft of {self.user_id} on {self.ticket_id}"


class Notification(models.Model):
    """An in-app notification: a teammate mentioned the user (S24), or a reply
    they wrote could not be sent. Created only for users who can see the ticket
    (S3), and listed only while they still can."""

    class Kind(models.TextChoices):
        MENTION = "mention", _("Mention")
        SEND_FAILED = "send_failed", _("Reply not sent")
        SLA_DUE_SOON = "sla_due_soon", _("SLA due soon")
        SLA_OVERDUE = "sla_overdue", _("SLA overdue")
        # Activity on a ticket the user follows (S11).
        CUSTOMER_MESSAGE = "customer_message", _("New customer message")
        COMMENT = "comment", _("New comment")
        STATUS = "status", _("Status changed")
        OWNER = "owner", _("Owner changed")
        # A rule's "notify" action; `detail` holds its text.
        RULE = "rule", _("Rule notification")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="+")
    message = models.ForeignKey(Message, null=True, blank=True, on_delete=models.CASCADE)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    kind = models.CharField(max_length=20, choices=Kind, default=Kind.MENTION)
    # What changed, as shown when it was written (the new status or owner).
    detail = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="notification_user_recent"),
            models.Index(
                fields=["user"], name="notification_unread", condition=Q(read_at__isnull=True)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.user_id} on {self.ticket_id}"


def attachment_key(instance, filename: str) -> str:
    """Storage names are ours, never the sender's (RELIABILITY item 49)."""
    return f"attachments/{instance.ticket_id}/{uuid.uuid4().hex}"


class Attachment(models.Model):
    """A file on a message. Uploaded while writing (message empty, owned by the
    uploader), attached when the reply or comment is sent. Served only to users
    who can see the ticket."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="attachments")
    message = models.ForeignKey(
        Message, null=True, blank=True, on_delete=models.CASCADE, related_name="attachments"
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    file = models.FileField(upload_to=attachment_key)
    filename = models.CharField(max_length=255)
    # The Content-ID of an inline image part, referenced as cid: in the body.
    content_id = models.CharField(max_length=255, blank=True)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    # The file's id in the system an import came from (a Zendesk attachment):
    # a second run of the import brings only the files the first one missed.
    external_id = models.CharField(max_length=100, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["message", "external_id"],
                condition=~models.Q(external_id=""),
                name="attachment_external_id",
            )
        ]

    def __str__(self) -> str:
        return self.filename

    @property
    def is_image(self) -> bool:
        return self.content_type in SAFE_IMAGE_TYPES


# Raster images we show inline; everything else is downloaded.
SAFE_IMAGE_TYPES = {"image/png", "image/jpeg", "image/gif", "image/webp"}


class Snippet(models.Model):
    """Short reusable text (S18), found by name or by its #shortcut."""

    name = models.CharField(_("name"), max_length=100)
    shortcut = models.SlugField(
        _("shortcut"), max_length=40, unique=True, help_text=_("Type #shortcut to find it.")
    )
    body = models.TextField(_("text"))

    class Meta:
        ordering = ["name"]
        verbose_name = _("snippet")
        verbose_name_plural = _("snippets")

    def __str__(self) -> str:
        return self.name


class ReplyTemplate(models.Model):
    """A whole reply with placeholders, filled for the ticket when inserted (S18)."""

    name = models.CharField(_("name"), max_length=100)
    body = models.TextField(
        _("text"),
        help_text=_(
            "Placeholders: {contact_first_name}, {contact_name}, {company_name}, "
            "{ticket_number}, {ticket_name}, {agent_name}."
        ),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("template")
        verbose_name_plural = _("templates")

    def __str__(self) -> str:
        return self.name


class KnowledgeArticle(models.Model):
    """A knowledge base article: inserted as a link or as its text (S18, S23)."""

    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"))
    url = models.URLField(_("public address"))

    class Meta:
        ordering = ["title"]
        verbose_name = _("knowledge base article")
        verbose_name_plural = _("knowledge base articles")

    def __str__(self) -> str:
        return self.title


class MeetingLink(models.Model):
    """A booking page agents offer customers (S18)."""

    name = models.CharField(_("name"), max_length=100)
    url = models.URLField(_("address"))

    class Meta:
        ordering = ["name"]
        verbose_name = _("meeting link")
        verbose_name_plural = _("meeting links")

    def __str__(self) -> str:
        return self.name


# Read by migration 0007, which made the documents now kept by the library app.
def document_key(instance, filename: str) -> str:
    return f"documents/{uuid.uuid4().hex}"


def document_token() -> str:
    return secrets.token_urlsafe(24)
