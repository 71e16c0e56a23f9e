"""Every byte a customer sends arrives as they wrote it (issue 15): 8-bit
headers, broken header lines, mislabelled charsets, odd structures, limits."""

from pathlib import Path

import pytest
from django.db import transaction

from channels_inbound.ingest import inbound_process
from channels_inbound.models import InboundItem
from channels_inbound.parsing import parse_email
from channels_inbound.store import inbound_store
from crm.models import Company, Contact
from tests.channels_inbound.mail import mail
from tests.factories import EmailAddressFactory, EmailChannelFactory
from tests.timing import cpu_budget
from tickets.models import Ticket

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "email"


def raw(headers: bytes, body: bytes = b"Hello") -> bytes:
    return headers.replace(b"\n", b"\r\n") + b"\r\n\r\n" + body


# Raw 8-bit bytes in headers ---------------------------------------------------


def test_raw_utf8_in_subject_sender_name_and_filename_reads_as_written():
    parsed = parse_email(
        raw(
            "From: Jörg Müller <jorg@acme.example>\nTo: support@helpdesk.example\n"
            "Subject: Grüße aus Köln, 안녕하세요\nMIME-Version: 1.0\n"
            'Content-Type: multipart/mixed; boundary="b"'.encode(),
            b"--b\r\nContent-Type: text/plain\r\n\r\nHi\r\n"
            b'--b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename="'
            + "Rechnung März.pdf".encode()
            + b'"\r\n\r\n%PDF\r\n--b--\r\n',
        )
    )
    assert parsed.subject == "Grüße aus Köln, 안녕하세요"
    assert parsed.from_name == "Jörg Müller"
    assert [a.filename for a in parsed.attachments] == ["Rechnung März.pdf"]


def test_raw_8bit_headers_in_the_charset_the_message_declares_elsewhere():
    parsed = parse_email(
        raw(
            "From: 김민준 <minjun@acme.example>\nSubject: 환불 문의드립니다\n"
            "Content-Type: text/plain; charset=euc-kr".encode("euc-kr"),
            "본문".encode("euc-kr"),
        )
    )
    assert parsed.subject == "환불 문의드립니다"
    assert parsed.from_name == "김민준"
    assert parsed.text == "본문"


def test_raw_8bit_headers_without_any_declared_charset_are_detected():
    subject = "Не работает принтер в бухгалтерии, помогите пожалуйста"
    parsed = parse_email(raw(f"From: a@acme.example\nSubject: {subject}".encode("cp1251")))
    assert parsed.subject == subject


def test_a_raw_byte_inside_an_encoded_word_is_not_a_replacement_character():
    parsed = parse_email(
        raw(
            b"From: =?ISO-8859-1?Q?J=F6rg_M\xfcller?= <jorg@acme.example>\n"
            b"Subject: =?UTF-8?Q?Gr\xc3\xbc=C3=9Fe_aus_K=C3=B6ln?="
        )
    )
    assert parsed.subject == "Grüße aus Köln"
    assert parsed.from_name == "Jörg Müller"


def test_encoded_words_split_inside_a_character_join_before_decoding():
    whole = "문의드립니다".encode()
    import base64

    first = base64.b64encode(whole[:4]).decode()
    second = base64.b64encode(whole[4:]).decode()
    parsed = parse_email(
        raw(f"From: a@acme.example\nSubject: =?UTF-8?B?{first}?=\n =?UTF-8?B?{second}?=".encode())
    )
    assert parsed.subject == "문의드립니다"


def test_no_replacement_characters_in_the_shared_fixtures_headers():
    for path in sorted(FIXTURES.rglob("*.eml")):
        data = path.read_bytes()
        if "\ufffd".encode() in data:
            continue  # the sender's own replacement characters
        parsed = parse_email(data)
        names = [a.filename for a in parsed.attachments]
        assert "\ufffd" not in parsed.subject + parsed.from_name + "".join(names), path


# Broken header lines ----------------------------------------------------------


def test_a_broken_header_line_does_not_end_the_header_block():
    parsed = parse_email(
        raw(
            b"From: Ana <ana@acme.example>\n"
            b"this line is no header at all\n"
            b"To: support@helpdesk.example\n"
            b"Subject : Printer on fire\n"
            b"Content-Type: text/plain; charset=utf-8",
            b"The body.",
        )
    )
    assert (parsed.from_email, parsed.to) == ("ana@acme.example", ["support@helpdesk.example"])
    assert parsed.subject == "Printer on fire"
    assert parsed.text == "The body."
    assert any("header line" in note for note in parsed.notes)


def test_a_broken_header_line_in_real_mail_keeps_from_to_and_subject():
    parsed = parse_email(
        (FIXTURES / "mikel-mail/plain_emails/raw_email_incorrect_header.eml").read_bytes()
    )
    assert parsed.from_email == "xxx@xxx.xxx" and parsed.to == ["xxx@xxx.com"]
    assert parsed.subject == "Stop adware/spyware once and for all."
    assert parsed.text.startswith("You are infected with:")


def test_a_body_that_starts_without_a_blank_line_stays_the_body():
    parsed = parse_email(b"From: ana@acme.example\r\nSubject: Hi\r\nHello there,\r\nthanks.\r\n")
    assert parsed.subject == "Hi"
    assert parsed.text.startswith("Hello there,")


def test_20000_header_lines_are_cut_before_parsing_and_keep_what_we_read():
    junk = b"".join(b"X-Junk-%d: %d\r\n" % (i, i) for i in range(20_000))
    message = raw(
        junk + b"From: ana@acme.example\nTo: support@helpdesk.example\nSubject: Still here"
    )
    with cpu_budget(1):
        parsed = parse_email(message)
    assert (parsed.from_email, parsed.subject) == ("ana@acme.example", "Still here")
    assert parsed.to == ["support@helpdesk.example"]
    assert any("header fields were kept" in note for note in parsed.notes)


# Body charsets ----------------------------------------------------------------


def test_iso_2022_jp_with_nec_and_half_width_characters_reads_as_its_superset():
    body = (
        "お問い合わせ".encode("iso2022_jp")
        + b'\x1b$B-!-"\x1b(B'  # ①② (NEC row 13, as Windows mailers send it)
        + b" \x1b(I6@6E\x1b(B"  # ｶﾀｶﾅ (half-width katakana)
    )
    parsed = parse_email(
        raw(b"From: a@acme.example\nContent-Type: text/plain; charset=ISO-2022-JP", body)
    )
    assert parsed.text == "お問い合わせ①② ｶﾀｶﾅ"


@pytest.mark.parametrize(
    ("codec", "text"),
    [
        ("gbk", "您好，我们的打印机从昨天开始无法连接网络，请帮忙查看一下问题原因。"),
        ("gb2312", "请问退款什么时候能到账？我已经等了两个星期了，谢谢。"),
        ("cp1251", "Здравствуйте! Принтер в бухгалтерии не печатает со вчерашнего дня."),
    ],
)
def test_a_body_labelled_utf8_that_is_not_reads_as_what_it_is(codec, text):
    parsed = parse_email(
        raw(b"From: a@acme.example\nContent-Type: text/plain; charset=utf-8", text.encode(codec))
    )
    assert parsed.text == text


@pytest.mark.parametrize(
    ("codec", "text"),
    [
        ("utf-8", "Grüße, ich habe eine Frage zur Rechnung."),
        ("cp1251", "Здравствуйте! Принтер в бухгалтерии не печатает со вчерашнего дня."),
        ("cp1252", "Bonjour, la facture de décembre est erronée, merci de vérifier."),
    ],
)
def test_text_without_any_charset_is_read_as_what_it_is(codec, text):
    parsed = parse_email(raw(b"From: a@acme.example\nSubject: x", text.encode(codec)))
    assert parsed.text == text


# Structure --------------------------------------------------------------------


def mixed(*parts: bytes, boundary: bytes = b"b") -> bytes:
    body = b"".join(b"--" + boundary + b"\r\n" + p + b"\r\n" for p in parts)
    return raw(
        b"From: a@acme.example\nSubject: x\nMIME-Version: 1.0\n"
        b'Content-Type: multipart/mixed; boundary="' + boundary + b'"',
        body + b"--" + boundary + b"--\r\n",
    )


def test_a_text_part_then_an_html_part_in_mixed_shows_both_in_order():
    parsed = parse_email(
        mixed(
            b"Content-Type: text/plain\r\n\r\nFirst, in plain text.",
            b"Content-Type: text/html\r\n\r\n<p>Then in <b>HTML</b>.</p>",
        )
    )
    assert parsed.html.index("First, in plain text.") < parsed.html.index("<b>HTML</b>")


def test_alternatives_still_show_one_of_them():
    parsed = parse_email(
        raw(
            b"From: a@acme.example\nMIME-Version: 1.0\n"
            b'Content-Type: multipart/alternative; boundary="a"',
            b"--a\r\nContent-Type: text/plain\r\n\r\nPlain version\r\n"
            b"--a\r\nContent-Type: text/html\r\n\r\n<p>HTML version</p>\r\n--a--\r\n",
        )
    )
    assert parsed.html == "<p>HTML version</p>" and parsed.text == "Plain version"


def test_a_declared_boundary_that_never_appears_reads_the_content_as_the_body():
    parsed = parse_email(
        raw(
            b"From: a@acme.example\nMIME-Version: 1.0\n"
            b'Content-Type: multipart/mixed; boundary="never-there"',
            b"Hello, the boundary went missing but the text is here.",
        )
    )
    assert parsed.text == "Hello, the boundary went missing but the text is here."
    assert parsed.attachments == []


def test_an_inner_boundary_that_an_outer_one_prefixes_keeps_its_parts():
    """Outer "x--", inner "x----": "--x----" is the inner delimiter, though
    it also reads as the outer boundary closing ("--x--" + "--")."""
    parsed = parse_email(
        raw(
            b'From: a@acme.example\nContent-Type: multipart/mixed; boundary="x--"',
            b"--x--\r\n"
            b'Content-Type: multipart/mixed; boundary="x----"\r\n\r\n'
            b"--x----\r\nContent-Type: text/plain\r\n\r\nThe order has not arrived.\r\n"
            b"--x----\r\nContent-Type: application/pdf; name=receipt.pdf\r\n\r\n%PDF-1.4\r\n"
            b"--x------\r\n"
            b"--x--\r\nContent-Type: text/plain\r\n\r\nSent from my phone\r\n"
            b"--x----\r\n",
        )
    )
    assert parsed.text == "The order has not arrived.\n\nSent from my phone"
    assert [a.filename for a in parsed.attachments] == ["receipt.pdf"]


def test_a_boundary_reused_inside_stays_the_outer_ones():
    parsed = parse_email(
        raw(
            b'From: a@acme.example\nContent-Type: multipart/mixed; boundary="x"',
            b'--x\r\nContent-Type: multipart/mixed; boundary="x"\r\n\r\n'
            b"--x\r\nContent-Type: text/plain\r\n\r\nbody\r\n--x--\r\n",
        )
    )
    assert parsed.text == "body"


def test_a_uuencoded_file_inside_text_becomes_an_attachment():
    import binascii

    data = b"%PDF-1.4 the whole invoice" * 3
    lines = b"".join(binascii.b2a_uu(data[i : i + 45]) for i in range(0, len(data), 45))
    body = (
        b"See the attached invoice.\r\n\r\nbegin 644 invoice.pdf\r\n"
        + lines.replace(b"\n", b"\r\n")
        + b"`\r\nend\r\n\r\nRegards, Ana\r\n"
    )
    parsed = parse_email(raw(b"From: a@acme.example\nContent-Type: text/plain", body))
    assert [(a.filename, a.data) for a in parsed.attachments] == [("invoice.pdf", data)]
    assert "begin 644" not in parsed.text
    assert parsed.text.startswith("See the attached invoice.") and "Regards, Ana" in parsed.text


def test_an_rfc2231_file_name_wins_over_the_legacy_one():
    parsed = parse_email(
        mixed(
            b"Content-Type: text/plain\r\n\r\nHi",
            b'Content-Type: application/pdf; name="legacy.pdf"\r\n'
            b'Content-Disposition: attachment; filename="legacy.pdf";\r\n'
            b" filename*=UTF-8''%C5%BC%C3%B3%C5%82w.pdf\r\n\r\n%PDF",
            b"Content-Type: application/pdf; name=\"old.pdf\"; name*0*=UTF-8''K%C3%B6ln;\r\n"
            b' name*1="-Rechnung.pdf"\r\n\r\n%PDF',
        )
    )
    assert [a.filename for a in parsed.attachments] == ["żółw.pdf", "Köln-Rechnung.pdf"]


def test_unnamed_parts_get_the_usual_extension_and_their_description():
    parsed = parse_email(
        mixed(
            b"Content-Type: text/plain\r\n\r\nHi",
            b"Content-Type: video/quicktime\r\nContent-Disposition: attachment\r\n\r\nmoov",
            b"Content-Type: application/pdf\r\nContent-Description: Quarterly report\r\n"
            b"Content-Disposition: attachment\r\n\r\n%PDF",
        )
    )
    assert [a.filename for a in parsed.attachments] == ["video.mov", "Quarterly report.pdf"]


def test_an_attached_message_keeps_its_original_bytes():
    inner = (
        b"From: b@other.example\r\nSubject: Original\r\n"
        b"X-Long: " + b"word " * 40 + b"\r\n"  # a long line re-serialising would fold
        b"Content-Type: text/plain; charset=latin-1\r\n\r\n"
        b"Caf\xe9 body\r\n"
    )
    parsed = parse_email(
        mixed(
            b"Content-Type: text/plain\r\n\r\nForwarded below",
            b"Content-Type: message/rfc822\r\n\r\n" + inner,
        )
    )
    assert [a.filename for a in parsed.attachments] == ["message.eml"]
    assert parsed.attachments[0].data == inner


# Limits -----------------------------------------------------------------------


@pytest.fixture
def channel(db, pipeline):
    address = EmailAddressFactory(email="support@helpdesk.example")
    return EmailChannelFactory(address=address, pipeline=pipeline)


def deliver(message: bytes) -> InboundItem:
    item, _created = inbound_store(source=InboundItem.Source.PIPE, payload=message)
    inbound_process(item.pk)
    item.refresh_from_db()
    return item


def test_a_subject_longer_than_a_ticket_name_keeps_it_whole_on_the_message(channel):
    subject = " ".join(f"word{i:03d}" for i in range(100))  # 799 characters
    item = deliver(mail(subject=subject))
    assert item.status == "done", item.error
    assert item.message.subject == subject
    name = item.ticket.name
    assert len(name) <= Ticket._meta.get_field("name").max_length
    assert name.endswith("…") and subject.startswith(name[:-1])
    assert name[:-1].split(" ")[-1] in subject.split(" ")  # cut between words


def test_overlong_addresses_and_domains_never_overflow_their_columns(channel):
    domain = ".".join(["d" * 60] * 3) + ".example"  # 191 characters: a valid domain
    long_domain = ".".join(["d" * 60] * 3 + ["d" * 40]) + ".example"  # 231: past a company's
    item = deliver(mail(sender=f"Ana <ana@{long_domain}>", cc=f"{'x' * 250}@{domain}"))
    assert item.status == "done", item.error
    assert item.message.from_email == f"ana@{long_domain}"
    contact = item.message.contact
    assert len(contact.email) <= Contact._meta.get_field("email").max_length
    company = contact.company
    assert company is None or len(company.domain) <= Company._meta.get_field("domain").max_length
    assert item.message.cc == []  # 442 characters: no address at all


def test_a_long_provider_event_id_still_finds_redeliveries(channel):
    event_id = "e" * 255
    first, created = inbound_store(source="amazon_ses", payload=b"{}", event_id=event_id)
    again, created_again = inbound_store(source="amazon_ses", payload=b"{}", event_id=event_id)
    assert created and not created_again and first.pk == again.pk
    assert len(first.dedupe_key) <= InboundItem._meta.get_field("dedupe_key").max_length


@pytest.mark.django_db(transaction=True)
def test_a_redelivery_outside_a_transaction_returns_the_first_row():
    # The webhook stores in autocommit, without BEGIN and COMMIT around its
    # INSERT: a refused duplicate must still find the first row, and leave the
    # connection usable.
    first, created = inbound_store(source="postmark", payload=b"{}", event_id="pm-1")
    again, created_again = inbound_store(source="postmark", payload=b"{}", event_id="pm-1")
    assert created and not created_again and first.pk == again.pk
    assert InboundItem.objects.count() == 1


def test_a_redelivery_inside_a_transaction_leaves_it_usable(channel):
    with transaction.atomic():
        first, _created = inbound_store(source="postmark", payload=b"{}", event_id="pm-2")
        again, created_again = inbound_store(source="postmark", payload=b"{}", event_id="pm-2")
        assert not created_again and again.pk == first.pk
        assert InboundItem.objects.filter(pk=first.pk).exists()  # not an aborted transaction


@pytest.mark.parametrize(
    "garbage",
    [
        bytes(range(256)) * 40,  # binary
        b"\x89PNG\r\n\x1a\n" + bytes(range(200)) * 10,  # a picture, not a mail
        b"just some words on a line\nand another one\n",  # text without a single header
    ],
)
def test_a_file_that_is_not_an_email_fails_as_unreadable(channel, garbage):
    item = deliver(garbage)
    assert item.status == "failed"
    assert "not a readable email" in item.error


def test_large_files_are_decoded_straight_from_the_raw_bytes_and_exactly():
    import base64
    import tracemalloc

    big = bytes(range(256)) * (3 * 2**19 // 256)  # 1.5 MiB: past BIG_PART

    def attached(name: bytes, data: bytes) -> bytes:
        return (
            b"Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n"
            b'Content-Disposition: attachment; filename="'
            + name
            + b'"\r\n\r\n'
            + base64.encodebytes(data).replace(b"\n", b"\r\n")
        )

    message = mixed(
        b"Content-Type: text/plain\r\n\r\nSee the files",
        attached(b"one.bin", big),
        b"Content-Type: text/plain\r\nContent-Disposition: attachment; filename=small.txt"
        b"\r\n\r\nsmall",
        attached(b"two.bin", big[::-1]),
    )
    tracemalloc.start()
    parsed = parse_email(message)
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert [(a.filename, a.data) for a in parsed.attachments] == [
        ("one.bin", big),
        ("small.txt", b"small"),
        ("two.bin", big[::-1]),
    ]
    assert parsed.text == "See the files"
    assert peak < 4 * len(big)  # the decoded files and little else (Python's parser: 8 times)


def test_a_large_part_the_boundaries_hide_is_still_read():
    """Where our boundary reading and the parser's could differ, the parser's wins."""
    big = b"A" * (2 * 2**20)
    body = (
        b"--outer\r\nContent-Type: multipart/mixed; boundary=outer-inner\r\n\r\n"
        b"--outer-inner\r\nContent-Type: application/octet-stream\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n" + big + b"\r\n--outer-inner--\r\n--outer--\r\n"
    )
    parsed = parse_email(
        raw(b'From: a@acme.example\nContent-Type: multipart/mixed; boundary="outer"', body)
    )
    assert sum(len(a.data) for a in parsed.attachments) == len(big) * 3 // 4


def test_deep_multiparts_in_any_casing_are_refused_quickly():
    from channels_inbound.parsing import InboundParseError

    body = b"".join(
        f'Content-Type: MuLtIpArT/mixed; boundary="b{i}"\r\n\r\n--b{i}\r\n'.encode()
        for i in range(1000)
    )
    with cpu_budget(1), pytest.raises(InboundParseError, match="multipart sections"):
        parse_email(b"From: a@acme.example\r\nSubject: x\r\n" + body)
