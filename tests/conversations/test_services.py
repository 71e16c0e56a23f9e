import email
from email import policy

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from conversations import outbox, services
from conversations.models import Draft, Message, OutboundEmail
from tests.factories import EmailAddressFactory, TicketFactory, UserFactory, inbound_message


@pytest.fixture
def address(db):
    return EmailAddressFactory(email="support0@helpdesk.example", display_name="Support")


@pytest.fixture
def ticket(pipeline, address):
    return TicketFactory(pipeline=pipeline, name="Printer on fire")


@pytest.fixture
def send(agent, ticket, django_capture_on_commit_callbacks):
    """reply_send with its after-commit task run, as a worker would."""

    def send(**kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return services.reply_send(
                actor=kwargs.pop("actor", agent), ticket=kwargs.pop("ticket", ticket), **kwargs
            )

    return send


def test_a_reply_is_stored_sent_and_threads_to_the_latest_message(send, ticket, address):
    inbound = inbound_message(ticket)
    message = send(html="<p>We are <b>on it</b>.</p>", to=[inbound.from_email])
    assert (message.direction, message.kind, message.reply_to) == ("outbound", "message", inbound)
    message.outbound.refresh_from_db()
    assert message.outbound.status == OutboundEmail.Status.SENT
    [sent] = mail.outbox
    assert sent.extra_headers["Message-ID"] == message.message_id
    assert sent.extra_headers["In-Reply-To"] == inbound.message_id
    assert sent.extra_headers["References"] == inbound.message_id
    assert sent.subject == "Re: Printer on fire"
    assert sent.message()["From"] == "Support <support0@helpdesk.example>"  # written to
    assert sent.to == [inbound.from_email]
    assert "We are on it." in sent.body
    assert "<b>on it</b>" in sent.alternatives[0][0]
    ticket.refresh_from_db()
    assert ticket.preview == "We are on it."


def test_reply_to_a_chosen_message_follows_its_headers(send, ticket):
    first = inbound_message(ticket, text="first")
    inbound_message(ticket, text="second")
    message = send(html="<p>About your first mail</p>", to=["a@b.example"], reply_to=first)
    assert message.in_reply_to == first.message_id
    assert mail.outbox[0].extra_headers["In-Reply-To"] == first.message_id


def test_a_reply_may_go_to_cc_or_bcc_only(send):
    message = send(html="<p>FYI</p>", to=[], bcc=["boss@customer.example"])
    assert mail.outbox[0].bcc == ["boss@customer.example"]
    assert message.to == []


def test_a_reply_needs_a_recipient_and_words(send):
    with pytest.raises(ValidationError) as error:
        send(html="<p>Hi</p>", to=[])
    assert "to" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        send(html="<p> </p><script>alert(1)</script>", to=["a@b.example"])
    assert "html" in error.value.message_dict
    assert not Message.objects.exists() and not mail.outbox


def test_reply_html_is_sanitised_before_it_is_stored_or_sent(send):
    message = send(
        html='<p onclick="x()">Hi<script>alert(1)</script><a href="javascript:x()">a</a></p>',
        to=["a@b.example"],
    )
    for bad in ("onclick", "<script", "javascript:"):
        assert bad not in message.html
        assert bad not in mail.outbox[0].alternatives[0][0]


def test_header_injection_through_the_subject_is_impossible(send, ticket):
    ticket.name = "Help\r\nBcc: thief@evil.example"
    ticket.save()
    send(html="<p>Hi</p>", to=["customer@example.com"])
    raw = mail.outbox[0].message().as_bytes()
    parsed = email.message_from_bytes(raw, policy=policy.default)
    assert parsed["Bcc"] is None
    assert "thief@evil.example" not in parsed.get_all("To", [])
    assert mail.outbox[0].recipients() == ["customer@example.com"]


def test_korean_subject_and_name_round_trip_exactly(send, ticket, address):
    ticket.name = "결제가 두 번 청구되었습니다"
    ticket.save()
    address.display_name = "고객 지원"
    address.save()
    send(html="<p>확인했습니다.</p>", to=["지우@example.com"], from_address=address)
    parsed = email.message_from_bytes(mail.outbox[0].message().as_bytes(), policy=policy.default)
    # A long encoded subject is folded onto a continuation line; the folding space
    # is not part of the value (RFC 5322 2.2.3), and clients drop it.
    assert str(parsed["Subject"]).strip() == "Re: 결제가 두 번 청구되었습니다"
    assert parsed["From"].addresses[0].display_name == "고객 지원"


def test_sending_is_blocked_when_someone_else_wrote_meanwhile(send, agent, ticket):
    seen = inbound_message(ticket).pk
    services.comment_add(actor=agent, ticket=ticket, html="<p>my own note</p>")
    send(html="<p>one</p>", to=["a@b.example"], seen_message_id=seen)  # own comment: fine
    teammate = UserFactory()
    services.comment_add(actor=teammate, ticket=ticket, html="<p>I already answered!</p>")
    with pytest.raises(services.Collision) as collision:
        send(html="<p>two</p>", to=["a@b.example"], seen_message_id=seen)
    assert [m.text for m in collision.value.messages] == ["I already answered!"]
    assert len(mail.outbox) == 1
    # Having seen it, the agent can send.
    newest = Message.objects.order_by("-pk").first().pk
    send(html="<p>two</p>", to=["a@b.example"], seen_message_id=newest)
    assert len(mail.outbox) == 2


def test_comments_are_never_sent(agent, ticket, django_capture_on_commit_callbacks):
    inbound_message(ticket)
    with django_capture_on_commit_callbacks(execute=True):
        comment = services.comment_add(actor=agent, ticket=ticket, html="<p>internal</p>")
    assert comment.is_comment
    assert not mail.outbox and not OutboundEmail.objects.exists()
    ticket.refresh_from_db()
    assert ticket.preview != "internal"  # the list never shows internal notes


def test_send_and_set_status_wins_over_the_automation(send, pipeline, ticket):
    """S21: 'when an agent emails the customer, set Waiting on contact' must not
    revert the status the agent chose in the same action."""
    waiting = pipeline.stages.get(name="Waiting on contact")
    closed = pipeline.stages.get(name="Closed")
    pipeline.stage_on_agent_reply = waiting
    pipeline.save()

    send(html="<p>a</p>", to=["a@b.example"])
    ticket.refresh_from_db()
    assert ticket.stage == waiting  # the automation

    send(
        html="<p>b</p>",
        to=["a@b.example"],
        stage=closed,
        stage_values={"category": "billing_issue"},
    )
    ticket.refresh_from_db()
    assert (ticket.stage, ticket.category) == (closed, "billing_issue")


def test_sending_removes_the_reply_draft_only(send, agent, ticket):
    services.draft_save(user=agent, ticket=ticket, kind="reply", html="<p>x</p>", to="a@b.example")
    services.draft_save(user=agent, ticket=ticket, kind="comment", html="<p>note</p>")
    send(html="<p>x</p>", to=["a@b.example"])
    assert list(Draft.objects.values_list("kind", flat=True)) == ["comment"]


def test_an_autosave_arriving_after_its_text_was_sent_is_dropped(send, agent, ticket):
    """The editor's last autosave can reach the server after the send: the
    sent text must not come back as a draft (seen in a browser test under load)."""
    seen = ticket.messages.order_by("-id").values_list("id", flat=True).first() or 0
    send(html="<p>Your refund is on its way.</p>", to=["a@b.example"])
    late = services.draft_save(
        user=agent,
        ticket=ticket,
        kind="reply",
        html="<p>Your refund is on its way.</p>",
        seen_message_id=seen,
    )
    assert late is None and not Draft.objects.exists()
    # A comment draft is not affected by a sent reply, and the new editor saves.
    assert services.draft_save(
        user=agent, ticket=ticket, kind="comment", html="<p>note</p>", seen_message_id=seen
    )
    newest = ticket.messages.order_by("-id").values_list("id", flat=True).first()
    assert services.draft_save(
        user=agent, ticket=ticket, kind="reply", html="<p>More</p>", seen_message_id=newest
    )


def test_an_emptied_editor_removes_its_draft(agent, ticket):
    services.draft_save(user=agent, ticket=ticket, kind="comment", html="<p>note</p>")
    assert services.draft_save(user=agent, ticket=ticket, kind="comment", html="<p></p>") is None
    assert not Draft.objects.exists()


def test_prefilled_recipients_alone_are_not_a_draft(agent, ticket):
    """Opening a ticket fills To; that must not put the ticket in Drafts."""
    assert (
        services.draft_save(
            user=agent, ticket=ticket, kind="reply", html="", to="customer@example.com"
        )
        is None
    )
    assert not Draft.objects.exists()


# The outbox ------------------------------------------------------------------


def test_the_same_outbox_row_is_sent_once_however_often_the_task_runs(agent, ticket):
    message = services.reply_send(actor=agent, ticket=ticket, html="<p>x</p>", to=["a@b.example"])
    outbound = message.outbound
    assert [outbox.outbound_send(outbound.pk) for _ in range(3)] == [True, False, False]
    assert len(mail.outbox) == 1


def test_a_send_claimed_by_a_dead_worker_is_retried_with_the_same_message_id(agent, ticket):
    import datetime

    from django.utils import timezone

    message = services.reply_send(actor=agent, ticket=ticket, html="<p>x</p>", to=["a@b.example"])
    OutboundEmail.objects.filter(pk=message.outbound.pk).update(
        status="sending", claimed_at=timezone.now() - datetime.timedelta(minutes=1)
    )
    assert not outbox.outbound_send(message.outbound.pk)  # still someone else's
    OutboundEmail.objects.filter(pk=message.outbound.pk).update(
        claimed_at=timezone.now() - outbox.CLAIM_TIMEOUT - datetime.timedelta(seconds=1)
    )
    assert outbox.outbound_send(message.outbound.pk)
    assert mail.outbox[0].extra_headers["Message-ID"] == message.message_id


def test_a_failed_send_is_kept_pending_without_its_error_text(agent, ticket, settings):
    settings.EMAIL_BACKEND = "tests.conversations.failing_backend.EmailBackend"
    message = services.reply_send(actor=agent, ticket=ticket, html="<p>x</p>", to=["a@b.example"])
    with pytest.raises(outbox.SendFailed):
        outbox.outbound_send(message.outbound.pk)
    message.outbound.refresh_from_db()
    assert (message.outbound.status, message.outbound.last_error) == ("pending", "SMTPException")
    assert message.outbound.attempts == 1


def test_after_the_last_try_the_reply_is_failed_and_its_author_told(
    agent, ticket, settings, django_capture_on_commit_callbacks
):
    from conversations.models import Notification

    settings.EMAIL_BACKEND = "tests.conversations.failing_backend.EmailBackend"
    message = services.reply_send(actor=agent, ticket=ticket, html="<p>x</p>", to=["a@b.example"])
    for _attempt in range(outbox.MAX_ATTEMPTS - 1):
        with pytest.raises(outbox.SendFailed):
            outbox.outbound_send(message.outbound.pk)
    assert outbox.outbound_send(message.outbound.pk) is False  # given up: no more retries
    message.outbound.refresh_from_db()
    assert message.outbound.status == "failed"
    assert outbox.outbound_requeue_stuck() == 0  # the sweep leaves it alone
    notice = Notification.objects.get(user=agent)
    assert (notice.kind, notice.message_id) == ("send_failed", message.pk)

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with django_capture_on_commit_callbacks(execute=True):
        assert outbox.outbox_retry(message.outbound)
    message.outbound.refresh_from_db()
    assert (message.outbound.status, message.outbound.attempts) == ("sent", 1)
    assert [m.extra_headers["Message-ID"] for m in mail.outbox] == [message.message_id]
    assert not outbox.outbox_retry(message.outbound)  # only a failed reply is resent


def test_replies_ask_for_answers_at_a_plus_address_with_the_thread_token(send, ticket, address):
    inbound = inbound_message(ticket)
    message = send(html="<p>x</p>", to=[inbound.from_email])
    token = message.thread.reply_token
    assert len(token) == 32 and int(token, 16) >= 0  # 128 bits, hex
    assert (
        mail.outbox[0].extra_headers["Reply-To"] == f"Support <support0+{token}@helpdesk.example>"
    )
    other = TicketFactory(pipeline=ticket.pipeline)
    inbound_message(other)
    assert other.threads.get().reply_token != token
    address.plus_addressing = False
    address.save()
    send(html="<p>y</p>", to=[inbound.from_email])
    assert "Reply-To" not in mail.outbox[1].extra_headers


@pytest.mark.django_db(transaction=True)
def test_the_migration_gives_existing_threads_distinct_tokens(pipeline):
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    ticket = TicketFactory(pipeline=pipeline)
    before = [("conversations", "0007_document")]
    after = [("conversations", "0008_thread_reply_token")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old_apps = executor.loader.project_state(before).apps
    Thread, Inbox = (
        old_apps.get_model("conversations", "Thread"),
        old_apps.get_model("conversations", "Inbox"),
    )
    inbox = Inbox.objects.create(name="Old inbox")
    for _n in range(3):
        Thread.objects.create(ticket_id=ticket.pk, inbox=inbox, channel="email")
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(after)
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    from conversations.models import Thread as CurrentThread

    tokens = list(CurrentThread.objects.values_list("reply_token", flat=True))
    assert len(tokens) == 3 and len(set(tokens)) == 3 and all(len(t) == 32 for t in tokens)


def test_every_reply_in_a_thread_keeps_the_address_the_customer_wrote_to(
    send, ticket, address, agent, team_a
):
    """The first reply came from billing@, the next fell back to the team's
    support@ although the customer still writes to billing@."""
    address.default_for_teams.add(team_a)  # the agent's team default: support0@
    billing = EmailAddressFactory(email="billing@helpdesk.example", display_name="Billing")
    inbound = inbound_message(ticket, to=[billing.email])
    first = send(html="<p>On it.</p>", to=[inbound.from_email])
    second = send(html="<p>Done.</p>", to=[inbound.from_email])
    assert second.reply_to == first
    assert [first.from_email, second.from_email] == [billing.email, billing.email]
    other = EmailAddressFactory(email="sales@helpdesk.example")
    changed = send(html="<p>From sales.</p>", to=[inbound.from_email], from_address=other)
    after = send(html="<p>Still sales.</p>", to=[inbound.from_email])
    assert (changed.from_email, after.from_email) == (other.email, other.email)


def test_every_reply_of_a_thread_leaves_from_the_address_the_customer_wrote_to(
    send, ticket, address, agent
):
    """Issue 15: after the first reply the customer writes to billing+token@
    (our Reply-To); the next replies stay on billing@, not the team default."""
    address.default_for_teams.add(agent.main_team)
    billing = EmailAddressFactory(email="billing@helpdesk.example", display_name="Billing")
    first_in = inbound_message(ticket, to=("billing@helpdesk.example",))
    first_out = send(html="<p>One</p>", to=[first_in.from_email])
    assert first_out.from_email == billing.email
    token_address = f"billing+{first_out.thread.reply_token}@helpdesk.example"
    second_in = inbound_message(ticket, to=(token_address,))
    second_out = send(html="<p>Two</p>", to=[second_in.from_email])
    assert second_out.from_email == billing.email
    # Answering our own message keeps its address too.
    third_out = send(html="<p>Three</p>", to=[second_in.from_email], reply_to=second_out)
    assert third_out.from_email == billing.email
