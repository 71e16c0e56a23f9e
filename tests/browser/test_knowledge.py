"""Issue 20 end to end: an agent writes an article in Korean and English and
publishes it; an anonymous visitor finds it on /help/ko/ by a Korean word
written inside a longer run without spaces, and votes; the article goes into
a reply from the composer's Insert menu."""

from playwright.sync_api import expect

from knowledge.models import Category, Translation
from tests.factories import TicketFactory, UserFactory, inbound_message


def write(page, title, body):
    page.fill("input[name=title]", title)
    page.locator("#article-form [data-editor]").click()
    page.keyboard.type(body)
    page.get_by_label("Published").check()
    page.get_by_role("button", name="Save").click()


def test_write_publish_find_vote_and_insert(page, sign_in, team_a, pipeline):
    Category.objects.create(name="Billing", slug="billing", labels={"ko": "결제"})
    writer = UserFactory(
        username="writer", first_name="Mina", main_team=team_a, can_write_articles=True
    )
    sign_in(writer)
    page.goto("/knowledge/")
    page.get_by_role("link", name="New article").click()
    page.select_option("#article-form select[name=language]", "ko")
    page.select_option("select[name=category]", label="Billing")
    write(page, "환불 요청 방법", "결제메뉴에서환불을요청하세요.")
    expect(page.get_by_role("status").first).to_contain_text("Article published.")
    # The English version of the same article.
    page.locator(".kb-language", has_text="English").click()
    write(page, "How to request a refund", "Open Billing and choose Refund.")
    expect(page.get_by_role("status").first).to_contain_text("Article published.")
    korean = Translation.objects.get(language="ko")
    assert korean.article.translations.filter(language="en", state="published").exists()
    assert "결제메뉴에서환불을요청하세요" in korean.body

    # An anonymous visitor, on a phone.
    page.context.clear_cookies()
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/help/ko/")
    expect(page.get_by_role("heading", level=1)).to_have_text("무엇을 도와드릴까요?")
    page.get_by_role("searchbox").fill("환불")
    page.keyboard.press("Enter")
    result = page.locator(".help-results a", has_text="환불 요청 방법")
    expect(result.locator("mark")).to_have_text("환불")
    result.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("환불 요청 방법")
    page.get_by_role("button", name="예").click()
    expect(page.locator(".help-vote [role=status]")).to_contain_text("의견을 보내 주셔서")
    korean.refresh_from_db()
    assert korean.helpful_yes == 1

    # Into a reply, from the Insert menu, in the contact's language.
    page.set_viewport_size({"width": 1280, "height": 800})
    agent = UserFactory(username="maya", first_name="Maya", main_team=team_a)
    ticket = TicketFactory(pipeline=pipeline, owner=agent, team=team_a, name="환불 문의")
    inbound_message(ticket, text="환불을 받고 싶어요")
    ticket.language = "ko"
    ticket.save(update_fields=["language"])
    sign_in(agent)
    page.goto(f"/views/mine/tickets/{ticket.pk}/")
    composer = page.locator("#composer-reply")
    composer.locator("[data-editor]").click()  # the composer opens when used
    composer.get_by_role("button", name="Insert").click()
    composer.locator("[data-insert-search]").fill("환불")
    composer.locator(".result", has_text="환불 요청 방법").first.click()
    expect(composer.locator("[data-editor] a")).to_have_attribute(
        "href", f"http://127.0.0.1:8000{korean.get_absolute_url()}"
    )
