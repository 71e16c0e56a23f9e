from conversations import services
from conversations.models import KnowledgeArticle, Snippet
from conversations.recommend import recommendations_for, terms
from tests.factories import TicketFactory, UserFactory, inbound_message


def test_the_most_relevant_answers_come_first(agent, pipeline):
    KnowledgeArticle.objects.create(
        title="Understanding your invoice",
        body="Each invoice lists your plan and seats.",
        url="https://help.example.com/invoices",
    )
    KnowledgeArticle.objects.create(
        title="Reset your password",
        body="Use the forgot password link.",
        url="https://help.example.com/password",
    )
    Snippet.objects.create(name="Shipping times", shortcut="ship", body="Orders ship in 2 days.")
    ticket = TicketFactory(pipeline=pipeline, name="Wrong invoice")
    message = inbound_message(ticket, text="My invoice shows the wrong VAT number on the invoice.")
    [first, *_rest] = recommendations_for(ticket, agent, [message])
    assert first["label"] == "Understanding your invoice"
    assert 'href="https://help.example.com/invoices"' in first["html"]


def test_korean_and_chinese_are_matched_without_spaces():
    assert set(terms("결제가 두 번")) >= {"결제", "제가"}
    assert set(terms("訂單重複扣款")) >= {"訂單", "扣款"}


def test_past_replies_come_only_from_tickets_the_agent_can_see(
    agent, team_agent, pipeline, team_a, team_b
):
    hidden = TicketFactory(pipeline=pipeline, team=team_b, name="refund request")
    services.reply_send(
        actor=UserFactory(),
        ticket=hidden,
        html="<p>Secret refund details for another team</p>",
        to=["x@y.example"],
    )
    ticket = TicketFactory(pipeline=pipeline, team=team_a, name="refund please")
    message = inbound_message(ticket, text="I want a refund")
    labels = [r["label"] for r in recommendations_for(ticket, team_agent, [message])]
    assert not any("Secret" in label for label in labels)
    assert any("Secret" in r["label"] for r in recommendations_for(ticket, agent, [message]))


def test_nothing_relevant_suggests_nothing(agent, pipeline):
    Snippet.objects.create(name="Shipping times", shortcut="ship", body="Orders ship fast.")
    ticket = TicketFactory(pipeline=pipeline, name="Hello")
    assert recommendations_for(ticket, agent, [inbound_message(ticket, text="zzz qqq")]) == []


def test_the_suggestions_view(client, agent, outsider, pipeline, team_a):
    from django.urls import reverse

    KnowledgeArticle.objects.create(
        title="Understanding your invoice", body="invoice", url="https://help.example.com/invoices"
    )
    ticket = TicketFactory(pipeline=pipeline, team=team_a, name="invoice question")
    inbound_message(ticket, text="Where is my invoice?")
    url = reverse("conversations:recommendations", args=[ticket.pk])
    client.force_login(agent)
    body = client.get(url).content.decode()
    assert "Understanding your invoice" in body and "data-insert-html" in body
    assert client.post(url).status_code == 405
    client.force_login(outsider)
    assert client.get(url).status_code == 404
