from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import HttpResponseBadRequest
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from accounts.models import Team, User
from tickets.access import visible_tickets
from tickets.models import OPEN_TICKETS
from tickets.rendering import nav_context, render_pane

from . import services


@login_required
@require_POST
def set_availability(request):
    """Available or Away, from the account menu."""
    availability = request.POST.get("availability", "")
    if availability not in User.Availability.values:
        return HttpResponseBadRequest()
    services.agent_set_availability(user=request.user, availability=availability)
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure()):
        next_url = "/"
    return redirect(next_url)


@login_required
@require_GET
def team_availability(request):
    """Who in the teams a lead leads (every team, for a super admin) is
    available, and how many open tickets each has: one count query for all
    agents, one for the waiting tickets, both on partial indexes, and both
    among the tickets the viewer may see (ARCHITECTURE rule 1)."""
    user = request.user
    visible = visible_tickets(user)
    teams = list(Team.objects.all() if user.is_super_admin else user.led_teams.all())
    members = {team.pk: list(services.team_agents(team)) for team in teams}
    counts = services.open_counts(
        {agent.pk for agents in members.values() for agent in agents}, within=visible
    )
    waiting = dict(
        visible.filter(OPEN_TICKETS, owner__isnull=True, team__in=teams)
        .values_list("team")
        .annotate(n=Count("id"))
        .order_by()
    )
    now = timezone.now()
    rows = []
    for team in teams:
        agents = [
            {
                "agent": agent,
                "open": counts.get(agent.pk, 0),
                "at_cap": bool(team.routing_cap) and counts.get(agent.pk, 0) >= team.routing_cap,
            }
            for agent in members[team.pk]
        ]
        rows.append(
            {
                "team": team,
                "agents": agents,
                "available": sum(
                    a["agent"].availability == User.Availability.AVAILABLE for a in agents
                ),
                "waiting": waiting.get(team.pk, 0),
                "working": services.is_working(team, now),
            }
        )
    return render_pane(
        request,
        "routing/team_availability.html",
        {"teams": rows, **nav_context(user, None)},
    )
