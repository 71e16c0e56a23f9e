"""Connected channels and the durable inbound log (ARCHITECTURE rules 2 and 3).

Every inbound item is written to `InboundItem` before anything else happens:
the raw bytes (or request body) with where it came from. A worker parses it
later. A parse failure keeps the row with its error for an admin to retry; a
repeated delivery finds its row by `dedupe_key` and changes nothing.
"""

import re
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Team
from conversations.models import EmailAddress, Message, OutboxRow
from tickets.models import Pipeline, PropertyDefinition, Stage, Ticket


class LandingProblem(models.TextChoices):
    """Why a channel's tickets cannot go where the channel says (shown to admins
    on the channel and on each delivery that went elsewhere)."""

    OTHER_PIPELINE = "other_pipeline", _("The first status belongs to another pipeline.")
    CLOSED = "closed", _("The first status is a closed one.")
    REQUIRES = "requires", _("The first status needs properties the channel cannot fill in.")


@dataclass
class Landing:
    """Where a channel's next ticket goes, and what was wrong if that is not
    the configured place."""

    pipeline: Pipeline | None
    stage: Stage | None
    problem: str = ""

    @property
    def place(self) -> str:
        """As kept on an inbound row: the English names (as the timeline keeps them)."""
        return f"{self.pipeline.name} · {self.stage.name}" if self.stage else ""

    @property
    def local_place(self) -> str:
        """As the reader names it."""
        return f"{self.pipeline.local_name} · {self.stage.local_name}" if self.stage else ""


class NewTickets(models.Model):
    """Where the tickets of a channel land: pipeline, first status and team.

    The first status must be an open one of the channel's pipeline that needs
    nothing but the team: `clean()` refuses others and, on PostgreSQL, a
    composite foreign key holds the pipeline. A row that breaks the rule anyway
    (older data, an ORM write) still delivers, to `landing()`'s safe place.
    """

    pipeline = models.ForeignKey(Pipeline, verbose_name=_("pipeline"), on_delete=models.PROTECT)
    stage = models.ForeignKey(
        Stage, verbose_name=_("status of new tickets"), on_delete=models.PROTECT, related_name="+"
    )
    team = models.ForeignKey(
        Team, verbose_name=_("team"), null=True, blank=True, on_delete=models.SET_NULL
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        abstract = True

    def stage_problem(self) -> str:
        """A LandingProblem value when the configured first status cannot take
        a new ticket, else ""."""
        stage = self.stage
        if stage.pipeline_id != self.pipeline_id:
            return LandingProblem.OTHER_PIPELINE
        if stage.is_closed:
            return LandingProblem.CLOSED
        if any(key != "team" or self.team_id is None for key in stage.required_properties):
            return LandingProblem.REQUIRES
        return ""

    def clean(self):
        if not (self.pipeline_id and self.stage_id):
            return  # the fields' own "required" errors say it
        problem = self.stage_problem()
        if problem == LandingProblem.OTHER_PIPELINE:
            raise ValidationError({"stage": _("Choose a status of the selected pipeline.")})
        if problem == LandingProblem.CLOSED:
            raise ValidationError(
                {"stage": _("New tickets cannot start closed: choose an open status.")}
            )
        if problem == LandingProblem.REQUIRES:
            raise ValidationError(
                {
                    "stage": _(
                        "This status requires properties that new tickets from this channel "
                        "do not have: choose another."
                    )
                }
            )

    def landing(self) -> Landing:
        """Where the next new ticket goes: the configured status; when it cannot
        take one (see stage_problem), the first open status of the channel's
        pipeline, else of the first pipeline that has one. A customer's message
        is never refused for a setting."""
        problem = self.stage_problem()
        if not problem:
            return Landing(self.pipeline, self.stage)
        stage = self.pipeline.first_open_stage()
        if stage is None:
            stage = (
                Stage.objects.filter(is_closed=False, required_properties=[])
                .select_related("pipeline")
                .order_by("pipeline__position", "pipeline_id", "position", "id")
                .first()
            )
        return Landing(stage.pipeline if stage else None, stage, problem)


class Embeddable(NewTickets):
    """A public page other sites may frame: `allowed_origins` lists them."""

    class Meta:
        abstract = True

    @property
    def origins(self) -> list[str]:
        return [o.strip().rstrip("/") for o in self.allowed_origins.split() if o.strip()]


class EmailChannel(NewTickets):
    """A team email address connected to the help desk (S12): where its mail
    lands, and how it is fetched when not pushed by an ESP webhook."""

    class CcOnly(models.TextChoices):
        CREATE = "create", _("Create a ticket")
        THREAD_ONLY = "thread_only", _("Only add to existing tickets")

    address = models.OneToOneField(
        EmailAddress,
        verbose_name=_("email address"),
        on_delete=models.CASCADE,
        related_name="channel",
        help_text=_("Replies to this channel's tickets are sent from this address by default."),
    )
    cc_only = models.CharField(
        _("mail with this address only in CC"),
        max_length=20,
        choices=CcOnly,
        default=CcOnly.THREAD_ONLY,
    )
    # IMAP polling (optional: ESP webhooks and the MTA pipe need none of this).
    imap_host = models.CharField(_("IMAP server"), max_length=255, blank=True)
    imap_port = models.PositiveIntegerField(_("IMAP port"), default=993)
    imap_username = models.CharField(_("IMAP user name"), max_length=255, blank=True)
    # The password lives in the environment, never in the database
    # (RELIABILITY 82): the name of the variable that holds it.
    imap_password_env = models.CharField(
        _("environment variable with the IMAP password"), max_length=100, blank=True
    )
    imap_folder = models.CharField(_("IMAP folder"), max_length=255, default="INBOX")
    imap_done_folder = models.CharField(
        _("move fetched mail to"),
        max_length=255,
        blank=True,
        help_text=_("Empty: fetched mail is marked as read and left in place."),
    )

    class Meta:
        verbose_name = _("email channel")
        verbose_name_plural = _("email channels")

    def __str__(self) -> str:
        return str(self.address)


class InboundItem(models.Model):
    """One delivery from outside, stored before it is parsed (ARCHITECTURE rule 2)."""

    class Source(models.TextChoices):
        MAILGUN = "mailgun", "Mailgun"
        POSTMARK = "postmark", "Postmark"
        SENDGRID = "sendgrid", "SendGrid"
        AMAZON_SES = "amazon_ses", "Amazon SES"
        IMAP = "imap", "IMAP"
        PIPE = "pipe", _("Mail server pipe")
        FORM = "form", _("Web form")
        CHAT = "chat", _("Live chat")
        MESSENGER = "messenger", "Facebook Messenger"

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        DONE = "done", _("Stored")
        IGNORED = "ignored", _("Ignored")
        FAILED = "failed", _("Failed")

    source = models.CharField(_("source"), max_length=20, choices=Source)
    channel = models.ForeignKey(
        EmailChannel, null=True, blank=True, on_delete=models.SET_NULL, related_name="items"
    )
    # The ESP's request body (webhooks) or the raw message (IMAP, pipe), as
    # received; empty when it is in `payload_file` (read both through
    # channels_inbound.store.inbound_payload).
    payload = models.BinaryField()
    # A payload over store.FILE_PAYLOAD_OVER, in the default storage: written
    # and synced to disk before this row commits, deleted after the row is.
    payload_file = models.FileField(max_length=200, blank=True, editable=False)
    content_type = models.CharField(max_length=200, blank=True)
    # The provider's id for the delivery, when it gives one.
    event_id = models.CharField(max_length=255, blank=True)
    # Unique per delivery: "<source>:<event id>" or a hash of the payload. A
    # redelivery collides here and changes nothing (RELIABILITY B).
    dedupe_key = models.CharField(max_length=200)
    # A hash of the message without its trace headers, once parsed: the same
    # mail arriving by two routes is stored once.
    message_hash = models.CharField(max_length=64, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.PENDING)
    # Why it was ignored or how it was threaded (shown to admins, RELIABILITY 96).
    disposition = models.CharField(_("what happened"), max_length=300, blank=True)
    # Delivered, but not as the channel is set up (RELIABILITY A, "nothing
    # lost"): what was wrong, and where the ticket went instead.
    warning = models.CharField(
        _("settings problem"), max_length=20, choices=LandingProblem, blank=True
    )
    delivered_to = models.CharField(_("delivered to"), max_length=210, blank=True)
    error = models.CharField(_("error"), max_length=500, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    received_at = models.DateTimeField(_("received"), auto_now_add=True)
    processed_at = models.DateTimeField(_("processed"), null=True, blank=True)
    message = models.ForeignKey(
        Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    ticket = models.ForeignKey(
        Ticket, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("inbound message")
        verbose_name_plural = _("inbound messages")
        ordering = ["-received_at", "-id"]
        indexes = [
            # The sweep that re-queues rows a lost task left behind.
            models.Index(
                fields=["received_at"], name="inbound_pending", condition=Q(status="pending")
            ),
            models.Index(fields=["status", "-received_at"], name="inbound_status_recent"),
            # Not partial: a prepared statement's generic plan, made for no
            # hash in particular, cannot tell that the hash is not empty, and
            # without this index it read every row done (issue 22).
            models.Index(fields=["message_hash"], name="inbound_content_hash"),
        ]
        # Constraints and indexes declared here, not on the fields, so that
        # PostgreSQL gets no second "LIKE" index for each: fewer indexes to
        # write on every delivery.
        constraints = [models.UniqueConstraint(fields=["dedupe_key"], name="inbound_dedupe_key")]

    def __str__(self) -> str:
        return f"{self.get_source_display()} {self.received_at:%Y-%m-%d %H:%M} {self.status}"


class WebForm(Embeddable):
    """A public form whose submissions become tickets (S12): its own page, which
    other sites can embed, with fields mapped to the contact and the ticket."""

    name = models.CharField(_("name"), max_length=100)
    slug = models.SlugField(
        _("address"),
        unique=True,
        help_text=_("The form is published at /forms/ followed by this address."),
    )
    title = models.CharField(_("title shown on the form"), max_length=200)
    intro = models.TextField(_("introduction"), blank=True)
    thanks = models.CharField(
        _("message after sending"),
        max_length=300,
        default=_("Thank you! We received your message and will answer by email."),
    )
    allowed_origins = models.TextField(
        _("sites that may embed the form"),
        blank=True,
        help_text=_("One origin per line, such as https://www.example.com. Empty: none."),
    )

    class Meta:
        verbose_name = _("web form")
        verbose_name_plural = _("web forms")

    def __str__(self) -> str:
        return self.name


def webform_problems(fields) -> list[str]:
    """Why a form with these (kind, required) fields cannot be published: a
    submission must say who wrote (an email or phone field, required) and
    what they want (a message field, required). Empty: it can."""
    fields = list(fields)
    problems = []
    if not any(kind in CONTACT_KINDS and required for kind, required in fields):
        problems.append(
            _("Add a required email or phone field: without it nobody can answer the sender.")
        )
    if not any(kind == WebFormField.Kind.MESSAGE and required for kind, required in fields):
        problems.append(_("Add a required message field: it is what the ticket is about."))
    return problems


class WebFormField(models.Model):
    """One field of a web form and where its value goes."""

    class Kind(models.TextChoices):
        EMAIL = "email", _("Contact: email")
        FIRST_NAME = "first_name", _("Contact: first name")
        LAST_NAME = "last_name", _("Contact: last name")
        PHONE = "phone", _("Contact: phone number")
        SUBJECT = "subject", _("Ticket: name")
        MESSAGE = "message", _("Ticket: message")
        PROPERTY = "property", _("Ticket: custom property")
        FILE = "file", _("File upload")

    form = models.ForeignKey(WebForm, on_delete=models.CASCADE, related_name="fields")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind)
    label = models.CharField(_("label"), max_length=200)
    help_text = models.CharField(_("help text"), max_length=300, blank=True)
    required = models.BooleanField(_("required"), default=False)
    property = models.ForeignKey(
        PropertyDefinition,
        verbose_name=_("ticket property"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        help_text=_("For custom property fields."),
    )
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("field")
        verbose_name_plural = _("fields")

    def __str__(self) -> str:
        return self.label

    def clean(self):
        if self.kind == self.Kind.PROPERTY and self.property_id is None:
            raise ValidationError({"property": _("Choose the ticket property this field fills.")})


# The fields a form's sender can be answered by.
CONTACT_KINDS = (WebFormField.Kind.EMAIL, WebFormField.Kind.PHONE)


def widget_key() -> str:
    return secrets.token_hex(8)


class ChatWidget(Embeddable):
    """A live chat for websites (S12): a button and a small window that sites
    embed with one script tag. A visitor's first message opens a ticket."""

    name = models.CharField(_("name"), max_length=100)
    key = models.CharField(max_length=16, unique=True, default=widget_key, editable=False)
    greeting = models.CharField(
        _("greeting"), max_length=300, default=_("Hi! How can we help you today?")
    )
    allowed_origins = models.TextField(
        _("sites that may embed the chat"),
        blank=True,
        help_text=_("One origin per line, such as https://www.example.com. Empty: none."),
    )
    # The rule-based bot (S12): it answers from its answers below, and no
    # ticket exists until the visitor asks for a person.
    bot_enabled = models.BooleanField(
        _("answer with the chatbot first"),
        default=False,
        help_text=_(
            "Visitors get the chatbot's answers; a ticket is created only when they ask "
            "for a person."
        ),
    )
    handoff_label = models.CharField(
        _("button to ask for a person"), max_length=60, default=_("Talk to a person")
    )
    handoff_keywords = models.CharField(
        _("words that ask for a person"),
        max_length=300,
        default=_("person, human, agent, someone"),
        help_text=_("Separated by commas. A message containing one of them asks for a person."),
    )
    handoff_reply = models.CharField(
        _("chatbot's answer when a person is asked for"),
        max_length=300,
        default=_("Thanks! Someone from our team will answer here shortly."),
    )
    bot_fallback = models.CharField(
        _("chatbot's answer when it does not understand"),
        max_length=300,
        default=_("Sorry, I did not understand. Choose a topic below, or ask for a person."),
    )

    class Meta:
        verbose_name = _("chat widget")
        verbose_name_plural = _("chat widgets")

    def __str__(self) -> str:
        return self.name


def keyword_list(text: str) -> list[str]:
    return [w.strip().lower() for w in re.split(r"[,\n]", text) if w.strip()]


class ChatBotAnswer(models.Model):
    """One thing the chatbot knows: a topic button and the words that ask
    about it, and its answer."""

    widget = models.ForeignKey(ChatWidget, on_delete=models.CASCADE, related_name="bot_answers")
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    question = models.CharField(
        _("topic button"), max_length=80, help_text=_("Shown to visitors as a button.")
    )
    keywords = models.CharField(
        _("words that ask about it"),
        max_length=300,
        blank=True,
        help_text=_("Separated by commas. A message containing one of them gets this answer."),
    )
    answer = models.TextField(_("answer"), max_length=2000)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("chatbot answer")
        verbose_name_plural = _("chatbot answers")

    def __str__(self) -> str:
        return self.question


class ChatBotSession(models.Model):
    """A visitor's conversation with the chatbot, kept out of the tickets
    until they ask for a person; then it becomes the ticket's first messages."""

    widget = models.ForeignKey(ChatWidget, on_delete=models.CASCADE, related_name="+")
    visitor = models.CharField(max_length=32)
    # [{"who": "visitor" | "bot", "text": ..., "at": iso time}], the latest 40.
    transcript = models.JSONField(default=list)
    # What the visitor said of themselves, as typed (never linked to a contact, S22).
    name = models.CharField(max_length=100, blank=True)
    email = models.CharField(max_length=254, blank=True)
    # The inbound row that asked for a person: while it waits, the visitor's
    # messages go to it; once its ticket is closed, the bot starts again.
    handoff = models.ForeignKey(
        "InboundItem", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["widget", "visitor"], name="chatbot_one_per_visitor")
        ]

    def __str__(self) -> str:
        return f"{self.widget_id}:{self.visitor}"


class MessengerPage(NewTickets):
    """A Facebook Page whose Messenger conversations become tickets (S12)."""

    page_id = models.CharField(_("page ID"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=100)
    # The page access token lives in the environment, never in the database.
    access_token_env = models.CharField(
        _("environment variable with the page access token"), max_length=100
    )

    class Meta:
        verbose_name = _("Messenger page")
        verbose_name_plural = _("Messenger pages")

    def __str__(self) -> str:
        return self.name


class MessengerOutbound(OutboxRow):
    """An agent's reply waiting for the Send API."""

    send_task = "channels_inbound.tasks.send_messenger_reply"

    message = models.OneToOneField(Message, on_delete=models.CASCADE, related_name="messenger")
    page = models.ForeignKey(MessengerPage, on_delete=models.CASCADE)
    recipient = models.CharField(max_length=50)

    def __str__(self) -> str:
        return f"messenger {self.message_id} {self.status}"


class BlockedSenderQuerySet(models.QuerySet):
    def blocks(self, address: str) -> bool:
        """Whether mail from `address` goes to Spam: it or its domain is blocked."""
        address = address.strip().lower()
        if "@" not in address:
            return False
        return self.filter(pattern__in=[address, address.rpartition("@")[2]]).exists()


class BlockedSender(models.Model):
    """An address or a whole domain whose mail goes to the Spam view (S26)."""

    pattern = models.CharField(
        _("address or domain"),
        max_length=254,
        unique=True,
        help_text=_("name@example.com blocks one address; example.com blocks the whole domain."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("blocked by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
    )
    created_at = models.DateTimeField(_("blocked"), auto_now_add=True)

    objects = BlockedSenderQuerySet.as_manager()

    class Meta:
        ordering = ["pattern"]
        verbose_name = _("blocked sender")
        verbose_name_plural = _("blocked senders")

    def __str__(self) -> str:
        return self.pattern

    def save(self, *args, **kwargs):
        self.pattern = self.pattern.strip().lower().lstrip("@")
        super().save(*args, **kwargs)


class RateCounter(models.Model):
    """A public page's request count for one client address and time window,
    where every web process sees it (RELIABILITY 67) when there is no Redis:
    the per-process memory cache let each worker count on its own."""

    key = models.CharField(max_length=200, unique=True)
    count = models.PositiveIntegerField(default=0)
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.key}: {self.count}"
