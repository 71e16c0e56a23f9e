"""Reading a Zendesk export: the JSON its incremental export API returns
(pages of `tickets`, `users`, `organizations`, optionally `groups`,
`ticket_fields`, and `ticket_events` side-loaded with `comment_events`), or
the account export's NDJSON of tickets with their `comments`; one file, a
JSON list of pages, or a zip of such files.

Zendesk's numbers stay as external ids (tickets, users, organizations,
comments), so a second import of a later export updates what the first one
stored.
"""

import io
import json
import zipfile
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from tickets.models import Category, Priority, PropertyDefinition

from .fields import (
    AttachmentRecord,
    CompanyRecord,
    ContactRecord,
    MessageRecord,
    Resolver,
    TicketRecord,
    parse_moment,
    split_name,
)
from .files import FileRefused

PRIORITIES = {
    "low": Priority.LOW,
    "normal": Priority.MEDIUM,
    "high": Priority.HIGH,
    "urgent": Priority.URGENT,
}
CATEGORIES = {
    "incident": Category.PRODUCT,
    "problem": Category.PRODUCT,
    "question": Category.GENERAL,
}
CLOSED = {"solved", "closed"}
FIELD_PREFIX = "zendesk_"
MAX_FILES = 10_000


@dataclass
class Export:
    tickets: dict[int, dict] = field(default_factory=dict)
    users: dict[int, dict] = field(default_factory=dict)
    organizations: dict[int, dict] = field(default_factory=dict)
    groups: dict[int, dict] = field(default_factory=dict)
    fields: dict[int, dict] = field(default_factory=dict)
    # comments by ticket id: (created_at, comment)
    comments: dict[int, list[dict]] = field(default_factory=dict)


def read_export(data: bytes) -> Export:
    """Everything the file holds, or FileRefused."""
    if not data.strip():
        raise FileRefused(_("The file is empty."))
    export = Export()
    if data.startswith(b"PK\x03\x04"):
        try:
            archive = zipfile.ZipFile(io.BytesIO(data))
            names = [
                n for n in archive.namelist() if n.lower().endswith((".json", ".jsonl", ".ndjson"))
            ]
            if len(names) > MAX_FILES:
                raise FileRefused(_("The archive holds too many files."))
            for name in sorted(names):
                _read_document(archive.read(name), export, name)
        except zipfile.BadZipFile as error:
            raise FileRefused(_("The zip archive is damaged.")) from error
    else:
        _read_document(data, export, "")
    if not export.tickets:
        raise FileRefused(
            _(
                "No Zendesk tickets found. Upload the JSON of the incremental ticket export (with its users and organizations) or a zip of it."
            )
        )
    return export


def _read_document(data: bytes, export: Export, name: str) -> None:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise FileRefused(_("The file is not UTF-8 text, as Zendesk's JSON is.")) from error
    try:
        document = json.loads(text)
        items = document if isinstance(document, list) else [document]
    except json.JSONDecodeError:
        items = []
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                items.append(json.loads(line))
            except json.JSONDecodeError as error:
                where = f"{name}: " if name else ""
                raise FileRefused(
                    _("%(where)sline %(line)s is not JSON (%(reason)s).")
                    % {"where": where, "line": number, "reason": error.msg}
                ) from error
    for item in items:
        if isinstance(item, dict):
            _read_item(item, export)


def _read_item(item: dict, export: Export) -> None:
    pages = False
    for key, target in (
        ("tickets", export.tickets),
        ("users", export.users),
        ("organizations", export.organizations),
        ("groups", export.groups),
        ("ticket_fields", export.fields),
    ):
        if isinstance(item.get(key), list):
            pages = True
            for row in item[key]:
                if isinstance(row, dict) and "id" in row:
                    _keep(target, row)
    for event in (
        item.get("ticket_events", []) if isinstance(item.get("ticket_events"), list) else []
    ):
        pages = True
        at = event.get("created_at") or event.get("timestamp")
        for child in event.get("child_events") or []:
            if child.get("event_type") == "Comment":
                export.comments.setdefault(event.get("ticket_id"), []).append(
                    {"created_at": at, **child}
                )
    if pages:
        return
    # A single object: a ticket of the account export (with its comments), a user, an organization.
    if "id" not in item:
        return
    if "requester_id" in item or "subject" in item:
        _keep(export.tickets, item)
    elif "role" in item:
        _keep(export.users, item)
    elif "domain_names" in item:
        _keep(export.organizations, item)


def _keep(rows: dict, row: dict) -> None:
    """One object seen in two files (a ticket in the incremental export and
    in the account export with its comments) is one: what either has."""
    old = rows.get(row["id"])
    if old is None:
        rows[row["id"]] = row
        return
    for key, value in row.items():
        if value not in (None, "", []) or key not in old:
            old[key] = value


def _moment(value):
    if value in (None, ""):
        return None
    if isinstance(value, int | float):
        import datetime

        return datetime.datetime.fromtimestamp(value, tz=datetime.UTC)
    return parse_moment(str(value))


def organization_records(export: Export) -> list[CompanyRecord]:
    return [
        CompanyRecord(
            line=0,
            external_id=str(org_id),
            name=(org.get("name") or str(org_id))[:200],
            domain=((org.get("domain_names") or [""])[0] or "")[:200].lower(),
            given={"external_id", "name", "domain"},
        )
        for org_id, org in export.organizations.items()
    ]


def _contact(export: Export, user_id) -> ContactRecord | None:
    user = export.users.get(user_id)
    if user is None:
        return None
    first, last = split_name(user.get("name") or "")
    org = export.organizations.get(user.get("organization_id"))
    return ContactRecord(
        external_id=str(user_id),
        first_name=first,
        last_name=last,
        email=(user.get("email") or "").strip(),
        phone=(user.get("phone") or "")[:40],
        company=(org.get("name") or "")[:200] if org else "",
        given={"external_id", "first_name", "last_name", "email", "phone", "company"},
    )


def user_records(export: Export) -> list[ContactRecord]:
    """The end users, as contacts (agents are matched to users by email)."""
    return [
        record
        for user_id, user in export.users.items()
        if user.get("role", "end-user") == "end-user"
        for record in [_contact(export, user_id)]
        if record is not None
    ]


def field_definitions(export: Export) -> dict[str, str]:
    """{property key: label} of the custom fields the tickets use."""
    keys = {}
    for ticket in export.tickets.values():
        for value in ticket.get("custom_fields") or []:
            if value.get("id") is not None and value.get("value") not in (None, "", []):
                definition = export.fields.get(value["id"], {})
                title = definition.get("title") or f"Zendesk {value['id']}"
                keys[f"{FIELD_PREFIX}{value['id']}"] = title[:100]
    return keys


def ensure_definitions(export: Export) -> None:
    """Text properties for the custom fields, made once (imports run only)."""
    for key, label in field_definitions(export).items():
        PropertyDefinition.objects.get_or_create(key=key, defaults={"label": label})


def ticket_records(export: Export, resolver: Resolver):
    """(record, errors) of each ticket, oldest first."""
    users_by_email = resolver.users
    ordered = sorted(
        export.tickets.values(), key=lambda t: (str(t.get("created_at") or ""), t["id"])
    )
    for line, ticket in enumerate(ordered, start=1):
        errors: list[tuple[str, str]] = []
        record = TicketRecord(line=line, external_id=str(ticket["id"]))
        record.given = {
            "external_id",
            "name",
            "description",
            "status",
            "priority",
            "owner",
            "team",
            "tags",
        }
        record.name = (ticket.get("subject") or ticket.get("raw_subject") or "").strip()[:255]
        record.description = ticket.get("description") or ""
        if not record.name:
            record.name = (record.description.strip().splitlines() or [f"Zendesk #{ticket['id']}"])[
                0
            ][:255]
        try:
            record.created_at = _moment(ticket.get("created_at"))
            updated = _moment(ticket.get("updated_at"))
        except ValueError:
            errors.append(
                (
                    "created_at",
                    _("“%(value)s” is not a date and time.") % {"value": ticket.get("created_at")},
                )
            )
            updated = None
        pipeline = resolver.default_pipeline
        if pipeline is None:
            errors.append(("", _("Create a pipeline before importing tickets.")))
            yield record, errors
            continue
        status = ticket.get("status") or "open"
        if status in CLOSED:
            record.stage = resolver.first_stage(pipeline, closed=True)
            record.closed_at = updated
        elif status == "pending":
            paused = [s for s in pipeline.stages.all() if s.pauses_sla and not s.is_closed]
            record.stage = paused[0] if paused else resolver.first_stage(pipeline, closed=False)
        else:
            record.stage = resolver.first_stage(pipeline, closed=False)
        record.priority = PRIORITIES.get(ticket.get("priority") or "", "")
        record.category = CATEGORIES.get(ticket.get("type") or "", "")
        assignee = export.users.get(ticket.get("assignee_id"))
        if assignee and assignee.get("email"):
            record.owner = users_by_email.get(assignee["email"].casefold())
        group = export.groups.get(ticket.get("group_id"))
        if group:
            record.team = resolver.teams.get((group.get("name") or "").casefold())
        record.tags = [t[:50] for t in ticket.get("tags") or [] if isinstance(t, str) and t.strip()]
        for value in ticket.get("custom_fields") or []:
            raw = value.get("value")
            if value.get("id") is None or raw in (None, "", []):
                continue
            if isinstance(raw, list):
                raw = ", ".join(str(v) for v in raw)
            elif isinstance(raw, bool):
                raw = "yes" if raw else "no"
            record.properties[f"{FIELD_PREFIX}{value['id']}"] = str(raw)
        record.contact = _contact(export, ticket.get("requester_id"))
        org = export.organizations.get(ticket.get("organization_id"))
        record.company = (org.get("name") or "")[:200] if org else ""
        comments = ticket.get("comments") or export.comments.get(ticket["id"]) or []
        comments = sorted(
            comments, key=lambda c: (str(c.get("created_at") or ""), c.get("id") or 0)
        )
        for comment in comments:
            message = _message(export, comment, record, resolver, errors)
            if message is not None:
                record.messages.append(message)
        if not record.messages and record.description:
            record.messages.append(
                MessageRecord(
                    external_id="description", text=record.description, at=record.created_at
                )
            )
        if record.stage is not None:
            given = {"owner": record.owner, "team": record.team, "priority": record.priority,
                     "category": record.category, "description": record.description}  # fmt: skip
            missing = [k for k in record.stage.required_properties if given.get(k) in (None, "")]
            if missing:
                errors.append(
                    (
                        "status",
                        _("The status “%(stage)s” needs %(fields)s.")
                        % {"stage": record.stage.local_name, "fields": ", ".join(missing)},
                    )
                )
        yield record, errors


def _attachments(comment: dict) -> list[AttachmentRecord]:
    """The files of a comment as Zendesk lists them (`attachments`: id,
    file_name, content_url, size); the thumbnails Zendesk makes are not ours."""
    found = []
    for item in comment.get("attachments") or []:
        if not isinstance(item, dict) or not item.get("content_url") or item.get("id") is None:
            continue
        size = item.get("size")
        found.append(
            AttachmentRecord(
                external_id=str(item["id"])[:100],
                file_name=str(item.get("file_name") or ""),
                url=str(item["content_url"]),
                size=size if isinstance(size, int) and not isinstance(size, bool) else None,
            )
        )
    return found


def _message(export, comment, record, resolver, errors) -> MessageRecord | None:
    text = comment.get("plain_body") or comment.get("body") or ""
    html = comment.get("html_body") or ""
    files = _attachments(comment)
    if not (text.strip() or html.strip() or files):
        return None
    try:
        at = _moment(comment.get("created_at")) or record.created_at
    except ValueError:
        errors.append(
            (
                "comments",
                _("“%(value)s” is not a date and time.") % {"value": comment.get("created_at")},
            )
        )
        at = record.created_at
    message = MessageRecord(
        external_id=str(comment.get("id") or ""), text=text, html=html, at=at,
        internal=comment.get("public") is False, attachments=files,
    )  # fmt: skip
    author = export.users.get(comment.get("author_id"))
    role = (author or {}).get("role", "end-user")
    if role in ("agent", "admin") or message.internal:
        message.from_agent = True
        email = (author or {}).get("email") or ""
        message.author = resolver.users.get(email.casefold()) if email else None
        message.from_name = (author or {}).get("name") or ""
        message.from_email = email
    elif author is not None and str(comment.get("author_id")) != (
        record.contact.external_id if record.contact else ""
    ):
        message.customer = _contact(export, comment.get("author_id"))
    return message
