from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Team
from helpdesk.labels import LocalNames
from tickets.models import SavedView, Ticket

from . import actions as actions_module


class Macro(LocalNames, models.Model):
    """A named list of actions an agent applies to a ticket in one click
    (issue 17). Personal (private) or shared with chosen teams or everyone,
    exactly as custom views are (S27): `SavedView.Sharing`."""

    Sharing = SavedView.Sharing

    name = models.CharField(_("name"), max_length=100)
    labels = models.JSONField(_("names in other languages"), default=dict, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.CASCADE,
        related_name="macros",
    )
    sharing = models.CharField(
        _("sharing"), max_length=10, choices=Sharing, default=Sharing.PRIVATE
    )
    teams = models.ManyToManyField(Team, verbose_name=_("teams"), blank=True)
    # Validated by workflows.actions.validate(for_macro=True); the version says
    # how to read rows written before a change of their shape.
    actions = models.JSONField(_("actions"), default=list, blank=True)
    schema_version = models.PositiveSmallIntegerField(default=actions_module.SCHEMA_VERSION)
    position = models.PositiveIntegerField(_("position"), default=0)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("last modified"), auto_now=True)

    class Meta:
        ordering = ["position", "name", "id"]
        verbose_name = _("macro")
        verbose_name_plural = _("macros")
        constraints = [
            models.UniqueConstraint(fields=["owner", "name"], name="macro_unique_name_per_owner")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_shared(self) -> bool:
        return self.sharing != self.Sharing.PRIVATE

    def clean(self):
        self.actions = actions_module.validate(self.actions, for_macro=True)
        self.schema_version = actions_module.SCHEMA_VERSION

    @property
    def has_reply(self) -> bool:
        return any(row.get("type") == "reply_text" for row in self.actions)


# Rules ----------------------------------------------------------------------
#
# Rules: what the help desk does by itself when something happens to a
# ticket, or when time passes (S12, S21; issue 17).
#
# A rule is structured data: when it runs (events, or a moment plus a number of
# hours), conditions (all of one list and any of another, each a [property,
# operator, value] triple as the ticket list's filters read them, or one of the
# event's own conditions in workflows.conditions), and actions (workflows.actions).
# `schema_version` says which shape the JSON has, so a later shape can be read
# next to an older one.


class Event(models.TextChoices):
    CREATED = "created", _("Ticket created")
    CUSTOMER_MESSAGE = "customer_message", _("Customer message received")
    AGENT_REPLY = "agent_reply", _("Agent reply sent")
    COMMENT = "comment", _("Comment added")
    STATUS = "status", _("Status changed")
    OWNER = "owner", _("Owner changed")
    TEAM = "team", _("Team changed")
    PRIORITY = "priority", _("Priority changed")
    PROPERTY = "property", _("Another property changed")
    TAGS = "tags", _("Tags changed")
    SLA_DUE_SOON = "sla_due_soon", _("SLA due soon")
    SLA_OVERDUE = "sla_overdue", _("SLA overdue")


class Moment(models.TextChoices):
    """What a time-based rule counts its hours from (a Ticket column)."""

    CREATED = "created_at", _("Hours since created")
    CUSTOMER_MESSAGE = "last_customer_message_at", _("Hours since the last customer message")
    AGENT_REPLY = "last_agent_reply_at", _("Hours since the last agent reply")
    STATUS = "stage_changed_at", _("Hours since the status changed")


class Rule(models.Model):
    class Trigger(models.TextChoices):
        EVENT = "event", _("When something happens")
        TIME = "time", _("When time passes")

    name = models.CharField(_("name"), max_length=200)
    is_active = models.BooleanField(_("active"), default=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    trigger = models.CharField(_("runs"), max_length=10, choices=Trigger, default=Trigger.EVENT)
    events = models.JSONField(_("events"), default=list, blank=True)
    moment = models.CharField(
        _("counting from"), max_length=30, choices=Moment, blank=True, default=""
    )
    hours = models.PositiveIntegerField(
        _("hours"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(24 * 365)],
    )
    business_hours = models.BooleanField(
        _("count business hours only"),
        default=False,
        help_text=_("Hours of the working-hours calendar of the ticket's team (SLA settings)."),
    )
    conditions_all = models.JSONField(_("conditions: all of"), default=list, blank=True)
    conditions_any = models.JSONField(_("conditions: any of"), default=list, blank=True)
    actions = models.JSONField(_("actions"), default=list, blank=True)
    schema_version = models.PositiveSmallIntegerField(
        default=actions_module.SCHEMA_VERSION, editable=False
    )
    stop_processing = models.BooleanField(
        _("stop here"),
        default=False,
        help_text=_("When this rule fires, the rules after it do not run for the same event."),
    )
    # Set when the rule cannot run any more (a status it sets was deleted, a
    # team it names is gone): the rule is switched off and says why.
    disabled_reason = models.TextField(_("switched off because"), blank=True, editable=False)
    # Time-based rules: the cut-off of the last run, so the next one reads
    # only the tickets that crossed the threshold since.
    swept_until = models.DateTimeField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("rule")
        verbose_name_plural = _("rules")

    def __str__(self) -> str:
        return self.name

    def clean(self):
        self.actions = actions_module.validate(self.actions, for_macro=False)
        self.schema_version = actions_module.SCHEMA_VERSION


class RuleEvent(models.Model):
    """Something rules may act on, recorded in the transaction of the change
    (an outbox): the worker evaluates it after commit, so rules never delay the
    change or the webhook that made it, and a broker outage loses nothing (the
    beat picks up what waits)."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="+")
    event = models.CharField(max_length=20, choices=Event)
    # What the event carries: the message id, the previous values, the tags.
    details = models.JSONField(default=dict, blank=True)
    # 0 for a person's change; a change a rule made is one deeper. Events past
    # MAX_DEPTH are not recorded: rule chains end.
    depth = models.PositiveSmallIntegerField(default=0)
    # The person's change (an event of depth 0) this one descends from.
    root = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["ticket", "id"],
                name="ruleevent_pending",
                condition=Q(processed_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"{self.event} on #{self.ticket_id}"


class RuleFiring(models.Model):
    """A rule fired on a ticket: for a person's change (at most once each,
    with everything rules did because of it: `event` is its root event), or
    for a time-based rule's moment (at most once per moment). Also what the daily cap
    per ticket counts."""

    rule = models.ForeignKey(Rule, on_delete=models.CASCADE, related_name="firings")
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="+")
    event = models.ForeignKey(RuleEvent, null=True, blank=True, on_delete=models.SET_NULL)
    moment = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # A time-based rule's firing is recorded by the sweep and applied by the
    # worker; empty until then (an event's is applied as it is recorded).
    applied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "event"],
                name="rulefiring_once_per_event",
                condition=Q(event__isnull=False),
            ),
            models.UniqueConstraint(
                fields=["rule", "ticket", "moment"],
                name="rulefiring_once_per_moment",
                condition=Q(moment__isnull=False),
            ),
        ]
        indexes = [
            models.Index(fields=["ticket", "rule", "-created_at"], name="rulefiring_cap"),
            models.Index(
                fields=["rule", "id"],
                name="rulefiring_pending",
                condition=Q(applied_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rule_id} on #{self.ticket_id}"


class WorkflowSettings(models.Model):
    """Limits that keep rules from running away. One row."""

    max_firings_per_day = models.PositiveIntegerField(
        _("times a rule may fire on one ticket per day"),
        default=10,
        validators=[MinValueValidator(1), MaxValueValidator(1000)],
    )

    class Meta:
        verbose_name = _("rule settings")
        verbose_name_plural = _("rule settings")

    def __str__(self) -> str:
        return str(_("Rule settings"))

    @classmethod
    def current(cls) -> "WorkflowSettings":
        return cls.objects.first() or cls()
