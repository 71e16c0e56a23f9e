"""/api/v1/tickets: list (the table's filters, search and sort, keyset pages),
count, read, create, update with If-Match, delete, restore, merge, SLA and
timeline. Every ticket comes through tickets.access; every change through the
tickets and conversations services."""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Prefetch, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from ninja import Header, Query, Router, Status

from accounts.models import Team, User
from conversations import moves
from crm.models import Company, Contact
from tickets import filters, queries, services
from tickets.access import deleted_tickets, get_ticket_for_user, may_delete, visible_tickets
from tickets.models import Pipeline, Source, Stage

from .. import serialize
from ..auth import WRITE, ApiError
from ..schemas import (
    Count,
    MergeIn,
    SlaClocks,
    TicketCreate,
    TicketDetail,
    TicketPage,
    TicketUpdate,
    TimelinePage,
)

router = Router(tags=["Tickets"])

LIST_FIELDS = (
    *queries.TABLE_FIELDS,
    "is_spam",
    "stage__position",
    "pipeline_id",
    "team_id",
    "owner_id",
)
MAX_LIMIT = 100


def _view(user: User, slug: str):
    view = queries.get_view_for_user(user, slug)
    if view is None:
        raise ApiError("not-found", _("There is no view “%(slug)s”.") % {"slug": slug})
    return view


def _state(request: HttpRequest) -> filters.ListState:
    """The table's URL grammar, read from the query string: `f=key:op:value`,
    the quick filters (owner, team, priority, pipeline, stage, tags), q and sort."""
    return filters.ListState.from_query(request.GET)


def _rows(tickets):
    return (
        tickets.select_related("owner", "stage", "team", "pipeline")
        .only(*LIST_FIELDS)
        .prefetch_related(queries.tags_prefetch())
    )


def _order(sort: str) -> tuple[str, bool, str]:
    """(sort name, descending, column) for a `sort` value, as filters.sort reads it."""
    descending = sort.startswith("-") if sort else True
    name = sort.lstrip("-")
    if name not in filters.SORTS:
        name, descending = filters.DEFAULT_SORT.lstrip("-"), True
    return name, descending, filters.SORTS[name][1]


def _value(row, column: str):
    if column == "priority_rank":
        return row.priority_rank
    value = row
    for part in column.split("__"):
        value = getattr(value, part, None) if value is not None else None
    return value


def _after(column: str, descending: bool, value, pk: int) -> Q:
    """Rows after (value, id) in the order filters.sort gives: values that
    may be missing (through a relation) come last."""
    nullable = "__" in column
    step = "lt" if descending else "gt"
    if value is None:
        return Q(**{f"{column}__isnull": True, f"id__{step}": pk})
    if column.endswith("_at"):
        value = parse_datetime(value) if isinstance(value, str) else None
        if value is None:
            raise ValueError
    elif column in ("id", "priority_rank", "stage__position"):
        if not isinstance(value, int) or isinstance(value, bool):
            raise ValueError
    elif not isinstance(value, str):
        raise ValueError
    after = Q(**{f"{column}__{step}": value}) | Q(**{column: value, f"id__{step}": pk})
    if nullable:
        after |= Q(**{f"{column}__isnull": True})
    return after


def page_of(request, tickets, sort: str, cursor: str | None, limit: int) -> dict:
    """One keyset page of `tickets` in the table's order `sort`."""
    name, descending, column = _order(sort)
    ordered = filters.sort(tickets, ("-" if descending else "") + name)
    if cursor:
        position = serialize.decode_cursor(cursor)
        try:
            if not position or len(position) != 3 or position[0] != ordered_key(name, descending):
                raise ValueError
            ordered = ordered.filter(_after(column, descending, position[1], int(position[2])))
        except (ValueError, TypeError, ValidationError):
            raise ApiError(
                "invalid-request", _("The cursor is not valid for this list."), parameter="cursor"
            ) from None
    rows = list(_rows(ordered)[: limit + 1])
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        next_cursor = serialize.encode_cursor(
            [ordered_key(name, descending), _value(last, column), last.pk]
        )
    now = datetime.datetime.now(datetime.UTC)
    return {
        "items": [serialize.ticket(row, now) for row in rows],
        "next": serialize.next_link(request, next_cursor),
    }


def ordered_key(name: str, descending: bool) -> str:
    return ("-" if descending else "") + name


def _filtered(request, slug: str):
    """The tickets of view `slug` narrowed by the request's filters. A custom
    view's own conditions always apply; the request's are added to them."""
    user = request.user
    view = _view(user, slug)
    state = _state(request)
    if isinstance(view, queries.CustomView):
        saved = view.state()
        state.conditions = saved.conditions + state.conditions
        state.sort = state.sort or saved.sort
    # The custom properties are read only when a condition needs them.
    known = None if state.conditions else {}
    try:
        return queries.table_tickets(user, view, state, known), state
    except filters.FilterError as error:
        raise ApiError("invalid-request", str(error), parameter="f") from None


@router.get("/tickets", response=TicketPage, url_name="ticket_list", summary="List tickets")
def ticket_list(
    request,
    view: str = Query("all", description="A view's slug (GET /views): its tickets only."),
    q: str = Query("", description="Search text, as in the workspace's search box."),
    f: list[str] = Query([], description="Conditions `key:operator:value`, as the table's."),
    owner: list[str] = Query([], description="Owner ids (or `me`)."),
    team: list[str] = Query([]),
    priority: list[str] = Query([]),
    pipeline: list[str] = Query([]),
    stage: list[str] = Query([]),
    tags: list[str] = Query([], description="Tag ids."),
    sort: str = Query("", description="A column, `-` first for descending."),
    cursor: str = Query("", description="From the previous page's `next`."),
    limit: int = Query(50, ge=1, le=MAX_LIMIT),
):
    """Tickets you may see, narrowed like the workspace's table, newest activity
    first unless `sort` says otherwise. Pages follow `next`."""
    tickets, state = _filtered(request, view)
    return page_of(request, tickets, state.sort or sort, cursor or None, limit)


@router.get("/tickets/count", response=Count, url_name="ticket_count", summary="Count tickets")
def ticket_count(
    request,
    view: str = Query("all"),
    q: str = Query(""),
    f: list[str] = Query([]),
    owner: list[str] = Query([]),
    team: list[str] = Query([]),
    priority: list[str] = Query([]),
    pipeline: list[str] = Query([]),
    stage: list[str] = Query([]),
    tags: list[str] = Query([]),
):
    """How many tickets the same filters match, counting up to 1,000."""
    tickets, _state = _filtered(request, view)
    found = queries.count_capped(tickets)
    return {"count": int(found), "capped": found.capped}


def _detail_queryset(tickets):
    return (
        tickets.select_related("pipeline", "stage", "owner", "team")
        .prefetch_related(
            queries.tags_prefetch(),
            Prefetch("contacts", queryset=Contact.objects.order_by("id")),
            Prefetch("companies", queryset=Company.objects.order_by("id")),
        )
        .annotate(last_event_id=serialize.last_event())
    )


def detail(request, pk: int) -> tuple[dict, str]:
    """The ticket as TicketDetail, and its ETag."""
    row = _detail_queryset(visible_tickets(request.user)).filter(pk=pk).first()
    if row is None:
        raise Http404
    body = serialize.ticket_detail(row)
    return body, body["etag"]


def _answer(request, response: HttpResponse, pk: int, status: int = 200) -> Status:
    body, tag = detail(request, pk)
    response["ETag"] = tag
    if status == 201:
        response["Location"] = reverse("api-v1:ticket_get", args=[pk])
    return Status(status, body)


@router.get(
    "/tickets/{int:pk}", response=TicketDetail, url_name="ticket_get", summary="Get a ticket"
)
def ticket_get(request, pk: int, response: HttpResponse):
    """The ticket with its description, contacts and companies. Its `ETag`
    (also in the body) goes back in `If-Match` when updating."""
    return _answer(request, response, pk)


def _record(model, pk: int, field: str):
    found = model.objects.filter(pk=pk).first()
    if found is None:
        raise ValidationError({field: _("There is no record with id %(id)s.") % {"id": pk}})
    return found


def _user(pk: int | None, field: str = "owner") -> User | None:
    if pk is None:
        return None
    found = User.objects.filter(pk=pk, is_active=True).first()
    if found is None:
        raise ValidationError({field: _("There is no active user with id %(id)s.") % {"id": pk}})
    return found


def _team(pk: int | None) -> Team | None:
    return None if pk is None else _record(Team, pk, "team")


@router.post(
    "/tickets",
    response={201: TicketDetail},
    auth=WRITE,
    url_name="ticket_create",
    summary="Create a ticket",
)
def ticket_create(request, payload: TicketCreate, response: HttpResponse):
    """A new ticket with source `api`. Send an `Idempotency-Key` header: a
    retried request then returns the first one's ticket instead of a second."""
    pipeline = (
        _record(Pipeline, payload.pipeline, "pipeline")
        if payload.pipeline
        else Pipeline.objects.order_by("position", "id").first()
    )
    if pipeline is None:
        raise ValidationError(_("Set up a pipeline with an open status first."))
    if payload.stage:
        stage = _record(Stage, payload.stage, "stage")
    else:
        stage = pipeline.first_open_stage()
        if stage is None:
            raise ValidationError({"stage": _("Choose a status: this pipeline has no open one.")})
    contacts = [_record(Contact, pk, "contacts") for pk in dict.fromkeys(payload.contacts)]
    companies = [_record(Company, pk, "companies") for pk in dict.fromkeys(payload.companies)]
    with transaction.atomic():
        ticket = services.ticket_create(
            actor=request.user,
            name=payload.name,
            pipeline=pipeline,
            stage=stage,
            description=payload.description,
            owner=_user(payload.owner),
            team=_team(payload.team),
            priority=payload.priority,
            category=payload.category,
            source=Source.API,
            properties=payload.properties,
            contacts=contacts,
            companies=companies,
        )
        if payload.tags:
            services.ticket_tag(actor=request.user, ticket=ticket, add=payload.tags)
    # The creator may not see what they made (a team-only agent creating for
    # another team): then the answer is the ticket's number only.
    if not visible_tickets(request.user).filter(pk=ticket.pk).exists():
        raise ApiError(
            "forbidden",
            _("Ticket #%(number)s was created, but you cannot see it.") % {"number": ticket.pk},
        )
    return _answer(request, response, ticket.pk, 201)


# Updates with If-Match ----------------------------------------------------------

STALE = object()  # never equal to a current value: see _expected()


def _version(if_match: str, pk: int) -> int | None:
    """The timeline position an `If-Match` ETag names (`"<ticket>.<event>"`,
    with the representation's digest after another dot); None for "*"."""
    value = if_match.strip()
    if value == "*":
        return None
    value = value.removeprefix("W/").strip('"')
    number, _sep, rest = value.partition(".")
    event = rest.partition(".")[0]
    if number != str(pk) or not event.isdigit():
        raise ApiError(
            "edit-conflict",
            _("The If-Match header does not hold this ticket's ETag. Read the ticket again."),
            conflicts=[],
        )
    return int(event)


def _expected(changes: list, fields: set[str]) -> dict:
    """What the workspace's conflict rule (tickets.services._check_expected)
    needs to refuse: each field the request sets that someone changed after
    the ETag, as a value that matches nothing. A teammate who already set
    the value wanted is no conflict there, as in the workspace."""
    return {c.field: STALE for c in changes if c.field in fields}


def _conflict(request, ticket, changes: list, error: services.EditConflict):
    _body, tag = detail(request, ticket.pk)
    return ApiError(
        "edit-conflict",
        error.message,
        field=error.field,
        changes=[serialize.change(c) for c in changes],
        etag=tag,
    )


@router.patch(
    "/tickets/{int:pk}",
    response=TicketDetail,
    auth=WRITE,
    url_name="ticket_update",
    summary="Update a ticket",
)
def ticket_update(
    request,
    pk: int,
    payload: TicketUpdate,
    response: HttpResponse,
    if_match: str = Header("", alias="If-Match", description="The ETag you read."),
):
    """Change fields, custom properties, the status, tags and associations.
    With `If-Match`, a field someone else changed since that ETag is refused
    with 412 and the changes made since (who, what, when), as the workspace
    refuses an edit over a teammate's."""
    given = payload.dict(exclude_unset=True)
    user = request.user
    with transaction.atomic():
        ticket = get_ticket_for_user(user, pk, for_update=True)
        version = _version(if_match, pk) if if_match else None
        changes = (
            list(ticket.events.filter(pk__gt=version).select_related("actor").order_by("id"))
            if version is not None
            else []
        )
        fields = {k: given[k] for k in services.EDITABLE_FIELDS if k in given}
        if "owner" in fields:
            fields["owner"] = _user(fields["owner"])
        if "team" in fields:
            fields["team"] = _team(fields["team"])
        for key in ("name", "description", "priority", "category"):
            if key in fields and fields[key] is None:
                raise ValidationError({key: _("This field cannot be null.")})
        properties = given.get("properties") or {}
        try:
            if fields or properties:
                ticket = services.ticket_update(
                    actor=user,
                    ticket=ticket,
                    properties=properties,
                    expected=_expected(changes, {*fields, *properties}),
                    **fields,
                )
            if given.get("stage") is not None:
                stage = _record(Stage, given["stage"], "stage")
                if stage.pipeline_id == ticket.pipeline_id:
                    services.ticket_set_stage(
                        actor=user,
                        ticket=ticket,
                        stage=stage,
                        expected=_expected(changes, {"stage"}),
                    )
                else:
                    services.ticket_move_pipeline(
                        actor=user,
                        ticket=ticket,
                        stage=stage,
                        expected=_expected(changes, {"pipeline"}),
                    )
        except services.EditConflict as error:
            raise _conflict(request, ticket, changes, error) from None
        if given.get("tags") is not None:
            wanted = {services.tag_clean_name(n).casefold(): n for n in given["tags"] if n.strip()}
            current = {t.name.casefold(): t for t in ticket.tags.all()}
            services.ticket_tag(
                actor=user,
                ticket=ticket,
                add=[n for key, n in wanted.items() if key not in current],
                remove=[t for key, t in current.items() if key not in wanted],
            )
        for key, model in (("contacts", Contact), ("companies", Company)):
            if given.get(key) is None:
                continue
            wanted_ids = list(dict.fromkeys(given[key]))
            records = [_record(model, rid, key) for rid in wanted_ids]
            current_ids = set(getattr(ticket, key).values_list("pk", flat=True))
            for record in records:
                if record.pk not in current_ids:
                    services.ticket_associate(actor=user, ticket=ticket, record=record)
            for record in model.objects.filter(pk__in=current_ids - set(wanted_ids)):
                services.ticket_dissociate(actor=user, ticket=ticket, record=record)
        if given.get("is_spam") is not None and given["is_spam"] != ticket.is_spam:
            services.ticket_mark_spam(actor=user, ticket=ticket, spam=given["is_spam"])
    return _answer(request, response, pk)


@router.delete(
    "/tickets/{int:pk}",
    response={204: None},
    auth=WRITE,
    url_name="ticket_delete",
    summary="Delete a ticket",
)
def ticket_delete(request, pk: int):
    """To Recently deleted, restorable for the configured days. Agents with a
    seat only, as in the workspace."""
    if not may_delete(request.user):
        raise ApiError("forbidden", _("Only agents with a seat delete tickets."))
    ticket = get_ticket_for_user(request.user, pk)
    services.ticket_delete(actor=request.user, ticket=ticket)
    return Status(204, None)


@router.post(
    "/tickets/{int:pk}/restore",
    response=TicketDetail,
    auth=WRITE,
    url_name="ticket_restore",
    summary="Restore a deleted ticket",
)
def ticket_restore(request, pk: int, response: HttpResponse):
    ticket = deleted_tickets(request.user).filter(pk=pk).first()
    if ticket is None:
        raise Http404
    services.ticket_restore(actor=request.user, ticket=ticket)
    return _answer(request, response, pk)


@router.post(
    "/tickets/{int:pk}/merge",
    response=TicketDetail,
    auth=WRITE,
    url_name="ticket_merge",
    summary="Merge a ticket into another",
)
def ticket_merge(request, pk: int, payload: MergeIn, response: HttpResponse):
    """This ticket's conversations, files and associations move to `into`,
    which is returned; this one is closed and points to it."""
    ticket = get_ticket_for_user(request.user, pk)
    try:
        into = get_ticket_for_user(request.user, payload.into)
    except Http404:
        raise ValidationError({"into": _("Choose the ticket to merge with.")}) from None
    primary = moves.ticket_merge(actor=request.user, ticket=ticket, into=into)
    return _answer(request, response, primary.pk)


@router.get(
    "/tickets/{int:pk}/sla", response=SlaClocks, url_name="ticket_sla", summary="SLA status"
)
def ticket_sla(request, pk: int):
    """The ticket's running SLA clocks and the most urgent one's state."""
    ticket = get_ticket_for_user(request.user, pk)
    return {
        "status": serialize.sla_status(ticket),
        "paused": ticket.sla_paused_at is not None,
        "first_response_due": ticket.sla_first_response_due,
        "first_response_at": ticket.sla_first_response_at,
        "next_response_due": ticket.sla_next_response_due,
        "close_due": ticket.sla_close_due,
    }


@router.get(
    "/tickets/{int:pk}/timeline",
    response=TimelinePage,
    url_name="ticket_timeline",
    summary="The ticket's timeline",
)
def ticket_timeline(request, pk: int, cursor: str = Query("")):
    """Who changed what and when, newest first, 30 a page."""
    ticket = get_ticket_for_user(request.user, pk)
    page = queries.events_for_timeline(ticket, cursor or None)
    return {
        "items": [serialize.event(e) for e in page.events],
        "next": serialize.next_link(request, page.next_cursor),
    }


@router.get(
    "/tickets/{int:pk}/related",
    response=TicketPage,
    url_name="ticket_related",
    summary="Linked tickets",
)
def ticket_related(request, pk: int):
    """Tickets linked to this one (follow-ups, split parts) that you may see."""
    ticket = get_ticket_for_user(request.user, pk)
    ids = [t.pk for t in queries.linked_tickets(request.user, ticket)]
    rows = _rows(visible_tickets(request.user).filter(pk__in=ids)).order_by(
        F("last_activity_at").desc(), "-id"
    )
    return {"items": [serialize.ticket(r) for r in rows], "next": None}
