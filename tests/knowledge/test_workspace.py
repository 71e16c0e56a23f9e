from django.urls import reverse

from knowledge.models import Article, Revision, Section, Translation
from tests.factories import CategoryFactory, UserFactory, article


def form_data(category, **changes):
    data = {
        "language": "en",
        "category": category.pk,
        "section": "",
        "title": "How to request a refund",
        "summary": "Refunds in three steps.",
        "tags": "refund, billing",
        "body": "<p>Open <b>Billing</b>.</p><script>alert(1)</script>",
        "state": "published",
    }
    data.update(changes)
    return data


def test_agents_without_the_permission_are_refused(client, db):
    saved = article()
    client.force_login(UserFactory())
    for url in (
        reverse("knowledge:article_list"),
        reverse("knowledge:article_create"),
        reverse("knowledge:article_edit", args=[saved.article_id, "en"]),
        reverse("knowledge:history", args=[saved.article_id, "en"]),
    ):
        assert client.get(url).status_code == 403
    restore = reverse("knowledge:restore", args=[saved.revisions.first().pk])
    assert client.post(restore).status_code == 403


def test_an_agent_with_the_permission_writes_and_publishes(client, db):
    writer = UserFactory(can_write_articles=True)
    category = CategoryFactory()
    client.force_login(writer)
    assert client.get(reverse("knowledge:article_create")).status_code == 200
    response = client.post(reverse("knowledge:article_create"), form_data(category))
    saved = Translation.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("knowledge:article_edit", args=[saved.article_id, "en"])
    assert saved.is_public and saved.author == writer
    assert saved.body == "<p>Open <b>Billing</b>.</p>"
    assert saved.article.tags == ["refund", "billing"]
    assert saved.revisions.get().author == writer
    page = client.get(response["Location"]).content.decode()
    assert "Article published." in page and "한국어" in page  # add a translation


def test_a_translation_is_added_to_the_same_article(client, db):
    english = article()
    client.force_login(UserFactory(can_write_articles=True))
    url = reverse("knowledge:article_edit", args=[english.article_id, "ko"])
    assert client.get(url).status_code == 200
    response = client.post(
        url, form_data(english.article.category, language="ko", title="환불 요청 방법")
    )
    assert response.status_code == 302
    assert Article.objects.count() == 1
    assert set(english.article.translations.values_list("language", flat=True)) == {"en", "ko"}


def test_bad_input_keeps_what_was_written_and_says_why(client, db):
    category = CategoryFactory()
    elsewhere = Section.objects.create(category=CategoryFactory(), name="Elsewhere")
    client.force_login(UserFactory(can_write_articles=True))
    response = client.post(
        reverse("knowledge:article_create"),
        form_data(category, title="Kept title", section=elsewhere.pk, body="<p>Kept words</p>"),
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "This section belongs to another category." in html
    assert 'value="Kept title"' in html and "Kept words" in html
    assert not Translation.objects.exists()
    response = client.post(reverse("knowledge:article_create"), form_data(category, title=""))
    assert response.status_code == 400 and not Translation.objects.exists()


def test_history_and_restore(client, db):
    first = article(title="First words")
    article(title="Second words", of=first.article)
    client.force_login(UserFactory(can_write_articles=True))
    history = client.get(reverse("knowledge:history", args=[first.article_id, "en"]))
    assert "First words" in history.content.decode()
    revision = Revision.objects.get(translation=first, number=1)
    response = client.post(reverse("knowledge:restore", args=[revision.pk]))
    assert response.status_code == 302
    first.refresh_from_db()
    assert first.title == "First words" and first.revisions.count() == 3


def test_publish_and_archive_in_one_click(client, db):
    saved = article(state="draft")
    client.force_login(UserFactory(can_write_articles=True))
    url = reverse("knowledge:article_state", args=[saved.article_id, "en"])
    client.post(url, {"state": "published"})
    saved.refresh_from_db()
    assert saved.is_public
    client.post(url, {"state": "archived"})
    saved.refresh_from_db()
    assert saved.state == "archived"
    assert client.post(url, {"state": "gone"}).status_code == 404


def test_uploading_files(client, db, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    saved = article()
    client.force_login(UserFactory(can_write_articles=True))
    url = reverse("knowledge:file_upload", args=[saved.article_id, "en"])
    image = SimpleUploadedFile("menu.png", b"\x89PNG0000", "image/png")
    response = client.post(url, {"file": image, "description": ""}, follow=True)
    assert "Describe the image" in response.content.decode()
    assert not saved.files.exists()
    image = SimpleUploadedFile("menu.png", b"\x89PNG0000", "image/png")
    client.post(url, {"file": image, "description": "The billing menu"})
    assert saved.files.get().description == "The billing menu"


def test_the_list_filters_by_state_language_and_words(client, db, django_assert_max_num_queries):
    article(title="Refund policy")
    article(title="Draft about shipping", body="<p>Parcels.</p>", state="draft")
    client.force_login(UserFactory(can_write_articles=True))
    url = reverse("knowledge:article_list")
    with django_assert_max_num_queries(12):
        html = client.get(url).content.decode()
    assert "Refund policy" in html and "Draft about shipping" in html
    html = client.get(url, {"state": "draft"}).content.decode()
    assert "Refund policy" not in html and "Draft about shipping" in html
    html = client.get(url, {"q": "refund"}).content.decode()
    assert "Refund policy" in html and "Draft about shipping" not in html
