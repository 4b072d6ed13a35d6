"""A pretend SMTP server that drops connections on purpose, for the lesson on failures: the same
errors as a real one, on cue, so that a retry can be watched rather than waited for."""

from smtplib import SMTPServerDisconnected


def deliver(address: str, fail_times: int, attempt: int) -> str:
    """Hand one e-mail to the server. It drops the first `fail_times` attempts (0, 1, … as the
    task's `self.request.retries` counts them); an address without "@" is refused for good."""
    if "@" not in address:
        raise ValueError(f"{address!r} is not an e-mail address: no retry will fix it")
    if attempt < fail_times:
        raise SMTPServerDisconnected(
            f"Connection unexpectedly closed (attempt {attempt + 1} for {address})"
        )
    return f"delivered to {address} on attempt {attempt + 1}"
