"""The language of a customer's first message, as agents declare languages."""

import pytest

from conversations.languages import detect, primary


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("안녕하세요, 주문한 상품이 아직 도착하지 않았습니다.", "ko"),
        ("Hei, tilaukseni ei ole vielä saapunut. Voitteko tarkistaa?", "fi"),
        ("Hallo, meine Bestellung ist noch nicht angekommen.", "de"),
        ("您好，我的訂單還沒有送達，請問這是怎麼回事？", "zh-hant"),
        ("您好，我的订单还没有送达，请问这是怎么回事？", "zh-hans"),
        ("Dzień dobry, moje zamówienie jeszcze nie dotarło.", "pl"),
        ("Hi, my order has not arrived yet. Could you check?", "en"),
    ],
)
def test_detects_the_languages_our_customers_write(text, code):
    assert detect(text) == code


def test_numbers_and_addresses_alone_say_nothing():
    assert detect("#12345 ana@example.com 2026-03-02") == ""


def test_a_language_matches_whatever_its_script():
    assert primary("zh-hant") == primary("zh-Hans") == "zh"
    assert primary("ko") == "ko"
