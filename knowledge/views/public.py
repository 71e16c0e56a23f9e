"""The public help center (issue 20): /help/<language>/ and below, for
anyone, signed in or not. Only published translations are shown; a draft or
archived article answers 404 exactly like one that does not exist.
Each page runs a fixed number of queries, whatever the number of articles."""

import re
import secrets
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Q
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation as i18n
from django.utils.encoding import iri_to_uri
from django.views.decorators.http import require_GET, require_POST

from channels_inbound.models import WebForm
from channels_inbound.public import rate_limited
from tickets.search import highlight, parse

from .. import search, services
from ..models import ArticleFile, Category, Translation

VISITOR_COOKIE = "hc_visitor"
VISITOR_MAX_AGE = 365 * 24 * 3600
SEARCH_PAGE = 20
CATEGORY_PAGE = 60
SEARCH_PAGES = 50  # deeper pages are not offered (nobody reads page 51)
HOME_CACHE_SECONDS = 3600
RELATED = 5
# BCP 47 tags for hreflang and <html lang>, from the URL's language codes.
HREFLANG = {"zh-hant": "zh-Hant"}
HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")


def languages() -> list[str]:
    return [code for code, _name in settings.LANGUAGES]


def hreflang(code: str) -> str:
    return HREFLANG.get(code, code)


def in_language(view):
    """The page in the URL's language: its words, its articles."""

    @wraps(view)
    def wrapper(request, lang, *args, **kwargs):
        if lang not in languages():
            raise Http404
        with i18n.override(lang):
            request.LANGUAGE_CODE = lang
            response = view(request, lang, *args, **kwargs)
            if hasattr(response, "render") and not response.is_rendered:
                response.render()
        response.headers.setdefault("Content-Language", hreflang(lang))
        return response

    return wrapper


def _absolute(path: str) -> str:
    return settings.HELPDESK_BASE_URL.rstrip("/") + path


def _support_url() -> str:
    slug = settings.HELPDESK_SUPPORT_FORM
    forms = WebForm.objects.filter(is_active=True)
    form = forms.filter(slug=slug).first() if slug else forms.order_by("pk").first()
    return reverse("channels_inbound:form_page", args=[form.slug]) if form else ""


def _context(request, lang: str, **extra) -> dict:
    """What every page shows: the company, the languages, contact support."""
    path_rest = extra.pop("path_rest", None)
    alternates = extra.pop("alternates", None)
    if alternates is None and path_rest is not None:
        alternates = [(code, f"/help/{code}/{path_rest}") for code in languages()]
    return {
        "lang": lang,
        "html_lang": hreflang(lang),
        "company_name": settings.HELPDESK_COMPANY_NAME,
        "company_logo": settings.HELPDESK_COMPANY_LOGO,
        "support_url": _support_url(),
        "language_links": [
            (code, name, dict(alternates or []).get(code) or f"/help/{code}/")
            for code, name in settings.LANGUAGES
        ],
        "alternates": [(hreflang(code), _absolute(path)) for code, path in alternates or []],
        "canonical": _absolute(iri_to_uri(request.path)),
        **extra,
    }


@require_GET
def help_root(request):
    """/help/: the visitor's language, from their browser, else English."""
    code = i18n.get_language_from_request(request)
    return redirect("knowledge:home", code if code in languages() else settings.LANGUAGE_CODE)


def _categories_with_counts(lang: str):
    published = Q(articles__translations__language=lang) & Q(
        articles__translations__state=Translation.State.PUBLISHED
    )
    return [
        c
        for c in Category.objects.annotate(count=Count("articles__translations", filter=published))
        if c.count
    ]


@require_GET
@in_language
def home(request, lang):
    """Categories with their counts and the best-rated articles: counted over
    every article, so kept in the cache until an article changes
    (services.changed() moves the version in the key)."""
    key = f"knowledge:home:{services.version()}:{lang}"
    cached = cache.get(key)
    if cached is None:
        popular = (
            services.public_translations(lang)
            .select_related("article")
            .only("title", "slug", "language", "article__id")
            .order_by("-helpful_yes", "-published_at", "id")[:6]
        )
        cached = {
            "categories": _categories_with_counts(lang),
            "popular": [(t.title, t.get_absolute_url()) for t in popular],
        }
        cache.set(key, cached, HOME_CACHE_SECONDS)
    context = _context(request, lang, path_rest="", **cached)
    return render(request, "knowledge/home.html", context)


@require_GET
@in_language
def category(request, lang, slug):
    """The category's articles by section, CATEGORY_PAGE at a time."""
    current = get_object_or_404(Category, slug=slug)
    number = request.GET.get("page", "1")
    number = max(1, min(int(number), 1000)) if number.isdigit() else 1
    start = (number - 1) * CATEGORY_PAGE
    translations = list(
        services.public_translations(lang)
        .filter(article__category=current)
        .select_related("article__section")
        .only("title", "slug", "summary", "language", "article__id", "article__section")
        .order_by(
            "article__section__position",
            "article__section__name",
            "article__position",
            "title",
            "id",
        )[start : start + CATEGORY_PAGE + 1]
    )
    if not translations:
        raise Http404  # nothing to read in this language (an empty page is a dead end)
    sections: dict = {}
    for t in translations[:CATEGORY_PAGE]:
        sections.setdefault(t.article.section, []).append(t)
    # hreflang only to the languages this category has articles in (others 404).
    present = set(
        Translation.objects.filter(article__category=current, state=Translation.State.PUBLISHED)
        .values_list("language", flat=True)
        .distinct()
    )
    context = _context(
        request,
        lang,
        alternates=[
            (code, f"/help/{code}/categories/{slug}/") for code in languages() if code in present
        ],
        category=current,
        sections=list(sections.items()),
        meta_description=current.local_description,
        page_number=number,
        previous_page=number - 1 if number > 1 else None,
        next_page=number + 1 if len(translations) > CATEGORY_PAGE else None,
        noindex=number > 1,
    )
    return render(request, "knowledge/category.html", context)


@require_GET
@in_language
def article(request, lang, pk, slug):
    current = get_object_or_404(
        services.public_translations(lang).select_related("article__category", "article__section"),
        article_id=pk,
    )
    if slug != (current.slug or "a"):
        return redirect(current.get_absolute_url(), permanent=True)
    others = list(
        Translation.objects.filter(article_id=pk, state=Translation.State.PUBLISHED).only(
            "language", "slug", "article_id"
        )
    )
    # Related: the section's best-rated articles, then the category's.
    peers = services.public_translations(lang).exclude(article_id=pk).select_related("article")
    peers = peers.only("title", "slug", "language", "article_id", "article__section_id")
    related = []
    if current.article.section_id:
        related = list(
            peers.filter(article__section_id=current.article.section_id).order_by(
                "-helpful_yes", "id"
            )[:RELATED]
        )
    if len(related) < RELATED:
        related += list(
            peers.filter(article__category_id=current.article.category_id)
            .exclude(article_id__in=[t.article_id for t in related])
            .order_by("-helpful_yes", "id")[: RELATED - len(related)]
        )
    files = list(current.files.all())
    context = _context(
        request,
        lang,
        alternates=[(t.language, t.get_absolute_url()) for t in others],
        translation=current,
        related=related,
        attachments=[f for f in files if not f.is_image],
        voted=request.GET.get("voted"),
        limited=request.GET.get("limited"),
        meta_description=current.summary or current.text[:160],
    )
    return render(request, "knowledge/article.html", context)


@require_GET
@in_language
def search_page(request, lang):
    text = request.GET.get("q", "").strip()[:200]
    found = search.search(services.public_translations(lang), text) if text else None
    page = None
    if found is not None:
        number = request.GET.get("page", "1")
        number = min(int(number), SEARCH_PAGES) if number.isdigit() else 1
        number = max(number, 1)
        found = found.select_related("article__category").only(
            "title",
            "slug",
            "summary",
            "text",
            "language",
            "article__id",
            "article__category__name",
            "article__category__labels",
            "article__category__slug",
        )
        start = (number - 1) * SEARCH_PAGE
        results = list(found[start : start + SEARCH_PAGE + 1])
        near = search.loosened(text) if not results and number == 1 else ""
        if near:
            found = search.search(services.public_translations(lang), near).select_related(
                "article__category"
            )
            results = list(found[: SEARCH_PAGE + 1])
            text_for_marks = near
        else:
            text_for_marks = text
        query = parse(text_for_marks)
        for result in results:
            result.title_marked = highlight(result.title, query)
            result.excerpt = highlight(result.summary or result.text[:240], query)
        page = {
            "results": results[:SEARCH_PAGE],
            "number": number,
            # Counted only when it costs nothing: every match is on this page.
            "count": start + len(results) if len(results) <= SEARCH_PAGE else None,
            "previous": number - 1 if number > 1 else None,
            "near": bool(near and results),
            "next": number + 1 if len(results) > SEARCH_PAGE and not near else None,
        }
    context = _context(
        request, lang, path_rest="search/", q=text, page=page, noindex=True, max_pages=SEARCH_PAGES
    )
    return render(request, "knowledge/search.html", context)


def _visitor(request) -> tuple[str, bool]:
    visitor = request.COOKIES.get(VISITOR_COOKIE, "")
    if re.fullmatch(r"[A-Za-z0-9_-]{20,64}", visitor):
        return visitor, False
    return secrets.token_urlsafe(24), True


@require_POST
@in_language
def vote(request, lang, pk):
    """ "Was this helpful?": one answer per visitor (a cookie), which may be
    changed; at most HELPDESK_VOTE_RATE answers per address per minute."""
    current = get_object_or_404(services.public_translations(lang), article_id=pk)
    answer = request.POST.get("helpful")
    if answer not in ("yes", "no"):
        return HttpResponse(status=400)
    url = current.get_absolute_url()
    if rate_limited(request, "vote"):
        return redirect(f"{url}?limited=1#helpful")
    visitor, new = _visitor(request)
    services.vote(current, visitor, answer == "yes")
    response = redirect(f"{url}?voted={answer}#helpful")
    if new:
        response.set_cookie(
            VISITOR_COOKIE,
            visitor,
            max_age=VISITOR_MAX_AGE,
            httponly=True,
            samesite="Lax",
            secure=request.is_secure(),
        )
    return response


@require_GET
def file(request, token, filename):
    """An article's image or attachment: anyone, once its translation is
    published; before that, only those who write articles (the editor's
    preview)."""
    item = get_object_or_404(ArticleFile.objects.select_related("translation"), token=token)
    if not item.translation.is_public and not services.may_write(request.user):
        raise Http404
    response = FileResponse(
        item.file.open("rb"),
        content_type=item.content_type if item.is_image else "application/octet-stream",
        as_attachment=not item.is_image,
        filename=item.filename,
    )
    response["Cache-Control"] = "public, max-age=3600" if item.translation.is_public else "private"
    return response


@require_GET
def sitemap(request):
    """Every published translation, with its other languages (hreflang)."""
    rows = Translation.objects.filter(state=Translation.State.PUBLISHED).values_list(
        "article_id", "language", "slug", "updated_at"
    )
    articles: dict = {}
    for article_id, language, slug, updated in rows.order_by("article_id", "language")[:40_000]:
        path = reverse("knowledge:article", args=[language, article_id, slug or "a"])
        articles.setdefault(article_id, []).append((language, _absolute(path), updated))
    homes = [_absolute(reverse("knowledge:home", args=[code])) for code in languages()]
    response = render(
        request,
        "knowledge/sitemap.xml",
        {"articles": articles.values(), "homes": homes, "hreflang": HREFLANG},
        content_type="application/xml",
    )
    return response


@require_GET
def theme(request):
    """The brand colour as CSS (inline styles are not allowed by our CSP),
    with a text colour on it that keeps a 4.5:1 contrast."""
    colour = settings.HELPDESK_BRAND_COLOUR
    if not HEX_COLOUR.match(colour):
        colour = "#1d4ed8"
    on = "#ffffff" if contrast(colour, "#ffffff") >= 4.5 else "#111827"
    # On white, links need 4.5:1 too: a light brand colour is darkened for text.
    link = colour if contrast(colour, "#ffffff") >= 4.5 else "#1f2937"
    css = f":root {{ --brand: {colour}; --on-brand: {on}; --brand-text: {link}; }}\n"
    response = HttpResponse(css, content_type="text/css")
    response["Cache-Control"] = "public, max-age=300"
    return response


def _luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    """The WCAG contrast ratio of two #rrggbb colours."""
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)
