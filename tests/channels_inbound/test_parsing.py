"""Parsing what real mail contains, and what hostile mail contains (issue 4,
RELIABILITY O)."""

from pathlib import Path

import pytest

from channels_inbound.parsing import InboundParseError, content_hash, parse_email
from tests.channels_inbound.mail import mail
from tests.timing import cpu_budget

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "email"
SHARED = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "email"


def raw(headers: str, body: bytes) -> bytes:
    return headers.replace("\n", "\r\n").encode() + b"\r\n\r\n" + body


@pytest.mark.parametrize(
    ("charset", "text"),
    [
        ("euc-kr", "안녕하세요, 환불 문의드립니다"),
        ("iso-2022-jp", "お問い合わせありがとうございます"),
        ("gb2312", "你好，我想退款"),
        ("gbk", "請問鏡像怎麼設定"),  # a GBK-only character set, mislabelled subsets happen
        ("big5", "您好，請問退款進度"),
        ("iso-8859-2", "Zażółć gęślą jaźń"),
        ("windows-1250", "Prośba o fakturę korygującą"),
        ("windows-1252", "Grüße aus Köln – “quoted”"),
    ],
)
def test_bodies_subjects_and_names_in_our_users_charsets(charset, text):
    from email.header import Header

    try:
        encoded = text.encode(charset)
    except UnicodeEncodeError:
        encoded = text.encode("gb18030")  # GBK labels carry GB18030 text in the wild
    subject = Header(text, charset).encode()
    name = Header("Ana " + text[:4], charset).encode()
    message = raw(
        f"From: {name} <ana@acme.example>\nTo: support@helpdesk.example\nSubject: {subject}\n"
        f"Message-ID: <x@acme.example>\nMIME-Version: 1.0\n"
        f"Content-Type: text/plain; charset={charset}\nContent-Transfer-Encoding: 8bit",
        encoded,
    )
    parsed = parse_email(message)
    assert parsed.text == text
    assert parsed.subject == text
    assert parsed.from_name == "Ana " + text[:4]


def test_missing_or_wrong_charsets_fall_back_without_losing_text():
    utf8 = raw("From: a@acme.example\nSubject: x\nContent-Type: text/plain", "Grüße".encode())
    assert parse_email(utf8).text == "Grüße"
    bogus = raw(
        "From: a@acme.example\nSubject: x\nContent-Type: text/plain; charset=x-made-up",
        "Zażółć".encode(),
    )
    assert parse_email(bogus).text == "Zażółć"
    latin = raw(
        "From: a@acme.example\nSubject: x\nContent-Type: text/plain; charset=utf-8", b"caf\xe9"
    )
    assert parse_email(latin).text == "café"


def test_html_only_mail_cid_images_and_attachments_with_encoded_names():
    message = mail(
        text="Plain part",
        html='<p>See <img src="cid:shot@acme"></p>',
        attachments=[
            ("screen.png", b"\x89PNG\r\n\x1a\n" + b"0" * 20, "image", "png", "shot@acme"),
            ("Rechnung März.pdf", b"%PDF-1.4", "application", "pdf", ""),
            ("견적서.xlsx", b"PK\x03\x04", "application", "octet-stream", ""),
        ],
    )
    parsed = parse_email(message)
    assert parsed.text == "Plain part" and "cid:shot@acme" in parsed.html
    by_name = {a.filename: a for a in parsed.attachments}
    assert set(by_name) == {"screen.png", "Rechnung März.pdf", "견적서.xlsx"}
    assert by_name["screen.png"].content_id == "shot@acme" and by_name["screen.png"].inline
    assert by_name["Rechnung März.pdf"].data == b"%PDF-1.4"
    assert not by_name["Rechnung März.pdf"].inline


def test_rfc2231_filenames_and_a_forwarded_message_are_attachments():
    message = raw(
        "From: a@acme.example\nSubject: Fwd\nMIME-Version: 1.0\n"
        'Content-Type: multipart/mixed; boundary="b1"',
        b"--b1\r\nContent-Type: text/plain\r\n\r\nSee below\r\n"
        b"--b1\r\nContent-Type: application/pdf\r\n"
        b"Content-Disposition: attachment; filename*=UTF-8''%C5%BC%C3%B3%C5%82w.pdf\r\n\r\n%PDF\r\n"
        b"--b1\r\nContent-Type: message/rfc822\r\n\r\n"
        b"From: b@other.example\r\nSubject: Original\r\nMessage-ID: <orig@other.example>\r\n\r\nOriginal body\r\n"
        b"--b1--\r\n",
    )
    parsed = parse_email(message)
    assert parsed.text == "See below"
    names = [a.filename for a in parsed.attachments]
    assert names == ["żółw.pdf", "message.eml"]
    assert b"Original body" in parsed.attachments[1].data


def test_missing_date_and_message_id_are_fine():
    parsed = parse_email(raw("From: a@acme.example\nSubject: hi", b"body"))
    assert (parsed.message_id, parsed.date, parsed.text) == ("", None, "body")


def test_a_multipart_nested_1000_deep_is_refused_with_a_reason():
    body = b"".join(
        f'Content-Type: multipart/mixed; boundary="b{i}"\r\n\r\n--b{i}\r\n'.encode()
        for i in range(1000)
    )
    with cpu_budget(2), pytest.raises(InboundParseError, match="multipart sections"):
        parse_email(b"From: a@acme.example\r\nSubject: x\r\n" + body)


def test_encoded_line_breaks_in_names_never_reach_the_fields():
    message = raw(
        "From: =?utf-8?q?Ana=0D=0ABcc=3A_evil=40x=2Eexample?= <ana@acme.example>\n"
        "Subject: =?utf-8?q?Hi=0D=0AX-Injected=3A_1?=",
        b"body",
    )
    parsed = parse_email(message)
    assert parsed.from_email == "ana@acme.example"
    assert "\r" not in parsed.from_name and "\n" not in parsed.from_name
    assert parsed.subject == "Hi X-Injected: 1"


@pytest.mark.parametrize(
    "sender",
    [
        "=?utf-8?q?support=40helpdesk=2Eexample?= <a@b.example>",  # name only, fine
        "a@b@c.example",
        "=?utf-8?b?c3VwcG9ydEBoZWxwZGVzay5leGFtcGxl?=",  # encoded word as the address
        '"a,b"@c.example',
        "x@xn--hlpdesk-n2a.example",
    ],
)
def test_address_parser_attacks_never_produce_a_forged_address(sender):
    parsed = parse_email(raw(f"From: {sender}\nSubject: x", b"body"))
    assert parsed.from_email in ("", "a@b.example", "x@xn--hlpdesk-n2a.example")
    assert "=?" not in parsed.from_email and parsed.from_email.count("@") <= 1


def test_huge_subjects_and_many_headers_take_bounded_time():
    headers = "".join(f"X-Junk-{i}: {i}\n" for i in range(20_000))
    message = raw(f"From: a@acme.example\n{headers}Subject: " + "s" * 100_000, b"body")
    with cpu_budget(2):
        parsed = parse_email(message)
    assert len(parsed.subject) == 998 and "Subject shortened" in parsed.notes[0]


def test_automatic_mail_and_bounces_are_recognised():
    for header, value in [
        ("Auto-Submitted", "auto-replied"),
        ("X-Autoreply", "yes"),
        ("X-Autorespond", "yes"),
        ("Precedence", "auto_reply"),
        ("X-Auto-Response-Suppress", "All"),
    ]:
        assert parse_email(mail(headers={header: value})).auto_reply, header
    assert not parse_email(mail(headers={"Auto-Submitted": "no"})).auto_reply
    assert parse_email(mail(headers={"Precedence": "bulk"})).bulk
    assert parse_email(mail(headers={"List-Id": "<news.acme.example>"})).bulk
    dsn = raw(
        "From: MAILER-DAEMON@mx.example\nSubject: Undelivered\nMIME-Version: 1.0\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="r"',
        b"--r\r\nContent-Type: text/plain\r\n\r\nDelivery failed\r\n"
        b"--r\r\nContent-Type: message/delivery-status\r\n\r\nStatus: 5.1.1\r\n"
        b"--r\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: <t1.m2.abc@helpdesk.example>\r\n"
        b"--r--\r\n",
    )
    parsed = parse_email(dsn)
    assert parsed.bounce and parsed.bounced_message_id == "<t1.m2.abc@helpdesk.example>"


def test_the_same_message_by_two_routes_hashes_the_same():
    message = mail(message_id="<same@acme.example>")
    relayed = b"Received: from relay.example by mx.example\r\n" + message
    delivered = b"Delivered-To: billing@helpdesk.example\r\n" + message
    assert content_hash(message) == content_hash(relayed) == content_hash(delivered)
    assert content_hash(message) != content_hash(mail(message_id="<other@acme.example>"))


def test_the_public_corpus_parses_without_a_crash():
    """RELIABILITY 2 for the parser: every file parses or is refused with a
    reason, each in bounded time."""
    corpus = SHARED if SHARED.is_dir() else FIXTURES
    files = [
        p
        for p in corpus.rglob("*")
        if p.is_file()
        and p.suffix not in {".md", ".json", ".tsv", ".list"}
        and "LICENSE" not in p.name
        and "reply-parser" not in str(p)
        and "/talon/" not in str(p)
    ]
    parsed = refused = 0
    for path in files:
        data = path.read_bytes()
        try:
            with cpu_budget(2):
                parse_email(data)
            parsed += 1
        except InboundParseError as error:
            # The corpus keeps files that are no mail (a TNEF's contents, a
            # licence): those are refused for what they are.
            not_mail = "/tnef" in str(path) or path.name == "COPYING"
            unreadable = "not a readable email" in str(error) or "empty" in str(error)
            assert not_mail == unreadable, path
            refused += not not_mail
    assert parsed >= (210 if corpus is SHARED else 70) and refused <= 3, (parsed, refused)
