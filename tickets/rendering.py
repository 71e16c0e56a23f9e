"""Rendering shared by every workspace screen (the ticket workspace, the table,
records, Recently deleted, the SLA report): the page or the one pane an htmx
request asks for, and the views sidebar beside it."""

from collections.abc import Callable

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import patch_vary_headers

from . import queries
from .access import get_ticket_for_user
from .models import Ticket

WORKSPACE = "tickets/workspace.html"

# What a list row shows after the ticket's status, from apps above tickets
# (the SLA clock): functions (ticket) -> HTML, registered in their ready().
ROW_BADGES: list[Callable[[Ticket], str]] = []
# Columns of the ticket table that apps above tickets draw (the SLA clock):
# key -> function (ticket) -> HTML, registered in their ready().
TABLE_CELLS: dict[str, Callable[[Ticket], str]] = {}


def render_pane(request, template: str, context: dict, status: int = 200) -> HttpResponse:
    """`template` (a page, or a partial an htmx request names), varying by the
    htmx headers so a cached pane never answers a page load."""
    # Defaults for names the row template reads 50 times a page: a missing
    # template variable costs an exception each time.
    ticket = context.get("ticket")
    context = {
        "oob": False,
        "active_pk": ticket.pk if ticket else None,
        "row_shown": row_shown(request),
        **context,
    }
    response = render(request, template, context, status=status)
    patch_vary_headers(response, ["HX-Request", "HX-Target"])
    return response


def row_shown(request) -> bool:
    """Whether the ticket's list row is on the agent's screen, so that an
    action's answer redraws it out of band. The workspace says so in a header
    (static/js/workspace.js): the ticket may be open from a link, or on another
    page of its view, and htmx logs an error for a row it cannot find. A
    request without the header gets the row."""
    return request.headers.get("X-Row-Shown") != "0"


def view_or_404(user, slug):
    view = queries.get_view_for_user(user, slug)
    if view is None:
        raise Http404
    return view


def nav_context(user, view) -> dict:
    """The views sidebar: default views, then shared and private custom views.
    Their counts come in a request of their own once it shows (view_counts):
    counting a custom view's filter can take far longer than the page, which
    must not wait for it (issue 22)."""
    views, custom = queries.views_for_user(user), queries.custom_views_for_user(user)
    return {
        "views": views,
        "shared_views": [v for v in custom if v.saved.is_shared],
        "private_views": [v for v in custom if not v.saved.is_shared],
        # The views it shows, whose counts it asks for.
        "shown_views": ",".join(v.slug for v in views + custom),
        "view": view,
    }


def counts_changed(response: HttpResponse) -> HttpResponse:
    """An action's answer tells the views sidebar to ask for its counts again
    (tickets/nav.html listens for `counts-changed`) rather than drawing the
    sidebar again only for that."""
    response["HX-Trigger"] = "counts-changed"
    return response


def posted_view(request):
    """The view the agent was in when they posted (a hidden "view" field), else
    their first view: the list row and counts in the answer belong to it."""
    return (
        queries.get_view_for_user(request.user, request.POST.get("view", ""))
        or queries.views_for_user(request.user)[0]
    )


def go(request, url: str) -> HttpResponse:
    """After an action in a dialog: load `url` as the whole workspace (htmx
    follows HX-Location; a plain form post is redirected)."""
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Location"] = url
        return response
    response = HttpResponse(status=303)
    response["Location"] = url
    return response


def next_url(request) -> str | None:
    """The ticket to open after the open one left the agent's list (deleted,
    marked as spam, assigned away, or sent with "Send and next"): the posted
    `next` (the row after it in the list the agent came from, which
    static/js/shortcuts.js adds to the ticket's posts), if the agent may
    still see it, in the posted view."""
    pk = request.POST.get("next", "")
    if not pk.isdigit():
        return None
    try:
        ticket = get_ticket_for_user(request.user, pk)
    except Http404:
        return None
    if ticket.merged_into_id:
        return None
    return reverse("tickets:ticket_detail", args=[posted_view(request).slug, ticket.pk])
