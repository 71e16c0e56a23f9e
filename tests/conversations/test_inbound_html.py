"""Showing inbound mail: quoted history folded, inline images from our storage,
remote images blocked until asked for, original formatting in an isolated frame
(RELIABILITY F 40, G 45, H 51)."""

import re
import time

import pytest
from django.core import signing
from django.core.files.base import ContentFile

from conversations.models import Attachment
from conversations.quoting import inbound_body, split_quoted_html, split_quoted_text
from conversations.sanitize import clean_inbound_html
from conversations.views import conversation as views
from tests.factories import TicketFactory, inbound_message

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32

GMAIL = (
    '<div dir="ltr">Thanks, that works!</div><br>'
    '<div class="gmail_quote"><div class="gmail_attr">On Mon, Ana wrote:</div>'
    '<blockquote class="gmail_quote">Have you tried turning it off?</blockquote></div>'
)
OUTLOOK = (
    "<div><p>Still broken.</p></div>"
    '<div id="divRplyFwdMsg"><b>From:</b> Support<br><b>Sent:</b> Monday</div>'
    "<div>Have you tried turning it off?</div>"
)
APPLE = (
    "<div>Yes, please cancel it.<br><br>"
    '<blockquote type="cite"><div>Shall we cancel the order?</div></blockquote></div>'
)
OUTLOOK_DESKTOP = (
    "<p>See below.</p>"
    '<div style="border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm 0cm 0cm">'
    "<p><b>From:</b> Support</p></div><p>Old text</p>"
)


@pytest.mark.parametrize(
    ("html", "new", "old"),
    [
        (GMAIL, "Thanks, that works!", "Have you tried turning it off?"),
        (OUTLOOK, "Still broken.", "Have you tried turning it off?"),
        (APPLE, "Yes, please cancel it.", "Shall we cancel the order?"),
        (OUTLOOK_DESKTOP, "See below.", "Old text"),
    ],
    ids=["gmail", "outlook-web", "apple-mail", "outlook-desktop"],
)
def test_the_quoted_history_of_common_clients_is_split_off(html, new, old):
    main, quoted = split_quoted_html(html)
    assert new in main and old not in main
    assert old in quoted and new not in quoted


def test_a_message_that_is_only_a_quote_is_not_split():
    html = '<blockquote type="cite">Everything is quoted</blockquote>'
    assert split_quoted_html(html) == (html, "")


@pytest.mark.parametrize(
    "attribution",
    [
        "On Mon, 3 Jun 2024 at 10:00, Ana <ana@example.com> wrote:",
        "Am 03.06.2024 um 10:00 schrieb Ana <ana@example.com>:",
        "3.6.2024 klo 10.00 Ana <ana@example.com> kirjoitti:",
        "2024년 6월 3일 (월) 오전 10:00, Ana <ana@example.com>님이 작성:",
        "Ana <ana@example.com> 於 2024年6月3日 週一 上午10:00寫道：",
        "pon., 3 cze 2024 o 10:00 Ana <ana@example.com> napisał(a):",
    ],
    ids=["en", "de", "fi", "ko", "zh-hant", "pl"],
)
def test_plain_text_attributions_in_our_languages_start_the_quote(attribution):
    main, quoted = split_quoted_text(f"Thank you!\n\n{attribution}\n> Old answer\n> more\n")
    assert main == "Thank you!"
    assert quoted.startswith(attribution)


def test_a_signature_is_folded_and_an_answer_between_quotes_is_not_lost():
    assert split_quoted_text("Done.\n-- \nAna\nACME Oy") == ("Done.", "-- \nAna\nACME Oy")
    text = "> question one\nanswer one\n> question two\nanswer two"
    assert split_quoted_text(text) == (text, "")


def test_inbound_body_keeps_the_quote_for_storage():
    body = inbound_body(html=GMAIL, text="")
    assert "Thanks, that works!" in body["html"]
    assert "Have you tried" in body["quoted_html"]
    assert body["text"] == "Thanks, that works!"
    plain = inbound_body(html="", text="Hi <b>there</b>\n\nOn Mon, Ana wrote:\n> old")
    assert plain["html"] == "<p>Hi &lt;b&gt;there&lt;/b&gt;</p>"
    assert plain["quoted_html"] == "<p>On Mon, Ana wrote:</p><blockquote><p>old</p></blockquote>"
    assert plain["text"] == "Hi <b>there</b>"


def test_remote_images_are_left_out_and_counted():
    html = (
        '<p>Hi<img src="https://tracker.example/pixel.gif?u=1">'
        '<img src="http://10.0.0.1/admin"><img src="//cdn.example/x.png">'
        '<img src="cid:logo@mail"><img src="data:image/png;base64,iVBORw0KGgo=">'
        '<img src="data:image/svg+xml;base64,PHN2Zz4="></p>'
    )
    shown = clean_inbound_html(html, {"logo@mail": "/attachments/7/"})
    srcs = re.findall(r'src="([^"]*)"', shown.html)
    assert srcs == ["/attachments/7/", "data:image/png;base64,iVBORw0KGgo="]
    assert shown.blocked_images == 2
    loaded = clean_inbound_html(html, {}, remote=True)
    assert "https://tracker.example/pixel.gif?u=1" in loaded.html
    assert loaded.blocked_images == 0


def test_styles_that_fetch_are_dropped_and_links_are_safe():
    html = (
        '<p style="color: red; background: url(https://t.example/a); '
        'background-image: url(https://t.example/b); list-style: url(x)">x</p>'
        '<a href="javascript:alert(1)">j</a><a href="data:text/html,<b>">d</a>'
        '<a href="https://example.com/">ok</a>'
    )
    cleaned = clean_inbound_html(html, {}, styles=True, remote=True).html
    assert "url(" not in cleaned and "color:red" in cleaned.replace(" ", "")
    assert "javascript:" not in cleaned and "data:" not in cleaned
    assert 'href="https://example.com/" target="_blank"' in cleaned
    assert "style=" not in clean_inbound_html(html, {}).html


@pytest.fixture
def mail_with_images(pipeline, team_a, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    ticket = TicketFactory(pipeline=pipeline, team=team_a)
    html = (
        '<p>See the screenshot <img src="cid:shot@mail"> and our logo '
        + "".join(f'<img src="https://tracker.example/{n}.gif">' for n in range(20))
        + '</p><div class="gmail_quote">On Mon, Support wrote:<blockquote>Old</blockquote></div>'
    )
    message = inbound_message(ticket, html=html, text="")
    image = Attachment(
        ticket=ticket,
        message=message,
        filename="shot.png",
        content_id="shot@mail",
        content_type="image/png",
        size=len(PNG),
    )
    image.file.save("shot", ContentFile(PNG))
    document = Attachment(
        ticket=ticket, message=message, filename="invoice.pdf", content_type="application/pdf"
    )
    document.size = 3
    document.file.save("invoice", ContentFile(b"pdf"))
    return {"ticket": ticket, "message": message, "image": image, "document": document}


def test_the_conversation_shows_inline_images_folds_the_quote_and_blocks_remote(
    client, agent, mail_with_images
):
    client.force_login(agent)
    ticket, image = mail_with_images["ticket"], mail_with_images["image"]
    html = client.get(f"/views/all-open/tickets/{ticket.pk}/").content.decode()
    body = html[html.index('id="message-') :]
    assert f'<img src="/attachments/{image.pk}/">' in body
    assert "tracker.example" not in html
    assert "20 remote images were blocked" in body
    assert '<details class="message-quoted">' in body and "Old" in body
    # The inline image is not listed again below the message; the PDF is.
    assert "shot.png" not in body and "invoice.pdf" in body


def test_the_original_formatting_frame_is_sandboxed(client, agent, mail_with_images):
    client.force_login(agent)
    message = mail_with_images["message"]
    frame = client.get(f"/messages/{message.pk}/frame/").content.decode()
    sandbox = re.search(r'<iframe[^>]*sandbox="([^"]*)"', frame).group(1)
    assert "allow-scripts" not in sandbox and "allow-same-origin" not in sandbox
    response = client.get(f"/messages/{message.pk}/original/")
    csp = response["Content-Security-Policy"]
    assert csp.startswith("sandbox ") and "allow-scripts" not in csp
    assert "default-src 'none'" in csp and "script-src" not in csp
    assert "https:" not in csp
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    assert response["Referrer-Policy"] == "no-referrer"
    document = response.content.decode()
    assert "tracker.example" not in document
    assert f"/attachments/{mail_with_images['image'].pk}/inline/" in document
    with_images = client.get(f"/messages/{message.pk}/original/?images=1")
    assert "img-src http://testserver data: https: http:" in with_images["Content-Security-Policy"]
    assert "https://tracker.example/0.gif" in with_images.content.decode()


def test_inline_image_urls_are_signed_and_expire(client, agent, mail_with_images, monkeypatch):
    image, document = mail_with_images["image"], mail_with_images["document"]
    signer = views._inline_signer
    response = client.get(f"/attachments/{image.pk}/inline/{signer.sign(str(image.pk))}/")
    assert response.status_code == 200  # no session needed: the frame sends none
    assert b"".join(response.streaming_content) == PNG
    assert response["Content-Security-Policy"].startswith("sandbox")
    assert response["X-Content-Type-Options"] == "nosniff"
    # Another attachment's signature, a forged one, a non-image, an expired one.
    assert (
        client.get(f"/attachments/{document.pk}/inline/{signer.sign(str(image.pk))}/").status_code
        == 404
    )
    assert client.get(f"/attachments/{image.pk}/inline/{image.pk}:forged/").status_code == 404
    doc_token = signer.sign(str(document.pk))
    assert client.get(f"/attachments/{document.pk}/inline/{doc_token}/").status_code == 404
    past = time.time() - views.INLINE_IMAGE_MAX_AGE - 60
    monkeypatch.setattr(signing.time, "time", lambda: past)
    stale = signer.sign(str(image.pk))
    monkeypatch.undo()
    assert client.get(f"/attachments/{image.pk}/inline/{stale}/").status_code == 404


def test_outsiders_get_404_for_the_frame_and_the_original(client, outsider, mail_with_images):
    client.force_login(outsider)
    message = mail_with_images["message"]
    for url in (f"/messages/{message.pk}/frame/", f"/messages/{message.pk}/original/"):
        assert client.get(url).status_code == 404
    client.logout()
    assert client.get(f"/messages/{message.pk}/original/").status_code == 302


def test_plain_text_mail_offers_no_original_formatting(client, agent, mail_with_images):
    client.force_login(agent)
    ticket = mail_with_images["ticket"]
    inbound_message(ticket, text="Just text\n\nOn Mon, Support wrote:\n> old")
    html = client.get(f"/views/all-open/tickets/{ticket.pk}/").content.decode()
    assert html.count("Show original formatting") == 1  # the HTML mail only


def test_outbound_messages_have_no_original_frame(client, agent, mail_with_images):
    from conversations import services

    client.force_login(agent)
    ticket = mail_with_images["ticket"]
    services.comment_add(actor=agent, ticket=ticket, html="<p>note</p>")
    comment = ticket.messages.filter(kind="comment").get()
    assert client.get(f"/messages/{comment.pk}/original/").status_code == 404


def test_plain_text_quotes_become_block_quotes_to_a_bounded_depth():
    from conversations.quoting import MAX_QUOTE_DEPTH, text_to_html

    assert text_to_html("Hi <b>\n\nOn x wrote:\n> a\n> > b") == (
        "<p>Hi &lt;b&gt;</p><p>On x wrote:</p>"
        "<blockquote><p>a</p><blockquote><p>b</p></blockquote></blockquote>"
    )
    deep = text_to_html(">" * 100_000 + " bottom")
    assert deep.count("<blockquote>") == MAX_QUOTE_DEPTH and "bottom" in deep


@pytest.mark.parametrize("html", ["", " \r\n\t "])
def test_a_message_that_quotes_nothing_shows_nothing_and_blocks_nothing(html):
    shown = clean_inbound_html(html, {})
    assert (shown.html, shown.blocked_images) == ("", 0)
