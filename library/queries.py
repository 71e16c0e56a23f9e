"""Reads for the library's screens and the Insert menu: what an agent may see
is what is theirs or shared with them, as custom views and macros are (S27)."""

from django.db.models import Q, QuerySet

from accounts.models import User
from tickets.queries import shared_with

from .models import Document, Quote, Video


def documents_for_user(user: User, search: str = "") -> QuerySet[Document]:
    """The documents `user` may insert: their own and those shared with them."""
    if not user.is_authenticated or not user.is_active:
        return Document.objects.none()
    documents = Document.objects.filter(shared_with(user))
    search = search.strip()[:100]
    if search:
        documents = documents.filter(Q(name__icontains=search) | Q(filename__icontains=search))
    # Ids first: the teams join can repeat a row.
    return Document.objects.filter(pk__in=documents.values("pk")).select_related("owner")


def videos_for_user(user: User, search: str = "") -> QuerySet[Video]:
    """The videos `user` may insert: their own and those shared with them."""
    if not user.is_authenticated or not user.is_active:
        return Video.objects.none()
    videos = Video.objects.filter(shared_with(user))
    search = search.strip()[:100]
    if search:
        videos = videos.filter(Q(name__icontains=search) | Q(url__icontains=search))
    return Video.objects.filter(pk__in=videos.values("pk")).select_related("owner")


def quotes_for_user(user: User, search: str = "") -> QuerySet[Quote]:
    """The quotes `user` may see and insert: their own and those shared with them."""
    if not user.is_authenticated or not user.is_active:
        return Quote.objects.none()
    quotes = Quote.objects.filter(shared_with(user))
    search = search.strip()[:100]
    if search:
        quotes = quotes.filter(Q(title__icontains=search) | Q(deal__name__icontains=search))
    return (
        Quote.objects.filter(pk__in=quotes.values("pk"))
        .select_related("owner", "deal")
        .prefetch_related("lines")
    )


def may_change(user: User, item: Document | Quote | Video) -> bool:
    """Its owner changes or deletes it; super admins too (an owner who left)."""
    return item.owner_id == user.pk or user.is_super_admin
