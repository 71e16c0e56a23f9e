"""What macros (and later rules) do to a ticket: a list of actions as data.

Actions are stored as a JSON list of dicts, each with a "type" and its
arguments (`[{"type": "set_priority", "value": "urgent"}, ...]`), next to the
SCHEMA_VERSION they were written in. Three functions read them:

- `validate(actions, for_macro=...)`: the cleaned list, or a ValidationError
  with one message per faulty row ("Action 2: this user no longer exists").
- `describe(actions, ticket, language=...)`: what would change on this ticket,
  as lines for a preview; nothing is written.
- `apply(actions, ticket=..., actor=..., via=..., name=...)`: the changes,
  made through the ticket and conversation services (ARCHITECTURE rule 8) in
  one transaction, inside `acting_as(via, name)` so each timeline line says
  "by macro “X”" or "by rule “X”".

Each type is a handler class in the `ACTIONS` registry, so the rules engine
adds its own types (tags, emails, routing, ...) with `@register` in its app
without editing this module. A handler's `inputs()` and `read()` are what the
settings builder renders and parses for its row.
"""

import contextlib
import contextvars
import datetime
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from html import escape, unescape
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import translation
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Team, User
from conversations.inserts import fill_placeholders, placeholder_values
from conversations.models import Message
from conversations.quoting import client_language
from conversations.sanitize import clean_editor_html, html_to_text, is_blank
from conversations.services import comment_add, system_comment_add
from helpdesk import memo
from tickets.filters import properties as filter_properties
from tickets.forms import property_field
from tickets.models import (
    BUILTIN_PROPERTIES,
    Category,
    Priority,
    PropertyDefinition,
    Stage,
    Ticket,
)
from tickets.services import acting_as, followers_add, ticket_set_stage, ticket_update

SCHEMA_VERSION = 1
MAX_ACTIONS = 30
MAX_HTML = 20_000
Row = dict[str, Any]


@dataclass
class Applied:
    """What apply() did: the reply text for the composer (placeholders filled,
    never sent), the changes made, and the actions skipped with their reason."""

    reply_html: str = ""
    changes: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


@dataclass
class Run:
    """One apply(): the ticket as the last service returned it (locked, fresh)."""

    ticket: Ticket
    actor: User | None
    result: Applied
    name: str = ""  # the macro's or rule's name


@dataclass(frozen=True)
class Input:
    """One input of an action's row in the builder."""

    name: str
    label: Any
    kind: str  # select, multiselect, text, html, translations, property
    choices: list[tuple[str, str]] = field(default_factory=list)
    value: Any = ""
    prop: Any = None  # tickets.filters.Property, for kind "property"
    refresh: bool = False  # the row's other inputs depend on this one
    help: Any = ""


class Action:
    """A type of action. Subclasses set `type` and `label` and implement
    validate, describe and apply; `order` puts statuses after the fields they
    may require, and comments after both."""

    type = ""
    label: Any = ""
    macro_only = False  # reply text: only an agent can review it
    in_bulk = True
    order = 0

    def validate(self, row: Row, *, for_macro: bool) -> Row:
        raise NotImplementedError

    def describe(self, row: Row, ticket: Ticket) -> list[str]:
        raise NotImplementedError

    def apply(self, row: Row, run: Run) -> None:
        raise NotImplementedError

    def pipeline_id(self, row: Row) -> int | None:
        """The pipeline this action only makes sense in, if any."""
        return None

    def inputs(self, row: Row) -> list[Input]:
        return []

    def read(self, get, getlist) -> Row:
        """The row as the builder posts it (`get(name)`, `getlist(name)`)."""
        return {i.name: get(i.name) for i in self.inputs({})}


ACTIONS: dict[str, Action] = {}


def register(action_class: type[Action]) -> type[Action]:
    ACTIONS[action_class.type] = action_class()
    return action_class


# Values --------------------------------------------------------------------------


def _id(value: object) -> int | None:
    if value in (None, ""):
        return None
    if isinstance(value, bool) or not str(value).strip().isdigit():
        raise ValidationError(_("Choose one of the offered options."))
    return int(str(value).strip())


# Lookups remembered for one apply() or describe(): a macro's preview line
# and its change read the same status, team or user.
_memo: contextvars.ContextVar[dict | None] = contextvars.ContextVar("memo", default=None)


def _remember(key: tuple, find: Callable[[], Any]) -> Any:
    memo = _memo.get()
    if memo is None:
        return find()
    if key not in memo:
        memo[key] = find()
    return memo[key]


@contextlib.contextmanager
def _remembering() -> Iterator[None]:
    token = _memo.set({})
    try:
        yield
    finally:
        _memo.reset(token)


def _user(pk: int | None) -> User | None:
    if not pk:
        return None
    return _remember(("user", pk), lambda: User.objects.filter(pk=pk, is_active=True).first())


def _team(pk: int | None) -> Team | None:
    if not pk:
        return None
    return _remember(("team", pk), lambda: Team.objects.filter(pk=pk).first())


def _definition(key: str) -> PropertyDefinition | None:
    return _remember(("property", key), lambda: PropertyDefinition.objects.filter(key=key).first())


def _property_definition(key: str) -> PropertyDefinition:
    definition = _definition(key)
    if definition is None:
        raise ValidationError(_("The property “%(key)s” does not exist.") % {"key": key})
    return definition


def clean_value(key: str, value: object) -> Any:
    """A built-in or custom property's value as actions store it: ids for the
    owner and team, codes for choices, text for the rest ("" = empty)."""
    if key in ("owner", "team"):
        pk = _id(value)
        model = User if key == "owner" else Team
        if pk is not None and not model.objects.filter(pk=pk).exists():
            if key == "owner":
                raise ValidationError(_("This user does not exist."))
            raise ValidationError(_("This team does not exist."))
        return pk
    if key in ("priority", "category"):
        choices = Priority if key == "priority" else Category
        value = str(value or "")
        if value and value not in choices.values:
            raise ValidationError(_("Choose one of the offered options."))
        return value
    if key == "description":
        return str(value or "")[:MAX_HTML]
    definition = _property_definition(key)
    try:
        return definition.to_storage(property_field(definition).clean(value))
    except ValidationError as error:
        raise ValidationError(f"{definition.local_name}: {error.messages[0]}") from None


def typed_value(key: str, value: Any) -> Any:
    """A stored value as the ticket services take it (a user, a team, a number)."""
    if key == "owner":
        return _user(value)
    if key == "team":
        return _team(value)
    if key in BUILTIN_PROPERTIES:
        return value or ""
    definition = _definition(key)
    if definition is None or value in (None, ""):
        return ""
    return property_field(definition).clean(value)


def show_value(key: str, value: Any) -> str:
    """A value as the agent reads it, in the active language."""
    if value in (None, ""):
        return _("Unassigned") if key == "owner" else "—"
    if key == "owner":
        pk = getattr(value, "pk", value)
        user = _remember(("any_user", pk), lambda: User.objects.filter(pk=pk).first())
        return user.display_name if user else "—"
    if key == "team":
        team = _team(getattr(value, "pk", value))
        return team.local_name if team else "—"
    if key == "priority":
        return str(Priority(value).label) if value in Priority.values else str(value)
    if key == "category":
        return str(Category(value).label) if value in Category.values else str(value)
    if key == "stage":
        return value.local_name
    definition = _definition(key)
    if definition is not None and definition.type == PropertyDefinition.Type.CHOICE:
        return definition.option_label(str(value))
    if isinstance(value, datetime.date | Decimal):
        return str(value)
    return str(value)


def gone(key: str) -> str:
    if key == "owner":
        return _("This user is no longer active.")
    if key == "team":
        return _("This team no longer exists.")
    return _("The property “%(key)s” does not exist.") % {"key": key}


def property_label(key: str) -> str:
    if key in BUILTIN_PROPERTIES:
        return str(BUILTIN_PROPERTIES[key])
    definition = _definition(key)
    return definition.local_name if definition else key


def _change(key: str, old: Any, new: Any) -> list[str]:
    old_text, new_text = show_value(key, old), show_value(key, new)
    if old_text == new_text:
        return []
    return [f"{property_label(key)}: {old_text} → {new_text}"]


def _current(ticket: Ticket, key: str) -> Any:
    return ticket.property_value(key)


# Field actions ------------------------------------------------------------------


class FieldAction(Action):
    """Set one built-in field (owner, team, priority, category)."""

    key = ""
    argument = "value"

    def validate(self, row: Row, *, for_macro: bool) -> Row:
        return {"type": self.type, self.argument: clean_value(self.key, row.get(self.argument))}

    def describe(self, row: Row, ticket: Ticket) -> list[str]:
        return _change(self.key, _current(ticket, self.key), row[self.argument])

    def apply(self, row: Row, run: Run) -> None:
        value = typed_value(self.key, row[self.argument])
        if value is None and row[self.argument] is not None:
            # A user deactivated or a team deleted since the list was saved:
            # never read that as "unassign".
            raise ValidationError(gone(self.key))
        run.ticket = ticket_update(actor=run.actor, ticket=run.ticket, **{self.key: value})

    def inputs(self, row: Row) -> list[Input]:
        return [
            Input(
                self.argument,
                BUILTIN_PROPERTIES[self.key],
                "select",
                [("", "—"), *self.choices()],
                "" if row.get(self.argument) is None else str(row.get(self.argument, "")),
            )
        ]

    def choices(self) -> list[tuple[str, str]]:
        raise NotImplementedError


@register
class SetOwner(FieldAction):
    type, key, argument = "set_owner", "owner", "user"
    label = gettext_lazy("Set the owner")

    def choices(self):
        people = User.objects.filter(is_active=True).exclude(role=User.Role.COLLABORATOR)
        return [(str(u.pk), u.display_name) for u in people]


@register
class SetTeam(FieldAction):
    type, key, argument = "set_team", "team", "team"
    label = gettext_lazy("Set the team")

    def choices(self):
        return [(str(t.pk), t.local_name) for t in Team.objects.all()]


@register
class SetPriority(FieldAction):
    type, key = "set_priority", "priority"
    label = gettext_lazy("Set the priority")

    def choices(self):
        return [(v, str(label)) for v, label in Priority.choices]


@register
class SetCategory(FieldAction):
    type, key = "set_category", "category"
    label = gettext_lazy("Set the category")

    def choices(self):
        return [(v, str(label)) for v, label in Category.choices]


def _property_inputs(keys: Iterable[str], values: dict, prefix: str) -> list[Input]:
    """One input per property, its widget chosen by the property's type, as
    the table's advanced filters choose it (tickets.filters.properties())."""
    known = filter_properties()
    found = []
    for key in keys:
        prop = known.get(key)
        if prop is None:
            continue
        choices = list(prop.choices()) if prop.choices else []
        if key == "owner":
            choices = [c for c in choices if c[0] != "me"]
        found.append(
            Input(f"{prefix}{key}", prop.label, "property", choices, values.get(key, ""), prop)
        )
    return found


@register
class SetProperty(Action):
    type = "set_property"
    label = gettext_lazy("Set a custom property")

    def validate(self, row: Row, *, for_macro: bool) -> Row:
        key = str(row.get("key") or "")
        if not key:
            raise ValidationError(_("Choose a property."))
        _property_definition(key)
        return {"type": self.type, "key": key, "value": clean_value(key, row.get("value"))}

    def describe(self, row: Row, ticket: Ticket) -> list[str]:
        return _change(row["key"], _current(ticket, row["key"]), row["value"])

    def apply(self, row: Row, run: Run) -> None:
        if _definition(row["key"]) is None:
            raise ValidationError(gone(row["key"]))
        run.ticket = ticket_update(
            actor=run.actor,
            ticket=run.ticket,
            properties={row["key"]: typed_value(row["key"], row["value"])},
        )

    def inputs(self, row: Row) -> list[Input]:
        keys = [(d.key, d.local_name) for d in PropertyDefinition.objects.all()]
        found = [
            Input(
                "key",
                gettext_lazy("Property"),
                "select",
                [("", "—"), *keys],
                row.get("key", ""),
                refresh=True,
            )
        ]
        if row.get("key"):
            found += _property_inputs([row["key"]], {row["key"]: row.get("value", "")}, "value_")
        return found

    def read(self, get, getlist) -> Row:
        key = get("key") or ""
        return {"key": key, "value": get(f"value_{key}") if key else ""}


@register
class SetStatus(Action):
    """Move to a status. A conditional one needs its required properties: from
    the row's `properties`, the ticket, or the fields this list sets before it;
    else it is skipped with the reason (the preview asks the agent for them)."""

    type = "set_status"
    label = gettext_lazy("Set the status")
    order = 10

    def validate(self, row: Row, *, for_macro: bool) -> Row:
        stage = Stage.objects.filter(pk=_id(row.get("stage")) or 0).first()
        if stage is None:
            raise ValidationError(_("Choose a status."))
        given = row.get("properties") or {}
        if not isinstance(given, dict):
            raise ValidationError(_("Choose one of the offered options."))
        properties = {}
        for key, value in given.items():
            if key not in stage.required_properties:
                raise ValidationError(
                    _("“%(stage)s” does not ask for the property “%(key)s”.")
                    % {"stage": stage.local_name, "key": key}
                )
            if value not in (None, ""):
                properties[key] = clean_value(key, value)
        return {"type": self.type, "stage": stage.pk, "properties": properties}

    def pipeline_id(self, row: Row) -> int | None:
        return Stage.objects.filter(pk=row["stage"]).values_list("pipeline_id", flat=True).first()

    def stage(self, row: Row) -> Stage | None:
        pk = row["stage"]
        return _remember(
            ("stage", pk), lambda: Stage.objects.select_related("pipeline").filter(pk=pk).first()
        )

    def problem(self, row: Row, ticket: Ticket) -> str:
        """Why this status cannot be set on `ticket`, or ""."""
        stage = self.stage(row)
        if stage is None:
            return _("The status no longer exists.")
        if stage.pipeline_id != ticket.pipeline_id:
            return _(
                "Status “%(stage)s” skipped: it belongs to the pipeline “%(pipeline)s”, "
                "not this ticket's."
            ) % {"stage": stage.local_name, "pipeline": stage.pipeline.local_name}
        return ""

    def missing(self, row: Row, ticket: Ticket, values: dict | None = None) -> list[str]:
        """Required properties with no value on the ticket, in the row or in
        `values` (what the actions before it set)."""
        stage = self.stage(row)
        if stage is None:
            return []
        given = {**(values or {}), **row.get("properties", {})}
        return [
            key
            for key in stage.required_properties
            if given.get(key) in (None, "") and ticket.property_value(key) in (None, "")
        ]

    def describe(self, row: Row, ticket: Ticket) -> list[str]:
        problem = self.problem(row, ticket)
        if problem:
            return [problem]
        stage = self.stage(row)
        lines = []
        if stage.pk != ticket.stage_id:
            label = _("Ticket status")
            lines.append(f"{label}: {ticket.stage.local_name} → {stage.local_name}")
        for key, value in row.get("properties", {}).items():
            lines += _change(key, ticket.property_value(key), value)
        return lines

    def apply(self, row: Row, run: Run) -> None:
        problem = self.problem(row, run.ticket)
        if problem:
            run.result.skipped.append(problem)
            return
        stage = self.stage(row)
        values = {key: typed_value(key, v) for key, v in row.get("properties", {}).items()}
        builtins = {k: values.pop(k) for k in list(values) if k in BUILTIN_PROPERTIES}
        try:
            run.ticket = ticket_set_stage(
                actor=run.actor, ticket=run.ticket, stage=stage, properties=values, **builtins
            )
        except ValidationError as error:
            run.result.skipped.append(
                _("Status “%(stage)s” skipped: %(reason)s")
                % {"stage": stage.local_name, "reason": " ".join(error.messages)}
            )

    def inputs(self, row: Row) -> list[Input]:
        stages = Stage.objects.select_related("pipeline")
        several = len({s.pipeline_id for s in stages}) > 1
        choices = [
            (
                str(s.pk),
                f"{s.pipeline.local_name} · {s.local_name}" if several else s.local_name,
            )
            for s in stages
        ]
        found = [
            Input(
                "stage",
                gettext_lazy("Ticket status"),
                "select",
                [("", "—"), *choices],
                str(row.get("stage") or ""),
                refresh=True,
            )
        ]
        stage = Stage.objects.filter(pk=_id_or_none(row.get("stage"))).first()
        if stage is not None:
            found += _property_inputs(stage.required_properties, row.get("properties", {}), "prop_")
        return found

    def read(self, get, getlist) -> Row:
        stage = Stage.objects.filter(pk=_id_or_none(get("stage"))).first()
        properties = {}
        for key in stage.required_properties if stage else []:
            value = get(f"prop_{key}")
            if value not in (None, ""):
                properties[key] = value
        return {"stage": get("stage") or "", "properties": properties}


def active_user_ids(raw: Iterable[object]) -> list[int]:
    """The ids of the active users named in `raw`, sorted; a user who does not
    exist (or left) is refused."""
    ids = sorted({_id(v) for v in raw} - {None})
    if User.objects.filter(pk__in=ids, is_active=True).count() != len(ids):
        raise ValidationError(_("This user does not exist."))
    return ids


def _id_or_none(value: object) -> int:
    try:
        return _id(value) or 0
    except ValidationError:
        return 0


@register
class AddFollowers(Action):
    type = "add_followers"
    label = gettext_lazy("Add followers")
    order = 20

    def validate(self, row: Row, *, for_macro: bool) -> Row:
        raw = row.get("users") or []
        if not isinstance(raw, list) or not raw:
            raise ValidationError(_("Choose at least one user."))
        return {"type": self.type, "users": active_user_ids(raw)}

    def _new(self, row: Row, ticket: Ticket) -> list[User]:
        following = set(ticket.followers.values_list("pk", flat=True))
        users = User.objects.filter(pk__in=row["users"], is_active=True).order_by("pk")
        return [u for u in users if u.pk not in following]

    def describe(self, row: Row, ticket: Ticket) -> list[str]:
        new = self._new(row, ticket)
        if not new:
            return []
        label = _("Followers")
        return [f"{label}: + {', '.join(u.display_name for u in new)}"]

    def apply(self, row: Row, run: Run) -> None:
        followers_add(run.ticket, self._new(row, run.ticket))

    def inputs(self, row: Row) -> list[Input]:
        people = User.objects.filter(is_active=True).exclude(role=User.Role.COLLABORATOR)
        return [
            Input(
                "users",
                gettext_lazy("Users"),
                "multiselect",
                [(str(u.pk), u.display_name) for u in people],
                [str(v) for v in row.get("users", [])],
            )
        ]

    def read(self, get, getlist) -> Row:
        return {"users": getlist("users")}


PLACEHOLDERS = format_lazy(
    "{} {}",
    gettext_lazy("Plain text or HTML. Filled in for each ticket:"),
    "{contact_first_name} {contact_name} {company_name} {ticket_number} {ticket_name} {agent_name}",
)


SIMPLE_PARAGRAPHS = re.compile(r"(?:<p>[^<]*</p>)+")


def editable(html: str) -> str:
    """Rich text as the builder shows it: plain paragraphs as lines of text
    (which _clean_html turns back into the same paragraphs), else the HTML."""
    if html and SIMPLE_PARAGRAPHS.fullmatch(html):
        return "\n".join(unescape(p) for p in re.findall(r"<p>([^<]*)</p>", html))
    return html


def _clean_html(value: object) -> str:
    """Rich text as the editor keeps it; plain text (typed in settings) becomes
    one paragraph per line."""
    text = str(value or "")[:MAX_HTML]
    if "<" not in text:
        text = "".join(f"<p>{escape(line)}</p>" for line in text.splitlines() if line.strip())
    html = clean_editor_html(text)
    return "" if is_blank(html) else html


def _plain(html: str, length: int = 80) -> str:
    text = " ".join(html_to_text(html).split())
    return text if len(text) <= length else text[: length - 1] + "…"


@register
class Comment(Action):
    type = "comment"
    label = gettext_lazy("Add an internal comment")
    order = 30

    def validate(self, row: Row, *, for_macro: bool) -> Row:
        html = _clean_html(row.get("html"))
        if not html:
            raise ValidationError(_("Write the comment."))
        return {"type": self.type, "html": html}

    def describe(self, row: Row, ticket: Ticket) -> list[str]:
        label = _("Internal comment")
        return [f"{label}: {_plain(row['html'])}"]

    def apply(self, row: Row, run: Run) -> None:
        if run.actor is None:  # a rule's comment: written in its name
            system_comment_add(ticket=run.ticket, html=row["html"], by=run.name)
            return
        html = fill_placeholders(row["html"], _placeholders(run.ticket, run.actor))
        comment_add(actor=run.actor, ticket=run.ticket, html=html)

    def inputs(self, row: Row) -> list[Input]:
        return [
            Input(
                "html",
                gettext_lazy("Comment"),
                "html",
                value=editable(row.get("html", "")),
                help=PLACEHOLDERS,
            )
        ]


def _languages() -> list[tuple[str, str]]:
    return [(c, n) for c, n in settings.LANGUAGES if c != settings.LANGUAGE_CODE]


@register
class ReplyText(Action):
    """Text for the reply editor, never sent by itself: the agent reads it,
    edits it and sends it. Hence macros only, and not in bulk."""

    type = "reply_text"
    label = gettext_lazy("Insert reply text")
    macro_only = True
    in_bulk = False
    order = 40

    def validate(self, row: Row, *, for_macro: bool) -> Row:
        if not for_macro:
            raise ValidationError(_("Only a macro inserts reply text: an agent reviews it."))
        html = _clean_html(row.get("html"))
        if not html:
            raise ValidationError(_("Write the reply text."))
        return {"type": self.type, "html": html, "translations": clean_translations(row)}

    def describe(self, row: Row, ticket: Ticket) -> list[str]:
        label = _("Reply text for the editor")
        return [f"{label}: {_plain(in_contact_language(row, ticket))}"]

    def apply(self, row: Row, run: Run) -> None:
        html = in_contact_language(row, run.ticket)
        values = _placeholders(run.ticket, run.actor) if run.actor else {}
        run.result.reply_html += clean_editor_html(fill_placeholders(html, values))

    def inputs(self, row: Row) -> list[Input]:
        return [
            Input(
                "html",
                gettext_lazy("Reply text"),
                "html",
                value=editable(row.get("html", "")),
                help=PLACEHOLDERS,
            ),
            translations_input(row),
        ]

    def read(self, get, getlist) -> Row:
        return {"html": get("html"), "translations": read_translations(get)}


# Texts in the contact's language (reply text, a rule's email) ---------------------


def clean_translations(row: Row) -> dict[str, str]:
    """A row's texts in other languages, cleaned, blanks left out; a language
    the help desk does not speak is refused."""
    known = {code for code, _name in _languages()}
    translations = {}
    for code, text in (row.get("translations") or {}).items():
        if code not in known:
            raise ValidationError(_("Unknown language: %(code)s.") % {"code": code})
        text = _clean_html(text)
        if text:
            translations[code] = text
    return translations


def in_contact_language(row: Row, ticket: Ticket) -> str:
    """The row's text in the language the customer writes in, else its own."""
    return row.get("translations", {}).get(contact_language(ticket)) or row["html"]


def translations_input(row: Row) -> Input:
    return Input(
        "translations",
        gettext_lazy("In other languages"),
        "translations",
        _languages(),
        {code: editable(text) for code, text in row.get("translations", {}).items()},
    )


def read_translations(get) -> dict[str, str]:
    return {code: get(f"html_{code}") for code, _name in _languages() if get(f"html_{code}")}


HANGUL = re.compile(r"[\uac00-\ud7a3]")


def _placeholders(ticket: Ticket, actor: User) -> dict[str, str]:
    key = ("placeholders", ticket.pk, actor.pk)
    return _remember(key, lambda: placeholder_values(ticket, actor))


def contact_language(ticket: Ticket) -> str:
    return _remember(("language", ticket.pk), lambda: _contact_language(ticket))


def _contact_language(ticket: Ticket) -> str:
    """The language the customer writes in, as far as we can tell: the UI
    language of the mail client of their latest message (what it wrote above
    the history it quoted), else Korean when that message is in Hangul, else
    "" (the macro's main text)."""
    message = (
        Message.objects.filter(ticket=ticket, direction=Message.Direction.INBOUND)
        .exclude(kind=Message.Kind.COMMENT)
        .order_by("-created_at", "-id")
        .only("quoted_html", "text")
        .first()
    )
    if message is None:
        return ""
    known = client_language(message.quoted_html) if message.quoted_html else ""
    if known:
        return known
    if HANGUL.search(message.text[:2000]):
        return "ko"
    return ""


# The three functions ---------------------------------------------------------------


class ActionsInvalid(ValidationError):
    """validate()'s error: one message per faulty row, and `rows` {index: message}
    for a builder that shows each next to its row."""

    def __init__(self, rows: dict[int, str]):
        self.rows = rows
        super().__init__(
            [
                _("Action %(number)d: %(message)s") % {"number": i + 1, "message": m}
                for i, m in sorted(rows.items())
            ]
        )


def validate(actions: object, *, for_macro: bool) -> list[Row]:
    """The cleaned list, or ActionsInvalid. Objects referenced by id must
    exist; every status must be of one pipeline (a ticket has one)."""
    if not isinstance(actions, list):
        raise ValidationError(_("Actions must be a list."))
    if len(actions) > MAX_ACTIONS:
        raise ValidationError(_("At most %(max)d actions.") % {"max": MAX_ACTIONS})
    cleaned: list[Row] = []
    errors: dict[int, str] = {}
    pipelines: dict[int, int] = {}
    for index, row in enumerate(actions):
        handler = ACTIONS.get(row.get("type", "")) if isinstance(row, dict) else None
        if handler is None:
            errors[index] = _("Unknown action.")
            continue
        try:
            if handler.macro_only and not for_macro:
                raise ValidationError(_("Only a macro can do this."))
            clean = handler.validate(row, for_macro=for_macro)
        except ValidationError as error:
            errors[index] = " ".join(error.messages)
            continue
        pipeline = handler.pipeline_id(clean)
        if pipeline is not None:
            if pipelines and pipeline not in pipelines.values():
                errors[index] = _("This status is of another pipeline than the one before.")
                continue
            pipelines[index] = pipeline
        cleaned.append(clean)
    if errors:
        raise ActionsInvalid(errors)
    return cleaned


def _ordered(actions: list[Row]) -> list[tuple[Action, Row]]:
    rows = [(ACTIONS[row["type"]], row) for row in actions if row.get("type") in ACTIONS]
    return sorted(rows, key=lambda pair: pair[0].order)


def planned_values(actions: list[Row]) -> dict[str, Any]:
    """The built-in fields and properties the list sets, by key."""
    values: dict[str, Any] = {}
    for handler, row in _ordered(actions):
        if isinstance(handler, FieldAction):
            values[handler.key] = row[handler.argument]
        elif isinstance(handler, SetProperty):
            values[row["key"]] = row["value"]
    return values


def stage_questions(actions: list[Row], ticket: Ticket) -> tuple[Stage | None, list[str]]:
    """The conditional status this list would set on `ticket` and the required
    properties nobody gives it (the preview asks the agent for them)."""
    values = planned_values(actions)
    for handler, row in _ordered(actions):
        if isinstance(handler, SetStatus) and not handler.problem(row, ticket):
            missing = handler.missing(row, ticket, values)
            if missing:
                return handler.stage(row), missing
    return None, []


def with_answers(actions: list[Row], answers: dict[str, Any]) -> list[Row]:
    """The list with the agent's answers for a conditional status added to its
    properties (answers already cleaned by clean_value)."""
    return [
        {**row, "properties": {**row.get("properties", {}), **answers}}
        if row.get("type") == SetStatus.type
        else row
        for row in actions
    ]


def describe(actions: list[Row], ticket: Ticket, *, language: str) -> list[str]:
    """Lines for the preview: what would change on `ticket`, no-ops left out,
    in `language`. Writes nothing."""
    with translation.override(language), _remembering():
        lines: list[str] = []
        for handler, row in _ordered(actions):
            lines += handler.describe(row, ticket)
        return lines


def apply(
    actions: list[Row], *, ticket: Ticket, actor: User | None, via: str, name: str
) -> Applied:
    """Make the changes, each through its service, in one transaction; every
    timeline line says "by <via> “name”". An action that cannot apply here (a
    status of another pipeline, a status missing what it requires) is skipped
    with its reason, never raised. Returns the reply text and what changed."""
    result = Applied()
    with transaction.atomic(), acting_as(via, name), _remembering():
        query = Ticket.objects.locked(ticket.pk).select_related(
            "pipeline", "stage", "owner", "team"
        )
        if memo.current() is None:
            # The settings version comes with the ticket (no round trip of
            # its own): each change's services then read the SLA settings,
            # the help desk inbox and the routed teams once for the whole
            # list, not once per action (helpdesk.memo). An inbound
            # message's rules have the message's version already.
            query = query.annotate(config_version=memo.version_subquery())
        locked = query.get()
        with memo.checking(getattr(locked, "config_version", None)):
            _apply(actions, Run(ticket=locked, actor=actor, result=result, name=name))
    return result


def _apply(actions: list[Row], run: Run) -> None:
    result = run.result
    for handler, row in _ordered(actions):
        lines = handler.describe(row, run.ticket)
        skipped = len(result.skipped)
        try:
            handler.apply(row, run)
        except ValidationError as error:
            # What it needs is gone (a team deleted, a property removed):
            # the other actions still apply; the reason is reported.
            result.skipped.append(f"{handler.label}: {' '.join(error.messages)}")
            continue
        if len(result.skipped) == skipped and handler.type != ReplyText.type:
            result.changes += lines
