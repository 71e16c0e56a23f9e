"""The ticket list's filters and sort (S27, S28), as they travel in the URL.

A condition is a property, an operator that fits the property's type and a
value: `?f=priority:any_of:high,urgent&f=created_at:last_days:7&sort=-created_at`.
The quick filters (`?owner=3&team=2`) are conditions too. A custom view stores
the same triples, so "save as view" is the URL's state written down.

Conditions become one SQL filter, applied after access.visible_tickets(): a
filter never widens what a user may see.
"""

import datetime
import functools
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings as django_settings
from django.db import connection
from django.db.models import (
    Case,
    DateTimeField,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    FloatField,
    Func,
    IntegerField,
    OuterRef,
    Q,
    Value,
    When,
)
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, Lower, NullIf
from django.db.models.lookups import Exact, GreaterThan, In, LessThan, LessThanOrEqual
from django.db.models.sql.where import WhereNode
from django.http import QueryDict
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.functional import Promise
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import Team, User
from crm.models import Company
from helpdesk import memo

from .models import (
    SLA_DUE,
    Category,
    Pipeline,
    Priority,
    PropertyDefinition,
    Source,
    Stage,
    Tag,
    Ticket,
    TicketTag,
)

MAX_CONDITIONS = 20
MAX_VALUES = 50

OPERATORS: dict[str, Promise] = {
    "is": _("is"),
    "is_not": _("is not"),
    "any_of": _("is any of"),
    "contains": _("contains"),
    "starts_with": _("starts with"),
    "known": _("is known"),
    "unknown": _("is unknown"),
    "gt": _("is greater than"),
    "lt": _("is less than"),
    "after": _("is after"),
    "before": _("is before"),
    "between": _("is between"),
    "last_days": _("in the last … days"),
    "on": pgettext_lazy("a day", "is on"),
    "has_any": _("has any of"),
    "has_all": _("has all of"),
    "has_none": _("has none of"),
}
# Operators that need no value.
VALUELESS = {"known", "unknown"}
OPERATORS_BY_TYPE = {
    "choice": ["any_of", "is_not", "known", "unknown"],
    "text": ["is", "is_not", "contains", "starts_with", "known", "unknown"],
    "number": ["is", "gt", "lt", "known", "unknown"],
    "date": ["after", "before", "between", "last_days", "known", "unknown"],
    # A property that holds of a ticket at the end of one day (the reports'
    # "open at the end of the day").
    "day": ["on"],
    # An hour of the week, "weekday-hour" (Monday is 0), in the reader's zone.
    "slot": ["any_of"],
    "record": ["is", "contains", "known", "unknown"],
    "sla": ["any_of"],
    "tags": ["has_any", "has_all", "has_none"],
}

SLA_STATES = {
    "due_soon": _("Due soon"),
    "overdue": _("Overdue"),
    "first_response_overdue": _("First response overdue"),
    "next_response_overdue": _("Next response overdue"),
    "close_overdue": _("Time to close overdue"),
}


class FilterError(ValueError):
    """A condition that cannot be applied, with a message for the agent."""


@dataclass(frozen=True)
class Property:
    """A property the list can filter on: its key, label, type and column."""

    key: str
    label: Promise | str
    type: str
    column: str = ""
    choices: Callable[[], list[tuple[str, str]]] | None = None
    definition: PropertyDefinition | None = None
    # A property of another app's rows (see register_related): its own SQL.
    where: Callable[["Property", "Condition"], Q] | None = None
    # Offered in the pickers of the table's filters and the rules; False: a
    # report's drill-down sets it (the reports' hour of the week).
    offered: bool = True

    @property
    def operators(self) -> list[tuple[str, Promise]]:
        return [(op, OPERATORS[op]) for op in OPERATORS_BY_TYPE[self.type]]


def _users():
    people = (u for u in User.listed() if u.role != User.Role.COLLABORATOR)
    return [("me", str(_("Me"))), *((str(u.pk), u.display_name) for u in people)]


def _stages():
    pipelines = Pipeline.listed()
    return [
        (str(s.pk), f"{p.local_name} · {s.local_name}" if len(pipelines) > 1 else s.local_name)
        for p in pipelines
        for s in p.stages.all()
    ]


BUILTIN = [
    Property("owner", _("Ticket owner"), "choice", "owner_id", _users),
    Property("team", _("Team"), "choice", "team_id", lambda: _pairs(Team.listed())),
    Property("priority", _("Priority"), "choice", "priority", lambda: Priority.choices),
    Property("pipeline", _("Pipeline"), "choice", "pipeline_id", lambda: _pairs(Pipeline.listed())),
    Property("stage", _("Ticket status"), "choice", "stage_id", _stages),
    Property("category", _("Category"), "choice", "category", lambda: Category.choices),
    Property("source", _("Source"), "choice", "source", lambda: Source.choices),
    Property("name", _("Ticket name"), "text", "name"),
    Property("created_at", _("Created"), "date", "created_at"),
    Property("last_activity_at", _("Last activity"), "date", "last_activity_at"),
    Property("closed_at", _("Closed"), "date", "closed_at"),
    Property("contact", _("Contact (email)"), "record", "contact"),
    Property("company", _("Company"), "record", "company"),
    Property("contact_name", _("Contact name"), "record", "contact_name"),
    Property("contact_phone", _("Contact phone number"), "record", "contact_phone"),
    Property("company_domain", _("Company domain"), "record", "company_domain"),
    Property("sla", _("SLA status"), "sla", "sla", lambda: list(SLA_STATES.items())),
    Property("language", _("Language of the customer"), "choice", "language", lambda: _languages()),
    # "Is unknown" leaves out tickets merged into another, as reports count
    # them (their drill-downs say so); any other value names a ticket id.
    Property("merged_into", _("Merged into ticket"), "choice", "merged_into_id", lambda: []),
    Property(
        "tags", _("Tags"), "tags", "tags", lambda: [(str(t.pk), t.name) for t in Tag.listed()]
    ),
]
# Properties an app above this one answers about a ticket (the satisfaction
# surveys' rating), registered from its AppConfig.ready(): the tickets app
# imports no app above it.
RELATED: dict[str, Property] = {}


def register_related(prop: Property) -> Property:
    """Let the ticket table, views and rules filter on `prop`, whose `where`
    turns a checked condition into a condition on the tickets."""
    RELATED[prop.key] = prop
    return prop


QUICK = ("owner", "priority", "pipeline", "stage", "team", "tags")
# The value a quick filter on a relation gives for "nobody" ("Unassigned").
NOBODY = "none"
# The operator of a quick filter's condition: "is any of" for most, "has any
# of" for tags.
QUICK_OPERATORS = {"tags": "has_any"}


def _languages() -> list[tuple[str, str]]:
    """The UI's languages (Chinese in both scripts), as the ticket's detected
    language (routing) is coded."""
    found = [(code, str(name)) for code, name in django_settings.LANGUAGES]
    return [*found, ("zh-hans", "简体中文")]


def _pairs(rows) -> list[tuple[str, str]]:
    return [(str(row.pk), row.local_name) for row in rows]


def properties() -> dict[str, Property]:
    """Every filterable property, built-in and custom (one query, none in a
    request that checked the settings' version: helpdesk.memo)."""
    found = {p.key: p for p in BUILTIN} | RELATED
    for definition in PropertyDefinition.listed():
        found[definition.key] = Property(
            definition.key,
            definition.local_name,
            definition.type,
            definition.key,
            (lambda d=definition: d.local_choices)
            if definition.type == PropertyDefinition.Type.CHOICE
            else None,
            definition,
        )
    return found


@dataclass(frozen=True)
class Condition:
    key: str
    operator: str
    value: str = ""

    def encode(self) -> str:
        return f"{self.key}:{self.operator}:{self.value}"

    @classmethod
    def decode(cls, text: str) -> "Condition | None":
        parts = text.split(":", 2)
        if len(parts) < 2:
            return None
        return cls(parts[0], parts[1], parts[2] if len(parts) == 3 else "")

    @property
    def values(self) -> list[str]:
        return [v for v in (s.strip() for s in self.value.split(",")) if v][:MAX_VALUES]


SORTS = {
    # key: (label, order expression or column, indexed)
    "id": (_("Ticket ID"), "id"),
    "name": (_("Ticket name"), "name"),
    "contact": (_("Contact"), "contact_sort"),
    "team": (_("Team"), "team__name"),
    "sla": (_("SLA due next"), "sla_due"),
    "priority": (_("Priority"), "priority_rank"),
    "stage": (_("Ticket status"), "stage__position"),
    "owner": (_("Ticket owner"), "owner__first_name"),
    "created_at": (_("Created"), "created_at"),
    "last_activity_at": (_("Last activity"), "last_activity_at"),
}
DEFAULT_SORT = "-last_activity_at"


@dataclass
class ListState:
    """What a list shows: conditions, search text, sort and page."""

    conditions: list[Condition] = field(default_factory=list)
    search: str = ""
    sort: str = ""
    page: int = 1
    # A custom view's state edited in its table: URLs carry "state=1" so that an
    # empty filter list stays empty instead of falling back to the saved one.
    edited_view: bool = False

    @classmethod
    def from_query(cls, query: QueryDict) -> "ListState":
        conditions = []
        for key in QUICK:
            values = [v for v in query.getlist(key) if v]
            if values:
                operator = QUICK_OPERATORS.get(key, "any_of")
                conditions.append(Condition(key, operator, ",".join(values)))
        for text in query.getlist("f")[:MAX_CONDITIONS]:
            condition = Condition.decode(text)
            if condition:
                conditions.append(condition)
        sort = query.get("sort", "")
        try:
            page = max(1, min(int(query.get("page", 1)), 10_000))
        except ValueError:
            page = 1
        return cls(conditions, query.get("q", "").strip()[:200], sort, page)

    @classmethod
    def from_saved(cls, view) -> "ListState":
        conditions = [Condition(*triple) for triple in view.filters if len(triple) == 3]
        return cls(conditions, "", view.sort)

    def _quick_condition(self, key: str) -> Condition | None:
        """The condition quick filter `key` shows: the first "is any of" ("has
        any of" for tags) with a single value (more values are shown as an
        advanced filter)."""
        operator = QUICK_OPERATORS.get(key, "any_of")
        for c in self.conditions:
            if c.key == key and c.operator == operator and len(c.values) == 1:
                return c
        return None

    def quick(self, key: str) -> list[str]:
        condition = self._quick_condition(key)
        return condition.values if condition else []

    @property
    def advanced(self) -> list[Condition]:
        """The conditions the quick filters do not show."""
        shown = [self._quick_condition(key) for key in QUICK]
        return [c for c in self.conditions if not any(c is s for s in shown)]

    def querystring(self, without: Condition | None = None, **changes) -> str:
        """This state as a query string, with `changes` (sort=, page=, q=) applied
        and the condition `without` left out."""
        params = [("state", 1)] if self.edited_view else []
        for key in QUICK:
            params += [(key, v) for v in self.quick(key)]
        params += [("f", c.encode()) for c in self.advanced if c != without]
        values = {"q": self.search, "sort": self.sort, "page": self.page} | changes
        if values["q"]:
            params.append(("q", values["q"]))
        if values["sort"]:
            params.append(("sort", values["sort"]))
        if values["page"] and str(values["page"]) != "1":
            params.append(("page", values["page"]))
        return urlencode(params)

    def triples(self) -> list[list[str]]:
        return [[c.key, c.operator, c.value] for c in self.conditions]


# From conditions to SQL --------------------------------------------------------


def apply(tickets, state: ListState, user: User, known: dict[str, Property] | None = None):
    """`tickets` narrowed by every condition of `state` (AND). Raises FilterError."""
    known = known if known is not None else properties()
    for condition in state.conditions:
        tickets = tickets.filter(condition_q(condition, known, user))
    _check_pairs(state)
    return tickets


def condition_q(condition: Condition, known: dict[str, Property], user: User | None) -> Q:
    """One condition as SQL, checked against the properties `known`; the
    ticket list and the rules (workflows.conditions) both read conditions
    through it. Without a `user` ("me" has no meaning) "me" matches nobody."""
    prop = known.get(condition.key)
    if prop is None:
        raise FilterError(_("There is no property “%(key)s”.") % {"key": condition.key})
    if condition.operator not in OPERATORS_BY_TYPE[prop.type]:
        raise FilterError(
            _("“%(operator)s” does not apply to %(property)s.")
            % {"operator": condition.operator, "property": prop.label}
        )
    if condition.operator not in VALUELESS and not condition.values:
        raise FilterError(_("Enter a value for %(property)s.") % {"property": prop.label})
    return _condition(prop, condition, user)


def _check_pairs(state: ListState) -> None:
    """A status filter may only name statuses of the pipelines a pipeline
    filter chose (issue 14): any other makes a view that can never show a
    ticket, which reads as "nothing to do"."""
    chosen = {
        key: [
            {int(v) for v in c.values if v.isdigit()}
            for c in state.conditions
            if c.key == key and c.operator == "any_of"
        ]
        for key in ("pipeline", "stage")
    }
    for pipelines in chosen["pipeline"]:
        for stages in chosen["stage"]:
            stray = (
                Stage.objects.filter(pk__in=stages)
                .exclude(pipeline_id__in=pipelines)
                .select_related("pipeline")
                .first()
            )
            if stray is not None:
                raise FilterError(
                    _(
                        "The status “%(stage)s” is one of the pipeline “%(pipeline)s”, which the filter does not include."
                    )
                    % {"stage": stray.local_name, "pipeline": stray.pipeline.local_name}
                )


def _condition(prop: Property, condition: Condition, user: User | None) -> Q:
    if prop.where is not None:
        return prop.where(prop, condition)
    if prop.type == "tags":
        return _tags(prop, condition)
    if prop.type == "sla":
        return _any(_sla_state(value) for value in condition.values)
    if prop.type == "record":
        return _record(prop, condition)
    if prop.definition is not None:
        return _custom(prop, condition)
    column, op = prop.column, condition.operator
    if op in VALUELESS:
        empty = Q(**{f"{column}__isnull": True})
        if prop.type in ("text", "choice") and not column.endswith("_id"):
            empty |= Q(**{column: ""})
        return ~empty if op == "known" else empty
    values = [(str(user.pk) if user else "0") if v == "me" else v for v in condition.values]
    if prop.type == "choice":
        # "none" on a relation: nobody (the owner quick filter's "Unassigned").
        nobody = column.endswith("_id") and NOBODY in values
        if column.endswith("_id"):
            values = [_int(v, prop) for v in values if v != NOBODY]
        matched = Q(**{f"{column}__in": values})
        empty = Q(**{f"{column}__isnull": True})
        if op == "any_of" and prop.key == "stage":
            return matched & _stages_state(values)
        if op == "any_of":
            return matched | empty if nobody else matched
        if not Ticket._meta.get_field(column).null:
            # "OR priority IS NULL" would match nothing, and would hide the
            # plain NOT IN from PostgreSQL and from sort_tiers: sorted by
            # priority, "priority is not high, low" read every low ticket
            # for a tier it excludes (0.54 s at a million tickets).
            return ~matched
        return ~matched & ~empty if nobody else ~matched | empty
    if prop.type == "text":
        text = condition.value
        return {
            "is": Q(**{f"{column}__iexact": text}),
            "is_not": ~Q(**{f"{column}__iexact": text}),
            "contains": Q(**{f"{column}__icontains": text}),
            "starts_with": Q(**{f"{column}__istartswith": text}),
        }[op]
    return date_condition(column, condition, prop)


def _stages_state(stage_ids: list[int]) -> Q:
    """What the chosen statuses say of their tickets: every ticket in an open
    status is open (Ticket.is_open; StageForm keeps a status that holds
    tickets open or closed). Said in SQL too, it lets PostgreSQL read the
    open tickets' indexes rather than every ticket the status or the team
    ever had: a status's tickets oldest first took 2.6 s at a million
    tickets, 11 ms with it (issue 22). Only where the settings
    are kept (helpdesk.memo: the table, its count, ingestion's rules): the
    statuses would cost queries of their own elsewhere."""
    if memo.current() is None:
        return Q()
    closed = {s.pk: s.is_closed for p in Pipeline.listed() for s in p.stages.all()}
    states = {closed.get(pk) for pk in stage_ids}
    if states == {False}:
        return Q(is_open=True)
    if states == {True}:
        return Q(is_open=False)
    return Q()


def _any(conditions) -> Q:
    combined = Q(pk__in=[])
    for condition in conditions:
        combined |= condition
    return combined


def _int(value: str, prop: Property) -> int:
    try:
        return int(value)
    except ValueError:
        raise FilterError(
            _("“%(value)s” is not a value of %(property)s.")
            % {"value": value, "property": prop.label}
        ) from None


def _day(value: str, prop: Property) -> datetime.datetime:
    """Midnight at the start of a YYYY-MM-DD day in the user's time zone."""
    day = parse_date(value) if value else None
    if day is None:
        raise FilterError(
            _("Enter dates as YYYY-MM-DD for %(property)s.") % {"property": prop.label}
        )
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time()))


def date_condition(column: str, condition: Condition, prop: Property) -> Q:
    """A date operator (after, before, between, last days) on `column`, the
    ticket's or a related property's rows."""
    start, end = date_bounds(condition, prop)
    found = Q()
    if start is not None:
        found &= Q(**{f"{column}__gte": start})
    if end is not None:
        found &= Q(**{f"{column}__lt": end})
    return found


def date_bounds(
    condition: Condition, prop: Property
) -> tuple[datetime.datetime | None, datetime.datetime | None]:
    """The moments a date condition (after, before, between, last days, or
    on a day) spans, [start, end), None where it is open; for a related
    property whose moments are not one column (the reports' reopenings)."""
    one_day = datetime.timedelta(days=1)
    op, values = condition.operator, condition.values
    if op == "after":
        return _day(values[0], prop) + one_day, None
    if op == "before":
        return None, _day(values[0], prop)
    if op == "on":
        start = _day(values[0], prop)
        return start, start + one_day
    if op == "between":
        if len(values) != 2:
            raise FilterError(_("Enter two dates for %(property)s.") % {"property": prop.label})
        start, end = sorted([_day(values[0], prop), _day(values[1], prop)])
        return start, end + one_day
    # last_days
    days = _int(values[0], prop)
    if not 0 < days <= 3650:
        raise FilterError(_("Enter a number of days between 1 and 3650."))
    return timezone.now() - datetime.timedelta(days=days), None


# A contact's field, matched on any of its columns.
CONTACT_FIELDS = {
    "contact": ("email",),
    "contact_name": ("first_name", "last_name"),
    "contact_phone": ("phone", "mobile"),
}
# A company's field; a company is also reached through the ticket's contacts.
COMPANY_FIELDS = {"company": "name", "company_domain": "domain"}


def _record(prop: Property, condition: Condition) -> Q:
    """Associations: a contact by email address, name or phone number; a
    company by name or domain."""
    op, text = condition.operator, condition.value.strip()
    if prop.key in CONTACT_FIELDS:
        linked = Ticket.contacts.through.objects.filter(ticket_id=OuterRef("pk"))
    else:
        linked = Ticket.companies.through.objects.filter(ticket_id=OuterRef("pk"))
    if op in VALUELESS:
        return Q(Exists(linked)) if op == "known" else ~Q(Exists(linked))
    match = "__iexact" if op == "is" else "__icontains"
    if prop.key in COMPANY_FIELDS:
        companies = Company.objects.filter(**{COMPANY_FIELDS[prop.key] + match: text})
        return Q(Exists(linked.filter(company__in=companies))) | Q(
            Exists(
                Ticket.contacts.through.objects.filter(
                    ticket_id=OuterRef("pk"), contact__company__in=companies
                )
            )
        )
    matched = Q()
    for column in CONTACT_FIELDS[prop.key]:
        matched |= Q(**{f"contact__{column}{match}": text})
    return Q(Exists(linked.filter(matched)))


def _tags(prop: Property, condition: Condition) -> Q:
    """Tags by id: one EXISTS over the (tag, ticket) index for "any" and
    "none", one per tag for "all"."""
    ids = [_int(v, prop) for v in condition.values]

    def tagged(tag_ids) -> Exists:
        return Exists(TicketTag.objects.filter(ticket_id=OuterRef("pk"), tag_id__in=tag_ids))

    if condition.operator == "has_all":
        combined = Q()
        for tag_id in ids:
            combined &= Q(tagged([tag_id]))
        return combined
    matched = Q(tagged(ids))
    return matched if condition.operator == "has_any" else ~matched


def _custom(prop: Property, condition: Condition) -> Q:
    """Custom properties live in Ticket.properties (JSON); "" means empty."""
    key, op, values = prop.key, condition.operator, condition.values
    text = KeyTextTransform(key, "properties")
    known = Q(properties__has_key=key) & ~Q(**{f"properties__{key}": ""})
    if op in VALUELESS:
        return known if op == "known" else ~known
    if prop.type == "choice" or (prop.type == "text" and op in ("is", "is_not")):
        if prop.type == "text":
            values = [condition.value]
        matched = _any(_json_equals(key, v) for v in values)
        return matched if op in ("any_of", "is") else ~matched
    if prop.type == "text":
        match = "icontains" if op == "contains" else "istartswith"
        return Q(**{f"properties__{key}__{match}": condition.value})
    if prop.type == "number":
        try:
            number = float(values[0])
        except ValueError:
            raise FilterError(
                _("Enter a number for %(property)s.") % {"property": prop.label}
            ) from None
        cast = Cast(NullIf(text, Value("")), FloatField())
        lookup = {"is": Exact, "gt": GreaterThan, "lt": LessThan}[op]
        return Q(lookup(cast, number))
    # Dates are stored as ISO text, which sorts as the dates do.
    days = {
        "after": lambda: Q(**{f"properties__{key}__gt": values[0]}),
        "before": lambda: Q(**{f"properties__{key}__lt": values[0]}),
    }
    if op in days:
        _day(values[0], prop)
        return known & days[op]()
    if op == "between":
        if len(values) != 2:
            raise FilterError(_("Enter two dates for %(property)s.") % {"property": prop.label})
        start, end = sorted(values)
        _day(start, prop), _day(end, prop)
        return known & Q(**{f"properties__{key}__gte": start, f"properties__{key}__lte": end})
    since = (timezone.localdate() - datetime.timedelta(days=_int(values[0], prop))).isoformat()
    return known & Q(**{f"properties__{key}__gte": since})


def _json_equals(key: str, value: str) -> Q:
    """Containment (@>) on PostgreSQL, served by the GIN index on properties."""
    if connection.vendor == "postgresql":
        return Q(properties__contains={key: value})
    return Q(**{f"properties__{key}": value})


def _sla_state(state: str) -> Q:
    """Tickets whose SLA clocks are in `state` now (the rules of sla.clocks.status)."""
    now = timezone.now()
    running = Q(is_open=True, sla_paused_at__isnull=True)
    overdue = {
        "first_response_overdue": Q(
            sla_first_response_due__lte=now, sla_first_response_at__isnull=True
        ),
        "next_response_overdue": Q(sla_next_response_due__lte=now),
        "close_overdue": Q(sla_close_due__lte=now),
    }
    if state in overdue:
        return running & overdue[state]
    if state == "overdue":
        return running & _any(overdue.values())
    if state == "due_soon":
        soon = Minutes(F("sla_due_soon_minutes"))
        clocks = [
            Q(sla_first_response_at__isnull=True) & _soon("sla_first_response_due", now, soon),
            _soon("sla_next_response_due", now, soon),
            _soon("sla_close_due", now, soon),
        ]
        return running & _any(clocks)
    raise FilterError(_("Unknown SLA status “%(state)s”.") % {"state": state})


class Minutes(Func):
    """A whole number of minutes as a duration (SQLite keeps microseconds)."""

    output_field = DurationField()

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="make_interval(mins => %(expressions)s)")

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="(%(expressions)s * 60000000)")


def _soon(column: str, now, soon) -> Q:
    """The deadline in `column` is ahead, but closer than its due-soon threshold."""
    threshold = ExpressionWrapper(Value(now) + soon, output_field=DateTimeField())
    return Q(**{f"{column}__gt": now}) & Q(LessThanOrEqual(F(column), threshold))


# Sorting -------------------------------------------------------------------------


PRIORITY_RANK = Case(
    *(When(priority=value, then=Value(rank)) for rank, value in enumerate(Priority.values, 1)),
    default=Value(0),
    output_field=IntegerField(),
)


def sort(tickets, key: str):
    """Order by a sortable column ("-" first for descending), then by id. Empty
    values come last; NOT NULL columns are ordered plainly so that their
    indexes (last activity, creation, id) serve the order."""
    descending = key.startswith("-")
    name = key.lstrip("-")
    if name not in SORTS:
        name, descending = DEFAULT_SORT.lstrip("-"), True
    column = SORTS[name][1]
    if column == "priority_rank":
        tickets = tickets.annotate(priority_rank=PRIORITY_RANK)
    if column == "contact_sort":  # tickets without a contact last
        tickets = tickets.annotate(contact_sort=NullIf(Lower("contact_name"), Value("")))
    if column == "sla_due":
        tickets = tickets.annotate(sla_due=SLA_DUE)
    # Through a relation (the owner may be missing) or computed: may be empty.
    nullable = "__" in column or column in ("contact_sort", "sla_due")
    if descending:
        order = F(column).desc(nulls_last=True) if nullable else F(column).desc()
        return tickets.order_by(order, "-id")
    order = F(column).asc(nulls_last=True) if nullable else F(column).asc()
    return tickets.order_by(order, "id")


# The ticket relations a sort groups by: the model, the column it orders by,
# and the ticket's foreign key to it.
_GROUPED_BY = {
    "team": (Team, "name", "team_id"),
    "owner": (User, "first_name", "owner_id"),
    "stage": (Stage, "position", "stage_id"),
}


class _Tier:
    """One tier's tickets, narrowed when the pager first reads it (a
    queryset to it otherwise). A sort by owner has a tier per owner, and a
    page is mostly filled from the first: the tiers of 41 owners took 5.3 ms
    to build at a million tickets, 1.4 ms now (most of it the query for the
    owners the list holds; issue 22)."""

    def __init__(self, tickets, condition: Q):
        self._tickets, self._condition = tickets, condition

    @functools.cached_property
    def _narrowed(self):
        return self._tickets.filter(self._condition)

    def __getattr__(self, name: str):
        return getattr(self._narrowed, name)


def sort_tiers(tickets, key: str) -> list[tuple]:
    """sort() as tiers listed one after the other, each (tickets, order): the
    same order, cut so that an index reads each tier in order however many
    tickets there are (issue 22). A plain ORDER BY on a team's name or a
    computed rank would sort every open ticket for each page.

    - Columns of the ticket (id, dates, name) are one tier; the contact is two
      (with a name, by its lowercase form; then those without one); "SLA due
      next" is two (open tickets with a running clock, by due time; then the
      rest).
    - Team, owner, status and priority are a tier per value, in the value's
      order as the database sorts it (teams by name, owners by first name,
      statuses by position), tickets without one last; within a tier by id.

    Each tier has its index in Ticket.Meta, over the open tickets and over all.
    """
    descending = key.startswith("-")
    name = key.lstrip("-")
    if name not in SORTS:
        name, descending = DEFAULT_SORT.lstrip("-"), True
    tie = "-id" if descending else "id"

    def by(expression) -> tuple:
        return (expression.desc() if descending else expression.asc(), tie)

    if name == "contact":
        named = ~Q(contact_name="")
        return [
            (tickets.filter(named), by(Lower("contact_name"))),
            (tickets.exclude(named), (tie,)),
        ]
    if name == "sla":
        tickets = tickets.annotate(sla_due=SLA_DUE)
        running = Q(is_open=True, sla_due__isnull=False)
        return [(tickets.filter(running), by(F("sla_due"))), (tickets.exclude(running), (tie,))]
    if name == "priority":
        column = (tickets.query.base_table, Ticket._meta.get_field("priority"))
        every = ["", *Priority.values]  # PRIORITY_RANK's order
        groups = [Q(priority=value) for value in _allowed(every, tickets.query.where, column)]
    elif name in _GROUPED_BY:
        # Only the teams, owners or statuses that the list holds (one query,
        # an index probe each): a group left empty by the view's own filter
        # (the closed status in an open view) could cost a long scan to find
        # that out when its tier is read.
        model, column, foreign_key = _GROUPED_BY[name]
        held = Exists(tickets.filter(**{foreign_key: OuterRef("pk")}))
        ids_by_value: dict = {}
        for value, pk in (
            model.objects.filter(held).order_by(column, "pk").values_list(column, "pk")
        ):
            ids_by_value.setdefault(value, []).append(pk)
        groups = [Q(**{f"{foreign_key}__in": ids}) for ids in ids_by_value.values()]
    else:
        return [(tickets, by(F(SORTS[name][1])))]
    if descending:
        groups.reverse()
    tiers = [(_Tier(tickets, group), (tie,)) for group in groups]
    if name in ("team", "owner"):  # tickets without one last, either way
        # With none held, the list is that tier: saying "owner IS NULL" twice
        # (the quick filter "unassigned" said it) made PostgreSQL expect 514
        # of 24,000 rows and sort them all (0.1 s at a million tickets).
        tiers.append(
            (tickets if not groups else _Tier(tickets, Q(**{f"{name}__isnull": True})), (tie,))
        )
    return tiers


def _allowed(values: list, where: WhereNode, column: tuple) -> list:
    """`values` of `column` (table alias, field) less those the list's own
    filter excludes, as far as its plain conditions say (=, IN and NOT of
    them, joined by AND; anything else excludes nothing). A tier its filter
    excludes ("priority = low" under "priority IN (high)") is empty, but
    PostgreSQL costs it as a scan of every ticket: it started parallel
    workers and compiled the query (JIT), 38 ms a tier at a million tickets
    (issue 22)."""
    if where.connector != "AND" or where.negated:
        return values
    for child in where.children:
        if not isinstance(child, WhereNode):
            if (kept := _plain_values(child, column)) is not None:
                values = [value for value in values if value in kept]
        elif not child.negated:
            values = _allowed(values, child, column)
        elif len(child.children) == 1 and (
            (dropped := _plain_values(child.children[0], column)) is not None
        ):
            values = [value for value in values if value not in dropped]
    return values


def _plain_values(lookup, column: tuple) -> set | None:
    """The values of a `column = x` or `column IN (...)` lookup, else None."""
    if (
        isinstance(lookup, Exact | In)
        and (getattr(lookup.lhs, "alias", None), getattr(lookup.lhs, "target", None)) == column
        and not hasattr(lookup.rhs, "resolve_expression")
    ):
        return set(lookup.rhs) if isinstance(lookup, In) else {lookup.rhs}
    return None
