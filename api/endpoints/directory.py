"""/api/v1/pipelines, /users, /teams and /views: read only. Views run through
the same reads as the workspace's table."""

from django.db.models import Prefetch
from django.http import Http404
from ninja import Query, Router

from accounts.models import Team, User
from tickets import queries
from tickets.models import Pipeline, Stage

from .. import serialize
from ..schemas import PipelineOut, TeamOut, TicketPage, UserOut, ViewOut
from .tickets import _filtered, page_of

router = Router(tags=["Pipelines, users, teams and views"])


def _pipeline(p: Pipeline) -> dict:
    return {
        "id": p.pk,
        "name": p.name,
        "position": p.position,
        "stages": [
            {
                "id": s.pk,
                "name": s.name,
                "position": s.position,
                "is_closed": s.is_closed,
                "required_properties": s.required_properties,
            }
            for s in p.stages.all()
        ],
    }


def _pipelines():
    return Pipeline.objects.order_by("position", "id").prefetch_related(
        Prefetch("stages", queryset=Stage.objects.order_by("position", "id"))
    )


@router.get("/pipelines", response=list[PipelineOut], url_name="pipeline_list", summary="Pipelines")
def pipeline_list(request):
    """Every pipeline with its statuses, in order."""
    return [_pipeline(p) for p in _pipelines()]


@router.get(
    "/pipelines/{int:pk}", response=PipelineOut, url_name="pipeline_get", summary="A pipeline"
)
def pipeline_get(request, pk: int):
    found = _pipelines().filter(pk=pk).first()
    if found is None:
        raise Http404
    return _pipeline(found)


def _user(u: User) -> dict:
    return {
        "id": u.pk,
        "username": u.username,
        "name": u.display_name,
        "email": u.email,
        "role": u.role,
        "main_team": serialize.named(u.main_team),
        "availability": u.availability,
    }


@router.get("/users", response=list[UserOut], url_name="user_list", summary="Users")
def user_list(request):
    """Active users, by name."""
    return [_user(u) for u in User.objects.filter(is_active=True).select_related("main_team")]


@router.get("/users/me", response=UserOut, url_name="user_me", summary="You")
def user_me(request):
    """The user the token or session acts as."""
    return _user(request.user)


@router.get("/users/{int:pk}", response=UserOut, url_name="user_get", summary="A user")
def user_get(request, pk: int):
    found = User.objects.filter(pk=pk, is_active=True).select_related("main_team").first()
    if found is None:
        raise Http404
    return _user(found)


@router.get("/teams", response=list[TeamOut], url_name="team_list", summary="Teams")
def team_list(request):
    return [{"id": t.pk, "name": t.name} for t in Team.objects.order_by("name")]


@router.get("/views", response=list[ViewOut], url_name="view_list", summary="Views")
def view_list(request):
    """The built-in views and the custom views shared with you."""
    user = request.user
    found = [
        {"slug": v.slug, "name": str(v.label), "custom": False}
        for v in queries.views_for_user(user)
    ]
    found += [
        {"slug": v.slug, "name": v.label, "custom": True}
        for v in queries.custom_views_for_user(user)
    ]
    return found


@router.get("/views/{slug}/tickets", response=TicketPage, url_name="view_run", summary="Run a view")
def view_run(
    request,
    slug: str,
    cursor: str = Query(""),
    limit: int = Query(50, ge=1, le=100),
):
    """The view's tickets in its own sort (a custom view's, else latest activity)."""
    tickets, state = _filtered(request, slug)
    return page_of(request, tickets, state.sort, cursor or None, limit)
