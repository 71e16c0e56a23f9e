"""A rule's conditions: [property, operator, value] triples.

Ticket properties (owner, status, priority, custom properties, contact,
company, SLA status, and whatever else the ticket list can filter on) are
read through `tickets.filters`, the table's advanced filters, so a rule and a
view agree on what "priority is any of High" means. An event reads the common
ones from the ticket row (`read_in_python`, held equal to the SQL by a
Hypothesis test) and asks one query for the rest (`engine.evaluate`); the
time-based sweep (`sweep`) puts them in its WHERE clause.

The event's own conditions (the message's text, the inbox it came to, whether
it is business hours now) are not columns of the ticket: they are read here,
in Python, from the event's message.
"""

import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from conversations.models import Inbox, Message
from sla import clocks
from tickets import filters
from tickets.models import Ticket

MAX_CONDITIONS = 30

# Operators of the event's own conditions, next to tickets.filters.OPERATORS.
OPERATORS = {
    **filters.OPERATORS,
    "matches_word": _("contains the word"),
}


@dataclass(frozen=True)
class EventProperty:
    key: str
    label: object
    type: str
    operators_: tuple[str, ...]
    choices: object = None
    offered: bool = True

    @property
    def operators(self):
        return [(op, OPERATORS[op]) for op in self.operators_]


def _inboxes():
    return [(str(pk), name) for pk, name in Inbox.objects.values_list("pk", "name")]


EVENT_PROPERTIES = {
    p.key: p
    for p in (
        EventProperty("message_text", _("Message text"), "text", ("contains", "matches_word")),
        EventProperty("inbox", _("Inbox of the message"), "choice", ("any_of",), _inboxes),
        EventProperty(
            "business_hours",
            _("Business hours now"),
            "choice",
            ("is",),
            lambda: [("yes", _("Within business hours")), ("no", _("Outside business hours"))],
        ),
    )
}
# Conditions a time-based rule may use: it has no message.
TIME_SAFE = {"business_hours"}


def known_properties() -> dict:
    """Every property a condition can name: the ticket's, then the event's."""
    return {**filters.properties(), **EVENT_PROPERTIES}


def clean(triples, *, time_based: bool = False, known: dict | None = None) -> list[list[str]]:
    """Validated [property, operator, value] triples, or ValidationError with
    one message per bad row."""
    known = known if known is not None else known_properties()
    if not isinstance(triples, list) or len(triples) > MAX_CONDITIONS:
        raise ValidationError(_("At most %(n)d conditions.") % {"n": MAX_CONDITIONS})
    cleaned, errors = [], []
    for row, triple in enumerate(triples, 1):
        try:
            key, operator, value = (str(part) for part in triple)
        except (TypeError, ValueError):
            errors.append(_("Condition %(row)d is incomplete.") % {"row": row})
            continue
        try:
            _check(filters.Condition(key, operator, value.strip()), known, time_based)
        except (filters.FilterError, ValidationError) as error:
            message = error.messages[0] if isinstance(error, ValidationError) else str(error)
            errors.append(_("Condition %(row)d: %(error)s") % {"row": row, "error": message})
            continue
        cleaned.append([key, operator, value.strip()])
    if errors:
        raise ValidationError(errors)
    return cleaned


def _check(condition: filters.Condition, known: dict, time_based: bool) -> None:
    event_property = EVENT_PROPERTIES.get(condition.key)
    if event_property is None:
        filters.condition_q(condition, known, None)
        return
    if time_based and condition.key not in TIME_SAFE:
        raise ValidationError(_("A rule that runs on time has no message to read."))
    if condition.operator not in event_property.operators_:
        raise ValidationError(
            _("“%(operator)s” does not apply to %(property)s.")
            % {"operator": condition.operator, "property": event_property.label}
        )
    if not condition.value:
        raise ValidationError(
            _("Enter a value for %(property)s.") % {"property": event_property.label}
        )


def split(triples) -> tuple[list[filters.Condition], list[filters.Condition]]:
    """(ticket conditions, event conditions)."""
    conditions = [filters.Condition(*triple) for triple in triples]
    return (
        [c for c in conditions if c.key not in EVENT_PROPERTIES],
        [c for c in conditions if c.key in EVENT_PROPERTIES],
    )


def ticket_q(conditions: list[filters.Condition], known: dict, *, any_of: bool = False) -> Q:
    """The ticket conditions as one SQL condition: all of them, or any."""
    parts = [filters.condition_q(c, known, None) for c in conditions]
    if not parts:
        return Q()
    combined = parts[0]
    for part in parts[1:]:
        combined = (combined | part) if any_of else (combined & part)
    return combined


# Read in Python, from the ticket row, when an event asks: the common
# conditions (a column's value, a custom property's, a name's words), the way
# their SQL in tickets.filters reads them. Compiling 200 rules' conditions to
# SQL costs Django tens of milliseconds; reading them here costs microseconds.
# tests/workflows/test_condition_paths.py holds the two readings equal.
UNREAD = object()  # this condition needs SQL (associations, SLA states)


def read_in_python(condition: filters.Condition, prop, ticket: Ticket):
    """True or False as the SQL would say for `ticket`, or UNREAD."""
    op = condition.operator
    if prop.type in ("record", "sla", "tags") or prop.where is not None:
        return UNREAD
    if prop.definition is not None:
        return _custom(condition, prop, ticket)
    column = prop.column
    value = getattr(ticket, column)
    if op in filters.VALUELESS:
        empty = value is None or (not column.endswith("_id") and value == "")
        return empty if op == "unknown" else not empty
    if prop.type == "choice":
        wanted = ["0" if v == "me" else v for v in condition.values]
        if column.endswith("_id"):
            wanted = [filters._int(v, prop) for v in wanted]
        if op == "any_of":
            return value in wanted
        return value is None or value not in wanted  # is_not
    if prop.type == "text":
        text, value = condition.value.upper(), (value or "").upper()
        return {
            "is": value == text,
            "is_not": value != text,
            "contains": text in value,
            "starts_with": value.startswith(text),
        }[op]
    if prop.type == "date":
        return _date(condition, prop, value)
    return UNREAD


def _date(condition: filters.Condition, prop, value):
    low, high = filters.date_bounds(condition, prop)  # validates, and states the bounds
    if value is None:
        return False
    return (low is None or value >= low) and (high is None or value < high)


def _custom(condition: filters.Condition, prop, ticket: Ticket):
    key, op = prop.key, condition.operator
    stored = ticket.properties.get(key)
    known = key in ticket.properties and stored != ""
    if op in filters.VALUELESS:
        return known if op == "known" else not known
    if prop.type == "choice" or (prop.type == "text" and op in ("is", "is_not")):
        wanted = [condition.value] if prop.type == "text" else condition.values
        matched = key in ticket.properties and stored in wanted
        return matched if op in ("any_of", "is") else not matched
    if prop.type == "text":
        if not isinstance(stored, str):
            return False
        text = condition.value.upper()
        return text in stored.upper() if op == "contains" else stored.upper().startswith(text)
    return UNREAD  # numbers and dates: their casts are SQL's


@dataclass
class EventFacts:
    """What an event's own conditions read, fetched once per event and only
    when a condition asks (`message` may be a function that fetches it)."""

    ticket: Ticket
    _message: object = None
    _business_hours: bool | None = None
    _fetched: bool = False

    @property
    def message(self) -> Message | None:
        if not self._fetched:
            if callable(self._message):
                self._message = self._message()
            self._fetched = True
        return self._message  # type: ignore[return-value]

    def holds(self, condition: filters.Condition) -> bool:
        if condition.key == "message_text":
            text = f"{self.message.subject}\n{self.message.text}" if self.message else ""
            if condition.operator == "contains":
                return condition.value.casefold() in text.casefold()
            return _word(condition.value).search(text) is not None
        if condition.key == "inbox":
            inbox = self.message.thread.inbox_id if self.message else None
            return str(inbox) in condition.values
        if condition.key == "business_hours":
            return self.business_hours() == (condition.value == "yes")
        return False

    def business_hours(self) -> bool:
        if self._business_hours is None:
            schedule = clocks.team_schedule(self.ticket.team_id)
            self._business_hours = schedule.is_working(timezone.now())
        return self._business_hours


def _word(word: str) -> re.Pattern:
    """The word on its own, in any case: "refund" in "Refund please", not in
    "refunded"."""
    return re.compile(rf"(?<!\w){re.escape(word)}(?!\w)", re.IGNORECASE)
