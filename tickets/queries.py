"""Reads for the workspace screens. Each starts from access.visible_tickets()."""

import datetime
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import connections, transaction
from django.db.models import (
    DateTimeField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Value,
)
from django.db.models.functions import Lower
from django.utils.dateparse import parse_datetime
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from accounts.models import Team, User
from crm.models import Company, Contact, Deal
from helpdesk.prepared import Prepared

from . import filters, search
from .access import deleted_tickets, sees_every_ticket, visible_tickets
from .models import (
    Follower,
    Pipeline,
    Priority,
    SavedView,
    Stage,
    Tag,
    Ticket,
    TicketEvent,
    TicketQuerySet,
    TicketTag,
)


def _related(name: str):
    """A model that points at Ticket, found through its reverse relation, so these
    views need not import the apps that own them (dependencies point one way)."""
    return Ticket._meta.get_field(name).related_model


def _sent_by(user: User):
    """Tickets the user replied to by email (S26 "Sent")."""
    messages = _related("messages").objects
    return messages.filter(author=user, direction="outbound", kind="message").values("ticket_id")


class _Probe(Exists):
    """EXISTS that PostgreSQL runs as a lookup for each outer row, never as a
    join: OFFSET 0 keeps the planner from turning it into one. For a few
    rows checked against the ticket table, where the planner would rather
    hash the whole table than look rows up: counting an agent's Sent among
    the tickets they see hashed all 100,000 tickets, 20 ms where the
    lookups by primary key take 2.6 (issue 22)."""

    template = "EXISTS(%(subquery)s OFFSET 0)"


def _sent_count_rows(tickets: TicketQuerySet, user: User):
    """Sent's tickets for the sidebar's count: the agent's replies, each
    ticket once, stopping at the cap, each ticket looked up among `tickets`
    by its primary key."""
    seen = _Probe(tickets.filter(pk=OuterRef("ticket_id")))
    return _sent_by(user).filter(seen).distinct()


def _mine(user: User):
    """Tickets that are the user's work: owned, followed (S11), or written on
    (a reply or a comment). One UNION of three index lookups, so the ticket
    table is reached by primary key, never scanned."""
    messages = _related("messages").objects
    # No ordering inside the union: a message's default one sorts for nothing.
    return (
        Ticket.objects.filter(owner=user)
        .order_by()
        .values("id")
        .union(
            Follower.objects.filter(user=user).order_by().values("ticket_id"),
            messages.filter(author=user).order_by().values("ticket_id"),
        )
    )


def _drafted_by(user: User):
    """Tickets where the user has an unsent draft (S19): only their own."""
    return _related("drafts").objects.filter(user=user).values("ticket_id")


@dataclass(frozen=True)
class DefaultView:
    """A built-in view of S26: a name, an icon and a filter over visible tickets."""

    slug: str
    label: Promise
    icon: str
    filter: Callable[[TicketQuerySet, User], TicketQuerySet]
    empty: Promise
    # Collaborators get only the views that are not seat-only (S2).
    seat_only: bool = True
    # Agents with a seat have the default views instead.
    collaborator_only: bool = False
    # Counted up to COUNT_CAP: no index makes counting everything cheap.
    capped: bool = False
    # Its tickets are found by a subquery (the agent's replies or work): a
    # few among many, so a page is found in the index of last activity
    # before its rows are read (tickets_for_view).
    sparse: bool = False
    # What a collaborator reads instead of `empty`: never a view they cannot open.
    empty_collaborator: Promise | None = None
    # The ids of the same tickets as `filter`, one row each, for the
    # sidebar's count, where another query counts them faster.
    count_rows: Callable[[TicketQuerySet, User], QuerySet] | None = None

    def counted(self, tickets: TicketQuerySet, user: User) -> QuerySet:
        """The rows the sidebar counts: one per ticket of the view."""
        if self.count_rows is not None:
            return self.count_rows(tickets, user)
        return self.filter(tickets, user).values("pk")


DEFAULT_VIEWS = [
    # A collaborator's home (S2): their own work, open and closed, within what
    # they may see; the top bar's search finds the rest.
    DefaultView(
        "my-tickets",
        _("My tickets"),
        "circle-user",
        lambda tickets, user: tickets.filter(is_spam=False, id__in=_mine(user)),
        _(
            "Tickets you own, follow or write on appear here. The search above finds "
            "the other tickets you may see."
        ),
        seat_only=False,
        collaborator_only=True,
        sparse=True,
    ),
    DefaultView(
        "unassigned",
        _("Unassigned tickets"),
        "inbox",
        lambda tickets, user: tickets.open().filter(owner__isnull=True),
        _("Every open ticket has an owner. New tickets without one will appear here."),
    ),
    DefaultView(
        "mine",
        _("Assigned to me"),
        "user",
        lambda tickets, user: tickets.open().filter(owner=user),
        _("No open tickets are assigned to you. Pick one from Unassigned tickets."),
        seat_only=False,
        empty_collaborator=_(
            "No open tickets are assigned to you. The search above finds the other "
            "tickets you may see."
        ),
    ),
    DefaultView(
        "my-teams",
        _("Open in my team"),
        "users",
        lambda tickets, user: tickets.open().filter(team_id__in=user.team_ids),
        _("Your teams have no open tickets."),
    ),
    DefaultView(
        "all-open",
        _("All open"),
        "layers",
        lambda tickets, user: tickets.open(),
        _("No open tickets. Nice work."),
    ),
    DefaultView(
        "all",
        _("All tickets"),
        "list",
        lambda tickets, user: tickets.filter(is_spam=False),
        _("No tickets yet. Tickets from every channel will appear here."),
        capped=True,
    ),
    DefaultView(
        "sent",
        _("Sent"),
        "send",
        lambda tickets, user: tickets.filter(id__in=_sent_by(user)),
        _("Tickets you reply to appear here."),
        # An agent replies on thousands of tickets in a year.
        capped=True,
        sparse=True,
        # Counted from the agent's replies, each ticket once, stopping at the
        # cap: 4-12 ms at a million tickets, where counting the tickets that
        # are among the replies read 55,000 tickets and hashed 30,000 replies
        # (22-33 ms). The list keeps its own form: the first page walks the
        # tickets by last activity.
        count_rows=_sent_count_rows,
    ),
    DefaultView(
        "drafts",
        _("Drafts"),
        "file-pen-line",
        lambda tickets, user: tickets.filter(id__in=_drafted_by(user)),
        _("Replies and comments you start and do not send are kept here."),
        seat_only=False,
    ),
    DefaultView(
        "spam",
        _("Spam"),
        "shield-alert",
        lambda tickets, user: tickets.spam(),
        _("No ticket is marked as spam."),
    ),
]


@dataclass(frozen=True)
class CustomView:
    """A saved view (S27) in the shape of a DefaultView."""

    saved: SavedView
    icon = "list-filter"
    empty = _("No tickets match this view's filters.")

    @property
    def slug(self) -> str:
        return self.saved.slug

    @property
    def label(self) -> str:
        return self.saved.local_name

    def state(self) -> filters.ListState:
        return filters.ListState.from_saved(self.saved)

    def filter(self, tickets: TicketQuerySet, user: User) -> TicketQuerySet:
        """The view's tickets; none while a filter no longer applies (a deleted
        property): its table says which."""
        try:
            return filters.apply(tickets, self.state(), user)
        except filters.FilterError:
            return tickets.none()


def views_for_user(user: User) -> list[DefaultView]:
    """The default views `user` opens: all but My tickets with a seat; My
    tickets, Assigned to me and Drafts for a collaborator (S2)."""
    if user.has_seat:
        return [v for v in DEFAULT_VIEWS if not v.collaborator_only]
    return [v for v in DEFAULT_VIEWS if not v.seat_only]


def shared_with(user: User) -> Q:
    """Rows with SavedView's sharing (custom views, macros) that `user` may use:
    their own, and those shared with everyone or with one of their teams (S27)."""
    shared = Q(sharing=SavedView.Sharing.EVERYONE) | Q(
        sharing=SavedView.Sharing.TEAMS, teams__in=user.team_ids
    )
    return Q(owner=user) | shared


def _usable_views(user: int, main_team: int):
    """shared_with(user) in one shape whatever the user's teams (their ids
    read in SQL, not listed), so that it is compiled once: every workspace
    page reads the user's custom views for its sidebar (issue 22)."""
    teams = User.teams.through.objects.filter(user=user).values("team")
    chosen = SavedView.teams.through.objects.filter(Q(team__in=teams) | Q(team=main_team))
    return SavedView.objects.filter(
        Q(owner=user)
        | Q(sharing=SavedView.Sharing.EVERYONE)
        | Q(sharing=SavedView.Sharing.TEAMS, pk__in=chosen.values("savedview"))
    ).select_related("owner")


USABLE_VIEWS = Prepared(_usable_views, int, int)


def custom_views_for_user(user: User) -> list[CustomView]:
    """The custom views `user` may open, by name. Sharing never widens what a
    view shows (S3). Read once per request, as `user.team_ids` is (the user
    object lives for one request): a custom view's page asks for its view and
    then for the sidebar's list. A view saved or deleted answers with a
    redirect, so the next request reads the list again."""
    kept = user.__dict__.get("_custom_views")
    if kept is None:
        usable = USABLE_VIEWS.objects(user.pk, user.main_team_id or 0)
        kept = user.__dict__["_custom_views"] = [CustomView(saved) for saved in usable]
    return kept


def get_view_for_user(user: User, slug: str) -> DefaultView | CustomView | None:
    if slug.startswith("v") and slug[1:].isdigit():
        pk = int(slug[1:])
        return next((v for v in custom_views_for_user(user) if v.saved.pk == pk), None)
    return next((v for v in views_for_user(user) if v.slug == slug), None)


# Broad views and searches are counted to here ("1,000+" in the sidebar, "1-50
# of 1,000+" in the table): past it, finding 1,000 more rows costs more than the
# number tells an agent.
COUNT_CAP = 1_000


class CappedCount(int):
    """A count that may have stopped at its cap (`capped`: there are more)."""

    capped = False


def count_capped(tickets, cap: int | None = None) -> CappedCount:
    """An exact count up to `cap` (COUNT_CAP), else `cap` marked capped: the
    cost of counting a broad filter at a million tickets stays bounded."""
    cap = cap or COUNT_CAP
    found = tickets.values("pk")[: cap + 1].count()
    count = CappedCount(min(found, cap))
    count.capped = found > cap
    return count


def view_counts_for_sidebar(user: User, custom: list[CustomView] = ()) -> dict[str, int]:
    """Each view's count: each default view's served by its partial index;
    custom views and All tickets counted up to COUNT_CAP. One statement of a
    scalar subquery per view (each planned as its own COUNT would be): eight
    round trips and eight of Django's aggregations were a fifth of the list
    page (issue 22)."""
    tickets = visible_tickets(user)
    counted = [(v.slug, v.counted(tickets, user), v.capped) for v in views_for_user(user)]
    counted += [(v.slug, v.filter(tickets, user).values("pk"), True) for v in custom]
    parts, params = [], []
    for _slug, rows, capped in counted:
        rows = rows.order_by()
        try:
            sql, values = (rows[: COUNT_CAP + 1] if capped else rows).query.sql_with_params()
        except EmptyResultSet:  # a filter that can match nothing (no teams)
            parts.append("0")
            continue
        parts.append(f"(SELECT COUNT(*) FROM ({sql}) AS counted)")
        params += values
    if not parts:
        return {}
    with connections[tickets.db].cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts), params)
        found = cursor.fetchone()
    counts = {}
    for (slug, _rows, capped), number in zip(counted, found, strict=True):
        count = CappedCount(min(number, COUNT_CAP)) if capped else number
        if capped:
            count.capped = number > COUNT_CAP
        counts[slug] = count
    return counts


# What a list row shows (ARCHITECTURE rule 5): the denormalised columns, the
# status and the owner's name. Descriptions and custom properties stay behind.
ROW_FIELDS = (
    "id",
    "name",
    "priority",
    "contact_name",
    "preview",
    "last_activity_at",
    "stage__name",
    "stage__labels",
    "stage__is_closed",
    "owner__username",
    "owner__first_name",
    "owner__last_name",
    # The SLA badge, derived from the deadlines (ARCHITECTURE rule 4).
    "is_open",
    "sla_first_response_due",
    "sla_first_response_at",
    "sla_next_response_due",
    "sla_close_due",
    "sla_paused_at",
    "sla_due_soon_minutes",
    "updated_at",
)


# A row's tags: one query for the whole page, however many rows and tags.
def tags_prefetch() -> Prefetch:
    return Prefetch("tags", queryset=Tag.objects.only("id", "name", "colour"))


@dataclass
class TicketPage:
    tickets: list
    next_cursor: str | None


def encode_cursor(last_activity_at: datetime.datetime, pk: int) -> str:
    return f"{last_activity_at.isoformat()}~{pk}"


def decode_cursor(cursor: str | None) -> tuple[datetime.datetime, int] | None:
    """The (last activity, id) position encoded in `cursor`, or None when malformed."""
    if not cursor or "~" not in cursor:
        return None
    moment, _sep, pk = cursor.rpartition("~")
    try:
        parsed = parse_datetime(moment.replace(" ", "+"))
        return (parsed, int(pk)) if parsed else None
    except ValueError:
        return None


# The live check (issue 19) -------------------------------------------------------

# A change written by a transaction that commits a little after a check ran is
# still found by the next ones: each looks this far before its `since`, and the
# list ignores the (id, moment) pairs it has already seen.
LIVE_OVERLAP = datetime.timedelta(seconds=10)
LIVE_LIMIT = 100


def stamp(moment: datetime.datetime) -> int:
    """A moment as whole microseconds since 1970: how the live check and the
    rows it compares name a ticket's version (`updated_at`)."""
    return (moment - EPOCH) // datetime.timedelta(microseconds=1)


def from_stamp(value: str) -> datetime.datetime | None:
    """The moment a stamp names, or None for anything that is not one."""
    if not isinstance(value, str) or not value.isdigit():
        return None
    try:
        return EPOCH + datetime.timedelta(microseconds=int(value))
    except (TypeError, ValueError, OverflowError):
        return None


EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)


@dataclass
class Change:
    pk: int
    changed_at: datetime.datetime
    in_view: bool
    # Activity (a message, a new ticket) in the window: the list would show
    # it at its top. A status or field changed deep in the list is not "new".
    active: bool = False


def changes_since(user: User, view, since: datetime.datetime) -> list[Change]:
    """The tickets `user` may see that changed after `since` (less LIVE_OVERLAP),
    latest first, at most LIVE_LIMIT, each saying whether it is in `view` now.

    One range at the top of the `ticket_changed` index when nothing changed;
    a second query, over those few ids only, when something did."""
    window = since - LIVE_OVERLAP
    changed = list(
        visible_tickets(user)
        .filter(updated_at__gt=window)
        .order_by("-updated_at", "-id")
        .values_list("pk", "updated_at", "last_activity_at")[:LIVE_LIMIT]
    )
    if not changed:
        return []
    ids = [pk for pk, _at, _activity in changed]
    in_view = set(
        view.filter(visible_tickets(user).filter(pk__in=ids), user).values_list("pk", flat=True)
    )
    return [Change(pk, at, pk in in_view, activity > window) for pk, at, activity in changed]


def rows_by_id(user: User, ids: list[int]) -> list:
    """List rows (as tickets_for_view draws them) of these visible tickets."""
    return list(
        visible_tickets(user)
        .filter(pk__in=ids)
        .select_related("owner", "stage")
        .only(*ROW_FIELDS)
        .prefetch_related(tags_prefetch())
        .order_by("-last_activity_at", "-id")
    )


def view_contains(view: DefaultView, user: User, pk: int) -> bool:
    return view.filter(visible_tickets(user), user).filter(pk=pk).exists()


def _serially(query) -> list:
    """`query`'s rows, planned without parallel workers. For a walk the
    planner thinks long but a LIMIT ends early, starting two workers cost
    more than the walk: 18 ms against 3 ms for an agent's Sent at a million
    tickets (issue 22). SET LOCAL lasts to the end of the transaction, so a
    pooled connection (PgBouncer) is handed back as it came."""
    connection = connections[query.db]
    with transaction.atomic(using=query.db):
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL max_parallel_workers_per_gather = 0")
        return list(query)


def tickets_for_view(user: User, view: DefaultView, cursor: str | None = None) -> TicketPage:
    """One page of a view, newest activity first, with keyset pagination.

    The page after `cursor` starts strictly below (last activity, id); the
    redundant `last_activity_at <=` bound lets the database seek straight to it.
    """
    tickets = view.filter(visible_tickets(user), user)
    position = decode_cursor(cursor)
    if position:
        moment, pk = position
        tickets = tickets.filter(last_activity_at__lte=moment).filter(
            Q(last_activity_at__lt=moment) | Q(id__lt=pk)
        )
    size = settings.HELPDESK_LIST_PAGE_SIZE
    if getattr(view, "sparse", False):
        # Reading the rows while walking the index read a ticket's row for
        # each of the ~200 passed over per one kept: 55 ms for an agent's
        # Sent at a million tickets, 3 ms from the index alone (issue 22).
        page = tickets.order_by("-last_activity_at", "-id").values_list("id", flat=True)
        tickets = Ticket.objects.filter(id__in=_serially(page[: size + 1]))
    rows = list(
        tickets.select_related("owner", "stage")
        .only(*ROW_FIELDS)
        .prefetch_related(tags_prefetch())
        .order_by("-last_activity_at", "-id")[: size + 1]
    )
    next_cursor = None
    if len(rows) > size:
        rows = rows[:size]
        next_cursor = encode_cursor(rows[-1].last_activity_at, rows[-1].pk)
    return TicketPage(rows, next_cursor)


# The table mode (S28) ---------------------------------------------------------

TABLE_FIELDS = (
    *ROW_FIELDS,
    "created_at",
    "closed_at",
    "category",
    "source",
    "properties",
    "team__name",
    "team__labels",
    "pipeline__name",
    "pipeline__labels",
)


@dataclass
class ListPage:
    """One page of the table: rows, how many match (capped), and the page."""

    tickets: list
    total: CappedCount | None  # None: counted separately (table_count), after the rows
    page: int
    size: int
    has_next: bool

    @property
    def first(self) -> int:
        return (self.page - 1) * self.size + 1 if self.tickets else 0

    @property
    def last(self) -> int:
        return self.first + len(self.tickets) - 1 if self.tickets else 0


def _table_tickets(user: User, view, state: filters.ListState, known=None):
    """The view's tickets narrowed by the state's conditions and search.
    Raises filters.FilterError for a condition that does not apply."""
    tickets = visible_tickets(user)
    if not isinstance(view, CustomView):
        # A custom view's filters are the state itself (its table edits them).
        tickets = view.filter(tickets, user)
    tickets = filters.apply(tickets, state, user, known)
    query = search.parse(state.search) if state.search else None
    if query:
        tickets, _problems = apply_search(tickets, query, user)
    return tickets, query


def _named(rows, value: str) -> list[int]:
    """Ids of the rows (statuses, teams) called `value` in any language."""
    wanted = search.fold(value)
    return [
        row.pk
        for row in rows
        if wanted in {search.fold(name) for name in (row.name, *row.labels.values()) if name}
    ]


def apply_search(tickets, query: search.Query, user: User) -> tuple:
    """`tickets` narrowed to what `query` asks for (its operators, phrases,
    words and number), and a sentence for each operator value that names
    nothing (that operator then matches no ticket: a search never widens).

    At most one query for the statuses and one for the teams, whatever was
    typed; the rest is one filter on the tickets."""
    problems: list[str] = []
    for name in query.tags:
        tickets = tickets.filter(_tagged(name))
    if query.statuses:
        stages = list(Stage.objects.only("id", "name", "labels"))
        wanted = Q(pk__in=[])
        for value in query.statuses:
            folded = search.fold(value)
            if folded in ("open", "closed"):
                wanted |= Q(is_open=folded == "open")
                continue
            ids = _named(stages, value)
            if not ids:
                problems.append(_("No status is called “%(value)s”.") % {"value": value})
            wanted |= Q(stage_id__in=ids)
        tickets = tickets.filter(wanted)
    if query.owners:
        wanted = Q(pk__in=[])
        for value in query.owners:
            folded = search.fold(value)
            if folded == "me":
                wanted |= Q(owner=user)
            elif folded in ("none", "nobody"):
                wanted |= Q(owner__isnull=True)
            else:
                wanted |= Q(owner__username__iexact=value) | Q(owner__first_name__iexact=value)
        tickets = tickets.filter(wanted)
    if query.teams:
        teams = list(Team.objects.only("id", "name", "labels"))
        ids = []
        for value in query.teams:
            found = _named(teams, value)
            if not found:
                problems.append(_("No team is called “%(value)s”.") % {"value": value})
            ids += found
        tickets = tickets.filter(team_id__in=ids)
    if query.priorities:
        labels = {search.fold(str(label)): value for value, label in Priority.choices}
        values = {search.fold(v) for v in Priority.values}
        chosen = []
        for value in query.priorities:
            folded = search.fold(value)
            if folded in values or folded in labels:
                chosen.append(labels.get(folded, folded))
            else:
                problems.append(_("No priority is called “%(value)s”.") % {"value": value})
        tickets = tickets.filter(priority__in=chosen)
    for value in query.flags:
        folded = search.fold(value)
        if folded == "unassigned":
            tickets = tickets.filter(owner__isnull=True)
        elif folded in ("open", "closed"):
            tickets = tickets.filter(is_open=folded == "open")
        else:
            problems.append(_("“is:%(value)s” is not a search operator.") % {"value": value})
            tickets = tickets.none()
    if query.senders:
        # The contacts' names and addresses are in the search vector (weight
        # C; a word also in the ticket's name is kept there as A): the GIN
        # index answers, as for any word.
        wanted = Q(pk__in=[])
        for value in query.senders:
            wanted |= search.matches(search.words_query(value), weight="AC")
        tickets = tickets.filter(wanted)
    for phrase in query.phrases:
        tickets = tickets.filter(
            Q(name__icontains=phrase)
            | Q(description__icontains=phrase)
            | Q(contact_name__icontains=phrase)
        )
    if query.terms or query.ticket_id is not None:
        found = search.matches(query)
        if query.ticket_id is not None:
            found |= Q(pk=query.ticket_id)
        tickets = tickets.filter(found)
    return tickets, problems


def table_tickets(user: User, view, state: filters.ListState, known=None) -> TicketQuerySet:
    """The tickets the table would list for `state` (visibility, view,
    conditions and search), unordered: the API pages through them with its own
    keyset. Raises filters.FilterError."""
    return _table_tickets(user, view, state, known)[0]


def _tagged(name: str) -> Q:
    """Tickets carrying the tag called `name`, whatever its case (`tag:` in
    the search box); a name no tag has matches nothing."""
    tag_ids = Tag.objects.filter(name__iexact=name).values("pk")
    return Q(Exists(TicketTag.objects.filter(ticket_id=OuterRef("pk"), tag_id__in=tag_ids)))


def tickets_for_table(user: User, view, state: filters.ListState, known=None) -> ListPage:
    """One page of the view's tickets, narrowed, searched and sorted.

    Without a chosen sort, search results come ranked: the ticket whose number
    was typed, then tickets whose name matches, then the rest, each by latest
    activity. The total is known here when the first page holds them all or
    a default view is shown as it is (_counted_at_once); otherwise
    table_count() counts them in a request of its own, so the rows never wait
    for a count that may be slow. `known` is filters.properties(), when the caller
    has it already. Raises filters.FilterError.
    """
    size = settings.HELPDESK_TABLE_PAGE_SIZE
    tickets, query = _table_tickets(user, view, state, known)
    start = (state.page - 1) * size
    rows_of = lambda qs: qs.select_related("owner").only(*TABLE_COLUMNS)  # noqa: E731
    if query and not state.sort:
        rows = _ranked(tickets, query, start, size + 1, rows_of)
    else:
        rows = _sorted(tickets, state.sort, start, size + 1, rows_of)
    _with_settings_and_tags(rows)
    has_next = len(rows) > size
    total = CappedCount(len(rows)) if state.page == 1 and not has_next else None
    if total is None and _counted_at_once(user, view, state):
        total = count_capped(tickets)
    return ListPage(rows[:size], total, state.page, size, has_next)


def _counted_at_once(user: User, view, state: filters.ListState) -> bool:
    """Whether the table's count comes with its rows: a default view as it
    is, seen by someone who sees every ticket, whose capped count reads at
    most COUNT_CAP + 1 entries of the view's partial index or of the table
    (0.5-2.3 ms at a million tickets), spares the browser a second request.
    A filter, a search or a team's scope makes the count depend on how many
    rows it must pass to find its own: a small team's All tickets walks the
    table (All tickets for a sixth of a million: 4.7 ms warm, 695 ms from a
    cold cache). Theirs follows in its own request, so the rows never wait."""
    return (
        sees_every_ticket(user)
        and not isinstance(view, CustomView)
        and not view.sparse
        and not state.conditions
        and not state.search
    )


# What the table reads of a row: its status, team and pipeline come from the
# settings kept for the request (_with_settings_and_tags), not from a join.
TABLE_COLUMNS = (
    *(
        name
        for name in TABLE_FIELDS
        if name.partition("__")[0] not in ("stage", "team", "pipeline")
    ),
    "stage",
    "team",
    "pipeline",
)
_STAGE, _TEAM, _PIPELINE = (Ticket._meta.get_field(name) for name in ("stage", "team", "pipeline"))


def _with_settings_and_tags(rows: list[Ticket]) -> None:
    """Each row's status, team and pipeline from the kept settings
    (Pipeline.listed(), Team.listed(): shared, never changed), and its tags
    as `table_tags` (name, colour) from one query of their links. Joining
    three tables for each of 51 rows, and Django's prefetch of the tags, took
    a quarter of the table's time (issue 22). A status or team made after
    the settings were kept is read when it is shown."""
    if not rows:
        return
    pipelines = {p.pk: p for p in Pipeline.listed()}
    stages = {stage.pk: stage for p in pipelines.values() for stage in p.stages.all()}
    teams = {team.pk: team for team in Team.listed()}
    for ticket in rows:
        for field, kept, pk in (
            (_STAGE, stages, ticket.stage_id),
            (_PIPELINE, pipelines, ticket.pipeline_id),
            (_TEAM, teams, ticket.team_id),
        ):
            if pk is None or pk in kept:
                field.set_cached_value(ticket, kept.get(pk))
        ticket.table_tags = []
    by_pk = {ticket.pk: ticket for ticket in rows}
    for ticket_id, name, colour in TABLE_TAGS.rows(list(by_pk)):
        by_pk[ticket_id].table_tags.append((name, colour))


def table_count(user: User, view, state: filters.ListState, known=None) -> CappedCount:
    """How many tickets the table's state matches, up to COUNT_CAP."""
    tickets, _query = _table_tickets(user, view, state, known)
    return count_capped(tickets)


def _ranked(
    tickets,
    query: search.Query,
    start: int,
    limit: int,
    rows_of,
    order=("-last_activity_at", "-id"),
) -> list:
    """Rows start..start+limit of the search ranking: the ticket whose number
    was typed, then tickets whose name matches, then the rest."""
    tiers = []
    if query.ticket_id is not None:
        tiers.append(tickets.filter(pk=query.ticket_id))
        tickets = tickets.exclude(pk=query.ticket_id)
    names = search.matches(query, name_only=True)
    tiers += [tickets.filter(names), tickets.exclude(names)] if query.terms else []
    if not tiers:  # only tags were asked for: they narrowed the tickets already
        tiers = [tickets]
    return _paged([(tier, order) for tier in tiers], start, limit, rows_of)


# Below this many tickets one sort in the database beats a query per tier.
FEW_TO_SORT = 2000


def _sorted(tickets, key: str, start: int, limit: int, rows_of) -> list:
    """Rows start..start+limit of `tickets` in the table's sort `key`, read
    tier by tier (filters.sort_tiers); a narrow list (a search, a rare
    filter) whose tiers are many is sorted at once instead."""
    tiers = filters.sort_tiers(tickets, key)
    if len(tiers) > 2 and not count_capped(tickets, cap=FEW_TO_SORT).capped:
        return list(rows_of(filters.sort(tickets, key))[start : start + limit])
    return _paged(tiers, start, limit, rows_of, by_id=TABLE_ROWS.objects)


# The table's rows by id (_paged's by_id), and their tags
# (_with_settings_and_tags): compiled once (helpdesk.prepared).
TABLE_ROWS = Prepared(
    lambda ids: Ticket.objects.filter(pk__in=ids).select_related("owner").only(*TABLE_COLUMNS),
    list,
)
TABLE_TAGS = Prepared(
    lambda ids: (
        TicketTag.objects.filter(ticket_id__in=ids)
        .order_by(Lower("tag__name"), "tag_id")
        .values_list("ticket_id", "tag__name", "tag__colour")
    ),
    list,
)


def _paged(
    tiers: list[tuple],
    start: int,
    limit: int,
    rows_of,
    by_id: Callable[[list[int]], list] | None = None,
) -> list:
    """Rows start..start+limit of the (tickets, order) tiers one after the
    other: a tier the page starts past is counted (up to what is skipped), not
    read; reading stops when the page is full.

    `by_id`: a tier's page is found by id first, then its rows are read by
    id, with this function (ids -> rows). With the row's joins (owner, status, team) in the same query,
    PostgreSQL may join every ticket of a large tier before it sorts (0.15 s
    for the 24,000 unassigned tickets of a million), where the ids alone come
    in index order."""
    rows: list = []
    skip = start
    for tier, order in tiers:
        if skip:
            size = count_capped(tier, cap=skip)
            if not size.capped:  # the tier holds no more than `skip` rows
                skip -= size
                continue
        wanted = slice(skip, skip + limit - len(rows))
        if by_id is None:
            rows += rows_of(tier.order_by(*order))[wanted]
        elif ids := list(tier.order_by(*order).values_list("pk", flat=True)[wanted]):
            # By id alone: the tier's own filters would only tempt the planner
            # back to an index of theirs (the ids came through them).
            found = {row.pk: row for row in by_id(ids)}
            rows += [found[pk] for pk in ids]
        skip = 0
        if len(rows) >= limit:
            break
    return rows


# The top bar's search (issue 19) -----------------------------------------------

SEARCH_FIELDS = (
    "id",
    "name",
    "priority",
    "contact_name",
    "preview",
    "last_activity_at",
    "stage__name",
    "stage__labels",
    "stage__is_closed",
    "owner__username",
    "owner__first_name",
    "owner__last_name",
    "team__name",
    "team__labels",
)
SUGGESTED_TICKETS = 8
SUGGESTED_CONTACTS = 3


@dataclass
class SearchPage:
    """One page of the top bar's results over every ticket the user may see."""

    tickets: list
    problems: list
    page: int
    size: int
    has_next: bool


def _search_rows(qs):
    return qs.select_related("owner", "stage", "team").only(*SEARCH_FIELDS)


# Latest activity first, as an expression no index provides: PostgreSQL then
# finds the few tickets a rare word matches with the search index and sorts
# them, instead of walking the activity index past every other ticket (its
# estimate for a prefix search is far too high to see that).
_ACTIVITY_SORTED = ExpressionWrapper(
    F("last_activity_at") + Value(datetime.timedelta(0)), output_field=DateTimeField()
)


def search_everywhere(user: User, query: search.Query, page: int = 1, size: int = 50):
    """Rows of `page` of the search over every ticket `user` may see (spam
    and merged tickets too: a search finds what was asked for), ranked as the
    table ranks: the number typed, then name matches, then the rest.

    Words (and `from:`) that match fewer than RARE tickets are sorted after
    the search index found them; more are read in activity order from its
    index, where the latest few come first. Telling which costs one query,
    bounded by RARE, over the search index alone."""
    tickets, problems = apply_search(visible_tickets(user), query, user)
    if not query:
        return SearchPage([], problems, page, size, False)
    order = ("-last_activity_at", "-id")
    words = _words_match(query)
    if words is not None and not count_capped(visible_tickets(user).filter(words), RARE).capped:
        order = (_ACTIVITY_SORTED.desc(), "-id")
    start = (page - 1) * size
    rows = _ranked(tickets, query, start, size + 1, _search_rows, order)
    return SearchPage(rows[:size], problems, page, size, len(rows) > size)


RARE = 500


def _words_match(query: search.Query) -> Q | None:
    """What the search index answers for `query` (its words and `from:`), if any."""
    found = [search.matches(query)] if query.terms else []
    found += [search.matches(search.words_query(v), weight="AC") for v in query.senders]
    if not found:
        return None
    combined = found[0]
    for more in found[1:]:
        combined &= more
    return combined


def search_count(user: User, query: search.Query) -> CappedCount:
    tickets, _problems = apply_search(visible_tickets(user), query, user)
    return count_capped(tickets)


def search_suggestions(user: User, query: search.Query) -> tuple[list, list]:
    """The type-ahead's best tickets, and the contacts of those tickets whose
    names or addresses the query's words match (contacts of tickets the user
    may see only): two queries."""
    tickets = search_everywhere(user, query, size=SUGGESTED_TICKETS).tickets
    if not tickets or not query.terms:
        return tickets, []
    contacts = []
    candidates = (
        Contact.objects.filter(tickets__in=[t.pk for t in tickets])
        .only("id", "first_name", "last_name", "email")
        .distinct()
        .order_by("last_name", "first_name", "id")[:50]
    )
    for contact in candidates:
        lexemes = search.contact_lexemes(
            {
                "first_name": contact.first_name,
                "last_name": contact.last_name,
                "email": contact.email,
            }
        )
        if all(
            any(
                any(lexeme.startswith(want) if prefix else lexeme == want for lexeme in lexemes)
                for want, prefix in term.alternatives
            )
            for term in query.terms
        ):
            contacts.append(contact)
        if len(contacts) == SUGGESTED_CONTACTS:
            break
    return tickets, contacts


TIMELINE_PAGE = 30
# The first page, read for every ticket opened: compiled once (helpdesk.prepared).
TIMELINE_LATEST = Prepared(
    lambda pk: (
        TicketEvent.objects.filter(ticket=pk)
        .select_related("actor")
        .order_by("-created_at", "-id")[: TIMELINE_PAGE + 1]
    ),
    int,
)


@dataclass
class TimelinePage:
    events: list
    next_cursor: str | None  # for the next, older page


def events_for_timeline(ticket, cursor: str | None = None, limit: int = TIMELINE_PAGE):
    """The ticket's latest `limit` events, or those before `cursor`: one
    range of the (ticket, created, id) index, however long the history."""
    after = decode_cursor(cursor)
    if after is None and limit == TIMELINE_PAGE:
        page = TIMELINE_LATEST.objects(ticket.pk)
        for event in page:
            event.ticket = ticket
        return _timeline_page(page, limit)
    events = ticket.events.select_related("actor")
    if after is not None:
        at, pk = after
        events = events.filter(Q(created_at__lt=at) | Q(created_at=at, pk__lt=pk))
    return _timeline_page(list(events.order_by("-created_at", "-id")[: limit + 1]), limit)


def _timeline_page(page: list, limit: int) -> TimelinePage:
    more = len(page) > limit
    page = page[:limit]
    return TimelinePage(page, encode_cursor(page[-1].created_at, page[-1].pk) if more else None)


def ticket_suggestions(user: User, text: str, exclude, limit: int = 8) -> list:
    """Tickets to merge with (S11): by number or by words of their name or
    contacts, visible to `user`, not merged already, latest activity first."""
    query = search.parse(text)
    if query.ticket_id is None and not query.terms:
        return []
    found = search.matches(query) if query.terms else Q(pk__in=[])
    if query.ticket_id is not None:
        found |= Q(pk=query.ticket_id)
    return list(
        visible_tickets(user)
        .filter(found, merged_into__isnull=True)
        .exclude(pk=exclude.pk)
        .select_related("stage")
        .only(
            "id",
            "name",
            "contact_name",
            "last_activity_at",
            "stage__name",
            "stage__labels",
            "stage__is_closed",
        )
        .order_by("-last_activity_at", "-id")[:limit]
    )


def stages_by_pipeline(exclude_pipeline=None) -> list[tuple]:
    """(pipeline, its statuses in order) for a status select grouped by
    pipeline (split, move), leaving out `exclude_pipeline`'s id if given."""
    pipelines = Pipeline.objects.prefetch_related(
        Prefetch("stages", queryset=Stage.objects.order_by("position", "id"))
    )
    if exclude_pipeline is not None:
        pipelines = pipelines.exclude(pk=exclude_pipeline)
    return [(p, list(p.stages.all())) for p in pipelines]


DELETED_PAGE = 50


def recently_deleted(user: User, page: int = 1) -> tuple[list, bool]:
    """One page of the Recently deleted list, latest deletion first, and
    whether there is a next page."""
    start = (page - 1) * DELETED_PAGE
    rows = list(
        deleted_tickets(user)
        .select_related("deleted_by", "stage")
        .only(
            "id",
            "name",
            "contact_name",
            "deleted_at",
            "deleted_by__first_name",
            "deleted_by__last_name",
            "deleted_by__username",
            "stage__name",
            "stage__labels",
            "stage__is_closed",
        )
        .order_by("-deleted_at", "-id")[start : start + DELETED_PAGE + 1]
    )
    return rows[:DELETED_PAGE], len(rows) > DELETED_PAGE


# The ticket pane's records and followers, compiled once (helpdesk.prepared):
# each read is a few rows, and Django took longer to build its query than
# PostgreSQL to answer it.
TICKET_TAGS = Prepared(lambda pk: tags_prefetch().queryset.filter(tickets=pk), int)
TICKET_CONTACTS = Prepared(
    lambda pk: Contact.objects.filter(tickets=pk).select_related("company"), int
)
TICKET_COMPANIES = Prepared(lambda pk: Company.objects.filter(tickets=pk), int)
TICKET_DEALS = Prepared(lambda pk: Deal.objects.filter(tickets=pk), int)
TICKET_FOLLOWERS = Prepared(lambda pk: User.objects.filter(followed_tickets=pk), int)


def past_tickets_for_contacts(user: User, ticket, contacts, limit: int = 5) -> list:
    """The contacts' other tickets this user may see, latest activity first (S15)."""
    if not contacts:
        return []
    return list(
        visible_tickets(user)
        .filter(contacts__in=contacts)
        .exclude(pk=ticket.pk)
        .select_related("stage")
        .only("id", "name", "last_activity_at", "stage__name", "stage__labels", "stage__is_closed")
        .order_by("-last_activity_at", "-id")
        .distinct()[:limit]
    )


def linked_tickets(user: User, ticket) -> list:
    """Tickets linked to this one (follow-ups, split parts) that the user may see."""
    return list(
        visible_tickets(user)
        .filter(linked_tickets=ticket)
        .select_related("stage")
        .only("id", "name", "last_activity_at", "stage__name", "stage__labels", "stage__is_closed")
        .order_by("-last_activity_at", "-id")[:10]
    )


RECORD_TICKETS = 50


def tickets_of_record(user: User, record, limit: int = RECORD_TICKETS) -> list:
    """A contact's or company's tickets this user may see, latest activity first."""
    relation = "contacts" if isinstance(record, Contact) else "companies"
    return list(
        visible_tickets(user)
        .filter(**{relation: record})
        .select_related("stage", "owner")
        .only(
            "id",
            "name",
            "priority",
            "last_activity_at",
            "preview",
            "stage__name",
            "stage__labels",
            "stage__is_closed",
            "owner__first_name",
            "owner__last_name",
            "owner__username",
        )
        .order_by("-last_activity_at", "-id")[:limit]
    )
