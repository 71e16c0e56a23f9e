"""The top bar's search (issue 19): one box over every ticket the agent may
see, whatever view is open. Typing shows the best tickets and their contacts;
Enter opens the results at an address of their own (bookmark, Back, share).
The box understands the table's search and its operators (tickets.search)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_GET

from .. import queries, search
from ..models import WorkspacePreference
from ..rendering import nav_context, render_pane

PAGE_SIZE = 50


@login_required
@require_GET
def search_suggest(request):
    """The type-ahead under the box: the best tickets and contacts for what
    was typed, or the agent's recent searches when nothing was."""
    text = request.GET.get("q", "").strip()
    query = search.parse(text)
    tickets, contacts = queries.search_suggestions(request.user, query) if query else ([], [])
    context = {
        "text": text,
        "query": query,
        "tickets": tickets,
        "contacts": contacts,
        "recent": [] if text else WorkspacePreference.for_user(request.user).recent_searches,
    }
    return render(request, "tickets/search_suggest.html", context)


@login_required
@require_GET
def search_results(request):
    """The results page: `q` the search, `page` its page (50 rows each)."""
    text = request.GET.get("q", "").strip()
    page_number = request.GET.get("page", "1")
    page_number = int(page_number) if page_number.isdigit() and 0 < int(page_number) < 10_000 else 1
    query = search.parse(text)
    total = queries.search_count(request.user, query) if query else None
    context = {
        "text": text,
        "query": query,
        "total": total,
        "results": queries.search_everywhere(request.user, query, page_number, PAGE_SIZE),
        "recent": WorkspacePreference.for_user(request.user).recent_searches,
        **nav_context(request.user, None),
    }
    if query:
        WorkspacePreference.remember_search(request.user, text)
    return render_pane(request, "tickets/search.html", context)
