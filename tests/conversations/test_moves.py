"""Reshaping tickets (S11, S14): split, merge, moving a conversation to another
inbox, and the followers told of what happens on a ticket."""

import datetime

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from channels_inbound.ingest import inbound_process
from channels_inbound.models import InboundItem
from channels_inbound.store import inbound_store
from conversations import moves, services
from conversations.models import Attachment, Channel, Inbox, Message, Notification, Thread
from conversations.services import InboundFile, help_desk_inbox
from tests.channels_inbound.mail import mail
from tests.factories import (
    CompanyFactory,
    ContactFactory,
    EmailAddressFactory,
    EmailChannelFactory,
    TeamFactory,
    TicketFactory,
    UserFactory,
)
from tickets import services as ticket_services
from tickets.models import Follower, Ticket, TicketEvent, TicketSettings


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    """Stored files land in a directory of this test's own."""
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def ana(db):
    return ContactFactory(first_name="Ana", last_name="Virtanen", email="ana@acme.example")


def receive(ticket, contact, text, *, files=0, thread=None, message_id=""):
    """A customer's email stored as ingestion stores it, with `files` files, in
    the ticket's first email conversation unless told another."""
    thread = thread or ticket.threads.filter(channel=Channel.EMAIL).order_by("id").first()
    return services.message_receive(
        ticket=ticket,
        thread=thread,
        channel=thread.channel if thread else Channel.EMAIL,
        contact=contact,
        from_name=contact.display_name,
        from_email=contact.email,
        to=["support@helpdesk.example"],
        cc=[],
        subject=ticket.name,
        html="",
        text=text,
        message_id=message_id,
        files=[
            InboundFile(filename=f"file{n}.pdf", content_type="application/pdf", data=b"%PDF")
            for n in range(files)
        ],
    )


def counts(*tickets):
    """(messages, attachments) on these tickets together."""
    ids = [t.pk for t in tickets]
    return (
        Message.objects.filter(ticket__in=ids).count(),
        Attachment.objects.filter(ticket__in=ids).count(),
    )


def first_stage(pipeline):
    return pipeline.stages.get(name="New")


def followers(ticket):
    return set(Follower.objects.filter(ticket=ticket).values_list("user_id", flat=True))


# Split -------------------------------------------------------------------------------


@pytest.fixture
def printer(pipeline, team_a, agent, ana):
    """An email ticket with three customer messages, two of them with files."""
    ticket = TicketFactory(
        pipeline=pipeline,
        team=team_a,
        owner=agent,
        priority="high",
        name="Printer on fire",
        contacts=[ana],
    )
    receive(ticket, ana, "The printer is on fire.")
    receive(ticket, ana, "Also, my invoice is wrong.", files=1)
    receive(ticket, ana, "Here is the invoice again.", files=2)
    return ticket


def test_a_split_moves_the_chosen_messages_and_their_files_to_a_linked_ticket(
    agent, team_agent, pipeline, printer, ana
):
    ticket_services.ticket_follow(user=team_agent, ticket=printer)
    first, second, third = printer.messages.order_by("id")
    thread = first.thread
    before = counts(printer)
    assert before == (3, 3)

    new = moves.ticket_split(
        actor=agent,
        ticket=printer,
        message_ids=[second.pk, third.pk],
        name="  Invoice   is wrong ",
        stage=first_stage(pipeline),
    )

    assert new.name == "Invoice is wrong"
    assert set(new.messages.all()) == {second, third}
    assert list(printer.messages.all()) == [first]
    assert set(new.attachments.values_list("message", flat=True)) == {second.pk, third.pk}
    assert new.attachments.count() == 3 and not printer.attachments.exists()
    assert counts(printer, new) == before
    # The conversation was chosen in part: the moved messages get one of their own.
    moved_thread = Message.objects.get(pk=second.pk).thread
    assert moved_thread.ticket == new and moved_thread != thread
    assert Message.objects.get(pk=third.pk).thread == moved_thread
    assert moved_thread.reply_token != thread.reply_token
    assert Thread.objects.get(pk=thread.pk).ticket == printer
    # What the new ticket takes from the old one.
    assert (new.owner, new.team, new.priority) == (agent, printer.team, "high")
    assert list(new.contacts.all()) == [ana]
    assert team_agent.pk in followers(new)
    # Linked, and both timelines say so.
    assert list(printer.linked_tickets.all()) == [new]
    assert list(new.linked_tickets.all()) == [printer]
    assert printer.events.filter(
        kind=TicketEvent.Kind.SPLIT, field="to", old_value="2", new_value=f"#{new.pk}", actor=agent
    ).exists()
    assert new.events.filter(
        kind=TicketEvent.Kind.SPLIT,
        field="from",
        old_value="2",
        new_value=f"#{printer.pk}",
        actor=agent,
    ).exists()
    assert printer.events.filter(kind=TicketEvent.Kind.LINKED, new_value=f"#{new.pk}").exists()
    assert new.events.filter(kind=TicketEvent.Kind.LINKED, new_value=f"#{printer.pk}").exists()
    # Each list row shows its own latest message.
    printer.refresh_from_db()
    new.refresh_from_db()
    assert printer.preview == "The printer is on fire."
    assert new.preview == "Here is the invoice again."


def test_a_whole_conversation_chosen_moves_with_its_reply_address(agent, pipeline, printer, ana):
    other = Thread.objects.create(ticket=printer, inbox=help_desk_inbox(), channel=Channel.EMAIL)
    one = receive(printer, ana, "A second conversation", thread=other, files=1)
    two = receive(printer, ana, "More in it", thread=other)
    token = other.reply_token
    threads_before = Thread.objects.count()
    before = counts(printer)

    new = moves.ticket_split(
        actor=agent,
        ticket=printer,
        message_ids=[one.pk, two.pk],
        name="Second matter",
        stage=first_stage(pipeline),
    )

    other.refresh_from_db()
    assert other.ticket == new and other.reply_token == token
    assert Thread.objects.count() == threads_before
    assert set(new.messages.all()) == {one, two}
    assert {m.thread_id for m in new.messages.all()} == {other.pk}
    assert counts(printer, new) == before
    assert printer.messages.count() == 3


def test_splitting_off_every_message_is_refused(agent, pipeline, printer):
    ids = list(printer.messages.values_list("pk", flat=True))
    with pytest.raises(ValidationError, match="Leave at least one message"):
        moves.ticket_split(
            actor=agent, ticket=printer, message_ids=ids, name="All", stage=first_stage(pipeline)
        )
    assert Ticket.objects.count() == 1
    assert printer.messages.count() == 3 and printer.attachments.count() == 3


def test_a_split_of_nothing_or_of_another_tickets_messages_is_refused(
    agent, pipeline, printer, ana
):
    elsewhere = receive(TicketFactory(pipeline=pipeline), ana, "Unrelated")
    mine = printer.messages.first()
    for ids, reason in [
        ([], "Choose at least one message"),
        ([mine.pk, elsewhere.pk], "no longer on this ticket"),
    ]:
        with pytest.raises(ValidationError, match=reason):
            moves.ticket_split(
                actor=agent, ticket=printer, message_ids=ids, name="x", stage=first_stage(pipeline)
            )
    with pytest.raises(ValidationError, match="Give the new ticket a name"):
        moves.ticket_split(
            actor=agent,
            ticket=printer,
            message_ids=[mine.pk],
            name="   ",
            stage=first_stage(pipeline),
        )
    assert Ticket.objects.count() == 2
    assert elsewhere.ticket.messages.count() == 1


@pytest.fixture
def chat(printer):
    """A chat conversation of two messages on the ticket."""
    thread = Thread.objects.create(
        ticket=printer, inbox=help_desk_inbox(), channel=Channel.CHAT, visitor_key="widget:v1"
    )
    return [
        Message.objects.create(thread=thread, ticket=printer, direction="inbound", text=text)
        for text in ("Hi, anyone there?", "Hello?")
    ]


def test_a_chat_conversation_chosen_in_part_is_refused(agent, pipeline, printer, chat):
    with pytest.raises(ValidationError, match="moves as a whole"):
        moves.ticket_split(
            actor=agent,
            ticket=printer,
            message_ids=[chat[0].pk],
            name="Chat",
            stage=first_stage(pipeline),
        )
    assert Ticket.objects.count() == 1
    assert printer.messages.count() == 5


def test_a_chat_conversation_chosen_whole_moves(agent, pipeline, printer, chat):
    new = moves.ticket_split(
        actor=agent,
        ticket=printer,
        message_ids=[m.pk for m in chat],
        name="Chat",
        stage=first_stage(pipeline),
    )
    thread = chat[0].thread
    thread.refresh_from_db()
    assert thread.ticket == new and thread.visitor_key == "widget:v1"
    assert set(new.messages.all()) == set(chat)


def test_the_split_dialog_splits_the_chosen_messages(client, agent, pipeline, printer, htmx):
    client.force_login(agent)
    url = reverse("conversations:ticket_split", args=[printer.pk])
    assert client.get(url).status_code == 200
    first, second, third = printer.messages.order_by("id")
    response = client.post(
        url,
        {
            "messages": [second.pk, third.pk],
            "name": "Invoice",
            "stage": first_stage(pipeline).pk,
            "view": "all",
        },
        headers=htmx(),
    )
    assert response.status_code == 204, response.content.decode()[:500]
    new = Ticket.objects.exclude(pk=printer.pk).get()
    assert response["HX-Location"] == reverse("tickets:ticket_detail", args=["all", new.pk])
    assert list(new.messages.all()) == [second, third]
    assert list(printer.messages.all()) == [first]


# Merge ---------------------------------------------------------------------------------


def test_a_ticket_cannot_be_merged_into_itself(agent, printer):
    with pytest.raises(ValidationError, match="cannot be merged into itself"):
        moves.ticket_merge(actor=agent, ticket=printer, into=printer)
    printer.refresh_from_db()
    assert printer.merged_into is None and printer.is_open


def test_merging_into_a_deleted_ticket_asks_to_restore_it(agent, pipeline, printer):
    gone = TicketFactory(pipeline=pipeline)
    ticket_services.ticket_delete(actor=agent, ticket=gone)
    with pytest.raises(ValidationError, match="Restore it before merging into it"):
        moves.ticket_merge(actor=agent, ticket=printer, into=gone)
    printer.refresh_from_db()
    assert printer.merged_into is None and printer.messages.count() == 3


def test_a_merged_ticket_cannot_be_merged_again_nor_merged_into(agent, pipeline, printer):
    primary = TicketFactory(pipeline=pipeline)
    third = TicketFactory(pipeline=pipeline)
    moves.ticket_merge(actor=agent, ticket=printer, into=primary)
    with pytest.raises(ValidationError, match=f"already merged into #{primary.pk}"):
        moves.ticket_merge(actor=agent, ticket=printer, into=third)
    with pytest.raises(ValidationError, match="merge into that one instead"):
        moves.ticket_merge(actor=agent, ticket=third, into=printer)
    printer.refresh_from_db()
    third.refresh_from_db()
    assert printer.merged_into == primary
    assert third.merged_into is None and third.is_open


def test_a_merge_moves_everything_to_the_primary_and_closes_the_other(
    agent, team_agent, super_admin, pipeline, team_a, printer, ana
):
    """`printer` (three messages, three files) merges into `primary`."""
    acme = CompanyFactory(name="Acme")
    printer.companies.add(acme)
    ticket_services.ticket_follow(user=team_agent, ticket=printer)
    bo = ContactFactory(first_name="Bo", email="bo@other.example")
    initech = CompanyFactory(name="Initech")
    primary = TicketFactory(
        pipeline=pipeline,
        team=team_a,
        owner=super_admin,
        name="Printer broken",
        contacts=[bo],
        companies=[initech],
    )
    with time_machine.travel(timezone.now() - datetime.timedelta(hours=1), tick=False):
        receive(primary, bo, "My printer is broken too.", files=1)
    printer_threads = set(printer.threads.values_list("pk", flat=True))
    before = counts(printer, primary)
    assert before == (4, 4)

    assert moves.ticket_merge(actor=agent, ticket=printer, into=primary) == primary

    assert counts(primary) == before
    assert counts(printer) == (0, 0)
    assert printer_threads <= set(primary.threads.values_list("pk", flat=True))
    assert not printer.threads.exists()
    assert set(primary.contacts.all()) == {ana, bo}
    assert set(primary.companies.all()) == {acme, initech}
    assert followers(primary) >= {team_agent.pk, agent.pk, super_admin.pk}
    assert followers(printer) == set()
    printer.refresh_from_db()
    assert printer.merged_into == primary
    assert not printer.is_open and printer.stage.is_closed and printer.closed_at is not None
    assert printer.events.filter(
        kind=TicketEvent.Kind.MERGED, field="into", new_value=f"#{primary.pk}", actor=agent
    ).exists()
    assert primary.events.filter(
        kind=TicketEvent.Kind.MERGED,
        field="from",
        old_value="Printer on fire",
        new_value=f"#{printer.pk}",
        actor=agent,
    ).exists()
    primary.refresh_from_db()
    assert primary.is_open and primary.merged_into is None
    # The list shows the latest message, now one that moved, and the first contact.
    latest = Message.objects.filter(ticket=primary).latest("created_at", "id")
    assert latest.text == "Here is the invoice again."
    assert (primary.preview, primary.last_activity_at) == (latest.text, latest.created_at)
    assert primary.contact_name == "Ana Virtanen"  # the earliest contact, now Ana


def test_the_merged_tickets_description_becomes_an_internal_comment(agent, pipeline, printer):
    ticket_services.ticket_update(
        actor=agent, ticket=printer, description="The printer is on fire.\nSend <help>!"
    )
    primary = TicketFactory(pipeline=pipeline, description="Its own description")
    before = counts(printer, primary)
    moves.ticket_merge(actor=agent, ticket=printer, into=primary)
    comment = primary.messages.get(kind=Message.Kind.COMMENT)
    assert comment.author == agent and comment.direction == Message.Direction.OUTBOUND
    assert f"Description of #{printer.pk}" in comment.text
    assert "The printer is on fire." in comment.text and "Send <help>!" in comment.text
    assert "&lt;help&gt;" in comment.html and "<help>" not in comment.html
    # Only the comment is new: every other message is one that moved.
    assert counts(primary) == (before[0] + 1, before[1])


@pytest.fixture
def channel(db, pipeline, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    address = EmailAddressFactory(email="support@helpdesk.example", display_name="Support")
    return EmailChannelFactory(address=address, pipeline=pipeline, team=TeamFactory(name="Desk"))


def deliver(raw: bytes) -> InboundItem:
    item, _created = inbound_store(source=InboundItem.Source.PIPE, payload=raw)
    inbound_process(item.pk)
    item.refresh_from_db()
    return item


def test_later_replies_to_a_merged_ticket_join_the_primary(channel, agent):
    original = deliver(
        mail(
            sender="Ana <ana@acme.example>", subject="Refund", message_id="<refund-1@acme.example>"
        )
    )
    merged = original.ticket
    primary = deliver(mail(sender="Ana <ana@acme.example>", subject="Refund, again")).ticket
    assert merged != primary
    moves.ticket_merge(actor=agent, ticket=merged, into=primary)

    reply = deliver(
        mail(
            sender="Ana <ana@acme.example>",
            subject="Re: Refund",
            in_reply_to="<refund-1@acme.example>",
            references="<refund-1@acme.example>",
        )
    )
    assert reply.ticket == primary, reply.disposition
    assert reply.message.joined_by == Message.JoinedBy.IN_REPLY_TO

    by_number = deliver(mail(sender="ana@acme.example", subject=f"About [#{merged.pk}]"))
    assert by_number.ticket == primary, by_number.disposition
    assert by_number.message.joined_by == Message.JoinedBy.SUBJECT_NUMBER

    # A stranger who names the merged ticket's number gets a ticket of their own.
    stranger = deliver(mail(sender="eve@evil.example", subject=f"About [#{merged.pk}]"))
    assert stranger.ticket not in (primary, merged)
    assert not Message.objects.filter(ticket=merged).exists()
    assert primary.messages.count() == 4


def test_tickets_merged_into_a_ticket_that_is_merged_later_point_to_the_survivor(agent, pipeline):
    first, second, third = (TicketFactory(pipeline=pipeline) for _ in range(3))
    moves.ticket_merge(actor=agent, ticket=first, into=second)
    moves.ticket_merge(actor=agent, ticket=second, into=third)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.merged_into, second.merged_into) == (third, third)


def test_purging_a_primary_removes_the_raw_mail_of_messages_merged_into_it(channel, agent):
    merged = deliver(mail(sender="Ana <ana@acme.example>", subject="Refund")).ticket
    primary_item = deliver(mail(sender="Ana <ana@acme.example>", subject="Refund again"))
    primary = primary_item.ticket
    moves.ticket_merge(actor=agent, ticket=merged, into=primary)
    assert Message.objects.filter(ticket=primary, direction="inbound").count() == 2
    ticket_services.ticket_delete(actor=agent, ticket=primary)
    Ticket.objects.filter(pk=primary.pk).update(
        deleted_at=timezone.now() - datetime.timedelta(days=365)
    )
    assert ticket_services.tickets_purge_deleted() == 1
    assert not Message.objects.filter(ticket_id=primary.pk).exists()
    # Both customer emails were on the purged ticket: no raw copy may stay.
    assert list(InboundItem.objects.values_list("ticket_id", "message_id")) == []


def test_the_merge_dialog_merges_the_other_ticket_into_this_one(
    client, agent, pipeline, printer, htmx
):
    other = TicketFactory(pipeline=pipeline, name="Duplicate")
    client.force_login(agent)
    url = reverse("conversations:ticket_merge", args=[printer.pk])
    found = client.get(url, {"q": f"#{other.pk}"})
    assert found.status_code == 200 and "Duplicate" in found.content.decode()
    itself = client.post(url, {"other": printer.pk, "primary": "this"}, headers=htmx())
    assert itself.status_code == 200
    assert "cannot be merged into itself" in itself.content.decode()
    response = client.post(
        url, {"other": other.pk, "primary": "this", "view": "all"}, headers=htmx()
    )
    assert response.status_code == 204
    assert response["HX-Location"] == reverse("tickets:ticket_detail", args=["all", printer.pk])
    other.refresh_from_db()
    assert other.merged_into == printer


def test_merge_suggestions_leave_out_merged_and_invisible_tickets(
    agent, team_agent, pipeline, team_a, team_b, printer
):
    from tickets import queries

    merged = TicketFactory(pipeline=pipeline, team=team_a, name="Printer duplicate")
    moves.ticket_merge(actor=agent, ticket=merged, into=printer)
    hidden = TicketFactory(pipeline=pipeline, team=team_b, name="Printer elsewhere")
    open_one = TicketFactory(pipeline=pipeline, team=team_a, name="Printer again")
    found = queries.ticket_suggestions(team_agent, "printer", exclude=printer)
    assert found == [open_one]
    assert queries.ticket_suggestions(agent, f"#{hidden.pk}", exclude=printer) == [hidden]
    assert queries.ticket_suggestions(agent, "", exclude=printer) == []


# Followers are told ----------------------------------------------------------------------


@pytest.fixture
def followed(pipeline, team_a, agent, team_agent, owned_agent):
    """A team A ticket followed by `agent`, `team_agent`, and `owned_agent`,
    who sees only tickets they own and so cannot see this one."""
    ticket = TicketFactory(pipeline=pipeline, team=team_a, name="Followed")
    for user in (agent, team_agent, owned_agent):
        ticket_services.ticket_follow(user=user, ticket=ticket)
    return ticket


def told(kind=None):
    notifications = Notification.objects.all()
    if kind:
        notifications = notifications.filter(kind=kind)
    return sorted((n.user.username, n.kind) for n in notifications)


def test_followers_who_can_see_the_ticket_hear_of_a_customer_message(followed, ana):
    message = receive(followed, ana, "Any news?")
    assert told() == [("agent", "customer_message"), ("team_agent", "customer_message")]
    notification = Notification.objects.get(user__username="team_agent")
    assert (notification.ticket, notification.message, notification.actor) == (
        followed,
        message,
        None,
    )


def test_nobody_hears_of_a_message_on_a_spam_ticket(agent, followed, ana):
    ticket_services.ticket_mark_spam(actor=agent, ticket=followed)
    receive(followed, ana, "Buy now")
    assert told() == []


def test_a_status_change_is_told_to_the_other_followers_not_its_author(agent, pipeline, followed):
    waiting = pipeline.stages.get(name="Waiting on contact")
    ticket_services.ticket_set_stage(actor=agent, ticket=followed, stage=waiting)
    assert told() == [("team_agent", "status")]
    notification = Notification.objects.get()
    assert (notification.actor, notification.detail) == (agent, "Waiting on contact")


def test_a_status_set_by_automation_notifies_nobody(pipeline, followed):
    waiting = pipeline.stages.get(name="Waiting on contact")
    ticket_services.ticket_set_stage(actor=None, ticket=followed, stage=waiting)
    assert told() == []


def test_an_owner_change_is_told_to_the_other_followers(agent, team_agent, super_admin, followed):
    ticket_services.ticket_update(actor=team_agent, ticket=followed, owner=super_admin)
    owner_told = told("owner")
    assert ("agent", "owner") in owner_told
    assert ("team_agent", "owner") not in owner_told
    assert ("owned_agent", "owner") not in owner_told
    notification = Notification.objects.get(user=agent)
    assert (notification.actor, notification.detail) == (team_agent, super_admin.display_name)
    # A priority change is no owner change: nobody hears of it.
    Notification.objects.all().delete()
    ticket_services.ticket_update(actor=team_agent, ticket=followed, priority="high")
    assert told() == []


def mention(user):
    return f'<span data-mention="{user.pk}">@{user.display_name}</span>'


def test_a_comment_is_told_to_followers_and_a_mentioned_follower_hears_only_the_mention(
    agent, team_agent, super_admin, followed
):
    ticket_services.ticket_follow(user=super_admin, ticket=followed)
    message = services.comment_add(
        actor=agent, ticket=followed, html=f"<p>{mention(team_agent)} please call them</p>"
    )
    assert told() == [("root", "comment"), ("team_agent", "mention")]
    assert all(n.message == message for n in Notification.objects.all())


def test_mentioned_teammates_start_following_when_the_setting_is_on(
    agent, team_agent, outsider, pipeline, team_a
):
    ticket = TicketFactory(pipeline=pipeline, team=team_a)
    services.comment_add(
        actor=agent, ticket=ticket, html=f"<p>{mention(team_agent)} {mention(outsider)}</p>"
    )
    # The outsider cannot see the ticket: not told, not following.
    assert followers(ticket) == {team_agent.pk}
    # Following now, they hear of the next comment.
    services.comment_add(actor=agent, ticket=ticket, html="<p>Update</p>")
    assert told("comment") == [("team_agent", "comment")]


def test_mentioned_teammates_do_not_follow_when_the_setting_is_off(
    agent, team_agent, pipeline, team_a
):
    TicketSettings.objects.create(mentioned_follow=False)
    ticket = TicketFactory(pipeline=pipeline, team=team_a)
    services.comment_add(actor=agent, ticket=ticket, html=f"<p>{mention(team_agent)}</p>")
    assert told() == [("team_agent", "mention")]
    assert followers(ticket) == set()


# Moving a conversation to another inbox ---------------------------------------------------


@pytest.fixture
def sales_inbox(db):
    return Inbox.objects.create(name="Sales")


@pytest.fixture
def account_user(team_a):
    return UserFactory(username="accounts", main_team=team_a, has_account_access=True)


def test_a_plain_agent_cannot_move_a_conversation(agent, printer, sales_inbox):
    thread = printer.threads.get()
    assert not moves.may_move_conversations(agent)
    with pytest.raises(PermissionDenied):
        moves.conversation_move(actor=agent, thread=thread, inbox=sales_inbox)
    thread.refresh_from_db()
    assert thread.inbox.is_help_desk
    assert not printer.events.filter(kind=TicketEvent.Kind.CONVERSATION_MOVED).exists()


def test_account_access_moves_a_conversation_with_a_new_owner_and_a_comment(
    account_user, team_agent, printer, sales_inbox
):
    thread = printer.threads.get()
    moved = moves.conversation_move(
        actor=account_user,
        thread=thread,
        inbox=sales_inbox,
        owner=team_agent,
        comment="Sales handles refunds.\nThanks!",
    )
    assert moved.inbox == sales_inbox
    thread.refresh_from_db()
    assert thread.inbox == sales_inbox
    event = printer.events.get(kind=TicketEvent.Kind.CONVERSATION_MOVED)
    assert (event.actor, event.field, event.old_value, event.new_value) == (
        account_user,
        "inbox",
        "Help desk",
        "Sales",
    )
    printer.refresh_from_db()
    assert printer.owner == team_agent
    assert printer.events.filter(field="owner", actor=account_user).exists()
    comment = printer.messages.get(kind=Message.Kind.COMMENT)
    assert comment.author == account_user
    assert "Sales handles refunds." in comment.text and "Thanks!" in comment.text
    # The ticket stays in the help desk.
    assert printer.messages.filter(kind=Message.Kind.MESSAGE).count() == 3


def test_a_move_without_owner_or_comment_changes_only_the_inbox(
    super_admin, agent, printer, sales_inbox
):
    moves.conversation_move(actor=super_admin, thread=printer.threads.get(), inbox=sales_inbox)
    printer.refresh_from_db()
    assert printer.owner == agent
    assert not printer.messages.filter(kind=Message.Kind.COMMENT).exists()
    with pytest.raises(ValidationError, match="already in this inbox"):
        moves.conversation_move(actor=super_admin, thread=printer.threads.get(), inbox=sales_inbox)


def test_a_second_concurrent_move_to_the_same_inbox_is_refused(
    account_user, super_admin, printer, sales_inbox
):
    # Both loaded the dialog while the conversation was in the help desk.
    seen_by_one = printer.threads.get()
    seen_by_other = Thread.objects.get(pk=seen_by_one.pk)
    moves.conversation_move(actor=account_user, thread=seen_by_one, inbox=sales_inbox)
    with pytest.raises(ValidationError, match="already in this inbox"):
        moves.conversation_move(actor=super_admin, thread=seen_by_other, inbox=sales_inbox)
    assert printer.events.filter(kind=TicketEvent.Kind.CONVERSATION_MOVED).count() == 1


def test_a_conversation_in_another_inbox_is_not_answered_from_the_help_desk(
    account_user, agent, printer, sales_inbox
):
    thread = moves.conversation_move(
        actor=account_user, thread=printer.threads.get(), inbox=sales_inbox
    )
    with pytest.raises(ValidationError, match="Move it back to the help desk"):
        services.reply_send(
            actor=agent, ticket=printer, html="<p>On it</p>", to=["ana@acme.example"]
        )
    assert not printer.messages.filter(direction=Message.Direction.OUTBOUND).exists()

    moves.conversation_move(actor=account_user, thread=thread, inbox=help_desk_inbox())
    reply = services.reply_send(
        actor=agent, ticket=printer, html="<p>On it</p>", to=["ana@acme.example"]
    )
    assert reply.thread == thread and reply.direction == Message.Direction.OUTBOUND
    assert list(
        printer.events.filter(kind=TicketEvent.Kind.CONVERSATION_MOVED)
        .order_by("id")
        .values_list("old_value", "new_value")
    ) == [("Help desk", "Sales"), ("Sales", "Help desk")]


def test_the_inbox_dialog_is_for_account_access_only(
    client, agent, account_user, team_agent, printer, sales_inbox, htmx
):
    url = reverse("conversations:conversation_move", args=[printer.pk])
    client.force_login(agent)
    assert client.get(url).status_code == 403
    assert client.post(url, {"inbox": sales_inbox.pk}).status_code == 403
    assert printer.threads.get().inbox.is_help_desk

    client.force_login(account_user)
    assert client.get(url).status_code == 200
    thread = printer.threads.get()
    response = client.post(
        url,
        {
            "thread": thread.pk,
            "inbox": sales_inbox.pk,
            "owner": team_agent.pk,
            "comment": "Over to sales",
            "view": "all",
        },
        headers=htmx(),
    )
    assert response.status_code == 204
    thread.refresh_from_db()
    printer.refresh_from_db()
    assert (thread.inbox, printer.owner) == (sales_inbox, team_agent)


def test_a_conversation_of_a_deleted_ticket_does_not_move(
    account_user, agent, printer, sales_inbox
):
    thread = printer.threads.get()
    ticket_services.ticket_delete(actor=agent, ticket=printer)
    with pytest.raises(ValidationError, match="deleted"):
        moves.conversation_move(actor=account_user, thread=thread, inbox=sales_inbox)
    thread.refresh_from_db()
    assert thread.inbox.is_help_desk
    assert Ticket.objects.filter(pk=printer.pk, deleted_at__isnull=False).exists()
