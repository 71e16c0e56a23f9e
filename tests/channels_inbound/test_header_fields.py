"""Header fields read as mail clients read them (issue 15): dates with
comments or odd zones, message ids without brackets, content types with
comments and spaces."""

from datetime import UTC, datetime, timedelta, timezone

from channels_inbound.parsing import parse_email


def message(headers: str, body: bytes = b"Hello") -> bytes:
    head = "From: ana@acme.example\nTo: support@helpdesk.example\nSubject: Hi\n" + headers
    return head.replace("\n", "\r\n").encode() + b"\r\n\r\n" + body


def test_date_with_comments_is_read_without_them():
    parsed = parse_email(message("Date: Tue, 1 Jul 2003 (sent (late)) 10:52:37 +0200"))
    assert parsed.date == datetime(2003, 7, 1, 10, 52, 37, tzinfo=timezone(timedelta(hours=2)))


def test_date_with_an_unknown_or_unspecified_zone_is_read_as_utc():
    for zone in ("-0000", "ZZZZ", "A"):
        parsed = parse_email(message(f"Date: Thu, 10 Jul 1997 14:53:31 {zone}"))
        assert parsed.date == datetime(1997, 7, 10, 14, 53, 31, tzinfo=UTC), zone


def test_date_with_a_posix_zone_or_a_numeric_month():
    posix = parse_email(message("Date: Thu, 10 Jul 1997 14:53:31 EST5EDT"))
    numeric = parse_email(message("Date: 20 11 79 05:34:27 -0300"))
    assert posix.date == datetime(1997, 7, 10, 14, 53, 31, tzinfo=timezone(timedelta(hours=-5)))
    assert numeric.date == datetime(1979, 11, 20, 5, 34, 27, tzinfo=timezone(timedelta(hours=-3)))


def test_unparseable_date_is_none():
    assert parse_email(message("Date: some numbers 0 1 2 but invalid")).date is None


def test_message_ids_without_brackets_are_read_as_one_word():
    parsed = parse_email(
        message(
            "Message-ID: abc.123@mail.acme.example\n"
            "In-Reply-To: t-42@helpdesk.example\n"
            "References: <t-41@helpdesk.example>\n <t-42@helpdesk.example>"
        )
    )
    assert parsed.message_id == "<abc.123@mail.acme.example>"
    assert parsed.in_reply_to == "<t-42@helpdesk.example>"
    assert parsed.references == ["<t-41@helpdesk.example>", "<t-42@helpdesk.example>"]


def test_in_reply_to_in_words_is_no_message_id():
    parsed = parse_email(message("In-Reply-To: Your message of Tue, 1 Jul 2003"))
    assert parsed.in_reply_to == ""


def test_content_type_with_comments_and_spaces_around_the_slash():
    parsed = parse_email(
        message(
            'Content-Type: multipart/mixed; boundary="b"',
            b"--b\r\nContent-Type: (the body) text / html; charset=utf-8\r\n\r\n<p>Hei</p>\r\n"
            b"--b\r\nContent-Type: image/ jpeg\r\nContent-Disposition: attachment;"
            b' filename="a.jpg"\r\n\r\nJPEG\r\n--b--\r\n',
        )
    )
    assert "<p>Hei</p>" in parsed.html
    assert [(a.filename, a.content_type) for a in parsed.attachments] == [("a.jpg", "image/jpeg")]


def test_content_type_that_is_no_type_is_text_plain():
    parsed = parse_email(message("Content-Type: /html", b"Plain words"))
    assert (parsed.text, parsed.html, parsed.attachments) == ("Plain words", "", [])


def test_date_after_a_trace_headers_semicolon_or_before_a_stray_one():
    for value in (
        "by mx.acme.example; Mon, 10 Oct 2022 03:31:15 -0700",
        "10 Oct 2022 03:31:15 -0700;",
    ):
        parsed = parse_email(message(f"Date: {value}"))
        assert parsed.date == datetime(
            2022, 10, 10, 3, 31, 15, tzinfo=timezone(timedelta(hours=-7))
        )


def test_an_encoded_word_glued_to_a_tag_before_it_reads_as_a_word_of_its_own():
    """A spam filter's "[SPAM]" prefixed without a space: Python's and
    stalwart's decoders read a space there, and so does the agent."""
    glued = parse_email(
        message("", b"x").replace(b"Subject: Hi", b"Subject: [SPAM]=?utf-8?q?Caf=C3=A9?=")
    )
    quoted = parse_email(
        message("", b"x").replace(b"Subject: Hi", b'Subject: "=?utf-8?q?Caf=C3=A9?="')
    )
    assert glued.subject == "[SPAM] Café"
    assert quoted.subject == '"Café"'
