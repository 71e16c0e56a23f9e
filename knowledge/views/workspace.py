"""Writing the knowledge base in the workspace (issue 20): agents with the
"can write help center articles" permission (and super admins) list, write,
translate, publish, archive and restore articles. Everyone else gets 403."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from .. import search, services
from ..forms import ArticleForm, FileForm
from ..models import Article, Category, Revision, Translation

LIST_PAGE = 100


def _writer(request):
    if not services.may_write(request.user):
        raise PermissionDenied


def _language(lang: str) -> str:
    if lang not in dict(settings.LANGUAGES):
        raise Http404
    return lang


@login_required
@require_GET
def article_list(request):
    _writer(request)
    state = request.GET.get("state", "")
    language = request.GET.get("language", "")
    text = request.GET.get("q", "").strip()[:200]
    translations = Translation.objects.only(
        "article_id", "language", "title", "state", "updated_at", "helpful_yes", "helpful_no"
    )
    if state in Translation.State.values:
        translations = translations.filter(state=state)
    if language in dict(settings.LANGUAGES):
        translations = translations.filter(language=language)
    if text:
        found = search.search(translations, text)
        translations = found if found is not None else translations.none()
    article_ids = list(
        dict.fromkeys(translations.values_list("article_id", flat=True)[: LIST_PAGE * 6])
    )[:LIST_PAGE]
    articles = {
        a.pk: a
        for a in Article.objects.filter(pk__in=article_ids)
        .select_related("category", "section")
        .prefetch_related(
            Prefetch(
                "translations",
                Translation.objects.only(
                    "article_id",
                    "language",
                    "title",
                    "state",
                    "updated_at",
                    "helpful_yes",
                    "helpful_no",
                ).order_by("language"),
            )
        )
    }
    rows = []
    preferred = request.LANGUAGE_CODE
    for pk in article_ids:
        article = articles[pk]
        versions = list(article.translations.all())
        shown = next((t for t in versions if t.language == preferred), versions[0])
        rows.append(
            {"article": article, "title": shown.title, "shown": shown, "versions": versions}
        )
    return render(
        request,
        "knowledge/article_list.html",
        {
            "rows": rows,
            "state": state,
            "language": language,
            "q": text,
            "states": Translation.State.choices,
            "languages": settings.LANGUAGES,
            "has_categories": Category.objects.exists(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def article_edit(request, pk=None, lang=None):
    """Write a new article, or one translation of an existing one (a missing
    translation opens empty, with the first one's category and tags)."""
    _writer(request)
    article = get_object_or_404(Article, pk=pk) if pk else None
    lang = _language(lang) if lang else None
    translation = (
        Translation.objects.filter(article=article, language=lang).first() if article else None
    )
    versions = list(article.translations.order_by("language")) if article else []
    initial = {"language": lang or request.LANGUAGE_CODE, "state": Translation.State.DRAFT}
    if article:
        initial.update(
            category=article.category_id, section=article.section_id, tags=", ".join(article.tags)
        )
    if translation:
        initial.update(
            title=translation.title,
            summary=translation.summary,
            body=translation.body,
            state=translation.state,
            updated_at=translation.updated_at,
        )
    languages = list(settings.LANGUAGES)
    if article:
        languages = [(code, name) for code, name in languages if code == lang]
    form = ArticleForm(request.POST or None, initial=initial, languages=languages)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            saved = services.save_translation(
                article,
                services.ArticleData(
                    category=data["category"],
                    section=data["section"],
                    language=data["language"],
                    title=data["title"],
                    body=data["body"],
                    summary=data["summary"],
                    state=data["state"],
                    tags=tuple(services.clean_tags(data["tags"])),
                ),
                request.user,
                expected_updated_at=data["updated_at"] if translation else None,
            )
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                for field, errors in error.error_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                form.add_error(None, error)
        else:
            messages.success(
                request,
                _("Article published.") if saved.is_public else _("Article saved."),
            )
            return redirect("knowledge:article_edit", saved.article_id, saved.language)
    missing = [
        (code, name)
        for code, name in settings.LANGUAGES
        if article and code not in {v.language for v in versions}
    ]
    return render(
        request,
        "knowledge/article_form.html",
        {
            "form": form,
            "article": article,
            "translation": translation,
            "lang": lang,
            "versions": versions,
            "missing": missing,
            "files": list(translation.files.all()) if translation else [],
            "file_form": FileForm(),
            "status": 400 if request.method == "POST" else 200,
        },
        status=400 if request.method == "POST" else 200,
    )


def _translation(pk, lang) -> Translation:
    return get_object_or_404(Translation, article_id=pk, language=_language(lang))


@login_required
@require_POST
def article_state(request, pk, lang):
    """Publish, archive or return to draft in one click."""
    _writer(request)
    translation = _translation(pk, lang)
    state = request.POST.get("state", "")
    if state not in Translation.State.values:
        raise Http404
    try:
        services.set_state(translation, state, request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("State changed."))
    return redirect("knowledge:article_edit", pk, lang)


@login_required
@require_POST
def file_upload(request, pk, lang):
    _writer(request)
    translation = _translation(pk, lang)
    form = FileForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Choose a file to upload."))
    else:
        try:
            services.add_file(
                translation,
                form.cleaned_data["file"],
                form.cleaned_data["description"],
                request.user,
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("File uploaded."))
    return redirect("knowledge:article_edit", pk, lang)


@login_required
@require_GET
def history(request, pk, lang):
    _writer(request)
    translation = _translation(pk, lang)
    revisions = translation.revisions.select_related("author")
    return render(
        request,
        "knowledge/history.html",
        {"translation": translation, "revisions": revisions},
    )


@login_required
@require_POST
def restore(request, pk):
    _writer(request)
    revision = get_object_or_404(Revision.objects.select_related("translation"), pk=pk)
    translation = services.restore_revision(revision, request.user)
    messages.success(request, _("Revision %(number)s restored.") % {"number": revision.number})
    return redirect("knowledge:article_edit", translation.article_id, translation.language)
