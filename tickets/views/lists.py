"""The ticket table (S28), custom views (S27) and workspace preferences (S29).

The table's whole state (quick and advanced filters, search, sort, page) is in
its URL, so a list can be bookmarked, shared, returned to with Back and saved
as a view. A custom view's table starts from the view's saved state; editing
its filters and pressing "Save view" writes them back.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import Team, User
from accounts.sessions import settings_version
from helpdesk import memo

from .. import filters, queries, search, services
from ..access import may_delete, visible_tickets
from ..forms import SavedViewForm, StageChangeForm, attach_errors, owner_choices
from ..models import (
    Pipeline,
    Priority,
    SavedView,
    Stage,
    Tag,
    Ticket,
    TicketSettings,
    WorkspacePreference,
)
from ..rendering import nav_context, render_pane, view_or_404
from .workspace import row_url

TABLE = "tickets/table.html"
BULK_MAX = 200

# Columns the table can show: key -> label. Custom properties are added by key.
COLUMNS = {
    "contact": gettext_lazy("Contact"),
    "stage": gettext_lazy("Ticket status"),
    "priority": gettext_lazy("Priority"),
    "owner": gettext_lazy("Ticket owner"),
    "team": gettext_lazy("Team"),
    "sla": gettext_lazy("SLA"),
    "tags": gettext_lazy("Tags"),
    "pipeline": gettext_lazy("Pipeline"),
    "category": gettext_lazy("Category"),
    "source": gettext_lazy("Source"),
    "last_activity_at": gettext_lazy("Last activity"),
    "created_at": gettext_lazy("Created"),
    "closed_at": gettext_lazy("Closed"),
}
DEFAULT_COLUMNS = [
    "contact",
    "stage",
    "priority",
    "owner",
    "team",
    "sla",
    "tags",
    "last_activity_at",
]
SORTABLE_COLUMNS = {
    "name",
    "id",
    "contact",
    "stage",
    "priority",
    "owner",
    "team",
    "sla",
    "created_at",
    "last_activity_at",
}


def _state(request, view) -> filters.ListState:
    """The URL's state; a custom view opened without one starts from its own
    (searched, when the URL has only a search)."""
    if isinstance(view, queries.CustomView) and "state" not in request.GET:
        state = view.state()
        state.search = request.GET.get("q", "").strip()[:200]
        state.page = filters.ListState.from_query(request.GET).page
        state.edited_view = True
        return state
    state = filters.ListState.from_query(request.GET)
    state.edited_view = isinstance(view, queries.CustomView)
    add_key = request.GET.get("add_key")
    if add_key:
        value = ",".join(v for v in request.GET.getlist("add_value") if v)
        state.conditions.append(filters.Condition(add_key, request.GET.get("add_op", ""), value))
        state.page = 1
    return state


def _columns(user, known: dict) -> list[tuple[str, str]]:
    chosen = WorkspacePreference.for_user(user).list_columns or DEFAULT_COLUMNS
    labels = {**COLUMNS, **{k: p.label for k, p in known.items() if p.definition}}
    return [(key, str(labels[key])) for key in chosen if key in labels]


def _table_context(request, view, state: filters.ListState, error: str = "") -> dict:
    user = request.user
    known = filters.properties()
    try:
        page = queries.tickets_for_table(user, view, state, known)
    except filters.FilterError as problem:
        error = error or str(problem)
        page = queries.ListPage([], 0, 1, settings.HELPDESK_TABLE_PAGE_SIZE, False)
    editable = isinstance(view, queries.CustomView) and _may_edit(user, view.saved)
    # Every label translated once a page: a lazy one is translated again
    # each time it is printed (5 µs), and the quick filters print their
    # property's name on each of their options (165 times a page, issue 22).
    choices = {key: _translated(known[key].choices()) for key in filters.QUICK}
    # The owner quick filter offers tickets nobody owns, after "Me" (issue 19).
    owners = list(choices["owner"])
    choices["owner"] = [*owners[:1], (filters.NOBODY, str(_("Unassigned"))), *owners[1:]]
    saved_state = view.state() if isinstance(view, queries.CustomView) else None
    return {
        "view": view,
        "row_url": row_url(view),
        "state": state,
        "query": search.parse(state.search) if state.search else None,
        "page": page,
        "error": error,
        "known": known,
        "quick": [(key, str(known[key].label), choices[key]) for key in filters.QUICK],
        "state_quick": _quick_values(state),
        "advanced": [(c, known.get(c.key)) for c in state.advanced],
        "columns": (columns := _columns(user, known)),
        "shown_columns": {key for key, _label in columns},
        "all_columns": _translated(COLUMNS.items())
        + [(k, p.label) for k, p in known.items() if p.definition],
        "sortable": SORTABLE_COLUMNS,
        "operators": filters.OPERATORS,
        "sla_states": filters.SLA_STATES,
        "may_create_view": may_create_views(user),
        "may_delete": may_delete(user),
        "delete_confirm": _delete_confirm(TicketSettings.current().keep_deleted_days),
        "may_edit_view": editable,
        "unsaved": editable and saved_state is not None and _differs(state, saved_state),
        # The quick filters' lists, without "Me".
        "bulk_owners": [choice for choice in choices["owner"] if choice[0] != "me"],
        "bulk_teams": choices["team"],
        "bulk_tags": choices["tags"],
        "bulk_pipelines": Pipeline.listed(),
        "priorities": _translated(Priority.choices),
        "list_url": request.get_full_path(),
    }


def _translated(choices) -> list[tuple[str, str]]:
    return [(value, str(label)) for value, label in choices]


def _delete_confirm(days: int) -> str:
    return ngettext(
        "Delete the selected tickets? They stay in Recently deleted for %(counter)s day.",
        "Delete the selected tickets? They stay in Recently deleted for %(counter)s days.",
        days,
    ) % {"counter": days}


def _quick_values(state: filters.ListState) -> list[tuple[str, list[str]]]:
    return [(key, state.quick(key)) for key in filters.QUICK]


def _differs(state: filters.ListState, saved: filters.ListState) -> bool:
    return state.triples() != saved.triples() or (state.sort or "") != (saved.sort or "")


@login_required
@require_GET
def view_list(request, slug):
    """A view as a table: columns, sort, quick and advanced filters, search, bulk."""
    view = view_or_404(request.user, slug)
    # Its filters' choices, the custom properties and the settings are kept
    # under the version read with the session (helpdesk.memo): no query, not
    # seven; for its count, no query but the count.
    with memo.checked(settings_version(request)):
        state = _state(request, view)
        if "count" in request.GET:
            return _count(request, view, state)
        canonical = reverse("tickets:view_list", args=[view.slug]) + _query(state)
        return _table(request, view, state, canonical)


def _table(request, view, state, canonical: str) -> HttpResponse:
    # The table's rows first: the sidebar counts follow in their own request.
    context = _table_context(request, view, state) | nav_context(request.user, view)
    context["count_url"] = canonical + ("&" if "?" in canonical else "?") + "count=1"
    # "Back to list" from the open ticket returns here, filters and page
    # included. Written only when it changed: each write is an UPDATE of the
    # session row, committed before the answer.
    if request.session.get(f"list:{view.slug}") != canonical:
        request.session[f"list:{view.slug}"] = canonical
    WorkspacePreference.remember_view(request.user, view.slug)
    if "add_key" in request.GET and not request.htmx:
        return redirect(canonical)
    partial = "table-pane" if request.htmx and request.htmx.target == "table-pane" else None
    response = render_pane(request, f"{TABLE}#{partial}" if partial else TABLE, context)
    if request.htmx and "add_key" in request.GET:
        response["HX-Replace-Url"] = canonical
    return response


def _count(request, view, state) -> HttpResponse:
    """The table's "1-50 of 1,234", counted after the rows were shown."""
    try:
        total = queries.table_count(request.user, view, state)
    except filters.FilterError:
        total = queries.CappedCount(0)
    context = {
        "total": total,
        "first": _int(request.GET.get("first")),
        "last": _int(request.GET.get("last")),
    }
    return render_pane(request, f"{TABLE}#table-count", context)


def _int(text) -> int:
    return int(text) if text and text.isdigit() else 0


def _query(state: filters.ListState) -> str:
    text = state.querystring()
    return "?" + text if text else ""


@login_required
@require_GET
def condition_editor(request, slug):
    """The operator and value inputs that fit the chosen property."""
    view = view_or_404(request.user, slug)
    known = filters.properties()
    prop = known.get(request.GET.get("add_key", ""))
    operator = request.GET.get("add_op", "")
    if prop and operator not in filters.OPERATORS_BY_TYPE[prop.type]:
        operator = filters.OPERATORS_BY_TYPE[prop.type][0]
    return render_pane(
        request,
        f"{TABLE}#condition-editor",
        {
            "view": view,
            "prop": prop,
            "operator": operator,
            "choices": prop.choices() if prop and prop.choices else [],
            "valueless": filters.VALUELESS,
        },
    )


# Bulk actions ---------------------------------------------------------------------


@login_required
@require_POST
def bulk_action(request, slug):
    """Apply one change to the selected tickets, each through the ticket services
    (so each writes its timeline). Tickets the user may not see are skipped."""
    view = view_or_404(request.user, slug)
    back = _safe_back(request, view)
    ids = [int(i) for i in request.POST.getlist("ids") if i.isdigit()][:BULK_MAX]
    tickets = list(
        visible_tickets(request.user).filter(pk__in=ids).select_related("pipeline", "stage")
    )
    action = request.POST.get("action", "")
    if not tickets:
        messages.error(request, _("Select at least one ticket."))
        return _back(request, back)
    if action == "stage":
        return _bulk_stage(request, view, tickets, back)
    try:
        change = _bulk_change(request, action)
    except (
        ValueError,
        Stage.DoesNotExist,
        User.DoesNotExist,
        Team.DoesNotExist,
        Tag.DoesNotExist,
    ):
        messages.error(request, _("Choose a value for the selected tickets."))
        return _back(request, back)
    for ticket in tickets:
        change(ticket)
    messages.success(
        request,
        ngettext("Updated %(count)d ticket.", "Updated %(count)d tickets.", len(tickets))
        % {"count": len(tickets)},
    )
    return _back(request, back)


def _bulk_change(request, action: str):
    """The change one action makes to one ticket. Raises ValueError when unknown."""
    actor = request.user
    value = request.POST.get(f"{action}_value", "")
    value = "" if value == "-" else value  # "Unassigned", "No team", "No priority"
    if action == "owner":
        owner = owner_choices().get(pk=value) if value else None
        return lambda t: services.ticket_update(actor=actor, ticket=t, owner=owner)
    if action == "team":
        team = Team.objects.get(pk=value) if value else None
        return lambda t: services.ticket_update(actor=actor, ticket=t, team=team)
    if action == "priority":
        if value not in Priority.values and value != "":
            raise ValueError(value)
        return lambda t: services.ticket_update(actor=actor, ticket=t, priority=value)
    if action in ("tag_add", "tag_remove"):
        tag = Tag.objects.get(pk=value) if value.isdigit() else None
        if tag is None:
            raise ValueError(value)
        change = {"add" if action == "tag_add" else "remove": [tag]}
        return lambda t: services.ticket_tag(actor=actor, ticket=t, **change)
    if action == "spam":
        return lambda t: services.ticket_mark_spam(actor=actor, ticket=t)
    if action == "delete":
        if not may_delete(actor):
            raise PermissionDenied
        return lambda t: services.ticket_delete(actor=actor, ticket=t)
    raise ValueError(action)


def _bulk_stage(request, view, tickets, back):
    """A status for the selected tickets of that status's pipeline. A conditional
    status first asks for what it requires, once for all of them (S7)."""
    chosen = request.POST.get("stage_value", "")
    stages = Stage.objects.select_related("pipeline")
    stage = stages.filter(pk=chosen).first() if chosen.isdigit() else None
    if stage is None:
        messages.error(request, _("Choose a status."))
        return _back(request, back)
    data = request.POST.copy()
    data["stage"] = stage.pk
    form = StageChangeForm(
        data if "confirm" in request.POST else None,
        ticket=Ticket(pipeline=stage.pipeline),
        stage=stage,
        initial={"stage": stage.pk},
    )
    asks = len(form.fields) > 1
    if asks and not form.is_bound:
        return _bulk_stage_dialog(request, view, tickets, stage, form, back)
    if asks and not form.is_valid():
        return _bulk_stage_dialog(request, view, tickets, stage, form, back)
    values = form.builtin_values() if asks else {}
    properties = form.custom_properties() if asks else {}
    moved, skipped = 0, 0
    for ticket in tickets:
        if ticket.pipeline_id != stage.pipeline_id:
            skipped += 1
            continue
        try:
            with transaction.atomic():
                services.ticket_set_stage(
                    actor=request.user,
                    ticket=ticket,
                    stage=stage,
                    properties=properties,
                    **values,
                )
        except ValidationError as error:
            attach_errors(form, error)
            return _bulk_stage_dialog(request, view, tickets, stage, form, back)
        moved += 1
    messages.success(
        request,
        ngettext(
            "Moved %(count)d ticket to “%(stage)s”.",
            "Moved %(count)d tickets to “%(stage)s”.",
            moved,
        )
        % {"count": moved, "stage": stage.local_name},
    )
    if skipped:
        messages.warning(
            request,
            ngettext(
                "%(count)d ticket is in another pipeline and was left as it was.",
                "%(count)d tickets are in another pipeline and were left as they were.",
                skipped,
            )
            % {"count": skipped},
        )
    return _back(request, back)


def _bulk_stage_dialog(request, view, tickets, stage, form, back) -> HttpResponse:
    context = {"view": view, "tickets": tickets, "stage": stage, "form": form, "back": back}
    return render_pane(request, "tickets/bulk_stage.html", context)


def _safe_back(request, view) -> str:
    """Where to return: the table URL posted with the form, if it is ours."""
    back = request.POST.get("back", "")
    base = reverse("tickets:view_list", args=[view.slug])
    return back if back.startswith(base) else base


def _back(request, url: str) -> HttpResponse:
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Location"] = url
        return response
    return redirect(url)


# Custom views ---------------------------------------------------------------------


def may_create_views(user) -> bool:
    """S27: agents with a seat and the custom-views permission."""
    return user.has_seat and user.can_manage_views


def _may_edit(user, saved: SavedView) -> bool:
    return may_create_views(user) and (saved.owner_id == user.pk or user.is_super_admin)


def _limit_reached() -> bool:
    return SavedView.objects.count() >= settings.HELPDESK_MAX_CUSTOM_VIEWS


@login_required
@require_http_methods(["GET", "POST"])
def view_create(request):
    """ "+ Create view", or "Save as view" from a table: name and sharing; the
    filters come from the table's state (posted as hidden fields)."""
    if not may_create_views(request.user):
        raise PermissionDenied
    if request.method == "POST":
        state = filters.ListState.from_query(_state_query(request.POST))
    else:
        state = filters.ListState.from_query(request.GET)
    form = SavedViewForm(request.POST or None, user=request.user)
    limit = settings.HELPDESK_MAX_CUSTOM_VIEWS
    limit_message = ""
    if _limit_reached():
        limit_message = ngettext(
            "The help desk already has its maximum of %(limit)d custom view. "
            "Delete one before creating another.",
            "The help desk already has its maximum of %(limit)d custom views. "
            "Delete one before creating another.",
            limit,
        ) % {"limit": limit}
    elif request.method == "POST" and form.is_valid() and _filters_apply(request, state, form):
        saved = form.save(commit=False)
        saved.owner = request.user
        saved.filters = state.triples()
        saved.sort = state.sort
        with transaction.atomic():
            saved.save()
            form.save_m2m()
        url = reverse("tickets:view_list", args=[saved.slug])
        return _back(request, url)
    return render_pane(
        request,
        "tickets/view_form.html",
        {
            "form": form,
            "state": state,
            "state_quick": _quick_values(state),
            "limit_message": limit_message,
            "saved": None,
        },
    )


def _filters_apply(request, state: filters.ListState, form) -> bool:
    """Whether the table's filters can be saved as a view; if not, the form says why."""
    try:
        filters.apply(Ticket.objects.none(), state, request.user)
    except filters.FilterError as problem:
        form.add_error(None, str(problem))
        return False
    return True


def _state_query(source):
    """The table state carried by a form as `state_*` hidden fields."""
    query = source.copy()
    query.setlist("f", source.getlist("state_f"))
    for key in filters.QUICK:
        query.setlist(key, source.getlist(f"state_{key}"))
    query["sort"] = source.get("state_sort", "")
    return query


def _editable_view(request, slug) -> SavedView:
    view = view_or_404(request.user, slug)
    if not isinstance(view, queries.CustomView):
        raise Http404
    if not _may_edit(request.user, view.saved):
        raise PermissionDenied
    return view.saved


@login_required
@require_http_methods(["GET", "POST"])
def view_edit(request, slug):
    """Rename a custom view, change its sharing, or delete it."""
    saved = _editable_view(request, slug)
    form = SavedViewForm(request.POST or None, instance=saved, user=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        return _back(request, reverse("tickets:view_list", args=[saved.slug]))
    return render_pane(request, "tickets/view_form.html", {"form": form, "saved": saved})


@login_required
@require_POST
def view_save_filters(request, slug):
    """ "Save view": the table's current filters and sort become the view's."""
    saved = _editable_view(request, slug)
    state = filters.ListState.from_query(_state_query(request.POST))
    try:
        filters.apply(Ticket.objects.none(), state, request.user)
    except filters.FilterError as problem:
        messages.error(request, str(problem))
    else:
        saved.filters, saved.sort = state.triples(), state.sort
        saved.save(update_fields=["filters", "sort"])
        messages.success(request, _("Saved the view's filters."))
    return _back(request, reverse("tickets:view_list", args=[saved.slug]))


@login_required
@require_POST
def view_delete(request, slug):
    saved = _editable_view(request, slug)
    saved.delete()
    messages.success(request, _("Deleted the view “%(name)s”.") % {"name": saved.local_name})
    return _back(request, reverse("tickets:home"))


# Preferences (S29) -----------------------------------------------------------------

ORDERABLE = {"properties": "property_order", "cards": "card_order", "columns": "list_columns"}


@login_required
@require_POST
def preference_order(request, what):
    """An agent's own order of sidebar properties, sidebar cards or table columns."""
    field = ORDERABLE.get(what)
    if field is None:
        raise Http404
    keys = [k for k in request.POST.getlist("order") if k and len(k) <= 60][:100]
    if what == "columns":
        known = set(COLUMNS) | {k for k, p in filters.properties().items() if p.definition}
        keys = [k for k in dict.fromkeys(keys) if k in known]
    preference = WorkspacePreference.for_user(request.user)
    setattr(preference, field, keys)
    preference.save(update_fields=[field])
    if what == "columns":
        return _back(request, request.POST.get("back") or reverse("tickets:home"))
    return HttpResponse(status=204)


@login_required
@require_GET
def back_to_list(request, slug):
    """The table of a view as the agent last left it."""
    view = view_or_404(request.user, slug)
    url = request.session.get(f"list:{view.slug}", "")
    base = reverse("tickets:view_list", args=[view.slug])
    return redirect(url if url.startswith(base) else base)
