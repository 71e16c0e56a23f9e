# ruff: noqa: RUF001 (the Chinese text keeps its full-width punctuation)
"""The demo's rules (issue 17): what a team sets up first. The automatic
email in every language the demo's customers write in."""

ACKNOWLEDGE = {
    "": (
        "<p>Hello {contact_first_name},</p><p>Thank you for writing to us. Your request is "
        "{ticket_number}, and a teammate will answer as soon as they can.</p>"
    ),
    "ko": (
        "<p>{contact_first_name}님, 안녕하세요.</p><p>문의해 주셔서 감사합니다. 문의 번호는 "
        "{ticket_number}이며, 담당자가 최대한 빨리 답변드리겠습니다.</p>"
    ),
    "fi": (
        "<p>Hei {contact_first_name},</p><p>Kiitos viestistäsi. Pyyntösi numero on "
        "{ticket_number}, ja tiimimme vastaa sinulle niin pian kuin mahdollista.</p>"
    ),
    "de": (
        "<p>Hallo {contact_first_name},</p><p>vielen Dank für Ihre Nachricht. Ihre Anfrage hat "
        "die Nummer {ticket_number}; wir antworten Ihnen so bald wie möglich.</p>"
    ),
    "zh-hant": (
        "<p>{contact_first_name} 您好：</p><p>感謝您的來信。您的問題編號為 {ticket_number}，"
        "我們的客服人員會盡快回覆您。</p>"
    ),
    "pl": (
        "<p>Dzień dobry, {contact_first_name},</p><p>dziękujemy za wiadomość. Twoje zgłoszenie ma "
        "numer {ticket_number}; odpowiemy najszybciej, jak to możliwe.</p>"
    ),
}

STALE_COMMENT = (
    "<p>Closed after five business days without an answer from the customer. "
    "A reply from them opens it again.</p>"
)
