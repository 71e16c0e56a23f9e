from knowledge import search, services
from tests.factories import article


def found(language, text):
    results = search.search(services.public_translations(language), text)
    return [t.title for t in results] if results is not None else None


def test_korean_is_found_inside_words_written_without_spaces(db):
    saved = article(
        title="환불요청방법", body="<p>결제메뉴에서환불을요청하세요.</p>", language="ko"
    )
    assert found("ko", "환불") == [saved.title]
    assert found("ko", "결제") == [saved.title]
    assert found("ko", "배송") == []


def test_chinese_and_diacritics(db):
    article(title="如何申請退款", body="<p>在帳單頁面申請。</p>", language="zh-hant")
    article(title="Jak uzyskać zwrot", body="<p>Otwórz płatności.</p>", language="pl")
    assert found("zh-hant", "退款") == ["如何申請退款"]
    assert found("pl", "platnosci") == ["Jak uzyskać zwrot"]
    assert found("pl", "uzyskac") == ["Jak uzyskać zwrot"]


def test_title_matches_rank_before_body_matches(db):
    article(title="Shipping times", body="<p>A refund is possible after delivery.</p>")
    article(title="Refund policy", body="<p>Within 30 days.</p>")
    assert found("en", "refund") == ["Refund policy", "Shipping times"]


def test_tags_are_searched_too(db):
    article(title="Money back", tags=["chargeback"])
    assert found("en", "chargeback") == ["Money back"]


def test_drafts_archived_and_other_languages_are_never_found(db):
    article(title="Refund draft", state="draft")
    article(title="Refund archived", state="archived")
    article(title="Refund in German", language="de")
    assert found("en", "refund") == []


def test_text_without_words_asks_nothing(db):
    assert found("en", "   !!! ") is None


def test_similar_articles_rank_by_full_text_similarity(db):
    article(title="Reset your password", body="<p>Use the forgot password link.</p>")
    article(title="Understanding your invoice", body="<p>Each invoice lists your seats.</p>")
    results = search.similar(
        services.public_translations("en"),
        "Hello, my invoice shows the wrong VAT number on the invoices",
        3,
    )
    assert [t.title for _score, t in results] == ["Understanding your invoice"]
    assert 0 < results[0][0] <= 1


def test_inflected_words_find_close_matches_when_nothing_matches_exactly(client, db):
    article(title="Understanding your invoice")
    article(title="Metody płatności", language="pl")
    html = client.get("/help/en/search/", {"q": "invoices"}).content.decode()
    assert "Understanding your <mark>invoice</mark>" in html and "close matches" in html
    html = client.get("/help/pl/search/", {"q": "płatność"}).content.decode()
    assert "Metody <mark>płatności</mark>" in html
    # Exact matches need no loosening, and short words are never cut.
    assert search.loosened("invoice") == "invo"
    assert search.loosened("tax vat") == ""
    assert search.loosened("환불요청") == ""
