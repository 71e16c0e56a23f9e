"""What a CSV column can be imported as, how a header name suggests it, and
how a row's cells become a record to store (or the reasons they cannot).

Header suggestions compare a column's name with each field's label in every
UI language and a few common English spellings, so a file exported in Korean
or Finnish maps itself.
"""

import datetime
import decimal
import functools
import re
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone, translation
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Team, User
from tickets.models import Category, Pipeline, Priority, PropertyDefinition, Stage, Tag
from tickets.services import tag_clean_name

from .models import ImportJob

PROPERTY = "property:"


@dataclass(frozen=True)
class Target:
    key: str
    label: object  # lazy text
    synonyms: tuple[str, ...] = ()


_EXTERNAL = Target(
    "external_id",
    gettext_lazy("External ID"),
    ("id", "externalid", "number", "ticketid", "ticketnumber", "contactid", "companyid"),
)
TARGETS: dict[str, tuple[Target, ...]] = {
    ImportJob.Kind.CONTACTS: (
        _EXTERNAL,
        Target("first_name", gettext_lazy("First name"), ("firstname", "givenname", "forename")),
        Target("last_name", gettext_lazy("Last name"), ("lastname", "surname", "familyname")),
        Target("full_name", gettext_lazy("Full name"), ("name", "fullname", "contactname")),
        Target("email", gettext_lazy("Email"), ("email", "emailaddress", "mail", "e-mail")),
        Target("phone", gettext_lazy("Phone number"), ("phone", "telephone", "tel")),
        Target("mobile", gettext_lazy("Mobile phone number"), ("mobile", "cell", "cellphone")),
        Target("company", gettext_lazy("Company"), ("company", "organization", "organisation")),
    ),
    ImportJob.Kind.COMPANIES: (
        _EXTERNAL,
        Target("name", gettext_lazy("Company name"), ("name", "company", "organization")),
        Target("domain", gettext_lazy("Domain"), ("domain", "website", "domainname")),
    ),
    ImportJob.Kind.TICKETS: (
        _EXTERNAL,
        Target("name", gettext_lazy("Ticket name"), ("subject", "title", "name", "summary")),
        Target("description", gettext_lazy("Description"), ("description", "details")),
        Target("pipeline", gettext_lazy("Pipeline"), ("pipeline",)),
        Target("status", gettext_lazy("Status"), ("status", "stage", "state")),
        Target("priority", gettext_lazy("Priority"), ("priority",)),
        Target("category", gettext_lazy("Category"), ("category", "type")),
        Target("owner", gettext_lazy("Ticket owner"), ("owner", "assignee", "agent")),
        Target("team", gettext_lazy("Team"), ("team", "group")),
        Target("tags", gettext_lazy("Tags"), ("tags", "labels")),
        Target("created_at", gettext_lazy("Created"), ("created", "createdat", "date", "opened")),
        Target("closed_at", gettext_lazy("Closed"), ("closed", "closedat", "solvedat", "resolved")),
        Target("contact_email", gettext_lazy("Contact email"), ("email", "requesteremail", "from")),
        Target("contact_name", gettext_lazy("Contact name"), ("requester", "contact", "customer")),
        Target("contact_phone", gettext_lazy("Contact phone number"), ("phone",)),
        Target("company", gettext_lazy("Company"), ("company", "organization", "organisation")),
        Target("message", gettext_lazy("Message"), ("message", "body", "text", "comment")),
        Target("message_from", gettext_lazy("Message from (email)"), ("author", "messagefrom")),
        Target("message_at", gettext_lazy("Message time"), ("messagedate", "messagetime", "sent")),
        Target(
            "message_internal", gettext_lazy("Internal comment (yes/no)"), ("internal", "private")
        ),
        Target("message_id", gettext_lazy("Message ID"), ("messageid", "commentid")),
    ),
}
# Without one of these a second run could not find what the first stored.
KEYS = {
    ImportJob.Kind.CONTACTS: ("external_id", "email"),
    ImportJob.Kind.COMPANIES: ("external_id", "name"),
    ImportJob.Kind.TICKETS: ("external_id",),
}
REQUIRED = {
    ImportJob.Kind.CONTACTS: (),
    ImportJob.Kind.COMPANIES: ("name",),
    ImportJob.Kind.TICKETS: ("external_id", "name"),
}
MESSAGE_FIELDS = {"message", "message_from", "message_at", "message_internal", "message_id"}


def normalise(name: str) -> str:
    return re.sub(r"[\W_]+", "", name.casefold())


def targets(kind: str) -> list[tuple[str, str]]:
    """(key, label) of everything a column of this kind of file can be."""
    choices = [(t.key, str(t.label)) for t in TARGETS[kind]]
    if kind == ImportJob.Kind.TICKETS:
        choices += [
            (f"{PROPERTY}{d.key}", _("Property: %(label)s") % {"label": d.local_name})
            for d in PropertyDefinition.objects.all()
        ]
    return choices


def suggest(kind: str, header: list[str]) -> dict[str, str]:
    """{column index: target} for the columns whose name says what they hold;
    each target is suggested for one column at most."""
    names: dict[str, str] = {}
    for target in TARGETS[kind]:
        for synonym in target.synonyms:
            names.setdefault(normalise(synonym), target.key)
        for code, _name in settings.LANGUAGES:
            with translation.override(code):
                names.setdefault(normalise(str(target.label)), target.key)
        names.setdefault(normalise(target.key), target.key)
    if kind == ImportJob.Kind.TICKETS:
        for definition in PropertyDefinition.objects.all():
            for name in (definition.key, definition.label, *definition.labels.values()):
                names.setdefault(normalise(name), f"{PROPERTY}{definition.key}")
    mapping: dict[str, str] = {}
    taken: set[str] = set()
    for index, column in enumerate(header):
        target = names.get(normalise(column))
        if target and target not in taken:
            mapping[str(index)] = target
            taken.add(target)
    return mapping


def mapping_errors(kind: str, mapping: dict[str, str]) -> list[str]:
    """What is wrong with a mapping as a whole (before any row is read)."""
    chosen = [t for t in mapping.values() if t]
    labels = dict(targets(kind))
    errors = []
    for target in sorted({t for t in chosen if chosen.count(t) > 1}):
        errors.append(
            _("“%(field)s” is chosen for more than one column.") % {"field": labels.get(target)}
        )
    for key in REQUIRED[kind]:
        if key not in chosen:
            errors.append(_("Choose the column that holds “%(field)s”.") % {"field": labels[key]})
    if not any(key in chosen for key in KEYS[kind]):
        names = " / ".join(str(labels[key]) for key in KEYS[kind])
        errors.append(
            _("Choose a column for %(fields)s: a second import finds its records by it.")
            % {"fields": names}
        )
    return errors


# Records ---------------------------------------------------------------------


@dataclass
class ContactRecord:
    line: int = 0
    external_id: str = ""
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    phone: str = ""
    mobile: str = ""
    company: str = ""
    given: set[str] = field(default_factory=set)


@dataclass
class CompanyRecord:
    line: int = 0
    external_id: str = ""
    name: str = ""
    domain: str = ""
    given: set[str] = field(default_factory=set)


@dataclass
class AttachmentRecord:
    """A file of another system's message, downloaded after the message is
    stored (imports.attachments)."""

    external_id: str
    file_name: str
    url: str
    size: int | None = None


@dataclass
class MessageRecord:
    external_id: str
    text: str = ""
    html: str = ""
    at: datetime.datetime | None = None
    internal: bool = False
    # An agent's message has `author` (a user here) or at least a name; a
    # customer's has neither and comes from the ticket's contact, or
    # from `customer` (a contact of another system, by its record).
    from_agent: bool = False
    author: User | None = None
    from_name: str = ""
    from_email: str = ""
    customer: ContactRecord | None = None
    attachments: list[AttachmentRecord] = field(default_factory=list)


@dataclass
class TicketRecord:
    line: int = 0
    external_id: str = ""
    name: str = ""
    description: str = ""
    stage: Stage | None = None
    owner: User | None = None
    team: Team | None = None
    priority: str = ""
    category: str = ""
    properties: dict = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    created_at: datetime.datetime | None = None
    closed_at: datetime.datetime | None = None
    contact: ContactRecord | None = None
    company: str = ""
    messages: list[MessageRecord] = field(default_factory=list)
    given: set[str] = field(default_factory=set)


class RowError(Exception):
    def __init__(self, errors: list[tuple[str, str]]):
        self.errors = errors
        super().__init__(errors)


# Reading cells -----------------------------------------------------------------


def parse_moment(value: str) -> datetime.datetime:
    """ISO 8601 (as exports write it), a date alone, or a date with a time
    separated by a space; without a zone, the help desk's time zone."""
    value = value.strip()
    moment = None
    try:
        moment = parse_datetime(value.replace("Z", "+00:00") if value.endswith("Z") else value)
        if moment is None:
            day = parse_date(value)
            if day is not None:
                moment = datetime.datetime.combine(day, datetime.time())
    except ValueError:
        moment = None
    if moment is None:
        for pattern in ("%d.%m.%Y %H:%M", "%d.%m.%Y", "%Y/%m/%d %H:%M", "%Y/%m/%d"):
            try:
                moment = datetime.datetime.strptime(value, pattern)
                break
            except ValueError:
                continue
    if moment is None:
        raise ValueError(value)
    if timezone.is_naive(moment):
        # The help desk's zone, not the one active for the admin who
        # previews: the preview and the worker read the same moment.
        moment = timezone.make_aware(moment, timezone.get_default_timezone())
    return moment


TRUE = {"1", "true", "yes", "y", "x", "internal", "private", "kyllä", "ja", "tak", "예", "是"}
FALSE = {"", "0", "false", "no", "n", "public", "ei", "nein", "nie", "아니요", "否"}


def parse_flag(value: str) -> bool:
    value = value.strip().casefold()
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    raise ValueError(value)


class Resolver:
    """The rows a file's names refer to (statuses, agents, teams, options),
    read once per import and matched in any UI language, any case."""

    def __init__(self):
        self.pipelines = list(Pipeline.objects.prefetch_related("stages"))
        self.default_pipeline = self.pipelines[0] if self.pipelines else None
        # Read once: asked for on every row.
        self._stages = {p.pk: list(p.stages.all()) for p in self.pipelines}
        self._first_stages: dict[tuple[int, bool], Stage | None] = {}
        self.users: dict[str, User] = {}
        for user in User.objects.filter(is_active=True):
            for name in (user.username, user.email):
                if name:
                    self.users.setdefault(name.casefold(), user)
        self.teams: dict[str, Team] = {}
        for team in Team.objects.all():
            for name in (team.name, *team.labels.values()):
                self.teams.setdefault(name.casefold(), team)
        self.definitions = {d.key: d for d in PropertyDefinition.objects.all()}
        self.priorities = self._choices(Priority, {"normal": Priority.MEDIUM})
        self.categories = self._choices(Category, {})

    @staticmethod
    def _choices(choices, extra: dict) -> dict[str, str]:
        found = {value.casefold(): value for value in choices.values}
        for code, _name in settings.LANGUAGES:
            with translation.override(code):
                for value, label in choices.choices:
                    found.setdefault(str(label).casefold(), value)
        found.update(extra)
        return found

    def pipeline(self, name: str) -> Pipeline | None:
        return next((p for p in self.pipelines if _named(p, name)), None)

    def stages(self, pipeline: Pipeline) -> list[Stage]:
        if pipeline.pk not in self._stages:
            self._stages[pipeline.pk] = list(pipeline.stages.all())
        return self._stages[pipeline.pk]

    def stage(self, pipeline: Pipeline, name: str) -> Stage | None:
        return next((s for s in self.stages(pipeline) if _named(s, name)), None)

    def first_stage(self, pipeline: Pipeline, *, closed: bool) -> Stage | None:
        key = (pipeline.pk, closed)
        if key not in self._first_stages:
            stages = [s for s in self.stages(pipeline) if s.is_closed == closed]
            self._first_stages[key] = next(
                (s for s in stages if not s.required_properties), stages[0] if stages else None
            )
        return self._first_stages[key]


def _named(row, name: str) -> bool:
    name = name.strip().casefold()
    return name in {row.name.casefold(), *(v.casefold() for v in row.labels.values())}


def property_value(definition: PropertyDefinition, value: str) -> str:
    """A cell as a custom property's stored value, checked by its type."""
    value = value.strip()
    if not value:
        return ""
    if definition.type == PropertyDefinition.Type.NUMBER:
        try:
            return definition.to_storage(decimal.Decimal(value.replace(",", ".")))
        except decimal.InvalidOperation as error:
            raise ValidationError(_("Enter a number.")) from error
    if definition.type == PropertyDefinition.Type.DATE:
        try:
            return definition.to_storage(parse_moment(value).date())
        except ValueError as error:
            raise ValidationError(_("Enter a valid date.")) from error
    if definition.type == PropertyDefinition.Type.CHOICE:
        for option, label in [(c, c) for c in definition.choices] + definition.local_choices:
            if value.casefold() == str(label).casefold():
                return option
        for option, labels in definition.choice_labels.items():
            if value.casefold() in (str(v).casefold() for v in labels.values()):
                return option
        raise ValidationError(_("Choose one of the offered options."))
    return definition.to_storage(value)


@functools.lru_cache(maxsize=2**16)
def _is_email(value: str) -> bool:
    """Asked once an address: a customer's address is on each of their rows."""
    try:
        validate_email(value)
    except ValidationError:
        return False
    return True


def _email(value: str, errors, column: str) -> str:
    value = value.strip()
    if not value:
        return ""
    if not _is_email(value):
        errors.append((column, _("“%(value)s” is not an email address.") % {"value": value[:80]}))
        return ""
    return value


def _text(value: str, limit: int, errors, column: str) -> str:
    value = value.strip()
    if len(value) > limit:
        errors.append((column, _("Longer than %(limit)s characters.") % {"limit": limit}))
    return value[:limit]


def split_name(full: str) -> tuple[str, str]:
    first, _space, last = full.strip().partition(" ")
    return first[:100], last.strip()[:100]


class RowReader:
    """Turns one CSV row into a record with the job's mapping, or RowError."""

    def __init__(self, job: ImportJob, resolver: Resolver):
        self.job = job
        self.resolver = resolver
        self.columns = {int(index): target for index, target in job.mapping.items() if target}
        self.header = job.header

    def cells(self, cells: list[str]) -> tuple[dict[str, str], dict[str, str]]:
        values, names = {}, {}
        for index, target in self.columns.items():
            values[target] = cells[index] if index < len(cells) else ""
            names[target] = self.header[index] if index < len(self.header) else str(index + 1)
        return values, names

    def read(self, line: int, cells: list[str]):
        values, names = self.cells(cells)
        if len(cells) > len(self.header) and any(c.strip() for c in cells[len(self.header) :]):
            raise RowError([("", _("The row has more cells than the header has columns."))])
        reader = {
            ImportJob.Kind.CONTACTS: self.contact,
            ImportJob.Kind.COMPANIES: self.company,
            ImportJob.Kind.TICKETS: self.ticket,
        }[self.job.kind]
        errors: list[tuple[str, str]] = []
        record = reader(line, values, names, errors)
        if errors:
            raise RowError(errors)
        return record

    def contact(self, line, values, names, errors) -> ContactRecord:
        record = ContactRecord(line=line, given=set(values))
        record.external_id = _text(
            values.get("external_id", ""), 100, errors, names.get("external_id", "")
        )
        if "full_name" in values:
            record.first_name, record.last_name = split_name(values["full_name"])
            record.given |= {"first_name", "last_name"}
        for key, limit in (("first_name", 100), ("last_name", 100), ("phone", 40), ("mobile", 40)):
            if key in values:
                setattr(record, key, _text(values[key], limit, errors, names[key]))
        record.email = _email(values.get("email", ""), errors, names.get("email", ""))
        record.company = _text(values.get("company", ""), 200, errors, names.get("company", ""))
        if not (record.external_id or record.email):
            errors.append(
                (
                    names.get("email") or names.get("external_id", ""),
                    _("Needs an email address or an external ID."),
                )
            )
        return record

    def company(self, line, values, names, errors) -> CompanyRecord:
        record = CompanyRecord(line=line, given=set(values))
        record.external_id = _text(
            values.get("external_id", ""), 100, errors, names.get("external_id", "")
        )
        record.name = _text(values.get("name", ""), 200, errors, names.get("name", ""))
        record.domain = _text(
            values.get("domain", ""), 200, errors, names.get("domain", "")
        ).lower()
        if not record.name:
            errors.append((names.get("name", ""), _("A company needs a name.")))
        return record

    def ticket(self, line, values, names, errors) -> TicketRecord:
        resolver = self.resolver
        record = TicketRecord(line=line, given=set(values))
        record.external_id = _text(
            values.get("external_id", ""), 100, errors, names.get("external_id", "")
        )
        if not record.external_id:
            errors.append((names.get("external_id", ""), _("Needs an external ID.")))
        record.name = _text(values.get("name", ""), 255, errors, names.get("name", ""))
        record.description = values.get("description", "").strip()
        pipeline = resolver.default_pipeline
        if values.get("pipeline", "").strip():
            pipeline = resolver.pipeline(values["pipeline"])
            if pipeline is None:
                errors.append(
                    (
                        names["pipeline"],
                        _("No pipeline is called “%(value)s”.")
                        % {"value": values["pipeline"][:80]},
                    )
                )
        if pipeline is None:
            if not errors:
                errors.append(("", _("Create a pipeline before importing tickets.")))
            return record
        for key in ("created_at", "closed_at"):
            if values.get(key, "").strip():
                try:
                    setattr(record, key, parse_moment(values[key]))
                except ValueError:
                    errors.append(
                        (
                            names[key],
                            _("“%(value)s” is not a date and time.") % {"value": values[key][:80]},
                        )
                    )
        status = values.get("status", "").strip()
        if status:
            record.stage = resolver.stage(pipeline, status)
            if record.stage is None:
                errors.append(
                    (
                        names["status"],
                        _("The pipeline “%(pipeline)s” has no status “%(value)s”.")
                        % {"pipeline": pipeline.local_name, "value": status[:80]},
                    )
                )
        else:
            record.stage = resolver.first_stage(pipeline, closed=record.closed_at is not None)
        for key, table in (("priority", resolver.priorities), ("category", resolver.categories)):
            value = values.get(key, "").strip()
            if value:
                if value.casefold() in table:
                    setattr(record, key, table[value.casefold()])
                else:
                    errors.append(
                        (
                            names[key],
                            _("“%(value)s” is not one of the choices.") % {"value": value[:80]},
                        )
                    )
        owner = values.get("owner", "").strip()
        if owner:
            record.owner = resolver.users.get(owner.casefold())
            if record.owner is None:
                errors.append(
                    (
                        names["owner"],
                        _("No active user has the email or user name “%(value)s”.")
                        % {"value": owner[:80]},
                    )
                )
        team = values.get("team", "").strip()
        if team:
            record.team = resolver.teams.get(team.casefold())
            if record.team is None:
                errors.append(
                    (names["team"], _("No team is called “%(value)s”.") % {"value": team[:80]})
                )
        for target, value in values.items():
            if target.startswith(PROPERTY):
                definition = resolver.definitions.get(target.removeprefix(PROPERTY))
                if definition is None:
                    continue
                try:
                    stored = property_value(definition, value)
                except ValidationError as error:
                    errors.append((names[target], error.messages[0]))
                    continue
                if stored:
                    record.properties[definition.key] = stored
        tags = re.split(r"[,;]", values.get("tags", ""))
        for tag in tags:
            name = tag_clean_name(tag)
            if len(name) > Tag.NAME_MAX:
                errors.append(
                    (
                        names["tags"],
                        _("A tag is longer than %(limit)s characters.") % {"limit": Tag.NAME_MAX},
                    )
                )
            elif name and name.casefold() not in {t.casefold() for t in record.tags}:
                record.tags.append(name)
        email = _email(values.get("contact_email", ""), errors, names.get("contact_email", ""))
        contact_name = values.get("contact_name", "").strip()
        if email or contact_name:
            first, last = split_name(contact_name)
            record.contact = ContactRecord(
                line=line, email=email, first_name=first, last_name=last,
                phone=values.get("contact_phone", "").strip()[:40],
                company=values.get("company", "").strip()[:200],
            )  # fmt: skip
        record.company = values.get("company", "").strip()[:200]
        message = self.message(values, names, errors, record)
        if message is not None:
            record.messages.append(message)
        if record.stage is not None and not errors:
            given = {"owner": record.owner, "team": record.team, "priority": record.priority,
                     "category": record.category, "description": record.description, **record.properties}  # fmt: skip
            missing = [k for k in record.stage.required_properties if given.get(k) in (None, "")]
            if missing:
                errors.append(
                    (
                        names.get("status", ""),
                        _("The status “%(stage)s” needs %(fields)s.")
                        % {"stage": record.stage.local_name, "fields": ", ".join(missing)},
                    )
                )
        if not record.name and not errors:
            errors.append((names.get("name", ""), _("A ticket needs a name.")))
        return record

    def message(self, values, names, errors, record) -> MessageRecord | None:
        text = values.get("message", "").strip()
        if not text:
            return None
        message = MessageRecord(external_id=values.get("message_id", "").strip()[:100], text=text)
        if values.get("message_at", "").strip():
            try:
                message.at = parse_moment(values["message_at"])
            except ValueError:
                errors.append(
                    (
                        names["message_at"],
                        _("“%(value)s” is not a date and time.")
                        % {"value": values["message_at"][:80]},
                    )
                )
        try:
            message.internal = parse_flag(values.get("message_internal", ""))
        except ValueError:
            errors.append((names["message_internal"], _("Write yes or no.")))
        author = _email(values.get("message_from", ""), errors, names.get("message_from", ""))
        if author:
            user = self.resolver.users.get(author.casefold())
            if user is not None:
                message.from_agent, message.author = True, user
                message.from_name, message.from_email = user.display_name, user.email
            elif message.internal:
                errors.append(
                    (
                        names["message_from"],
                        _("An internal comment must come from a user of the help desk."),
                    )
                )
            else:
                message.from_email = author
        elif message.internal:
            message.from_agent = True
        return message
