"""A stand-in for a real SMTP server, slow like one, that keeps what it sends in files.

Each message takes settings.SMTP_LATENCY_SECONDS (the network round trips of a real SMTP
conversation), then goes to its own file in settings.EMAIL_FILE_PATH, so that you can read
what was sent, and by whom.
"""

import email
import os
import time
import uuid
from datetime import datetime
from email.message import Message
from pathlib import Path

from django.conf import settings
from django.core.mail.backends import filebased


class SlowFileBackend(filebased.EmailBackend):
    """Django's file-based backend, with an SMTP server's latency and one file per message."""

    def send_messages(self, email_messages):
        sent = 0
        for message in email_messages:
            if not message.recipients():
                continue
            time.sleep(settings.SMTP_LATENCY_SECONDS)
            name = f"{datetime.now():%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:8]}.eml"
            path = Path(self.file_path) / name
            # write, then rename: a reader never sees half a message
            partial = path.with_suffix(".part")
            partial.write_bytes(message.message().as_bytes())
            os.replace(partial, path)
            sent += 1
        return sent


def outbox(comment_id: int | None = None) -> list[Message]:
    """The messages sent so far, oldest first; only those about one comment if given."""
    messages = []
    for path in sorted(Path(settings.EMAIL_FILE_PATH).glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes())
        if comment_id is None or message["X-Comment-Id"] == str(comment_id):
            messages.append(message)
    return messages
