from django.urls import reverse

from conversations.inserts import inserts_for
from conversations.recommend import recommendations_for
from tests.factories import TicketFactory, article, inbound_message


def test_insert_finds_published_articles_in_the_contacts_language(agent, pipeline):
    english = article(title="How to request a refund")
    korean = article(title="환불 요청 방법", language="ko", of=english.article)
    article(title="환불 초안", language="ko", state="draft")
    ticket = TicketFactory(pipeline=pipeline, name="환불")
    ticket.language = "ko"
    ticket.save(update_fields=["language"])
    results = [r for r in inserts_for(ticket, agent, "환불") if r["kind"] == "kb"]
    assert [r["label"] for r in results] == ["환불 요청 방법"]
    assert korean.get_absolute_url() in results[0]["html"]
    assert "<a href=" in results[0]["text_html"] and "Billing" in results[0]["text_html"]


def test_insert_view_offers_the_link_or_the_text(client, agent, pipeline, team_a):
    article(title="How to request a refund")
    ticket = TicketFactory(pipeline=pipeline, team=team_a, name="refund")
    client.force_login(agent)
    response = client.get(reverse("conversations:insert_search", args=[ticket.pk]), {"q": "refund"})
    html = response.content.decode()
    assert "Knowledge base" in html and "How to request a refund" in html
    assert "Insert the article&#x27;s text" in html or "Insert the article's text" in html


def test_suggestions_draw_on_published_articles(agent, pipeline):
    article(title="Understanding your invoice", body="<p>Each invoice lists your seats.</p>")
    article(title="Invoice draft", body="<p>invoice</p>", state="draft")
    ticket = TicketFactory(pipeline=pipeline, name="Wrong invoice")
    message = inbound_message(ticket, text="Hello, my invoice shows the wrong VAT number")
    labels = [
        r["label"] for r in recommendations_for(ticket, agent, [message]) if r["kind"] == "kb"
    ]
    assert labels == ["Understanding your invoice"]
