"""E-mail backends standing in for mail servers. FailFirstAttemptBackend, for the
worker test: the mail server refuses each message the
first time it sees it, then accepts it. It stands in for a remote SMTP server (not on
this machine); attempts and deliveries are recorded as files in TEST_EMAIL_DIR so the
test process can count them across the worker process boundary."""

import hashlib
import os
import threading
from pathlib import Path
from smtplib import SMTPException

from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend


class FailFirstAttemptBackend(BaseEmailBackend):
    def send_messages(self, email_messages) -> int:
        directory = Path(os.environ["TEST_EMAIL_DIR"])
        for message in email_messages:
            key = hashlib.sha256(
                "\n".join([*message.to, message.subject, message.body]).encode()
            ).hexdigest()
            first_attempt = directory / f"refused-{key}"
            if not first_attempt.exists():
                first_attempt.touch()
                raise SMTPException("421 Service not available, try again later")
            with open(directory / "delivered.log", "a", encoding="utf-8") as log:
                log.write(f"{message.to[0]}\t{key}\n")
        return len(email_messages)


class HeldOpenBackend(BaseEmailBackend):
    """Delivers into django.core.mail.outbox, but holds the first message open
    until the test sets `release`: a slow mail server, on which a second sender can
    run while the first is still sending."""

    sending = threading.Event()
    release = threading.Event()

    def send_messages(self, email_messages) -> int:
        if not HeldOpenBackend.sending.is_set():
            HeldOpenBackend.sending.set()
            HeldOpenBackend.release.wait()
        mail.outbox.extend(email_messages)
        return len(email_messages)
