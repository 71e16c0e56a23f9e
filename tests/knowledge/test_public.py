import pytest
from django.urls import reverse

from channels_inbound.models import WebForm
from knowledge.models import Category, Translation
from knowledge.views.public import VISITOR_COOKIE, contrast
from tests.factories import UserFactory, article


def test_a_draft_is_never_public(client, db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    draft = article(title="Refund secret plan", state="draft")
    url = reverse("knowledge:article", args=["en", draft.article_id, draft.slug])
    assert client.get(url).status_code == 404
    assert b"Refund secret plan" not in client.get("/help/en/search/?q=secret").content
    assert client.get(f"/help/en/categories/{draft.article.category.slug}/").status_code == 404
    assert b"secret" not in client.get("/help/sitemap.xml").content
    assert b"secret" not in client.get("/help/en/").content
    vote = reverse("knowledge:vote", args=["en", draft.article_id])
    assert client.post(vote, {"helpful": "yes"}).status_code == 404


def test_an_archived_article_and_another_language_are_404(client, db):
    archived = article(state="archived")
    english = article(title="Only English")
    assert (
        client.get(f"/help/en/articles/{archived.article_id}/{archived.slug}/").status_code == 404
    )
    assert client.get(f"/help/ko/articles/{english.article_id}/{english.slug}/").status_code == 404
    assert client.get("/help/xx/").status_code == 404


def test_help_root_follows_the_browser_language(client, db):
    response = client.get("/help/", headers={"accept-language": "ko-KR,ko;q=0.9"})
    assert response.status_code == 302 and response["Location"] == "/help/ko/"


def test_the_article_page(client, pipeline, django_assert_max_num_queries):
    WebForm.objects.create(
        name="Support",
        slug="support",
        title="Contact us",
        pipeline=pipeline,
        stage=pipeline.stages.first(),
    )
    english = article(title="How to request a refund", tags=["refund"])
    korean = article(title="환불 요청 방법", language="ko", of=english.article)
    article(title="Refund times", category=english.article.category)
    url = korean.get_absolute_url()
    with django_assert_max_num_queries(9):
        response = client.get(url)
    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="ko">' in html
    assert "<h1>환불 요청 방법</h1>" in html
    assert 'rel="canonical"' in html
    assert (
        f'hreflang="en" href="http://testserver{english.get_absolute_url()}"'.replace(
            "http://testserver", settings_base()
        )
        in html
    )
    assert 'hreflang="x-default"' in html
    assert 'href="/forms/support/"' in html  # contact support
    assert 'name="description"' in html
    # Related articles are in the page's language only: none in Korean.
    assert "Refund times" not in html
    english_page = client.get(english.get_absolute_url()).content.decode()
    assert "Refund times" in english_page
    assert 'class="breadcrumbs"' in english_page


def settings_base():
    from django.conf import settings

    return settings.HELPDESK_BASE_URL.rstrip("/")


def test_a_wrong_slug_redirects_to_the_canonical_address(client, db):
    saved = article(title="Refund policy")
    response = client.get(f"/help/en/articles/{saved.article_id}/old-name/")
    assert response.status_code == 301 and response["Location"] == saved.get_absolute_url()


@pytest.mark.parametrize("page", ["home", "category", "search"])
def test_pages_run_a_fixed_number_of_queries(client, db, page, django_assert_max_num_queries):
    category = Category.objects.create(name="Billing", slug="billing")
    for n in range(12):
        article(title=f"Refund {n}", category=category)
    url = {
        "home": "/help/en/",
        "category": "/help/en/categories/billing/",
        "search": "/help/en/search/?q=refund",
    }[page]
    with django_assert_max_num_queries(6):
        response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    if page == "home":
        assert "12 articles" in html
    else:
        assert html.count('href="/help/en/articles/') == 12


def test_search_finds_korean_without_spaces_and_marks_it(client, db):
    saved = article(title="환불요청방법", body="<p>결제메뉴에서요청</p>", language="ko")
    response = client.get("/help/ko/search/", {"q": "환불"})
    html = response.content.decode()
    assert saved.get_absolute_url() in html
    assert "<mark>환불</mark>" in html
    assert 'name="robots" content="noindex' in html


def test_search_with_nothing_typed_or_nothing_found(client, db):
    assert client.get("/help/en/search/").status_code == 200
    response = client.get("/help/en/search/", {"q": "zzzz"})
    assert response.status_code == 200 and "No article matches" in response.content.decode()


def test_voting_once_per_visitor(client, db):
    saved = article()
    url = reverse("knowledge:vote", args=["en", saved.article_id])
    response = client.post(url, {"helpful": "yes"})
    assert response.status_code == 302 and "voted=yes" in response["Location"]
    assert VISITOR_COOKIE in response.cookies
    client.post(url, {"helpful": "yes"})
    saved.refresh_from_db()
    assert saved.helpful_yes == 1
    client.post(url, {"helpful": "no"})
    saved.refresh_from_db()
    assert (saved.helpful_yes, saved.helpful_no) == (0, 1)


def test_a_vote_without_an_answer_is_refused(client, db):
    saved = article()
    url = reverse("knowledge:vote", args=["en", saved.article_id])
    assert client.post(url, {"helpful": "maybe"}).status_code == 400
    assert client.post(url).status_code == 400
    assert client.get(url).status_code == 405
    saved.refresh_from_db()
    assert (saved.helpful_yes, saved.helpful_no) == (0, 0)


def test_votes_are_rate_limited_per_address(client, db, settings):
    settings.HELPDESK_VOTE_RATE = 2
    saved = article()
    url = reverse("knowledge:vote", args=["en", saved.article_id])
    for _n in range(2):
        client.cookies.clear()  # a new visitor each time, from one address
        client.post(url, {"helpful": "yes"})
    client.cookies.clear()
    response = client.post(url, {"helpful": "yes"})
    assert "limited=1" in response["Location"]
    saved.refresh_from_db()
    assert saved.helpful_yes == 2
    assert "Too many answers" in client.get(response["Location"]).content.decode()


def test_the_sitemap_lists_published_translations_with_their_languages(client, db):
    english = article(title="Refunds")
    korean = article(title="환불", language="ko", of=english.article)
    xml = client.get("/help/sitemap.xml").content.decode()
    assert english.get_absolute_url() in xml and korean.get_absolute_url() in xml
    assert 'hreflang="ko"' in xml and "<loc>" in xml


def test_files_of_a_draft_only_for_writers(client, db, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from knowledge import services

    settings.MEDIA_ROOT = tmp_path
    draft = article(state="draft")
    item = services.add_file(
        draft, SimpleUploadedFile("a.png", b"\x89PNG0000", "image/png"), "A menu", UserFactory()
    )
    assert client.get(item.get_absolute_url()).status_code == 404
    client.force_login(UserFactory(can_write_articles=True))
    assert client.get(item.get_absolute_url()).status_code == 200
    client.logout()
    Translation.objects.filter(pk=draft.pk).update(state="published")
    response = client.get(item.get_absolute_url())
    assert response.status_code == 200 and response["Content-Type"] == "image/png"


def test_the_brand_colour_keeps_text_readable(client, settings):
    settings.HELPDESK_BRAND_COLOUR = "#fde047"  # a light yellow
    css = client.get("/help/theme.css").content.decode()
    assert "--on-brand: #111827" in css and "--brand-text: #1f2937" in css
    settings.HELPDESK_BRAND_COLOUR = "not a colour"
    assert "--brand: #1d4ed8" in client.get("/help/theme.css").content.decode()
    assert contrast("#1d4ed8", "#ffffff") >= 4.5


def test_a_long_category_comes_a_page_at_a_time(client, db, settings):
    from knowledge.views import public

    category = Category.objects.create(name="Billing", slug="billing")
    for n in range(public.CATEGORY_PAGE + 3):
        article(title=f"Refund {n:03d}", category=category)
    first = client.get("/help/en/categories/billing/").content.decode()
    assert first.count('href="/help/en/articles/') == public.CATEGORY_PAGE
    assert 'rel="next"' in first and 'rel="prev"' not in first
    second = client.get("/help/en/categories/billing/", {"page": 2}).content.decode()
    assert second.count('href="/help/en/articles/') == 3
    assert 'rel="prev"' in second and 'name="robots" content="noindex' in second
    assert client.get("/help/en/categories/billing/", {"page": 9}).status_code == 404
    assert client.get("/help/en/categories/billing/", {"page": "x"}).status_code == 200


def test_a_category_links_only_the_languages_it_has(client, db):
    category = Category.objects.create(name="Billing", slug="billing")
    english = article(title="Refunds", category=category)
    article(title="환불", language="ko", of=english.article)
    html = client.get("/help/en/categories/billing/").content.decode()
    assert 'hreflang="ko" href="' in html and 'hreflang="fi" href="' not in html
