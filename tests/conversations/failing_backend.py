import smtplib

from django.core.mail.backends.base import BaseEmailBackend


class EmailBackend(BaseEmailBackend):
    """A mail server that refuses, with a secret in its error text."""

    def send_messages(self, messages):
        raise smtplib.SMTPException("535 auth failed for password hunter2")


class NoReturnPathBackend(BaseEmailBackend):
    """An ESP (as anymail drives it) that cannot set a return path: it refuses
    a message whose envelope sender differs from its From, before any request."""

    sent: list = []

    def send_messages(self, messages):
        from anymail.exceptions import AnymailUnsupportedFeature

        for message in messages:
            if "From" in message.extra_headers:
                raise AnymailUnsupportedFeature("envelope_sender")
            NoReturnPathBackend.sent.append(message)
        return len(messages)
