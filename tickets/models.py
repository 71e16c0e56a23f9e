import datetime
import decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Case, DateTimeField, F, Q, Value, When
from django.db.models.functions import Coalesce, Least, Lower, NullIf
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Team
from crm.models import Company, Contact, Deal
from helpdesk.labels import LocalNames, local_label
from helpdesk.memo import remembered
from helpdesk.prepared import Prepared

from .search import SearchVectorField


class Pipeline(LocalNames, models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    labels = models.JSONField(_("names in other languages"), default=dict, blank=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    # Automation (S21): statuses set when an agent emails the customer, and when the
    # customer replies. Empty: leave the status alone.
    stage_on_agent_reply = models.ForeignKey(
        "Stage",
        verbose_name=_("status after an agent's reply"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    stage_on_customer_reply = models.ForeignKey(
        "Stage",
        verbose_name=_("status after the customer's reply"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class ClosedReply(models.TextChoices):
        REOPEN = "reopen", _("Reopen the ticket")
        NEW_TICKET = "new_ticket", _("Open a new ticket linked to the old one")
        REOPEN_WITHIN = "reopen_within", _("Reopen within the days below, else a new ticket")

    # What a customer's reply to a closed ticket does (inbound channels).
    closed_reply = models.CharField(
        _("reply to a closed ticket"),
        max_length=20,
        choices=ClosedReply,
        default=ClosedReply.REOPEN_WITHIN,
    )
    reopen_within_days = models.PositiveIntegerField(_("reopen within (days)"), default=14)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("pipeline")
        verbose_name_plural = _("pipelines")

    def __str__(self) -> str:
        # The name in the reader's language: the admin's pickers, filters and
        # lists show a row by its str() (issue 14).
        return self.local_name

    def clean(self):
        """A status this pipeline sets must be one of its own: a reply that keeps
        the status would otherwise fail on every ticket here. A customer's reply
        never closes a ticket: nobody would see it."""
        errors = {}
        for field in ("stage_on_agent_reply", "stage_on_customer_reply"):
            stage = getattr(self, field)
            if stage is not None and (self.pk is None or stage.pipeline_id != self.pk):
                errors[field] = _("Choose a status of this pipeline.")
        stage = self.stage_on_customer_reply
        if "stage_on_customer_reply" not in errors and stage is not None and stage.is_closed:
            errors["stage_on_customer_reply"] = _(
                "A customer's reply cannot close the ticket: choose an open status."
            )
        if errors:
            raise ValidationError(errors)

    @classmethod
    def settings_of(cls, pk: int) -> "Pipeline":
        """The pipeline with its reply statuses, kept between inbound messages
        (helpdesk.memo; TicketsConfig.ready watches pipelines and stages).
        Read it, never change it."""
        return remembered(
            f"tickets.pipeline.{pk}",
            lambda: cls.objects.select_related(
                "stage_on_agent_reply", "stage_on_customer_reply"
            ).get(pk=pk),
        )

    @classmethod
    def listed(cls) -> list["Pipeline"]:
        """Every pipeline in order with its statuses (`stages.all()`), kept
        like settings_of(). Read them, never change them."""
        return remembered("tickets.pipelines", lambda: list(cls.objects.prefetch_related("stages")))

    @classmethod
    def stages_of(cls, pk: int) -> list["Stage"]:
        """The pipeline's statuses in order, kept like settings_of(). Read
        them, never change them."""
        return remembered(f"tickets.stages.{pk}", lambda: list(Stage.objects.filter(pipeline=pk)))

    def first_open_stage(self) -> "Stage | None":
        """Where a new ticket can always go: the first open status that needs
        nothing filled in."""
        return self.stages.filter(is_closed=False, required_properties=[]).first()


class Stage(LocalNames, models.Model):
    """A ticket status. Closed stages end the ticket; a conditional stage lists the
    properties a ticket must have before it may enter (S7)."""

    pipeline = models.ForeignKey(
        Pipeline, verbose_name=_("pipeline"), on_delete=models.CASCADE, related_name="stages"
    )
    name = models.CharField(_("name"), max_length=100)
    labels = models.JSONField(_("names in other languages"), default=dict, blank=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    is_closed = models.BooleanField(_("closed stage"), default=False)
    required_properties = models.JSONField(
        _("required properties"),
        default=list,
        blank=True,
        help_text=_("Properties a ticket must have to enter this stage."),
    )
    pauses_sla = models.BooleanField(
        _("pauses SLA clocks"),
        default=False,
        help_text=_("Such as “Waiting on contact”: deadlines stop while a ticket is here."),
    )

    class Meta:
        ordering = ["pipeline", "position", "id"]
        verbose_name = _("stage")
        verbose_name_plural = _("stages")
        constraints = [
            models.UniqueConstraint(fields=["pipeline", "name"], name="stage_unique_name"),
            # What the composite foreign keys of (pipeline, stage) pairs refer
            # to on PostgreSQL: a stage is used only with its own pipeline.
            models.UniqueConstraint(fields=["pipeline", "id"], name="stage_pipeline_pair"),
        ]

    def __str__(self) -> str:
        # The name in the reader's language: the admin's pickers, filters and
        # lists show a row by its str() (issue 14).
        return self.local_name

    @property
    def is_conditional(self) -> bool:
        return bool(self.required_properties)


class PropertyDefinition(LocalNames, models.Model):
    """A custom ticket property defined by admins (S9); values live in Ticket.properties."""

    class Type(models.TextChoices):
        TEXT = "text", _("Text")
        NUMBER = "number", _("Number")
        DATE = "date", _("Date")
        CHOICE = "choice", _("Choice")

    key = models.SlugField(
        _("internal name"),
        max_length=50,
        unique=True,
        help_text=_("Lower-case letters, digits and underscores; cannot be changed later."),
    )
    label = models.CharField(_("label"), max_length=100)
    labels = models.JSONField(_("labels in other languages"), default=dict, blank=True)
    type = models.CharField(_("type"), max_length=10, choices=Type, default=Type.TEXT)
    choices = models.JSONField(
        _("choices"), default=list, blank=True, help_text=_("Options of a choice property.")
    )
    # {option: {language: label}}; an option without a label shows as itself.
    choice_labels = models.JSONField(
        _("option labels in other languages"), default=dict, blank=True
    )
    on_create_form = models.BooleanField(_("show on the create form"), default=False)
    in_sidebar = models.BooleanField(_("show in the ticket sidebar"), default=True)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("ticket property")
        verbose_name_plural = _("ticket properties")

    name_field = "label"

    def __str__(self) -> str:
        # The name in the reader's language: the admin's pickers, filters and
        # lists show a row by its str() (issue 14).
        return self.local_name

    @classmethod
    def listed(cls) -> list["PropertyDefinition"]:
        """Every definition in order, kept between checked requests
        (helpdesk.memo): read them, never change them."""
        return remembered("tickets.property_definitions", lambda: list(cls.objects.all()))

    def option_label(self, value: str) -> str:
        """An option as agents read it: its label in their language, else itself."""
        return local_label(self.choice_labels.get(value), value)

    @property
    def local_choices(self) -> list[tuple[str, str]]:
        """(option, label) pairs for pickers and filters."""
        return [(c, self.option_label(c)) for c in self.choices]

    def clean(self):
        if self.type == self.Type.CHOICE and not self.choices:
            raise ValidationError({"choices": _("A choice property needs at least one option.")})
        if self.key in BUILTIN_PROPERTIES:
            raise ValidationError({"key": _("This name is used by a built-in property.")})

    def to_storage(self, value: object) -> str:
        """Validate a cleaned form value by type and return its JSON form ("" = empty)."""
        if value in (None, ""):
            return ""
        if self.type == self.Type.NUMBER:
            if not isinstance(value, int | float | decimal.Decimal):
                raise ValidationError(_("Enter a number."))
            return str(value)
        if self.type == self.Type.DATE:
            if not isinstance(value, datetime.date):
                raise ValidationError(_("Enter a valid date."))
            return value.isoformat()
        if self.type == self.Type.CHOICE and value not in self.choices:
            raise ValidationError(_("Choose one of the offered options."))
        return str(value)


class Priority(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


class Category(models.TextChoices):
    PRODUCT = "product_issue", _("Product issue")
    BILLING = "billing_issue", _("Billing issue")
    FEATURE = "feature_request", _("Feature request")
    GENERAL = "general_inquiry", _("General inquiry")


class Source(models.TextChoices):
    EMAIL = "email", _("Email")
    FORM = "form", _("Form")
    CHAT = "chat", _("Chat")
    MESSENGER = "messenger", _("Facebook Messenger")
    PHONE = "phone", _("Phone")
    MANUAL = "manual", _("Created manually")
    API = "api", _("API")
    PORTAL = "portal", _("Customer portal")
    IMPORT = "import", _("Imported")


# Built-in properties a conditional stage may require, with their labels.
BUILTIN_PROPERTIES = {
    "owner": _("Ticket owner"),
    "team": _("Team"),
    "priority": _("Priority"),
    "category": _("Category"),
    "description": _("Description"),
}


# Built-in properties the ticket information section can show (S29), in their
# default order. The header's owner, priority and category are fixed.
INFO_BUILTINS = {
    "pipeline": _("Pipeline"),
    "team": _("Team"),
    "source": _("Source"),
    "created_at": _("Created"),
    "closed_at": _("Closed"),
}


class TicketQuerySet(models.QuerySet["Ticket"]):
    def update(self, **kwargs) -> int:
        """Every write stamps `updated_at`, as save() does: the workspace's live
        check (queries.changes_since) finds a changed row by it, whichever
        service or worker changed it."""
        kwargs.setdefault("updated_at", timezone.now())
        return super().update(**kwargs)

    def alive(self) -> "TicketQuerySet":
        return self.filter(deleted_at__isnull=True)

    def open(self) -> "TicketQuerySet":
        return self.filter(is_open=True, is_spam=False)

    def spam(self) -> "TicketQuerySet":
        return self.filter(is_spam=True)

    def locked(self, *ids: int | str) -> "TicketQuerySet":
        """These tickets, their rows locked until the transaction ends.

        Always in id order: PostgreSQL locks rows in the order it returns them,
        which without ORDER BY is their order on disk, so two transactions that
        lock the same tickets could each hold one and wait for the other.
        `pk__in=sorted(ids)` alone does not order the locks. Only the ticket rows
        are locked, never the rows that select_related joins.

        FOR NO KEY UPDATE: writers of the same ticket wait for each other, but
        a transaction that only refers to it (a message, an event, a report
        mark: their foreign keys are checked at commit with FOR KEY SHARE) does
        not wait for the lock. With FOR UPDATE such a commit waited for the
        lock's holder while the holder waited for that transaction's report
        mark of the same ticket: a deadlock `make loadtest` met (a status
        change answered 500).
        """
        return (
            self.filter(pk__in=sorted(set(ids)))
            .select_for_update(of=("self",), no_key=True)
            .order_by("pk")
        )


# The condition shared by the partial indexes that serve the open-ticket views.
OPEN_TICKETS = Q(is_open=True, is_spam=False, deleted_at__isnull=True)

_NEVER = Value(datetime.datetime(9999, 1, 1, tzinfo=datetime.UTC))
# The next SLA deadline of an open, running clock (issue 19's "SLA due next"):
# the first response while none was sent, the next response, the close;
# none for a closed ticket or a paused clock (sla/clocks.py). Indexed for the
# table's "SLA due next" sort.
SLA_DUE = Case(
    When(Q(is_open=False) | Q(sla_paused_at__isnull=False), then=Value(None)),
    default=NullIf(
        Least(
            Coalesce(
                Case(
                    When(sla_first_response_at__isnull=True, then=F("sla_first_response_due")),
                    default=Value(None),
                ),
                _NEVER,
            ),
            Coalesce(F("sla_next_response_due"), _NEVER),
            Coalesce(F("sla_close_due"), _NEVER),
        ),
        _NEVER,
    ),
    output_field=DateTimeField(),
)


class Tag(models.Model):
    """A label agents put on tickets ("refund", "vip"), created as they type it.

    Names are unique whatever their case: "Refund" and "refund" are one tag.
    The colour is one of a few that read well on the workspace's white and
    carry no meaning of their own (the name always shows with it).
    """

    class Colour(models.TextChoices):
        GREY = "grey", _("Grey")
        BLUE = "blue", _("Blue")
        GREEN = "green", _("Green")
        AMBER = "amber", _("Amber")
        RED = "red", _("Red")
        PURPLE = "purple", _("Purple")

    NAME_MAX = 50

    name = models.CharField(_("name"), max_length=NAME_MAX)
    colour = models.CharField(_("colour"), max_length=10, choices=Colour, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = [Lower("name"), "id"]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        constraints = [
            models.UniqueConstraint(
                Lower("name"),
                name="tag_unique_name",
                violation_error_message=_("A tag with this name already exists."),
            )
        ]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def listed(cls) -> list["Tag"]:
        """Every tag in name order (the table's tag filter), kept between
        checked requests (helpdesk.memo): read them, never change them."""
        return remembered("tickets.tags", lambda: list(cls.objects.all()))


class Ticket(models.Model):
    name = models.CharField(_("ticket name"), max_length=255)
    description = models.TextField(_("description"), blank=True)
    pipeline = models.ForeignKey(Pipeline, verbose_name=_("pipeline"), on_delete=models.PROTECT)
    stage = models.ForeignKey(Stage, verbose_name=_("status"), on_delete=models.PROTECT)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("ticket owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_tickets",
    )
    # Indexed by ticket_team_owner, which leads with it.
    team = models.ForeignKey(
        Team,
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        db_index=False,
    )
    priority = models.CharField(_("priority"), max_length=10, choices=Priority, blank=True)
    category = models.CharField(_("category"), max_length=20, choices=Category, blank=True)
    source = models.CharField(_("source"), max_length=20, choices=Source, default=Source.MANUAL)
    properties = models.JSONField(_("custom properties"), default=dict, blank=True)

    # Tickets that belong together: a follow-up of a closed ticket, the parts of
    # a split. Symmetric: each shows the other.
    linked_tickets = models.ManyToManyField("self", blank=True, symmetrical=True)
    contacts = models.ManyToManyField(Contact, blank=True, related_name="tickets")
    companies = models.ManyToManyField(Company, blank=True, related_name="tickets")
    deals = models.ManyToManyField(Deal, blank=True, related_name="tickets")
    tags = models.ManyToManyField(
        Tag, verbose_name=_("tags"), through="TicketTag", blank=True, related_name="tickets"
    )

    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("last modified"), auto_now=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    # A ticket merged into another is closed and points to the survivor (S11),
    # which its address redirects to and its later email replies join.
    merged_into = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="merged_tickets",
        editable=False,
    )
    followers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        through="Follower",
        blank=True,
        related_name="followed_tickets",
    )
    is_spam = models.BooleanField(_("spam"), default=False)
    # The ticket's number in the system it was imported from (a Zendesk ticket
    # number, a CSV's id column): importing the same file again updates it.
    external_id = models.CharField(
        _("external ID"), max_length=100, blank=True, default="", db_default="", editable=False
    )
    # The language of the first customer message (a code such as "ko" or
    # "zh-hant"), detected once by routing to match agents who speak it.
    # A database default too: the bench seeds tickets with COPY.
    language = models.CharField(
        _("language"), max_length=10, blank=True, default="", db_default="", editable=False
    )

    # Denormalised for the list, which reads this table only (ARCHITECTURE rule 5).
    # Kept current by tickets.services.
    is_open = models.BooleanField(default=True, editable=False)
    last_activity_at = models.DateTimeField(_("last activity"), db_index=False)
    contact_name = models.CharField(max_length=200, blank=True, editable=False)
    preview = models.CharField(max_length=200, blank=True, editable=False)

    # When the customer last wrote, an agent last replied, and the status last
    # changed: the moments time-based rules count from (workflows.sweep).
    last_customer_message_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_agent_reply_at = models.DateTimeField(null=True, blank=True, editable=False)
    stage_changed_at = models.DateTimeField(null=True, blank=True, editable=False)

    # SLA (ARCHITECTURE rule 4): deadlines computed when something happens,
    # written only by the sla app; the status is derived from them at read time.
    sla_first_response_due = models.DateTimeField(null=True, blank=True, editable=False)
    sla_first_response_at = models.DateTimeField(null=True, blank=True, editable=False)
    sla_next_response_due = models.DateTimeField(null=True, blank=True, editable=False)
    sla_close_due = models.DateTimeField(null=True, blank=True, editable=False)
    sla_paused_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Database defaults too: the bench seeds tickets with COPY.
    sla_due_soon_minutes = models.PositiveIntegerField(default=0, db_default=0, editable=False)
    # The next moment the sweep has something to say about this ticket (a
    # deadline becoming due soon or passing), and what it already said.
    sla_next_check_at = models.DateTimeField(null=True, blank=True, editable=False)
    sla_notified = models.PositiveSmallIntegerField(default=0, db_default=0, editable=False)
    # The configuration each deadline above was computed with: the id of the
    # latest SLA change (sla.SlaChange) at that moment, 0 before any; empty
    # for deadlines older than this column. Applying a change skips a deadline
    # the clocks already computed under it, and rebases the others from the
    # configuration they really were computed with (issue 14).
    sla_first_response_version = models.BigIntegerField(null=True, blank=True, editable=False)
    sla_next_response_version = models.BigIntegerField(null=True, blank=True, editable=False)
    sla_close_version = models.BigIntegerField(null=True, blank=True, editable=False)

    # Name, description and associated contacts and companies as search lexemes
    # (tickets.search); GIN-indexed on PostgreSQL. Kept current by tickets.services.
    search_vector = SearchVectorField(null=True, blank=True, editable=False)

    objects = TicketQuerySet.as_manager()

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        indexes = [
            # One partial index per default view, each matching its filter and its
            # keyset order (last activity, then id), so a page is an index range scan.
            models.Index(
                fields=["-last_activity_at", "-id"],
                name="ticket_open_activity",
                condition=OPEN_TICKETS,
            ),
            models.Index(
                fields=["owner", "-last_activity_at", "-id"],
                name="ticket_open_owner",
                condition=OPEN_TICKETS,
            ),
            models.Index(
                fields=["team", "-last_activity_at", "-id"],
                name="ticket_open_team",
                condition=OPEN_TICKETS,
            ),
            models.Index(
                fields=["-last_activity_at", "-id"],
                name="ticket_open_unassigned",
                condition=OPEN_TICKETS & Q(owner__isnull=True),
            ),
            models.Index(
                fields=["-last_activity_at", "-id"],
                name="ticket_spam",
                condition=Q(is_spam=True, deleted_at__isnull=True),
                include=["team", "owner"],
            ),
            # Counts under a team or owner visibility scope read only this index.
            models.Index(
                fields=["team", "owner"], name="ticket_open_team_owner", condition=OPEN_TICKETS
            ),
            # A team's tickets of an owner, open or closed: the table sorted by
            # owner asks, for each agent, whether the team's list holds one of
            # theirs (filters.sort_tiers), and sorted by team the reverse. An
            # agent works in one team: without it each question read all of
            # their tickets, 2.2 s for 41 agents at a million tickets (issue 22).
            # It is also the team's foreign key index (a team deleted).
            models.Index(fields=["team", "owner"], name="ticket_team_owner"),
            # Unassigned tickets in All tickets, oldest first or by status: they
            # are few and recent, so the created and activity indexes passed
            # 976,000 owned tickets before the first (2.8 s at a million; the
            # status sort 0.5 s). Not measurable on a new email's INSERT (5.7 ms
            # with and without, 300 emails x 3 at 100k; issue 22).
            *(
                models.Index(
                    fields=[column, "id"],
                    name=f"ticket_unassigned_{name}",
                    condition=Q(deleted_at__isnull=True, owner__isnull=True),
                )
                for name, column in (
                    ("created", "created_at"),
                    ("activity", "last_activity_at"),
                    ("stage", "stage"),
                )
            ),
            # The ticket list over every ticket, open or closed (S28), sorted by
            # last activity or creation.
            models.Index(
                fields=["-last_activity_at", "-id"],
                name="ticket_activity",
                condition=Q(deleted_at__isnull=True),
            ),
            models.Index(
                fields=["-created_at", "-id"],
                name="ticket_created",
                condition=Q(deleted_at__isnull=True),
            ),
            models.Index(fields=["priority"], name="ticket_priority"),
            # The workspace's live check: what changed in the last seconds is
            # the top of this index, however many tickets there are.
            models.Index(
                fields=["-updated_at", "-id"],
                name="ticket_changed",
                condition=Q(deleted_at__isnull=True),
            ),
            # Routing's waiting tickets of a team, oldest first (routing/services.py).
            models.Index(
                fields=["team", "id"],
                name="ticket_open_unrouted",
                condition=OPEN_TICKETS & Q(owner__isnull=True),
            ),
            # Recently deleted (S11), newest first, and the purge after it.
            models.Index(
                fields=["-deleted_at", "-id"],
                name="ticket_deleted",
                condition=Q(deleted_at__isnull=False),
            ),
            # Time-based rules read the open tickets whose moment passed a
            # threshold since their last run: a range on one of these.
            models.Index(
                fields=["last_customer_message_at"],
                name="ticket_open_customer_at",
                condition=OPEN_TICKETS,
            ),
            models.Index(
                fields=["last_agent_reply_at"],
                name="ticket_open_agent_at",
                condition=OPEN_TICKETS,
            ),
            models.Index(
                fields=["stage_changed_at"], name="ticket_open_stage_at", condition=OPEN_TICKETS
            ),
            models.Index(fields=["created_at"], name="ticket_open_created", condition=OPEN_TICKETS),
            # The SLA sweep reads only the rows with something due.
            models.Index(
                fields=["sla_next_check_at"],
                name="ticket_sla_next_check",
                condition=Q(sla_next_check_at__isnull=False),
            ),
            # The table's other sorts (issue 22), read in order from an index over
            # the open tickets (the default views) or over every ticket (All
            # tickets), however many there are: see filters.sort_tiers.
            models.Index(
                fields=["name", "id"], name="ticket_name", condition=Q(deleted_at__isnull=True)
            ),
            models.Index(
                Lower("contact_name"),
                F("id"),
                name="ticket_contact",
                condition=Q(deleted_at__isnull=True),
            ),
            models.Index(SLA_DUE, F("id"), name="ticket_open_sla_due", condition=OPEN_TICKETS),
            *(
                index
                for column in ("team", "owner", "stage", "priority")
                for index in (
                    models.Index(
                        fields=[column, "id"],
                        name=f"ticket_open_{column}_id",
                        condition=OPEN_TICKETS,
                    ),
                    models.Index(
                        fields=[column, "id"],
                        name=f"ticket_{column}_id",
                        condition=Q(deleted_at__isnull=True),
                    ),
                )
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["external_id"], condition=~Q(external_id=""), name="ticket_external_id"
            )
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.name}"

    @property
    def number(self) -> str:
        return f"#{self.pk}"

    @property
    def is_closed(self) -> bool:
        return not self.is_open

    def clean(self):
        if self.stage_id and self.pipeline_id and self.stage.pipeline_id != self.pipeline_id:
            raise ValidationError({"stage": _("Choose a status of the selected pipeline.")})

    def property_value(self, key: str):
        """The current value of a built-in or custom property, by key."""
        if key in BUILTIN_PROPERTIES:
            return getattr(self, f"{key}_id" if key in ("owner", "team") else key)
        return self.properties.get(key, "")


class Follower(models.Model):
    """An agent who follows a ticket and is told what happens on it (S11)."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="follows")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="follows"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["ticket", "user"], name="follower_unique")]

    def __str__(self) -> str:
        return f"{self.user_id} follows {self.ticket_id}"


class TicketTag(models.Model):
    """A tag on a ticket, and since when (changed only by services.ticket_tag)."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="tag_links")
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="ticket_links")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["ticket", "tag"], name="tickettag_unique")]
        # The filters ask "which tickets have this tag": the unique pair serves
        # the other direction (a ticket's tags).
        indexes = [models.Index(fields=["tag", "ticket"], name="tickettag_by_tag")]

    def __str__(self) -> str:
        return f"{self.tag_id} on {self.ticket_id}"


class TicketSettings(models.Model):
    """Help desk rules for managing tickets, set by super admins. One row."""

    owners_follow = models.BooleanField(
        _("owners follow their tickets"),
        default=True,
        help_text=_("An agent who becomes a ticket's owner starts following it."),
    )
    mentioned_follow = models.BooleanField(
        _("mentioned teammates follow the ticket"),
        default=True,
        help_text=_("A teammate mentioned in a comment starts following the ticket."),
    )
    keep_deleted_days = models.PositiveIntegerField(
        _("keep deleted tickets (days)"),
        default=90,
        validators=[MinValueValidator(1), MaxValueValidator(3650)],
        help_text=_(
            "Deleted tickets can be restored for this long; then they are removed for "
            "good, with their messages and files."
        ),
    )

    class Meta:
        verbose_name = _("ticket settings")
        verbose_name_plural = _("ticket settings")

    def __str__(self) -> str:
        return str(_("Ticket settings"))

    @classmethod
    def current(cls) -> "TicketSettings":
        """The settings, kept between requests that checked the version
        (helpdesk.memo): read them; to change them, load the row."""
        return remembered("tickets.ticket_settings", lambda: cls.objects.first() or cls())


class TicketEvent(models.Model):
    """One line of the activity timeline (S10): who changed what, from what, to what.

    Values are stored as shown when they were written (a stage or owner name) or as
    choice codes (priority, category), which the template turns into labels in the
    reader's language.
    """

    class Kind(models.TextChoices):
        CREATED = "created", _("Created the ticket")
        CHANGED = "changed", _("Changed a property")
        ASSOCIATED = "associated", _("Added an association")
        DISSOCIATED = "dissociated", _("Removed an association")
        LINKED = "linked", _("Linked a ticket")
        MESSAGE_MOVED = "message_moved", _("Moved a message")
        SLA = "sla", _("SLA")
        DELETED = "deleted", _("Deleted the ticket")
        RESTORED = "restored", _("Restored the ticket")
        MERGED = "merged", _("Merged tickets")
        SPLIT = "split", _("Split the ticket")
        CONVERSATION_MOVED = "conversation_moved", _("Moved a conversation to another inbox")
        TAGGED = "tagged", _("Added a tag")
        UNTAGGED = "untagged", _("Removed a tag")
        # The customer rated the support (a satisfaction survey): `new_value`
        # the rating's code, `old_value` the one it replaced.
        RATED = "rated", _("Rated the support")
        # The customer opened a shared document's link (library): `new_value`
        # the document's name. Only the first open per ticket is a line.
        OPENED = "opened", _("Opened a document")
        # The customer accepted a quote on its public page: `old_value` the
        # name they typed, `new_value` the quote's title.
        QUOTE_ACCEPTED = "quote_accepted", _("Accepted a quote")

    class Via(models.TextChoices):
        """What made a change on the actor's behalf (the timeline says "by rule
        “Escalate overdue”"); empty for a change made by hand."""

        RULE = "rule", _("Rule")
        MACRO = "macro", _("Macro")
        ROUTING = "routing", _("Routing")
        # The customer, in the customer portal (`via_name`: their name).
        PORTAL = "portal", _("Customer portal")

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    kind = models.CharField(max_length=20, choices=Kind)
    via = models.CharField(max_length=10, choices=Via, blank=True, default="", db_default="")
    # The rule's or macro's name when it acted, or the routing method.
    via_name = models.CharField(max_length=200, blank=True, default="", db_default="")
    field = models.CharField(max_length=50, blank=True)
    old_value = models.TextField(blank=True)
    new_value = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["ticket", "-created_at", "-id"], name="ticketevent_timeline")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.field}"


class SavedView(LocalNames, models.Model):
    """A custom view (S27): AND-ed filters and a sort, private or shared.

    `filters` holds [property, operator, value] triples as tickets.filters reads
    them from the URL; a shared view still shows each viewer only the tickets
    they may see (S3).
    """

    class Sharing(models.TextChoices):
        PRIVATE = "private", _("Private")
        TEAMS = "teams", _("Chosen teams")
        EVERYONE = "everyone", _("Everyone")

    name = models.CharField(_("name"), max_length=100)
    labels = models.JSONField(_("names in other languages"), default=dict, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.CASCADE,
        related_name="saved_views",
    )
    sharing = models.CharField(
        _("sharing"), max_length=10, choices=Sharing, default=Sharing.PRIVATE
    )
    teams = models.ManyToManyField(Team, verbose_name=_("teams"), blank=True)
    filters = models.JSONField(_("filters"), default=list, blank=True)
    sort = models.CharField(_("sort"), max_length=60, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("custom view")
        verbose_name_plural = _("custom views")

    def __str__(self) -> str:
        # The name in the reader's language: the admin's pickers, filters and
        # lists show a row by its str() (issue 14).
        return self.local_name

    @property
    def slug(self) -> str:
        return f"v{self.pk}"

    @property
    def is_shared(self) -> bool:
        return self.sharing != self.Sharing.PRIVATE


class WorkspaceLayout(models.Model):
    """The help desk's choice of what the ticket information section shows (S29,
    set by admins). One row."""

    properties = models.JSONField(
        _("properties in the ticket information section"), default=list, blank=True
    )

    class Meta:
        verbose_name = _("ticket sidebar layout")
        verbose_name_plural = _("ticket sidebar layout")

    def __str__(self) -> str:
        return str(_("Ticket sidebar layout"))

    @classmethod
    def current(cls) -> "WorkspaceLayout":
        """The layout, kept like TicketSettings.current(): read it only."""
        return remembered("tickets.workspace_layout", lambda: cls.objects.first() or cls())

    def shown_properties(self, definitions) -> list[str]:
        """The keys shown: the admin's choice, else every built-in and the custom
        properties marked "show in the ticket sidebar"."""
        known = [*INFO_BUILTINS, *(d.key for d in definitions)]
        if not self.properties:
            return [*INFO_BUILTINS, *(d.key for d in definitions if d.in_sidebar)]
        return [key for key in self.properties if key in known]


class WorkspacePreference(models.Model):
    """One agent's arrangement of the workspace (S26, S28, S29)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="workspace_preference"
    )
    last_view = models.CharField(max_length=40, blank=True)
    property_order = models.JSONField(default=list, blank=True)
    card_order = models.JSONField(default=list, blank=True)
    list_columns = models.JSONField(default=list, blank=True)
    # The top bar's latest searches, latest first (issue 19).
    recent_searches = models.JSONField(default=list, blank=True)

    RECENT_SEARCHES = 8

    def __str__(self) -> str:
        return f"{self.user}"

    @classmethod
    def remember_search(cls, user, text: str) -> None:
        """Put `text` first in the user's recent searches (once, at most
        RECENT_SEARCHES kept); writes only when that changes them."""
        text = " ".join(text.split())[:200]
        if not text:
            return
        preference = cls.for_user(user)
        recent = [text, *(t for t in preference.recent_searches if t != text)]
        recent = recent[: cls.RECENT_SEARCHES]
        if recent != preference.recent_searches:
            preference.recent_searches = recent
            preference.save(update_fields=["recent_searches"])

    @classmethod
    def for_user(cls, user) -> "WorkspacePreference":
        """The user's preferences, read once per request (the user object lives
        for one request) and created on first use."""
        if not hasattr(user, "_workspace_preference"):
            found = PREFERENCE.first(user.pk)
            if found is None:
                found, _created = cls.objects.get_or_create(user=user)
            user._workspace_preference = found
        return user._workspace_preference

    @classmethod
    def remember_view(cls, user, slug: str) -> None:
        """The view the agent opened last (home opens it); writes only on change."""
        preference = cls.for_user(user)
        if preference.last_view != slug:
            preference.last_view = slug
            preference.save(update_fields=["last_view"])


# Read on every page an agent opens: compiled once (helpdesk.prepared).
PREFERENCE = Prepared(lambda user: WorkspacePreference.objects.filter(user=user), int)

# One ticket, locked: the first statement of each write to it that a message
# makes (a customer's, an agent's reply or comment), compiled once
# (helpdesk.prepared). Django took longer to build it than PostgreSQL to
# answer it: 0.9 ms of a customer's reply of 6 (issue 22).
ONE_LOCKED = Prepared(lambda pk: Ticket.objects.locked(pk), int)


def locked_ticket(pk: int) -> Ticket:
    """`Ticket.objects.locked(pk).get()`, compiled once."""
    ticket = ONE_LOCKED.first(pk)
    if ticket is None:
        raise Ticket.DoesNotExist(f"No ticket {pk}.")
    return ticket
