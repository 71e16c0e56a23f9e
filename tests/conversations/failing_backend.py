import smtplib

from django.core.mail.backends.base import BaseEmailBackend


class EmailBackend(BaseEmailBackend):
    """A mail server that refuses, with a secret in its error text."""

    def send_messages(self, messages):
        raise smtplib.SMTPException("535 auth failed for password hunter2")
