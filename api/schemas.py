"""The shapes the API reads and writes (pydantic, through django-ninja): the
OpenAPI schema is generated from them."""

import datetime
from typing import Any, Literal

from ninja import Schema
from pydantic import Field


class Ref(Schema):
    id: int
    name: str


class StageRef(Ref):
    is_closed: bool


class TagOut(Schema):
    name: str
    colour: str


class SlaStatus(Schema):
    goal: Literal["first_response", "next_response", "close"]
    state: Literal["on_track", "due_soon", "overdue"]
    due: datetime.datetime


class TicketOut(Schema):
    id: int
    name: str
    pipeline: Ref
    stage: StageRef
    owner: Ref | None
    team: Ref | None
    priority: str
    category: str
    source: str
    properties: dict[str, Any]
    tags: list[TagOut]
    contact_name: str
    preview: str
    is_open: bool
    created_at: datetime.datetime
    last_activity_at: datetime.datetime
    closed_at: datetime.datetime | None
    sla: SlaStatus | None
    url: str


class RecordRef(Schema):
    id: int
    name: str
    email: str = ""
    domain: str = ""


class TicketDetail(TicketOut):
    description: str
    is_spam: bool
    language: str
    merged_into: int | None
    contacts: list[RecordRef]
    companies: list[RecordRef]
    etag: str


class TicketPage(Schema):
    items: list[TicketOut]
    next: str | None = Field(None, description="URL of the next page; null on the last.")


class Count(Schema):
    count: int
    capped: bool = Field(description="True when there are more than `count` (counting stops).")


class TicketCreate(Schema):
    name: str = Field(min_length=1, max_length=255)
    description: str = ""
    pipeline: int | None = Field(None, description="Default: the first pipeline.")
    stage: int | None = Field(None, description="Default: the pipeline's first open status.")
    owner: int | None = None
    team: int | None = None
    priority: Literal["", "low", "medium", "high", "urgent"] = ""
    category: str = ""
    properties: dict[str, Any] = {}
    contacts: list[int] = Field([], max_length=50)
    companies: list[int] = Field([], max_length=50)
    tags: list[str] = Field([], max_length=50)


class TicketUpdate(Schema):
    """Only the fields sent change. `stage` of another pipeline moves the ticket
    there; `tags`, `contacts` and `companies` are the full new lists."""

    name: str | None = Field(None, min_length=1, max_length=255)
    description: str | None = None
    owner: int | None = None
    team: int | None = None
    priority: Literal["", "low", "medium", "high", "urgent"] | None = None
    category: str | None = None
    stage: int | None = None
    properties: dict[str, Any] | None = None
    tags: list[str] | None = Field(None, max_length=50)
    contacts: list[int] | None = Field(None, max_length=50)
    companies: list[int] | None = Field(None, max_length=50)
    is_spam: bool | None = None


class MergeIn(Schema):
    into: int = Field(description="The ticket that stays; this one is merged into it.")


class Change(Schema):
    field: str
    kind: str
    by: Ref | None
    at: datetime.datetime
    old: str
    new: str


class EventOut(Change):
    id: int
    via: str
    via_name: str


class TimelinePage(Schema):
    items: list[EventOut]
    next: str | None


class SlaClocks(Schema):
    status: SlaStatus | None
    paused: bool
    first_response_due: datetime.datetime | None
    first_response_at: datetime.datetime | None
    next_response_due: datetime.datetime | None
    close_due: datetime.datetime | None


class AttachmentOut(Schema):
    id: int
    filename: str
    content_type: str
    size: int
    url: str


class MessageOut(Schema):
    id: int
    kind: str
    direction: str
    channel: str
    author: Ref | None
    contact: int | None
    from_name: str
    from_email: str
    to: list[str]
    cc: list[str]
    subject: str
    html: str
    text: str
    created_at: datetime.datetime
    attachments: list[AttachmentOut]


class MessagePage(Schema):
    items: list[MessageOut] = Field(description="Newest first.")
    next: str | None


class ReplyIn(Schema):
    """A reply on the ticket's latest conversation: by email, or on its chat or
    Messenger thread when that is where the customer wrote."""

    html: str = Field(min_length=1, max_length=500_000)
    to: list[str] = Field([], max_length=50)
    cc: list[str] = Field([], max_length=50)
    bcc: list[str] = Field([], max_length=50)
    reply_to: int | None = Field(None, description="The message answered; default the latest.")
    stage: int | None = Field(None, description="The status to set with the reply.")
    attachments: list[int] = Field([], max_length=20, description="Ids of uploaded files.")


class CommentIn(Schema):
    html: str = Field(min_length=1, max_length=500_000)
    attachments: list[int] = Field([], max_length=20)


class ContactOut(Schema):
    id: int
    first_name: str
    last_name: str
    name: str
    email: str
    phone: str
    mobile: str
    company: Ref | None
    created_at: datetime.datetime


class ContactIn(Schema):
    first_name: str = Field("", max_length=100)
    last_name: str = Field("", max_length=100)
    email: str = Field("", max_length=254)
    phone: str = Field("", max_length=40)
    mobile: str = Field("", max_length=40)
    company: int | None = None


class ContactPatch(Schema):
    first_name: str | None = Field(None, max_length=100)
    last_name: str | None = Field(None, max_length=100)
    email: str | None = Field(None, max_length=254)
    phone: str | None = Field(None, max_length=40)
    mobile: str | None = Field(None, max_length=40)
    company: int | None = None


class CompanyOut(Schema):
    id: int
    name: str
    domain: str
    created_at: datetime.datetime


class CompanyIn(Schema):
    name: str = Field(min_length=1, max_length=200)
    domain: str = Field("", max_length=200)


class CompanyPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=200)
    domain: str | None = Field(None, max_length=200)


class ContactPage(Schema):
    items: list[ContactOut]
    next: str | None


class CompanyPage(Schema):
    items: list[CompanyOut]
    next: str | None


class StageOut(Schema):
    id: int
    name: str
    position: int
    is_closed: bool
    required_properties: list[str]


class PipelineOut(Schema):
    id: int
    name: str
    position: int
    stages: list[StageOut]


class TeamOut(Schema):
    id: int
    name: str


class UserOut(Schema):
    id: int
    username: str
    name: str
    email: str
    role: str
    main_team: Ref | None
    availability: str


class ViewOut(Schema):
    slug: str
    name: str
    custom: bool
