import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from knowledge import services
from knowledge.models import Revision, Section, Translation, Vote
from tests.factories import CategoryFactory, UserFactory, article


def test_saving_keeps_a_revision_with_who_and_when(db):
    author = UserFactory(can_write_articles=True)
    first = article(title="Refunds", author=author)
    editor = UserFactory(can_write_articles=True)
    services.save_translation(
        first.article,
        services.ArticleData(
            first.article.category, None, "en", "Refunds, step by step", "<p>New</p>"
        ),
        editor,
    )
    revisions = list(Revision.objects.filter(translation=first).order_by("number"))
    assert [(r.number, r.title, r.author) for r in revisions] == [
        (1, "Refunds", author),
        (2, "Refunds, step by step", editor),
    ]
    assert all(r.created_at for r in revisions)


def test_restoring_an_earlier_revision_brings_its_words_back_as_a_new_revision(db):
    first = article(title="Old title", body="<p>Old words</p>")
    user = UserFactory(can_write_articles=True)
    services.save_translation(
        first.article,
        services.ArticleData(first.article.category, None, "en", "New title", "<p>New words</p>"),
        user,
    )
    restored = services.restore_revision(first.revisions.get(number=1), user)
    assert (restored.title, restored.body) == ("Old title", "<p>Old words</p>")
    assert restored.revisions.count() == 3
    assert restored.revisions.first().note == "#1"
    # The search vector follows the restored words.
    assert "'old':1A" in Translation.objects.get(pk=restored.pk).search_vector


def test_the_body_is_sanitised_and_its_text_kept(db):
    saved = article(
        body='<h2 onclick="x()">Steps</h2><script>alert(1)</script><p style="color:red">Go'
        ' <a href="javascript:alert(1)">here</a></p><img src="https://evil.example/x.png">'
        '<img src="/help/files/abc/a.png" alt="Billing menu">'
    )
    assert "script" not in saved.body and "onclick" not in saved.body
    assert "style" not in saved.body and "javascript" not in saved.body
    assert "evil.example" not in saved.body
    assert '<img src="/help/files/abc/a.png" alt="Billing menu">' in saved.body
    assert "<h2>Steps</h2>" in saved.body
    assert "alert" not in saved.text and "Steps" in saved.text


def test_one_translation_per_language_linked_to_the_same_article(db):
    english = article(title="Refunds")
    korean = article(title="환불", language="ko", of=english.article)
    assert korean.article_id == english.article_id
    again = article(title="환불 방법", language="ko", of=english.article)
    assert again.pk == korean.pk
    assert english.article.translations.count() == 2


def test_bad_input_is_refused_with_reasons_and_nothing_is_saved(db):
    category = CategoryFactory()
    other = Section.objects.create(category=CategoryFactory(), name="Elsewhere")
    user = UserFactory(can_write_articles=True)
    with pytest.raises(ValidationError) as error:
        services.save_translation(
            None,
            services.ArticleData(category, other, "en", "  ", "<p> </p>", state="published"),
            user,
        )
    assert set(error.value.error_dict) == {"title", "section", "body"}
    assert not Translation.objects.exists()


def test_a_text_saved_by_someone_else_meanwhile_is_not_overwritten(db):
    first = article(title="Refunds")
    opened_at = first.updated_at
    article(title="Refunds (edited)", of=first.article)
    with pytest.raises(ValidationError):
        services.save_translation(
            first.article,
            services.ArticleData(first.article.category, None, "en", "Mine", "<p>x</p>"),
            UserFactory(),
            expected_updated_at=opened_at,
        )
    assert Translation.objects.get(pk=first.pk).title == "Refunds (edited)"


def test_publishing_sets_the_date_and_an_empty_text_cannot_be_published(db):
    draft = article(state="draft", body="")
    assert draft.published_at is None
    with pytest.raises(ValidationError):
        services.set_state(draft, "published", UserFactory())
    filled = article(state="draft")
    published = services.set_state(filled, "published", UserFactory())
    assert published.published_at is not None and published.is_public


def test_a_visitor_votes_once_and_may_change_the_answer(db):
    saved = article()
    services.vote(saved, "visitor-a" * 3, True)
    services.vote(saved, "visitor-a" * 3, True)
    services.vote(saved, "visitor-b" * 3, True)
    saved.refresh_from_db()
    assert (saved.helpful_yes, saved.helpful_no) == (2, 0)
    services.vote(saved, "visitor-a" * 3, False)
    saved.refresh_from_db()
    assert (saved.helpful_yes, saved.helpful_no) == (1, 1)
    assert Vote.objects.count() == 2


def test_an_image_needs_a_description_and_large_files_are_refused(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    saved = article()
    user = UserFactory()
    png = SimpleUploadedFile("menu.png", b"\x89PNG\r\n\x1a\n" + b"0" * 10, "image/png")
    with pytest.raises(ValidationError):
        services.add_file(saved, png, "  ", user)
    big = SimpleUploadedFile("big.pdf", b"0", "application/pdf")
    big.size = services.MAX_FILE_BYTES + 1
    with pytest.raises(ValidationError):
        services.add_file(saved, big, "", user)
    png.seek(0)
    image = services.add_file(saved, png, "The billing menu", user)
    assert image.is_image and image.get_absolute_url().startswith("/help/files/")


def test_who_may_write(db):
    assert not services.may_write(UserFactory())
    assert services.may_write(UserFactory(can_write_articles=True))
    assert services.may_write(UserFactory(role="super_admin"))
    assert not services.may_write(UserFactory(can_write_articles=True, is_active=False))
