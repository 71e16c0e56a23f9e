import pytest
from django.core import mail
from django.urls import reverse

from conversations import services
from conversations.models import Draft, Message
from tests.factories import EmailAddressFactory, TicketFactory, UserFactory, inbound_message


@pytest.fixture
def ticket(pipeline, team_a):
    EmailAddressFactory(email="support0@helpdesk.example")
    return TicketFactory(pipeline=pipeline, team=team_a, name="Printer on fire")


@pytest.fixture
def signed_in(client, agent):
    client.force_login(agent)
    return client


def urls(ticket):
    return {
        name: reverse(f"conversations:{name}", args=[ticket.pk])
        for name in ("reply_send", "comment_add", "draft_save")
    }


HTMX = {"HX-Request": "true", "HX-Target": "composer-reply"}


def test_outsider_gets_404_and_nothing_is_written(client, outsider, ticket):
    client.force_login(outsider)
    for url in urls(ticket).values():
        response = client.post(url, {"html": "<p>x</p>", "to": "a@b.example", "kind": "reply"})
        assert response.status_code == 404, url
    assert not Message.objects.exists() and not Draft.objects.exists() and not mail.outbox


def test_wrong_method_is_405(signed_in, ticket):
    for url in urls(ticket).values():
        assert signed_in.get(url).status_code == 405


def test_send_answers_with_the_whole_ticket_pane(
    signed_in, ticket, django_capture_on_commit_callbacks
):
    inbound = inbound_message(ticket)
    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in.post(
            urls(ticket)["reply_send"],
            {
                "html": "<p>On it</p>",
                "to": inbound.from_email,
                "cc": "Boss <boss@x.example>",
                "seen": inbound.pk,
                "view": "all-open",
            },
            headers=HTMX,
        )
    assert response.status_code == 200
    assert response["HX-Retarget"] == "#detail-pane"
    body = response.content.decode()
    assert 'id="detail-pane"' in body and "On it" in body
    assert f'id="row-{ticket.pk}"' in body and 'hx-swap-oob="true"' in body
    assert mail.outbox[0].cc == ["boss@x.example"]


def test_bad_recipients_re_render_the_editor_with_the_error(signed_in, ticket):
    response = signed_in.post(
        urls(ticket)["reply_send"],
        {"html": "<p>Kept text</p>", "to": "not-an-address, ok@x.example"},
        headers=HTMX,
    )
    assert response["HX-Retarget"] == "#composer-reply"
    body = response.content.decode()
    assert "“not-an-address” is not a valid email address." in body
    assert "Kept text" in body  # nothing typed is lost
    assert not Message.objects.exists()


def test_header_breaking_recipients_are_refused(signed_in, ticket):
    response = signed_in.post(
        urls(ticket)["reply_send"],
        {"html": "<p>x</p>", "to": "a@b.example\r\nBcc: c@d.example"},
        headers=HTMX,
    )
    assert "line breaks" in response.content.decode()
    assert not mail.outbox


def test_a_collision_shows_what_is_new_and_lets_the_agent_send_after(signed_in, ticket):
    inbound = inbound_message(ticket)
    services.comment_add(
        actor=UserFactory(first_name="Jonas"),
        ticket=ticket,
        html="<p>Already answered by phone</p>",
    )
    data = {"html": "<p>Hello</p>", "to": inbound.from_email, "seen": inbound.pk}
    response = signed_in.post(urls(ticket)["reply_send"], data, headers=HTMX)
    body = response.content.decode()
    assert "New activity on this ticket" in body and "Already answered by phone" in body
    assert Message.objects.filter(direction="outbound", kind="message").count() == 0
    newest = Message.objects.order_by("-pk").first().pk
    assert f'name="seen" value="{newest}"' in body  # seen now: sending again works
    signed_in.post(urls(ticket)["reply_send"], {**data, "seen": newest}, headers=HTMX)
    assert Message.objects.filter(direction="outbound", kind="message").count() == 1


def test_a_conditional_status_asks_before_anything_is_sent(signed_in, ticket, pipeline):
    closed = pipeline.stages.get(name="Closed")
    response = signed_in.post(
        urls(ticket)["reply_send"],
        {"html": "<p>Done</p>", "to": "a@b.example", "stage": closed.pk},
        headers=HTMX,
    )
    body = response.content.decode()
    assert "needs these properties before sending" in body and 'name="category"' in body
    assert not Message.objects.exists()
    signed_in.post(
        urls(ticket)["reply_send"],
        {
            "html": "<p>Done</p>",
            "to": "a@b.example",
            "stage": closed.pk,
            "category": "product_issue",
        },
        headers=HTMX,
    )
    ticket.refresh_from_db()
    assert (ticket.stage, ticket.category) == (closed, "product_issue")


def test_comments_are_added_and_never_mailed(signed_in, ticket):
    response = signed_in.post(urls(ticket)["comment_add"], {"html": "<p>note</p>"}, headers=HTMX)
    assert response["HX-Retarget"] == "#detail-pane"
    assert Message.objects.get().is_comment and not mail.outbox
    empty = signed_in.post(urls(ticket)["comment_add"], {"html": "<p></p>"}, headers=HTMX)
    assert empty["HX-Retarget"] == "#composer-comment"
    assert "Write a comment before saving it." in empty.content.decode()


def test_drafts_are_saved_restored_and_private(client, signed_in, agent, ticket, team_a):
    response = signed_in.post(
        urls(ticket)["draft_save"],
        {"kind": "reply", "html": "<p>Half a thought</p>", "to": "a@b.example"},
    )
    assert response.status_code == 204
    detail = reverse("tickets:ticket_detail", args=["drafts", ticket.pk])
    assert "Half a thought" in signed_in.get(detail).content.decode()
    drafts = signed_in.get(reverse("tickets:view_tickets", args=["drafts"]))
    assert [t.pk for t in drafts.context["page"].tickets] == [ticket.pk]

    teammate = UserFactory(main_team=team_a)
    client.force_login(teammate)
    assert (
        "Half a thought"
        not in client.get(
            reverse("tickets:ticket_detail", args=["all-open", ticket.pk])
        ).content.decode()
    )
    assert not client.get(reverse("tickets:view_tickets", args=["drafts"])).context["page"].tickets


def test_a_malformed_draft_is_refused(signed_in, ticket):
    assert signed_in.post(urls(ticket)["draft_save"], {"kind": "poem"}).status_code == 400


def test_the_sent_view_lists_what_the_agent_replied_to(signed_in, ticket):
    agent_sent = signed_in.post(
        urls(ticket)["reply_send"], {"html": "<p>x</p>", "to": "a@b.example"}, headers=HTMX
    )
    assert agent_sent.status_code == 200
    sent = signed_in.get(reverse("tickets:view_tickets", args=["sent"]))
    assert [t.pk for t in sent.context["page"].tickets] == [ticket.pk]


def test_call_tickets_get_comments_only_after_an_email(signed_in, agent, pipeline, team_a):
    """S25: a ticket from an inbound call shows the Comment tab once an outbound
    email is drafted or sent."""
    call = TicketFactory(pipeline=pipeline, team=team_a, source="phone")
    detail = reverse("tickets:ticket_detail", args=["all-open", call.pk])
    assert 'data-tab="comment"' not in signed_in.get(detail).content.decode()
    assert signed_in.post(urls(call)["comment_add"], {"html": "<p>x</p>"}).status_code == 404
    signed_in.post(urls(call)["draft_save"], {"kind": "reply", "html": "<p>Hello</p>"})
    assert 'data-tab="comment"' in signed_in.get(detail).content.decode()
    response = signed_in.post(urls(call)["comment_add"], {"html": "<p>noted</p>"}, headers=HTMX)
    assert response["HX-Retarget"] == "#detail-pane"
    email_ticket = TicketFactory(pipeline=pipeline, team=team_a, source="email")
    detail = reverse("tickets:ticket_detail", args=["all-open", email_ticket.pk])
    assert 'data-tab="comment"' in signed_in.get(detail).content.decode()


def test_the_first_reply_drafted_on_a_call_ticket_brings_the_comment_tab(
    signed_in, agent, pipeline, team_a
):
    """S25 without a reload: the autosave that opens comments answers with the
    tab list and the comment editor, out of band; later saves answer 204."""
    call = TicketFactory(pipeline=pipeline, team=team_a, source="phone")
    save = urls(call)["draft_save"]
    blank = signed_in.post(save, {"kind": "reply", "html": "<p></p>", "view": "all-open"})
    assert blank.status_code == 204
    first = signed_in.post(
        save, {"kind": "reply", "html": "<p>Hi</p>", "view": "all-open", "seen": "7"}
    )
    assert first.status_code == 200
    body = first.content.decode()
    assert 'id="composer-tablist"' in body and 'data-tab="comment"' in body
    assert body.count('hx-swap-oob="true"') == 2
    assert 'id="composer-comment"' in body and urls(call)["comment_add"] in body
    assert 'name="seen" value="7"' in body and 'name="view" value="all-open"' in body
    again = signed_in.post(save, {"kind": "reply", "html": "<p>Hi again</p>"})
    assert again.status_code == 204
    email_ticket = TicketFactory(pipeline=pipeline, team=team_a, source="email")
    drafted = signed_in.post(
        urls(email_ticket)["draft_save"], {"kind": "reply", "html": "<p>Hi</p>"}
    )
    assert drafted.status_code == 204


def test_a_call_ticket_without_comments_keeps_a_place_for_them(signed_in, pipeline, team_a):
    call = TicketFactory(pipeline=pipeline, team=team_a, source="phone")
    page = signed_in.get(reverse("tickets:ticket_detail", args=["all-open", call.pk]))
    body = page.content.decode()
    assert '<div id="composer-comment" hidden></div>' in body
    assert 'id="composer-tablist"' in body and "hx-swap-oob" not in body


def test_a_long_thread_opens_on_its_latest_messages(signed_in, agent, ticket):
    for n in range(45):
        inbound_message(ticket, text=f"message number {n}")
    detail = signed_in.get(reverse("tickets:ticket_detail", args=["all-open", ticket.pk]))
    body = detail.content.decode()
    assert "message number 44" in body and "message number 14" not in body
    assert "Show earlier messages" in body
    first_shown = Message.objects.filter(ticket=ticket).order_by("id")[15].pk
    earlier = signed_in.get(
        reverse("conversations:earlier_messages", args=[ticket.pk]), {"before": first_shown}
    ).content.decode()
    assert "message number 0" in earlier and "message number 14" in earlier
    assert "message number 15" not in earlier and "Show earlier messages" not in earlier
    assert (
        signed_in.get(
            reverse("conversations:earlier_messages", args=[ticket.pk]), {"before": "x"}
        ).status_code
        == 404
    )


def test_reply_to_an_earlier_message_outside_the_window(signed_in, ticket):
    first = inbound_message(ticket, text="the very first")
    for n in range(40):
        inbound_message(ticket, text=f"later {n}")
    signed_in.post(
        urls(ticket)["reply_send"],
        {"html": "<p>About your first</p>", "to": "a@b.example", "reply_to": first.pk},
        headers=HTMX,
    )
    assert Message.objects.get(direction="outbound").reply_to == first


def test_the_agent_sees_a_reply_that_has_not_left_yet(signed_in, agent, ticket):
    from conversations.models import OutboundEmail

    message = services.reply_send(actor=agent, ticket=ticket, html="<p>x</p>", to=["a@b.example"])
    detail = reverse("tickets:ticket_detail", args=["all-open", ticket.pk])
    OutboundEmail.objects.filter(message=message).update(status="pending")
    assert "Sending" in signed_in.get(detail).content.decode()
    OutboundEmail.objects.filter(message=message).update(last_error="SMTPException")
    assert "Not sent yet, retrying" in signed_in.get(detail).content.decode()
    OutboundEmail.objects.filter(message=message).update(status="sent", last_error="")
    body = signed_in.get(detail).content.decode()
    assert "Not sent yet" not in body and 'class="delivery' not in body


def test_a_failed_reply_shows_and_can_be_sent_again(client, agent, outsider, settings):
    from conversations import services
    from conversations.models import OutboundEmail
    from tests.factories import TicketFactory

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    ticket = TicketFactory()
    message = services.reply_send(actor=agent, ticket=ticket, html="<p>x</p>", to=["a@b.example"])
    OutboundEmail.objects.filter(message=message).update(
        status="failed", last_error="SMTPException"
    )
    client.force_login(agent)
    page = client.get(f"/views/all-open/tickets/{ticket.pk}/").content.decode()
    assert "Not sent" in page and f"/messages/{message.pk}/resend/" in page
    client.force_login(outsider)
    assert client.post(f"/messages/{message.pk}/resend/").status_code == 404
    client.force_login(agent)
    assert client.get(f"/messages/{message.pk}/resend/").status_code == 405
    response = client.post(f"/messages/{message.pk}/resend/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert (
        html.startswith(f'\n<article id="message-{message.pk}"')
        or f'id="message-{message.pk}"' in html
    )
    assert "Not sent" not in html
    assert OutboundEmail.objects.get(message=message).status in {"pending", "sent"}


def test_each_message_shows_its_channel(client, agent):
    from tests.factories import TicketFactory, inbound_message

    ticket = TicketFactory()
    inbound_message(ticket, text="By mail")
    client.force_login(agent)
    html = client.get(f"/views/all-open/tickets/{ticket.pk}/").content.decode()
    assert 'class="message-channel" title="Email"' in html


def test_a_sent_reply_shows_its_quoted_history_folded_and_the_editor_says_so(
    signed_in, agent, ticket
):
    inbound_message(ticket, text="My printer is on fire.")
    services.reply_send(actor=agent, ticket=ticket, html="<p>We are on it.</p>", to=["a@b.example"])
    detail = reverse("tickets:ticket_detail", args=["all-open", ticket.pk])
    body = signed_in.get(detail).content.decode()
    folded = body.split('<details class="message-quoted">')
    # The customer's own message, then its copy in our reply's folded history.
    assert len(folded) == 2 and "My printer is on fire." in folded[1].split("</details>")[0]
    assert "wrote:" in folded[1].split("</details>")[0]
    assert "quoted below your reply" in body
