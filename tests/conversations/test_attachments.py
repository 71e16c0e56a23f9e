from pathlib import Path

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from conversations import services
from conversations.attachments import display_name, human_size, sniff_type
from conversations.models import Attachment
from conversations.templatetags.conversation_tags import upload_limit
from tests.factories import TicketFactory

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def ticket(pipeline, team_a):
    return TicketFactory(pipeline=pipeline, team=team_a)


@pytest.fixture
def signed_in(client, agent):
    client.force_login(agent)
    return client


def upload(
    client, ticket, name="report.pdf", content=b"%PDF-1.4 hello", content_type="application/pdf"
):
    return client.post(
        reverse("conversations:attachment_upload", args=[ticket.pk]),
        {"file": SimpleUploadedFile(name, content, content_type=content_type)},
    )


def test_an_uploaded_file_goes_out_with_the_reply(
    signed_in, agent, ticket, django_capture_on_commit_callbacks
):
    response = upload(signed_in, ticket)
    assert response.status_code == 200
    attachment = Attachment.objects.get()
    assert f'name="attachments" value="{attachment.pk}"' in response.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        signed_in.post(
            reverse("conversations:reply_send", args=[ticket.pk]),
            {"html": "<p>See attached</p>", "to": "a@b.example", "attachments": [attachment.pk]},
            headers={"HX-Request": "true"},
        )
    attachment.refresh_from_db()
    assert attachment.message.text == "See attached"
    [(name, content, content_type)] = mail.outbox[0].attachments
    assert (name, content, content_type) == (
        "report.pdf",
        b"%PDF-1.4 hello",
        "application/octet-stream",
    )


def test_files_over_the_limits_are_refused_with_a_reason(signed_in, ticket, settings):
    settings.HELPDESK_ATTACHMENT_MAX_BYTES = 1024
    settings.HELPDESK_MESSAGE_MAX_BYTES = 1500
    too_big = upload(signed_in, ticket, content=b"x" * 2000)
    assert too_big.status_code == 400
    assert "“report.pdf” is larger than" in too_big.content.decode()
    assert upload(signed_in, ticket, content=b"x" * 1000).status_code == 200
    over_total = upload(signed_in, ticket, content=b"x" * 1000)
    assert over_total.status_code == 400
    assert "can add up to" in over_total.content.decode()
    assert Attachment.objects.count() == 1
    assert upload(signed_in, ticket).status_code == 200  # small files still fit
    no_file = signed_in.post(reverse("conversations:attachment_upload", args=[ticket.pk]))
    assert no_file.status_code == 400


def test_downloads_carry_safe_headers(signed_in, ticket):
    upload(
        signed_in,
        ticket,
        name="page.html",
        content=b"<script>alert(1)</script>",
        content_type="text/html",
    )
    upload(signed_in, ticket, name="shot.png", content=PNG, content_type="image/png")
    html, png = Attachment.objects.order_by("pk")
    response = signed_in.get(reverse("conversations:attachment_download", args=[html.pk]))
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Content-Type"] == "application/octet-stream"  # not what the sender said
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"].startswith("sandbox")
    image = signed_in.get(reverse("conversations:attachment_download", args=[png.pk]))
    assert image["Content-Disposition"].startswith("inline;")
    assert image["Content-Type"] == "image/png"


def test_only_users_who_can_see_the_ticket_download(client, agent, outsider, ticket):
    client.force_login(agent)
    upload(client, ticket)
    attachment = Attachment.objects.get()
    services.comment_add(
        actor=agent, ticket=ticket, html="<p>file</p>", attachments=[attachment.pk]
    )
    url = reverse("conversations:attachment_download", args=[attachment.pk])
    client.force_login(outsider)
    assert client.get(url).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302  # to sign in, no bytes
    assert client.get(reverse("conversations:attachment_download", args=[999])).status_code == 302


def test_a_pending_upload_is_private_to_its_uploader(client, agent, team_agent, ticket):
    client.force_login(agent)
    upload(client, ticket)
    attachment = Attachment.objects.get()
    client.force_login(team_agent)  # can see the ticket, not someone's unsent file
    url = reverse("conversations:attachment_download", args=[attachment.pk])
    assert client.get(url).status_code == 404
    # Nor attach it to their own message.
    services.comment_add(
        actor=team_agent, ticket=ticket, html="<p>x</p>", attachments=[attachment.pk]
    )
    attachment.refresh_from_db()
    assert attachment.message is None


def test_outsider_cannot_upload_and_get_is_405(client, outsider, ticket):
    client.force_login(outsider)
    assert upload(client, ticket).status_code == 404
    assert (
        client.get(reverse("conversations:attachment_upload", args=[ticket.pk])).status_code == 405
    )


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\boot.ini", "boot.ini"),
        ("/absolute/path.txt", "path.txt"),
        ("evil\u202egnp.exe", "evilgnp.exe"),
        ("nul\x00byte.txt", "nulbyte.txt"),
        (".htaccess", "htaccess"),
        ("", "file"),
        ("a" * 300 + ".pdf", "a" * 146 + ".pdf"),
    ],
)
def test_file_names_are_neutralised(name, shown):
    assert display_name(name) == shown


def test_stored_files_live_under_generated_keys(signed_in, ticket, media):
    upload(signed_in, ticket, name="../../../escape.txt")
    attachment = Attachment.objects.get()
    path = Path(attachment.file.path).resolve()
    assert path.is_relative_to(media.resolve())
    assert "escape" not in path.name


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (PNG, "image/png"),
        (b"\xff\xd8\xff\xe0rest", "image/jpeg"),
        (b"GIF89a...", "image/gif"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "image/webp"),
        (b"<svg onload=alert(1)>", "application/octet-stream"),
        (b"<html>", "application/octet-stream"),
    ],
)
def test_the_type_is_decided_by_content(head, expected):
    assert sniff_type(head) == expected


def test_abandoned_uploads_are_purged_with_their_files(signed_in, agent, ticket, media, settings):
    import datetime

    from django.utils import timezone

    from conversations.attachments import uploads_purge_abandoned
    from conversations.tasks import purge_abandoned_uploads

    upload(signed_in, ticket, name="old.pdf")
    upload(signed_in, ticket, name="fresh.pdf")
    old, fresh = Attachment.objects.order_by("pk")
    sent = services.reply_send(actor=agent, ticket=ticket, html="<p>x</p>", to=["a@b.example"])
    Attachment.objects.filter(pk=fresh.pk).update(message=sent)
    upload(signed_in, ticket, name="recent.pdf")
    long_ago = timezone.now() - datetime.timedelta(hours=settings.HELPDESK_UPLOAD_KEEP_HOURS + 1)
    Attachment.objects.exclude(filename="recent.pdf").update(created_at=long_ago)
    old_path = Path(old.file.path)
    assert old_path.exists()

    purge_abandoned_uploads()  # the beat task

    assert sorted(Attachment.objects.values_list("filename", flat=True)) == [
        "fresh.pdf",
        "recent.pdf",
    ]
    assert not old_path.exists()
    assert Path(Attachment.objects.get(filename="fresh.pdf").file.path).exists()
    assert uploads_purge_abandoned() == 0


@pytest.mark.parametrize(
    ("language", "size", "shown"),
    [
        ("en", 25 * 2**20, "25 MB"),
        ("en", 3 * 2**19, "1.5 MB"),
        ("de", 3 * 2**19, "1,5 MB"),
        ("fi", 25 * 2**20, "25 Mt"),
        ("ko", 25 * 2**20, "25MB"),
        ("en", 512 * 2**10, "512 KB"),
        ("en", 2 * 2**30, "2 GB"),
        ("en", 1, "1 byte"),
        ("pl", 900, "900 bajtów"),
    ],
)
def test_sizes_are_written_as_people_of_each_language_write_them(language, size, shown):
    with translation.override(language):
        assert human_size(size) == shown


def test_the_refusal_is_in_the_agents_language_with_a_human_size(client, agent, ticket, settings):
    """Issue 19: the server's answer, like the composer's, in the agent's
    language and with the limit as people write it (a 1 KB limit once said "0 MB")."""
    settings.HELPDESK_ATTACHMENT_MAX_BYTES = 25 * 2**20
    settings.HELPDESK_FORM_MAX_BYTES = 3 * 2**20
    agent.language = "ko"
    agent.save(update_fields=["language"])
    client.force_login(agent)
    with translation.override("ko"):
        limit = upload_limit()
    assert limit["bytes"] == 25 * 2**20
    assert limit["message"] == "“{name}” 파일이 25MB보다 큽니다."
    assert limit["request"] == "메시지가 너무 커서 보낼 수 없습니다. 최대 3MB까지 가능합니다."
    page = client.get(reverse("tickets:ticket_detail", args=["all", ticket.pk])).content.decode()
    assert 'data-too-large="“{name}” 파일이 25MB보다 큽니다."' in page
    assert (
        'data-request-too-large="메시지가 너무 커서 보낼 수 없습니다. 최대 3MB까지 가능합니다."'
        in page
    )
    settings.HELPDESK_ATTACHMENT_MAX_BYTES = 1024
    refused = upload(client, ticket, content=b"x" * 2000)
    assert refused.status_code == 400
    assert refused.content.decode() == "“report.pdf” 파일이 1KB보다 큽니다."
