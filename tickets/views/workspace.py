"""The agent workspace (S15): views sidebar, ticket list, open ticket, record sidebar.

One URL serves a page and its fragments. An htmx request names its target
(HX-Target) and gets only that pane; a plain request, a history restore or a
deep link gets the whole page.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Case, Q, When
from django.db.models.functions import Lower
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import Team, User
from accounts.sessions import settings_version
from crm.models import Company, Contact, Deal
from helpdesk import memo
from helpdesk.prepared import keep_prefetched

from .. import queries, services
from ..access import get_ticket_for_user, may_delete
from ..forms import (
    FieldEditForm,
    PropertyEditForm,
    StageChangeForm,
    TicketCreateForm,
    attach_errors,
)
from ..models import (
    BUILTIN_PROPERTIES,
    INFO_BUILTINS,
    Category,
    Pipeline,
    Priority,
    PropertyDefinition,
    Stage,
    Tag,
    TicketEvent,
    TicketSettings,
    WorkspaceLayout,
    WorkspacePreference,
)
from ..rendering import (
    WORKSPACE,
    counts_changed,
    go,
    nav_context,
    next_url,
    posted_view,
    render_pane,
    view_or_404,
)

PANES_BY_TARGET = {
    "workspace": "workspace-panes",
    "detail-pane": "detail-pane",
    "list-pane": "list-pane",
    # The open ticket's header alone: the live list refreshes it when someone
    # else changed the ticket (static/js/live.js).
    "ticket-header": "ticket-header",
}
RECORD_TYPES = {"contact": Contact, "company": Company, "deal": Deal}


def _target_partial(request) -> str | None:
    if not request.htmx or request.htmx.history_restore_request:
        return None
    return PANES_BY_TARGET.get(request.htmx.target)


def row_url(view) -> str:
    """The detail URL of a view's rows without the id: one reverse() per page, not
    two per row (rows are rendered 50 at a time)."""
    return reverse("tickets:view_tickets", args=[view.slug]) + "tickets/"


# Apps that add to the open ticket (the conversation, later SLA) register a
# function (user, ticket) -> context with a "detail_templates" list (and a
# "header_templates" list for badges beside the title); tickets never imports
# them (dependencies point one way, docs/architecture.md).
DETAIL_EXTENSIONS: list = []


def register_detail_extension(function):
    DETAIL_EXTENSIONS.append(function)
    return function


def _detail_context(user, ticket, field_errors: dict | None = None) -> dict:
    """Everything the open ticket shows, fetched here so templates run no queries."""
    definitions = PropertyDefinition.listed()
    # The header's tags, and the ticket's row drawn out of band after an edit;
    # the contacts, read once for the sidebar and the reply's recipients.
    keep_prefetched(ticket, "tags", queries.TICKET_TAGS.objects(ticket.pk))
    keep_prefetched(ticket, "contacts", queries.TICKET_CONTACTS.objects(ticket.pk))
    extensions = {"detail_templates": [], "header_templates": []}
    for extension in DETAIL_EXTENSIONS:
        extra = extension(user, ticket)
        extensions["detail_templates"] += extra.pop("detail_templates", [])
        extensions["header_templates"] += extra.pop("header_templates", [])
        extensions |= extra
    return extensions | {
        "ticket": ticket,
        "ticket_tags": list(ticket.tags.all()),
        "stages": (stages := Pipeline.stages_of(ticket.pipeline_id)),
        "header_fields": _header_fields(ticket, field_errors),
        "teams": (teams := Team.listed()),
        "contacts": list(ticket.contacts.all()),
        "companies": queries.TICKET_COMPANIES.objects(ticket.pk),
        "deals": queries.TICKET_DEALS.objects(ticket.pk),
        "info_properties": _info_properties(user, ticket, definitions),
        "sidebar_cards": _ordered(SIDEBAR_CARDS, WorkspacePreference.for_user(user).card_order),
        "property_labels": property_labels(definitions),
        "events": (events := queries.events_for_timeline(ticket)),
        "event_names": event_names(ticket, stages, teams, definitions, events.events),
        "followers": (followers := queries.TICKET_FOLLOWERS.objects(ticket.pk)),
        "following": user in followers,
        "may_delete": may_delete(user),
        "keep_deleted_days": TicketSettings.current().keep_deleted_days,
    }


def property_labels(definitions=None) -> dict:
    """Labels of everything the timeline can name, by key."""
    if definitions is None:
        definitions = PropertyDefinition.listed()
    return {
        **BUILTIN_PROPERTIES,
        **INFO_BUILTINS,
        "stage": _("Ticket status"),
        "name": _("Ticket name"),
        **{d.key: d.local_name for d in definitions},
    }


def event_names(ticket, stages, teams, definitions, events=(), latest=True) -> dict[str, dict]:
    """What the timeline names, in the reader's language: {field: {value as
    stored: label}}. Events keep the English name a status, pipeline or team had
    when written, and a choice property's option; the rows already loaded for
    the ticket's pickers give their labels.

    A ticket moved between pipelines has statuses of each in its history, and
    two pipelines may both have a "New" with different labels: each status
    line of `events` (the page shown) is told the pipeline of its old and new
    status (`old_pipeline`, `new_pipeline`), and "stage_in" names statuses by
    pipeline. Two queries at most, whatever the number of events: the
    ticket's moves, and the statuses of the other pipelines they name; none
    when the page is the `latest` one and shows neither a move nor a status
    the ticket's pipeline lacks (then every line on it came after the last
    move)."""
    current = ticket.pipeline.name
    stage_in = {current: {s.name: s.local_name for s in stages}}
    shown = [
        event
        for event in events
        if event.kind == TicketEvent.Kind.CREATED
        or (event.kind == TicketEvent.Kind.CHANGED and event.field in ("pipeline", "stage"))
    ]
    moved = not latest or any(
        event.field == "pipeline"
        or any(v and v not in stage_in[current] for v in (event.old_value, event.new_value))
        for event in shown
    )
    history = []
    if moved:
        history = list(
            ticket.events.filter(
                Q(kind=TicketEvent.Kind.CHANGED, field__in=["pipeline", "stage"])
                | Q(kind=TicketEvent.Kind.CREATED)
            )
            .order_by("created_at", "id")
            .values_list("id", "field", "old_value", "new_value")
        )
    moves = [(old, new) for _id, field, old, new in history if field == "pipeline"]
    pipelines = {current: ticket.pipeline.local_name}
    others = {name for move in moves for name in move if name} - {current}
    if others:
        for stage in Stage.objects.filter(pipeline__name__in=others).select_related("pipeline"):
            stage_in.setdefault(stage.pipeline.name, {})[stage.name] = stage.local_name
            pipelines[stage.pipeline.name] = stage.pipeline.local_name
    # Walk the history: a status line right after a move has its old status
    # in the pipeline moved from.
    places = {}
    at = moves[0][0] if moves else current
    moved_from = None
    for pk, field, old, _new in history:
        if field == "pipeline":
            moved_from, at = old, _new
            continue
        places[pk] = (moved_from or at, at)
        moved_from = None
    for event in events:
        if event.pk in places:
            event.old_pipeline, event.new_pipeline = places[event.pk]
    names = {
        # Any pipeline's, the ticket's own first: for a line the walk misses.
        "stage": {k: v for names in stage_in.values() for k, v in names.items()}
        | stage_in[current],
        "stage_in": stage_in,
        "pipeline": pipelines,
        "team": {t.name: t.local_name for t in teams},
    }
    for d in definitions:
        if d.choice_labels:
            names[d.key] = dict(d.local_choices)
    return names


# S29: the ticket information section shows these and the custom properties an
# admin chose (WorkspaceLayout), in each agent's own order; the cards below it
# (associations, past and linked tickets, SLA) are in each agent's order too.
SIDEBAR_CARDS = ["contacts", "past", "sla", "linked", "companies", "deals"]


def _ordered(keys: list[str], order: list[str]) -> list[str]:
    """`keys` in the agent's `order`; keys it does not name keep their place after."""
    rank = {key: index for index, key in enumerate(order)}
    return sorted(keys, key=lambda key: (rank.get(key, len(rank)), keys.index(key)))


def _info_properties(user, ticket, definitions) -> list[tuple]:
    """(key, definition or None, value, edit form or None) for each property the
    ticket information section shows."""
    by_key = {d.key: d for d in definitions}
    shown = WorkspaceLayout.current().shown_properties(definitions)
    rows = []
    for key in _ordered(shown, WorkspacePreference.for_user(user).property_order):
        definition = by_key.get(key)
        if definition is None:
            rows.append((key, None, None, None))
            continue
        value = ticket.properties.get(key, "")
        form = PropertyEditForm(definition=definition, initial={f"prop_{key}": value})
        rows.append((key, definition, value, form))
    return rows


HEADER_FIELDS = ("owner", "priority", "category")


def _header_fields(ticket, errors: dict | None = None) -> list[dict]:
    """The header's in-place fields (S8) as plain data: name, label, options, value."""
    owners = [(u.pk, u.display_name) for u in User.listed()]
    fields = [
        ("owner", _("Ticket owner"), owners, ticket.owner_id, _("Unassigned")),
        ("priority", _("Priority"), Priority.choices, ticket.priority, "—"),
        ("category", _("Category"), Category.choices, ticket.category, "—"),
    ]
    return [
        {
            "name": name,
            "label": label,
            "options": options,
            "current": current,
            "empty": empty,
            "errors": (errors or {}).get(name, []),
        }
        for name, label, options, current, empty in fields
    ]


@login_required
@require_GET
def home(request):
    """The view the agent was in last, else their first."""
    slug = WorkspacePreference.for_user(request.user).last_view
    if not slug or queries.get_view_for_user(request.user, slug) is None:
        slug = queries.views_for_user(request.user)[0].slug
    return redirect("tickets:view_tickets", slug=slug)


@login_required
@require_GET
def view_counts(request):
    """The views sidebar's counts, each swapped into its place out of band:
    asked for once the sidebar shows, every 30 seconds, and when the list saw
    a change (static/js/live.js). The sidebar itself is not drawn again, so
    the link the agent's keyboard is on keeps the focus."""
    user = request.user
    shown = set(request.GET.get("shown", "").split(","))
    # Only the views the sidebar shows: one shared with the agent since it was
    # drawn has no place to go yet (it shows the next time the sidebar is).
    custom = [v for v in queries.custom_views_for_user(user) if v.slug in shown]
    # The custom views' filters read the custom properties and statuses kept
    # under the version read with the session (helpdesk.memo).
    with memo.checked(settings_version(request)):
        counts = queries.view_counts_for_sidebar(user, custom)
    shown_counts = [(slug, count) for slug, count in counts.items() if slug in shown]
    return render_pane(request, f"{WORKSPACE}#view-counts", {"counts": shown_counts})


@login_required
@require_GET
def view_tickets(request, slug):
    """A default view: its list, and an empty conversation pane."""
    view = view_or_404(request.user, slug)
    page = queries.tickets_for_view(request.user, view, request.GET.get("after"))
    context = {"view": view, "page": page, "row_url": row_url(view)}
    if not request.GET.get("after"):
        WorkspacePreference.remember_view(request.user, view.slug)
    if request.htmx and request.GET.get("after"):
        return render_pane(request, f"{WORKSPACE}#ticket-rows", context)
    partial = _target_partial(request)
    if partial == "list-pane":
        # The list alone (a deep-linked ticket's page asks for it once shown):
        # the ticket it opened stays marked.
        opened = request.GET.get("open", "")
        context["active_pk"] = int(opened) if opened.isdigit() else None
        return render_pane(request, f"{WORKSPACE}#list-pane", context)
    context |= nav_context(request.user, view)
    return render_pane(request, f"{WORKSPACE}#{partial}" if partial else WORKSPACE, context)


@login_required
@require_GET
def ticket_detail(request, slug, pk):
    """The open ticket inside a view: header, description, sidebar and timeline."""
    view = view_or_404(request.user, slug)
    ticket = get_ticket_for_user(request.user, pk)
    if ticket.merged_into_id:
        return _merged_redirect(request, ticket, slug)
    # Read-only: the settings it shows are kept under the version the ticket
    # came with (helpdesk.memo), 7 queries fewer.
    with memo.checked(ticket.config_version):
        return _ticket_detail(request, view, ticket)


def _ticket_detail(request, view, ticket):
    partial = _target_partial(request)
    if partial in ("detail-pane", "ticket-header"):
        context = {"view": view, "row_url": row_url(view), **_detail_context(request.user, ticket)}
        return render_pane(request, f"{WORKSPACE}#{partial}", context)
    if partial:
        context = _workspace_context(request.user, view, ticket)
        return render_pane(request, f"{WORKSPACE}#{partial}", context)
    # A deep link (issue 22): the ticket is what the agent came for, so the
    # page brings it alone; the list follows in a request of its own once it
    # shows (list_pending), as the views' counts do on every page.
    context = {
        "view": view,
        "row_url": row_url(view),
        "list_pending": True,
        **nav_context(request.user, view),
        **_detail_context(request.user, ticket),
    }
    return render_pane(request, WORKSPACE, context)


def _merged_redirect(request, ticket, slug: str | None) -> HttpResponse:
    """A merged ticket's address leads to the ticket it was merged into (S11)."""
    messages.info(
        request,
        _("#%(number)s was merged into this ticket.") % {"number": ticket.pk},
    )
    if slug is None:
        return redirect("tickets:ticket_open", pk=ticket.merged_into_id)
    return redirect("tickets:ticket_detail", slug=slug, pk=ticket.merged_into_id)


def _workspace_context(user, view, ticket) -> dict:
    """Everything the three panes show: views with counts, the list, the ticket."""
    return {
        "view": view,
        "row_url": row_url(view),
        "page": queries.tickets_for_view(user, view),
        **nav_context(user, view),
        **_detail_context(user, ticket),
    }


@login_required
@require_GET
def ticket_open(request, pk):
    """A ticket's short link: open it in the first of the user's views that lists
    it (so the list around it makes sense), else in their first view."""
    ticket = get_ticket_for_user(request.user, pk)
    if ticket.merged_into_id:
        return _merged_redirect(request, ticket, None)
    views = queries.views_for_user(request.user)
    slug = next(
        (v.slug for v in views if queries.view_contains(v, request.user, pk)), views[0].slug
    )
    return redirect("tickets:ticket_detail", slug=slug, pk=pk)


def detail_changed_response(
    request, ticket, *, toast: str = "", extra: dict | None = None
) -> HttpResponse:
    """The whole open ticket again (after a reply, a comment or a macro), with
    the list row out of band and the views' sidebar told to count again. Sent
    with "Send and next" (`then=next`), the next ticket of the agent's list
    opens instead, its address in the browser's history."""
    view = posted_view(request)
    following = next_url(request) if request.POST.get("then") == "next" else None
    if following:
        messages.success(request, _("Reply sent"))
        return go(request, following)
    ticket = get_ticket_for_user(request.user, ticket.pk)
    context = {
        "view": view,
        "row_url": row_url(view),
        "toast": toast,
        **_detail_context(request.user, ticket),
        **(extra or {}),
    }
    response = render_pane(request, f"{WORKSPACE}#detail-changed", context)
    response["HX-Retarget"] = "#detail-pane"
    response["HX-Reswap"] = "outerHTML"
    return counts_changed(response)


def _changed(
    request, ticket, *, changed: str, errors: dict | None = None, extra: dict | None = None
) -> HttpResponse:
    """After an edit: the edited part again (a header field, the status or the
    ticket's sidebar), plus that sidebar and the list row out of band, and the
    views' sidebar told to count again. Swapping only the edited part keeps a
    second edit made meanwhile from being thrown away.

    An edit that took the ticket out of the agent's sight (an owned-only
    agent assigning it away, a team-scoped one moving it to another team)
    opens the next ticket of their list instead, or the list."""
    view = posted_view(request)
    try:
        ticket = get_ticket_for_user(request.user, ticket.pk)
    except Http404:
        messages.info(
            request,
            _("Ticket #%(number)s is no longer yours to see: it went to a teammate.")
            % {"number": ticket.pk},
        )
        return go(request, next_url(request) or reverse("tickets:view_tickets", args=[view.slug]))
    context = {
        "view": view,
        "row_url": row_url(view),
        "changed": changed,
        **_detail_context(request.user, ticket, errors),
        **(extra or {}),
    }
    if changed in HEADER_FIELDS:
        context["changed_field"] = next(f for f in context["header_fields"] if f["name"] == changed)
    return counts_changed(render_pane(request, f"{WORKSPACE}#ticket-changed", context))


def _expected(request, field: str) -> dict | None:
    """The value the agent's page showed for `field` (a hidden "was" input), so
    the service can refuse an edit of something a teammate changed since."""
    if "was" not in request.POST:
        return None
    return {field: request.POST["was"]}


@login_required
@require_POST
def ticket_edit_field(request, pk, field):
    """A field edited in place (S8): the name, owner, priority and category in
    the header; the team and description in the sidebar."""
    if field not in ("name", "description", "owner", "team", "priority", "category"):
        raise Http404
    ticket = get_ticket_for_user(request.user, pk)
    form = FieldEditForm(request.POST, field=field)
    if form.is_valid():
        try:
            services.ticket_update(
                actor=request.user,
                ticket=ticket,
                expected=_expected(request, field),
                **form.cleaned_data,
            )
        except services.EditConflict as conflict:
            form.add_error(field, conflict.message)
    if field in HEADER_FIELDS:
        return _changed(request, ticket, changed=field, errors=form.errors)
    if field == "name":
        return _changed(request, ticket, changed="header", extra={"name_errors": form.errors})
    return _changed(request, ticket, changed="sidebar", extra={f"{field}_errors": form.errors})


@login_required
@require_http_methods(["GET", "POST"])
def ticket_set_stage(request, pk):
    """Change the status. A conditional stage first asks for what it requires (S7)."""
    ticket = get_ticket_for_user(request.user, pk)
    stage = ticket.pipeline.stages.filter(pk=request.POST.get("stage") or 0).first()
    if stage is None:
        return _changed(request, ticket, changed="stage")
    form = StageChangeForm(request.POST, ticket=ticket, stage=stage)
    has_questions = len(form.fields) > 1
    if has_questions and "confirm" not in request.POST:
        form = StageChangeForm(ticket=ticket, stage=stage, initial={"stage": stage.pk})
        return _changed(request, ticket, changed="stage", extra={"stage_form": form})
    if form.is_valid():
        try:
            services.ticket_set_stage(
                actor=request.user,
                ticket=ticket,
                stage=stage,
                properties=form.custom_properties(),
                expected=_expected(request, "stage"),
                **form.builtin_values(),
            )
        except ValidationError as error:
            attach_errors(form, error)
        except services.EditConflict as conflict:
            return _changed(
                request, ticket, changed="stage", extra={"stage_error": conflict.message}
            )
    extra = {"stage_form": form} if form.errors else {}
    return _changed(request, ticket, changed="stage", extra=extra)


@login_required
@require_POST
def ticket_edit_property(request, pk, key):
    """A custom property edited in the sidebar, validated by its type (S9)."""
    ticket = get_ticket_for_user(request.user, pk)
    definition = get_object_or_404(PropertyDefinition, key=key)
    form = PropertyEditForm(request.POST, definition=definition)
    extra = {}
    if form.is_valid():
        try:
            services.ticket_update(
                actor=request.user,
                ticket=ticket,
                properties=form.custom_properties(),
                expected=_expected(request, key),
            )
        except ValidationError as error:
            extra["property_errors"] = {key: error.messages}
        except services.EditConflict as conflict:
            extra["property_errors"] = {key: [conflict.message]}
    else:
        extra["property_errors"] = {key: form.errors[f"prop_{key}"]}
    return _changed(request, ticket, changed="sidebar", extra=extra)


@login_required
@require_POST
def ticket_tags(request, pk):
    """Tags added (typed names, commas between several) or removed (by id) in
    the header."""
    ticket = get_ticket_for_user(request.user, pk)
    add = [name for text in request.POST.getlist("add") for name in text.split(",")]
    ids = [i for i in request.POST.getlist("remove") if i.isdigit()]
    errors = []
    try:
        services.ticket_tag(
            actor=request.user, ticket=ticket, add=add, remove=Tag.objects.filter(pk__in=ids)
        )
    except ValidationError as error:
        errors = error.messages
    return _changed(request, ticket, changed="tags", extra={"tag_errors": errors})


TAG_SUGGESTIONS = 10


@login_required
@require_GET
def tag_suggestions(request):
    """Existing tags for the tag input: those starting with the typed text
    first, then those containing it."""
    text = " ".join(request.GET.get("add", "").split())[:50]
    tags = Tag.objects.only("name")
    if text:
        starts = Case(When(name__istartswith=text, then=0), default=1)
        tags = tags.filter(name__icontains=text).order_by(starts, Lower("name"))
    return render_pane(request, f"{WORKSPACE}#tag-options", {"tags": list(tags[:TAG_SUGGESTIONS])})


def _record_or_404(kind: str, pk):
    model = RECORD_TYPES.get(kind)
    if model is None or not str(pk).isdigit():
        raise Http404
    return get_object_or_404(model, pk=pk)


@login_required
@require_POST
def ticket_associate(request, pk, kind):
    """Associate a contact, company or deal from the sidebar (S8)."""
    ticket = get_ticket_for_user(request.user, pk)
    record = _record_or_404(kind, request.POST.get("record"))
    first_contact = kind == "contact" and not ticket.contacts.exists()
    services.ticket_associate(actor=request.user, ticket=ticket, record=record)
    if first_contact:
        # S6: the first contact is who the composer writes to; the whole
        # ticket again, so it opens addressed to them without a reload.
        return detail_changed_response(request, ticket)
    return _changed(request, ticket, changed="sidebar")


@login_required
@require_POST
def ticket_dissociate(request, pk, kind):
    ticket = get_ticket_for_user(request.user, pk)
    record = _record_or_404(kind, request.POST.get("record"))
    services.ticket_dissociate(actor=request.user, ticket=ticket, record=record)
    return _changed(request, ticket, changed="sidebar")


@login_required
@require_http_methods(["GET", "POST"])
def ticket_create(request):
    """The Create ticket panel (S5): GET shows it (or re-renders it when the
    pipeline or status changes), POST creates and opens the new ticket."""
    if request.method == "GET":
        initial = {key: request.GET.get(key) for key in request.GET if key != "contacts"}
        initial["contacts"] = request.GET.getlist("contacts")
        form = TicketCreateForm(initial=initial)
        return render_pane(request, "tickets/ticket_create.html", _create_context(request, form))
    form = TicketCreateForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            ticket = services.ticket_create(
                actor=request.user,
                name=data["name"],
                pipeline=data["pipeline"],
                stage=data["stage"],
                description=data["description"],
                owner=data["owner"],
                team=data["team"],
                priority=data["priority"],
                category=data["category"],
                properties=form.custom_properties(),
                contacts=data["contacts"],
                companies=[data["company"]] if data["company"] else [],
            )
        except ValidationError as error:
            attach_errors(form, error)
        else:
            return _created(request, ticket)
    return render_pane(request, "tickets/ticket_create.html", _create_context(request, form))


def _created(request, ticket) -> HttpResponse:
    """Open the new ticket in the view the agent was in. For htmx: the panel is
    replaced by nothing and the workspace panes arrive out of band, with the URL
    pushed, in one response."""
    view = posted_view(request)
    url = reverse("tickets:ticket_detail", kwargs={"slug": view.slug, "pk": ticket.pk})
    if not request.htmx:
        return redirect(url)
    ticket = get_ticket_for_user(request.user, ticket.pk)
    context = _workspace_context(request.user, view, ticket)
    response = render_pane(request, f"{WORKSPACE}#workspace-oob", context)
    response["HX-Push-Url"] = url
    return response


def _create_context(request, form: TicketCreateForm) -> dict:
    return {
        "form": form,
        "view_slug": (request.GET if request.method == "GET" else request.POST).get("view", ""),
        "stages": list(form.fields["stage"].queryset),
        "picked_companies": form.picked("company"),
        "picked_contacts": form.picked("contacts"),
    }
