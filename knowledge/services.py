"""The knowledge base's write path: saving a translation keeps a revision and
its search vector current in one transaction; restoring an earlier revision
is a save of its words; votes count once per visitor."""

import datetime
import mimetypes
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from accounts.models import User

from .models import (
    IMAGE_TYPES,
    Article,
    ArticleFile,
    Category,
    Revision,
    Section,
    Translation,
    Vote,
)
from .sanitize import article_text, clean_article_html
from .search import document

MAX_FILE_BYTES = 10 * 1024 * 1024
VERSION_KEY = "knowledge:version"


def version() -> int:
    """Moves whenever an article changes: the help center's cached pages
    (the home's counts) are keyed by it, so none outlives a change."""
    value = cache.get(VERSION_KEY)
    if value is None:
        value = 1
        cache.add(VERSION_KEY, value, None)
    return int(value)


def changed() -> None:
    """After the change commits (a rolled-back change changes nothing)."""

    def bump() -> None:
        try:
            cache.incr(VERSION_KEY)
        except ValueError:
            cache.set(VERSION_KEY, 2, None)

    transaction.on_commit(bump)


MAX_TAGS = 20


def may_write(user: Any) -> bool:
    """Agents with the permission, and super admins, write articles."""
    return bool(
        user.is_authenticated
        and user.is_active
        and (user.is_super_admin or user.can_write_articles)
    )


@dataclass
class ArticleData:
    category: Category
    section: Section | None
    language: str
    title: str
    body: str
    summary: str = ""
    state: str = Translation.State.DRAFT
    tags: tuple[str, ...] = ()


def clean_tags(raw: str | list[str]) -> list[str]:
    items = raw.split(",") if isinstance(raw, str) else raw
    tags: list[str] = []
    for item in items:
        tag = " ".join(str(item).split())[:50]
        if tag and tag.lower() not in (t.lower() for t in tags):
            tags.append(tag)
    return tags[:MAX_TAGS]


def _refresh_vector(translation: Translation, tags: list[str]) -> None:
    doc = document(translation.title, translation.text, tags)
    cast = "%s::tsvector" if connection.vendor == "postgresql" else "%s"
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE knowledge_translation SET search_vector = {cast} WHERE id = %s",
            [doc, translation.pk],
        )
    translation.search_vector = doc


def _revise(translation: Translation, author: User | None, note: str = "") -> Revision:
    last = translation.revisions.order_by("-number").values_list("number", flat=True).first()
    return Revision.objects.create(
        translation=translation,
        number=(last or 0) + 1,
        title=translation.title,
        body=translation.body,
        summary=translation.summary,
        state=translation.state,
        author=author,
        note=note[:200],
    )


def _apply(translation: Translation, *, title: str, body: str, summary: str, state: str) -> None:
    translation.title = " ".join(title.split())[:200]
    translation.body = clean_article_html(body)
    translation.text = article_text(translation.body)
    translation.summary = " ".join(summary.split())[:300]
    translation.slug = slugify(translation.title, allow_unicode=True)[:80].strip("-")
    if state == Translation.State.PUBLISHED and translation.state != state:
        translation.published_at = timezone.now()
    translation.state = state


def validate(data: ArticleData) -> None:
    errors = {}
    if not " ".join(data.title.split()):
        errors["title"] = _("Give the article a title.")
    if data.section and data.section.category_id != data.category.pk:
        errors["section"] = _("This section belongs to another category.")
    if data.state == Translation.State.PUBLISHED and not article_text(
        clean_article_html(data.body)
    ):
        errors["body"] = _("An article without text cannot be published.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def save_translation(
    article: Article | None,
    data: ArticleData,
    author: User,
    *,
    expected_updated_at: datetime.datetime | None = None,
) -> Translation:
    """Create the article (when `article` is None) or its translation in
    `data.language`, or change it; keeps a revision. `expected_updated_at`
    refuses to overwrite a text someone else saved since the editor opened."""
    validate(data)
    tags = clean_tags(list(data.tags))
    if article is None:
        article = Article.objects.create(
            category=data.category, section=data.section, tags=tags, created_by=author
        )
    else:
        article = Article.objects.select_for_update().get(pk=article.pk)
        article.category, article.section, article.tags = data.category, data.section, tags
        article.save(update_fields=["category", "section", "tags"])
    translation = (
        Translation.objects.select_for_update()
        .filter(article=article, language=data.language)
        .first()
    )
    if translation is None:
        translation = Translation(article=article, language=data.language, author=author)
    elif expected_updated_at and translation.updated_at != expected_updated_at:
        raise ValidationError(
            _(
                "Someone else saved this article while you were editing. Reload it to see their changes."
            )
        )
    _apply(translation, title=data.title, body=data.body, summary=data.summary, state=data.state)
    translation.author = translation.author or author
    translation.save()
    _revise(translation, author)
    _refresh_vector(translation, tags)
    # The tags are the article's: its other translations are found by them too.
    for other in article.translations.exclude(pk=translation.pk):
        _refresh_vector(other, tags)
    changed()
    return translation


@transaction.atomic
def set_state(translation: Translation, state: str, user: User) -> Translation:
    translation = Translation.objects.select_for_update().get(pk=translation.pk)
    data_state = Translation.State(state)
    if data_state == Translation.State.PUBLISHED and not translation.text.strip():
        raise ValidationError(_("An article without text cannot be published."))
    _apply(
        translation,
        title=translation.title,
        body=translation.body,
        summary=translation.summary,
        state=data_state,
    )
    translation.save()
    _revise(translation, user)
    changed()
    return translation


@transaction.atomic
def restore_revision(revision: Revision, user: User) -> Translation:
    """The translation's words as they were in `revision`, saved as a new
    revision (the history keeps everything in between). The state stays."""
    translation = Translation.objects.select_for_update().get(pk=revision.translation_id)
    _apply(
        translation,
        title=revision.title,
        body=revision.body,
        summary=revision.summary,
        state=translation.state,
    )
    translation.save()
    _revise(translation, user, note=f"#{revision.number}")
    _refresh_vector(translation, translation.article.tags)
    changed()
    return translation


@transaction.atomic
def vote(translation: Translation, visitor: str, helpful: bool) -> Translation:
    """The visitor's answer: counted once; answering again moves the count."""
    previous = (
        Vote.objects.select_for_update()
        .filter(translation=translation, visitor=visitor)
        .values_list("helpful", flat=True)
        .first()
    )
    if previous is helpful:
        return translation
    Vote.objects.update_or_create(
        translation=translation, visitor=visitor, defaults={"helpful": helpful}
    )
    changes = {
        "helpful_yes" if helpful else "helpful_no": F("helpful_yes" if helpful else "helpful_no")
        + 1
    }
    if previous is not None:
        field = "helpful_yes" if previous else "helpful_no"
        changes[field] = F(field) - 1
    Translation.objects.filter(pk=translation.pk).update(**changes)
    translation.refresh_from_db(fields=["helpful_yes", "helpful_no"])
    return translation


def add_file(
    translation: Translation, upload: UploadedFile, description: str, user: User
) -> ArticleFile:
    """An image or attachment for the translation. Too large a file, or an
    image without a description (its alt text), is refused with a reason."""
    size, filename = upload.size or 0, upload.name or "file"
    if size > MAX_FILE_BYTES:
        raise ValidationError(_("The file is larger than 10 MB."))
    if not size:
        raise ValidationError(_("The file is empty."))
    content_type = (
        upload.content_type or mimetypes.guess_type(filename)[0] or "application/octet-stream"
    )
    description = " ".join(description.split())[:200]
    if content_type in IMAGE_TYPES and not description:
        raise ValidationError(_("Describe the image: screen readers read the description aloud."))
    name = filename.replace("/", "_").replace("\\", "_")[-150:] or "file"
    return ArticleFile.objects.create(
        translation=translation,
        file=upload,
        filename=name,
        content_type=content_type,
        size=size,
        description=description,
        uploaded_by=user,
    )


def public_translations(language: str) -> QuerySet[Translation]:
    """What anyone may read: published translations in `language`."""
    return Translation.objects.filter(language=language, state=Translation.State.PUBLISHED)
