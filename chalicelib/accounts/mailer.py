"""Sending email through Amazon SES (moto's SES locally: the local gateway's outbox shows it)."""


class EmailSender:
    """Plain-text emails from one verified SES identity."""

    def __init__(self, client, sender):
        self._client = client  # an SES (v1) client
        self._sender = sender

    @classmethod
    def from_env(cls):
        from chalicelib.core.aws import client
        from chalicelib.core.config import settings

        return cls(client("ses"), settings().ses_sender)

    def send(self, to, subject, text):
        """Send one email to `to`; botocore's error if SES refuses it."""
        self._client.send_email(
            Source=self._sender,
            Destination={"ToAddresses": [to]},
            Message={"Subject": {"Data": subject, "Charset": "UTF-8"},
                     "Body": {"Text": {"Data": text, "Charset": "UTF-8"}}},
        )
