"""The dialogs that reshape tickets (S11, S14): split, merge, and moving a
conversation to another inbox. Each GET shows its dialog; each POST either
does it and opens the resulting ticket, or shows the dialog again with what
went wrong."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from tickets import queries
from tickets.access import get_ticket_for_user
from tickets.forms import attach_errors, owner_choices
from tickets.models import Stage
from tickets.views.manage import go, opened_url

from .. import moves
from ..forms import SplitForm
from ..models import Inbox
from ..queries import messages_to_split

# The split dialog lists the latest messages; a ticket with more splits the
# older ones in two steps.
SPLIT_MESSAGES = 100


def _view_slug(request) -> str:
    return (request.POST or request.GET).get("view", "")


@login_required
@require_http_methods(["GET", "POST"])
def ticket_split(request, pk):
    """Split chosen messages off into a new ticket (S11): its name, pipeline
    and status are asked for, and what a conditional status requires."""
    ticket = get_ticket_for_user(request.user, pk)
    rows = messages_to_split(ticket, SPLIT_MESSAGES)
    stages = Stage.objects.all()
    if request.method == "POST":
        chosen = stages.filter(pk=request.POST.get("stage") or 0).first()
    else:
        chosen = ticket.pipeline.stages.filter(is_closed=False, required_properties=[]).first()
    options = {
        "ticket": ticket,
        "stage": chosen,
        "stages": stages,
        "message_ids": [m.pk for m in rows],
    }
    form = SplitForm(
        request.POST or None,
        initial={"name": ticket.name, "stage": chosen.pk if chosen else None},
        **options,
    )
    previewing = "preview" in request.POST
    if request.method == "POST" and not previewing and form.is_valid():
        try:
            new = moves.ticket_split(
                actor=request.user,
                ticket=ticket,
                message_ids=form.cleaned_data["messages"],
                name=form.cleaned_data["name"],
                stage=form.cleaned_data["stage"],
                properties=form.custom_properties(),
                **form.builtin_values(),
            )
        except ValidationError as error:
            attach_errors(form, error)
        else:
            messages.success(
                request,
                _("Split into #%(number)s. The two tickets are linked.") % {"number": new.pk},
            )
            return go(request, opened_url(request, new.pk))
    picked = {int(pk) for pk in request.POST.getlist("messages") if pk.isdigit()}
    if previewing:
        # Another status was chosen: ask what it requires, keep what was typed.
        form = SplitForm(
            initial={"name": request.POST.get("name", ""), "stage": chosen.pk if chosen else None},
            **options,
        )
    context = {
        "ticket": ticket,
        "form": form,
        "chosen": chosen,
        "groups": queries.stages_by_pipeline(),
        "rows": rows,
        "picked": picked,
        "view_slug": _view_slug(request),
    }
    return render(request, "conversations/split.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def ticket_merge(request, pk):
    """Merge this ticket with another (S11): find the other by number, name
    or contact, then choose which one stays."""
    ticket = get_ticket_for_user(request.user, pk)
    if request.method == "GET" and "q" in request.GET:
        suggestions = queries.ticket_suggestions(request.user, request.GET["q"], exclude=ticket)
        return render(
            request,
            "conversations/merge.html#merge-results",
            {"ticket": ticket, "suggestions": suggestions, "searched": True},
        )
    error = ""
    other = None
    if request.method == "POST":
        try:
            other = get_ticket_for_user(request.user, int(request.POST.get("other", "")))
        except (ValueError, Http404):
            error = _("Choose the ticket to merge with.")
        if other is not None:
            keep_this = request.POST.get("primary") == "this"
            primary, merged = (ticket, other) if keep_this else (other, ticket)
            try:
                moves.ticket_merge(actor=request.user, ticket=merged, into=primary)
            except ValidationError as invalid:
                error = invalid.messages[0]
            else:
                messages.success(
                    request,
                    _("#%(merged)s was merged into #%(primary)s.")
                    % {"merged": merged.pk, "primary": primary.pk},
                )
                return go(request, opened_url(request, primary.pk))
    context = {
        "ticket": ticket,
        "other": other,
        "suggestions": [other] if other else [],
        "primary": request.POST.get("primary", "other"),
        "error": error,
        "view_slug": _view_slug(request),
    }
    return render(request, "conversations/merge.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def conversation_move(request, pk):
    """Move one of the ticket's conversations to another inbox or back, with
    an optional new owner and comment (S11, S14). Super admins and users with
    account access only (S4)."""
    if not moves.may_move_conversations(request.user):
        raise PermissionDenied
    ticket = get_ticket_for_user(request.user, pk)
    threads = list(ticket.threads.select_related("inbox").order_by("-created_at", "-id"))
    if not threads:
        raise Http404
    inboxes = list(Inbox.objects.order_by("-is_help_desk", "name"))
    error = ""
    values = request.POST
    if request.method == "POST":
        thread = next((t for t in threads if str(t.pk) == values.get("thread")), threads[0])
        inbox = next((i for i in inboxes if str(i.pk) == values.get("inbox")), None)
        owner = moves.UNCHANGED
        choice = values.get("owner", "")
        if choice == "-":
            owner = None
        elif choice.isdigit():
            owner = owner_choices().filter(pk=choice).first() or moves.UNCHANGED
        if inbox is None:
            error = _("Choose an inbox.")
        else:
            try:
                moves.conversation_move(
                    actor=request.user,
                    thread=thread,
                    inbox=inbox,
                    owner=owner,
                    comment=values.get("comment", "")[:5000],
                )
            except ValidationError as invalid:
                error = invalid.messages[0]
            else:
                messages.success(
                    request,
                    _("Conversation moved to “%(inbox)s”.") % {"inbox": inbox.name},
                )
                return go(request, opened_url(request, ticket.pk))
    context = {
        "ticket": ticket,
        "threads": threads,
        "inboxes": inboxes,
        "owners": list(owner_choices()),
        "values": values,
        "error": error,
        "view_slug": _view_slug(request),
    }
    return render(request, "conversations/move_inbox.html", context)
