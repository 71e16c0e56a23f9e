"""Quote splitting beyond the marked-up clients (issue 15): Outlook's header
blocks in our users' languages, wrapped and colon-less attributions, other
languages' attributions, Hotmail's and mail.ru's HTML, an <hr> rule, mobile
signatures; and text that only looks like a quote stays."""

import pytest

from conversations.quoting import inbound_body, split_quoted_html, split_quoted_text
from tests.timing import cpu_budget

NEW = "Thanks, the refund arrived."
OLD = "Your refund is on its way."


@pytest.mark.parametrize(
    "header",
    [
        "From: Support <support@example.com>\nSent: Monday, June 3, 2024 10:00\n"
        "To: Ana <ana@example.com>\nSubject: Refund",
        "Von: Support <support@example.com>\nGesendet: Montag, 3. Juni 2024 10:00\n"
        "An: Ana <ana@example.com>\nBetreff: Erstattung",
        "De : Support <support@example.com>\nEnvoyé : lundi 3 juin 2024 10:00\n"
        "À : Ana <ana@example.com>\nObjet : Remboursement",
        "Lähettäjä: Support <support@example.com>\nLähetetty: maanantai 3. kesäkuuta 2024 10.00\n"
        "Vastaanottaja: Ana <ana@example.com>\nAihe: Hyvitys",
        "Od: Support <support@example.com>\nWysłano: poniedziałek, 3 czerwca 2024 10:00\n"
        "Do: Ana <ana@example.com>\nTemat: Zwrot",
        "보낸 사람: Support <support@example.com>\n보낸 날짜: 2024년 6월 3일 월요일 오전 10:00\n"
        "받는 사람: Ana <ana@example.com>\n제목: 환불",
        "寄件者: Support <support@example.com>\n傳送時間: 2024年6月3日 上午 10:00\n"
        "收件者: Ana <ana@example.com>\n主旨: 退款",
        "差出人: Support <support@example.com>\n送信日時: 2024年6月3日 10:00\n"
        "宛先: Ana <ana@example.com>\n件名: 返金",
        "*From:* Support [mailto:support@example.com]\n*Sent:* Monday, June 3, 2024\n"
        "*To:* ana@example.com\n*Subject:* Refund",
        "From: Support\n<support-with-a-very-long-address@example.com>\n"
        "Sent: Monday, June 3, 2024 10:00\nTo: Ana",
    ],
    ids=["en", "de", "fr", "fi", "pl", "ko", "zh-hant", "ja", "bold", "wrapped"],
)
def test_outlook_header_blocks_start_the_quote(header):
    main, quoted = split_quoted_text(f"{NEW}\n\n{header}\n\n{OLD}\n")
    assert main == NEW
    assert quoted.startswith(header.split("\n")[0]) and OLD in quoted


@pytest.mark.parametrize(
    "separator",
    [
        "-----Original Message-----",
        "-----Ursprüngliche Nachricht-----",
        "-------- Message d'origine --------",
        "-----Alkuperäinen viesti-----",
        "-----Oryginalna wiadomość-----",
        "-----원본 메시지-----",
        "-----原始郵件-----",
        "________________________________",
    ],
)
def test_original_message_separators_start_the_quote(separator):
    main, quoted = split_quoted_text(f"{NEW}\n\n{separator}\n{OLD}")
    assert (main, quoted) == (NEW, f"{separator}\n{OLD}")


@pytest.mark.parametrize(
    "attribution",
    [
        # Wrapped by the client, over two and three lines.
        "On Mon, Aug 26, 2019 at 4:37 PM The Billing Team <\nbilling-automated@example.com> wrote:",
        "On Mon, 3 Jun 2024 at 10:00, Ana\n<ana@example.com>\nwrote:",
        "tir. 18. apr. 2017 kl. 13:09 skrev Ana <ana@example.com\n>:",
        # "wrote" without a colon, and Zoho's dashes.
        "On Mon, 3 Jun 2024 at 10:00, Ana <ana@example.com> wrote",
        "---- On Mon, 03 Jun 2024 10:00:00 +0300 ana@example.com wrote ----",
        # Other languages.
        '03.06.2024 10:00 пользователь "Ana" <ana@example.com> написал:',
        "Le lun. 3 juin 2024 à 10:00, Ana <ana@example.com> a écrit :",
        "Em 3 de junho de 2024 às 10:00, Ana (ana@example.com) escreveu:",
        "In data 3 giugno 2024 10:00:00 Ana <ana@example.com> ha scritto:",
        "2024年6月3日(月) 10:00 Ana <ana@example.com>:",
        # mail.ru writes no verb at all.
        "Понедельник, 3 июня 2024, 10:00 +03:00 от Ana <ana@example.com>:",
    ],
    ids=[
        "two-lines",
        "three-lines",
        "bracket-wrapped",
        "no-colon",
        "zoho",
        "ru",
        "fr",
        "pt",
        "it",
        "ja",
        "mail.ru",
    ],
)
def test_attributions_start_the_quote_with_or_without_quote_marks(attribution):
    for old in (f"> {OLD}", OLD):
        main, quoted = split_quoted_text(f"{NEW}\n\n{attribution}\n\n{old}\n")
        assert main == NEW
        assert quoted.startswith(attribution.split("\n")[0]) and OLD in quoted


@pytest.mark.parametrize(
    "signature",
    [
        "Sent from my iPhone",
        "Get Outlook for Android<https://aka.ms/ghei36>",
        "Von meinem iPhone gesendet",
        "Envoyé de mon iPad",
        "Lähetetty iPhonesta",
        "Wysłane z mojego iPhone'a",
        "iPhone에서 보냄",
        "從我的 iPhone 傳送",
        "iPhoneから送信",
    ],
)
def test_a_mobile_signature_folds_with_what_follows(signature):
    main, quoted = split_quoted_text(f"{NEW}\n\n{signature}\n\nOn Monday Ana wrote:\n{OLD}")
    assert main == NEW
    assert quoted.startswith(signature)


@pytest.mark.parametrize(
    "text",
    [
        "On your remote host you can run:\n\n  sudo systemctl restart app\n\nThat fixes it.",
        "Here is another email\n\nSent from my desk, is much easier then my mobile phone.",
        "The link https://example.com/someone-wrote-about-it explains it.\nRegards",
        "Meeting notes:\n2024-01-15 14:30 call with finance\nFrom: the finance team",
        "Booking details:\nFrom: Helsinki\nTo: Berlin\nDate: 3 June 2024",
        "The log:\nMay 29 11:58:43 kernel: Linux version 2.6 (buildd@palmer) #42\n"
        "May 29 11:58:43 kernel: KERNEL supported cpus:\nMay 29 11:58:43 kernel: Intel",
        "Agenda\n\n----\n\nFirst point\n\n====\n\nSecond point",
        "> question one\nanswer one\n> question two\nanswer two",
    ],
    ids=[
        "greedy-on",
        "sent-from-in-text",
        "url",
        "one-header",
        "booking",
        "log",
        "rules",
        "inline-answers",
    ],
)
def test_text_that_only_looks_like_a_quote_is_not_folded(text):
    assert split_quoted_text(text) == (text, "")


def test_a_reply_written_below_the_quote_is_the_new_text():
    text = "On Mon, 3 Jun 2024 at 10:00, Ana <ana@example.com> wrote:\n> Hi\n\nHello"
    assert split_quoted_text(text) == (
        "Hello",
        "On Mon, 3 Jun 2024 at 10:00, Ana <ana@example.com> wrote:\n> Hi",
    )


def test_a_quote_answered_inline_is_kept_and_the_history_below_folded():
    text = (
        "Hi,\nOn Mon, 3 Jun 2024 at 10:00, Ana <ana@example.com> wrote:\n> Can I delete it?\n\n"
        "Yes, with the API.\n\nwhich says\n> old documentation\n\n__\nlist footer"
    )
    main, quoted = split_quoted_text(text)
    assert main.endswith("Yes, with the API.\n\nwhich says")
    assert quoted == "> old documentation\n\n__\nlist footer"


HOTMAIL = (
    f"<div>{NEW}</div>"
    '<div><hr id="stopSpelling">Date: Mon, 3 Jun 2024 10:00:00 +0000<br>'
    "From: support@example.com<br>To: ana@example.com<br>Subject: Refund<br><br>"
    f"{OLD}</div>"
)
MAIL_RU = (
    f"<p>{NEW}<br><br>"
    "Понедельник, 3 июня 2024, 10:00 +03:00 от Support &lt;"
    '<a href="mailto:support@example.com">support@example.com</a>&gt;:</p>'
    f'<blockquote style="border-left:1px solid #0857A6">{OLD}</blockquote>'
)
OUTLOOK_WEB_HR = (
    f"<div>{NEW}</div>"
    '<hr style="display:inline-block;width:98%" tabindex="-1">'
    "<div><b>Von:</b> Support &lt;support@example.com&gt;<br>"
    "<b>Gesendet:</b> Montag, 3. Juni 2024 10:00<br><b>An:</b> Ana</div>"
    f"<div>{OLD}</div>"
)
OUTLOOK_KO = (
    f"<p>{NEW}</p>"
    '<div style="border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm 0cm 0cm">'
    "<p><b>보낸 사람:</b> Support<br><b>보낸 날짜:</b> 2024년 6월 3일<br>"
    "<b>받는 사람:</b> Ana</p></div>"
    f"<p>{OLD}</p>"
)
GMAIL_SIGNATURE_ONLY = f"<div>{NEW}</div><div><br></div><div>Sent from my iPhone</div>"


@pytest.mark.parametrize(
    "html",
    [HOTMAIL, MAIL_RU, OUTLOOK_WEB_HR, OUTLOOK_KO],
    ids=["hotmail", "mail.ru", "hr", "outlook-ko"],
)
def test_html_quotes_without_a_class_are_found_by_their_lines(html):
    main, quoted = split_quoted_html(html)
    assert NEW in main and OLD not in main
    assert OLD in quoted and NEW not in quoted


def test_an_html_rule_in_the_text_is_not_a_quote():
    html = f"<p>{NEW}</p><hr><p>Order 1234 shipped.</p>"
    assert split_quoted_html(html) == (html, "")


def test_an_html_mobile_signature_folds():
    main, quoted = split_quoted_html(GMAIL_SIGNATURE_ONLY)
    assert NEW in main and "iPhone" not in main
    assert "Sent from my iPhone" in quoted


def test_the_folded_history_is_kept_for_the_conversation_view():
    body = inbound_body(html=HOTMAIL, text="")
    assert NEW in body["html"] and OLD not in body["html"]
    assert OLD in body["quoted_html"]
    assert body["text"] == NEW


def test_hostile_sizes_split_in_well_under_a_second():
    texts = ["x\n" * 200_000, "On 1 wrote\n" * 50_000, "> a\nb\n" * 50_000]
    # A slow day on the shared machine (2-3 times slower than usual) took
    # 1.1 s of CPU here; quadratic splitting would take minutes.
    with cpu_budget(2):
        for text in texts:
            split_quoted_text(text)
        split_quoted_html("<div>" + "<hr>" * 20_000 + "</div>")
