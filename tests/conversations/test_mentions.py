import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import User
from conversations import services
from conversations.models import Notification
from tests.factories import TicketFactory, UserFactory


def mention(user):
    return f'<span data-mention="{user.pk}">@{user.display_name}</span>'


@pytest.fixture
def ticket(pipeline, team_a):
    return TicketFactory(pipeline=pipeline, team=team_a, name="Refund please")


@pytest.fixture
def comment(agent, ticket, django_capture_on_commit_callbacks):
    def comment(html):
        with django_capture_on_commit_callbacks(execute=True):
            return services.comment_add(actor=agent, ticket=ticket, html=html)

    return comment


def test_a_mention_notifies_in_the_app_and_by_email(comment, team_agent, ticket, settings):
    settings.HELPDESK_BASE_URL = "https://help.example.com"
    team_agent.email = "team@example.com"
    team_agent.save()
    message = comment(f"<p>{mention(team_agent)} can you check the refund?</p>")
    notification = Notification.objects.get()
    assert (notification.user, notification.ticket, notification.message) == (
        team_agent,
        ticket,
        message,
    )
    [sent] = mail.outbox
    assert sent.to == ["team@example.com"]
    assert f"#{ticket.pk}" in sent.subject and "mentioned you" in sent.subject
    assert f"https://help.example.com/tickets/{ticket.pk}/#message-{message.pk}" in sent.body
    assert "can you check the refund?" in sent.body
    assert sent.extra_headers["Auto-Submitted"] == "auto-generated"


def test_nobody_is_told_about_a_ticket_they_cannot_see(comment, outsider):
    comment(f"<p>{mention(outsider)} look</p>")
    assert not Notification.objects.exists() and not mail.outbox


def test_mentioning_yourself_or_a_deactivated_user_notifies_nobody(comment, agent):
    gone = UserFactory(is_active=False)
    comment(f"<p>{mention(agent)} {mention(gone)}</p>")
    assert not Notification.objects.exists()


def test_the_notification_email_goes_once(comment, team_agent):
    from conversations.notifications import notification_email_send

    comment(f"<p>{mention(team_agent)}</p>")
    notification = Notification.objects.get()
    assert not notification_email_send(notification.pk)
    assert len(mail.outbox) == 1


def test_a_forged_mention_in_a_reply_or_text_notifies_nobody(agent, ticket, team_agent):
    services.reply_send(
        actor=agent, ticket=ticket, html=f"<p>{mention(team_agent)}</p>", to=["a@b.example"]
    )
    services.comment_add(actor=agent, ticket=ticket, html=f"<p>@{team_agent.username}</p>")
    assert not Notification.objects.exists()


def test_notifications_list_open_and_count(client, comment, team_agent, ticket):
    message = comment(f"<p>{mention(team_agent)} please look</p>")
    client.force_login(team_agent)
    count = client.get(reverse("conversations:notification_count"))
    assert ">1<" in count.content.decode()
    listing = client.get(reverse("conversations:notification_list")).content.decode()
    assert "mentioned you on" in listing and "Refund please" in listing
    notification = Notification.objects.get()
    opened = client.get(reverse("conversations:notification_open", args=[notification.pk]))
    assert opened["Location"] == f"/tickets/{ticket.pk}/#message-{message.pk}"
    notification.refresh_from_db()
    assert notification.read_at is not None
    assert ">1<" not in client.get(reverse("conversations:notification_count")).content.decode()


def test_notifications_disappear_when_the_ticket_leaves_the_users_scope(
    client, comment, team_agent, ticket, team_b
):
    comment(f"<p>{mention(team_agent)}</p>")
    ticket.team = team_b
    ticket.save()
    client.force_login(team_agent)
    assert (
        "mentioned you"
        not in client.get(reverse("conversations:notification_list")).content.decode()
    )
    notification = Notification.objects.get()
    assert (
        client.get(reverse("conversations:notification_open", args=[notification.pk])).status_code
        == 404
    )


def test_someone_elses_notification_is_404(client, comment, team_agent, agent):
    comment(f"<p>{mention(team_agent)}</p>")
    client.force_login(UserFactory(role=User.Role.SUPER_ADMIN))
    notification = Notification.objects.get()
    assert (
        client.get(reverse("conversations:notification_open", args=[notification.pk])).status_code
        == 404
    )


def test_mention_search_offers_only_teammates_who_can_see_the_ticket(
    client, agent, team_agent, outsider, ticket
):
    client.force_login(agent)
    url = reverse("conversations:mention_search", args=[ticket.pk])
    body = client.get(url).content.decode()
    assert team_agent.display_name in body
    assert outsider.display_name not in body and f'data-mention-id="{agent.pk}"' not in body
    client.force_login(outsider)
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 405


def test_mention_search_costs_the_same_with_many_users(
    client, agent, team_a, team_b, ticket, django_assert_max_num_queries
):
    client.force_login(agent)
    url = reverse("conversations:mention_search", args=[ticket.pk])
    UserFactory(main_team=team_a, first_name="Bliss")
    with CaptureQueriesContext(connection) as few:
        client.get(url, {"q": "Bli"})
    for n in range(40):
        UserFactory(main_team=team_b, visibility=User.Visibility.TEAMS, first_name=f"Blind{n}")
        UserFactory(main_team=team_a, first_name=f"Blithe{n}")
    with CaptureQueriesContext(connection) as many:
        body = client.get(url, {"q": "Bli"}).content.decode()
    assert len(many) == len(few) <= 4
    assert "Bliss" in body and "Blithe" in body and "Blind" not in body
