"""Lesson 07, when tasks fail: retry what may pass next time, with a bound and a backoff, and stop
a task that runs too long, keeping what it did."""

from __future__ import annotations

import re
import time

from ..exercises import Incorrect, exercise, learner_task, prediction, worker_log
from ..services import worker_hostname

GIVEN = """
from classroom import stack
from classroom.workspace import put_task
"""


def _registered(name: str) -> dict[str, str] | None:
    """The options the kit's worker registered `name` with ({} for none), None if unknown.
    Incorrect if the worker does not answer."""
    from proj.celery import app

    items = ("time_limit", "soft_time_limit", "max_retries", "acks_late")
    answer = app.control.inspect([worker_hostname()], timeout=1.0).registered(*items) or {}
    if worker_hostname() not in answer:
        raise Incorrect("the worker does not answer; run `python -m classroom doctor`.")
    for line in answer[worker_hostname()]:
        task, _, options = line.partition(" ")
        if task == name:
            return dict(re.findall(r"(\w+)=(\S+?)[ \]]", options + " "))
    return None


def _retries(task_id: str) -> list[int]:
    """The countdowns, in seconds, of the retries the worker's log shows for one task."""
    lines = worker_log(task_id, "retry:", timeout=0.2)
    return [int(m.group(1)) for _, text in lines if (m := re.search(r"Retry in (\d+)s", text))]


def _revoke(results) -> None:
    """Cancel what the check sent and is still waiting for a retry in the worker's memory."""
    from proj.celery import app

    waiting = [r.id for r in results if not r.ready()]
    if waiting:
        app.control.revoke(waiting)


RETRY_NAME = "playground.tasks.deliver_mail"
STUB_Q1 = '''
MY_TASK = """
from smtplib import SMTPServerDisconnected

from celery import shared_task
from comments import flaky


@shared_task(bind=True{options})
def deliver_mail(self, address, fail_times):
    return flaky.deliver(address, fail_times, attempt=self.request.retries)
"""
put_task(MY_TASK)
{restart}q1 = "{name}"
'''


def _deliver_mail(options: str, restart: bool = True) -> str:
    return STUB_Q1.format(
        options=options, restart='stack.restart("worker")\n' if restart else "", name=RETRY_NAME
    )


SOLUTION_Q1 = ", autoretry_for=(SMTPServerDisconnected,), retry_backoff=True, max_retries=3"
# (address, fail_times): what the check sends, and what each must end as
CASES_Q1 = {
    ("ada@example.com", 0): ("SUCCESS", "on attempt 1"),
    ("bob@example.com", 2): ("SUCCESS", "on attempt 3"),
    ("cy@example.com", 9): ("FAILURE", "attempt 4 for"),
    ("not-an-address", 0): ("FAILURE", "is not an e-mail address"),
}


@exercise(
    "q1",
    "Retry a dropped connection, with a backoff and a bound",
    "q1",
    stub='''
        # deliver_mail hands an e-mail to the flaky SMTP server, which drops the first
        # `fail_times` attempts. Make Celery retry it when the connection drops
        # (SMTPServerDisconnected), and only then, waiting longer each time (an exponential
        # backoff), 3 times at most. Add those options to the decorator, have the worker
        # load it, and name the task in q1.
        MY_TASK = """
        from smtplib import SMTPServerDisconnected

        from celery import shared_task
        from comments import flaky


        @shared_task(bind=True)  # add the retry options here
        def deliver_mail(self, address, fail_times):
            return flaky.deliver(address, fail_times, attempt=self.request.retries)
        """
        put_task(MY_TASK)

        q1 = ____  # the name the worker knows your task by
    ''',
    solution=_deliver_mail(SOLUTION_Q1),
    hints=[
        "Three options of the task decorator do it all: `autoretry_for` (a tuple of exception "
        "classes), `retry_backoff` and `max_retries`.",
        "`@shared_task(bind=True, autoretry_for=(SMTPServerDisconnected,), retry_backoff=True, "
        "max_retries=...)`, then restart the worker as in lesson 04.",
    ],
    given=GIVEN,
    wrong={
        "retries every exception": _deliver_mail(
            ", autoretry_for=(Exception,), retry_backoff=True, max_retries=3"
        ),
        "no backoff": _deliver_mail(", autoretry_for=(SMTPServerDisconnected,), max_retries=3"),
        "no bound": _deliver_mail(
            ", autoretry_for=(SMTPServerDisconnected,), retry_backoff=True, max_retries=None"
        ),
        "retries an exception that never comes": _deliver_mail(
            ", autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=3"
        ),
        "the worker not restarted": _deliver_mail(SOLUTION_Q1, restart=False),
    },
    writes_code=True,
)
def check_q1(q1, ns):
    from proj.celery import app

    learner_task(q1, RETRY_NAME, "q1")
    sent = {case: app.send_task(q1, args=case) for case in CASES_Q1}
    try:
        for (address, fails), (state, text) in CASES_Q1.items():
            result = sent[(address, fails)]
            call = f"deliver_mail({address!r}, {fails})"
            deadline = time.monotonic() + 20
            while not result.ready() and time.monotonic() < deadline:
                if len(_retries(result.id)) > 3:
                    break
                time.sleep(0.25)
            retries = _retries(result.id)
            if "@" not in address and retries:
                raise Incorrect(
                    f"{call} was retried, but a bad address fails the same way every time: "
                    "retry only the error that may pass next time, SMTPServerDisconnected."
                )
            if len(retries) > 3:
                raise Incorrect(
                    f"{call} was retried {len(retries)} times and is not done: give the "
                    "retries a bound, max_retries=3, or a server that is down for good is "
                    "tried for ever."
                )
            if any(countdown >= 60 for countdown in retries):
                raise Incorrect(
                    f"{call} waits {max(retries)} s before its next try: Celery's default "
                    "delay. Ask for an exponential backoff (retry_backoff=True): 1, 2, 4 s…"
                )
            if not result.ready():
                raise Incorrect(f"{call} was not done after 20 s: is the worker running?")
            value = result.get(propagate=False)
            if fails and not retries and result.state == "FAILURE":
                raise Incorrect(
                    f"{call} failed on the first dropped connection, without a retry: "
                    f"{value!r}. autoretry_for must name the exception the server raises."
                )
            if result.state != state or text not in str(value):
                raise Incorrect(f"{call} ended {result.state} with {value!r}.")
    finally:
        _revoke(sent.values())
    return (
        "the worker retried the dropped connections with a growing wait, gave up after 3 "
        "retries, and failed a bad address at once: retry what may pass next time, never "
        "what cannot."
    )


LIMIT_NAME = "playground.tasks.count_slowly"
STUB_Q2 = '''
MY_TASK = """
import time

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded


@shared_task{options}
def count_slowly(n, seconds_each):
    done = 0
    try:
        for _ in range(n):
            time.sleep(seconds_each)
            done += 1
    except {caught}:
        pass  # the time is up: return what is done
    return done
"""
put_task(MY_TASK)
{restart}q2 = "{name}"
'''


def _count_slowly(options: str, caught: str = "SoftTimeLimitExceeded") -> str:
    return STUB_Q2.format(
        options=options, caught=caught, restart='stack.restart("worker")\n', name=LIMIT_NAME
    )


@exercise(
    "q2",
    "Stop a task that runs too long, and keep what it did",
    "q2",
    stub='''
        # count_slowly(n, seconds_each) counts to n, one step every seconds_each. Give it a
        # soft time limit of 1 second, which it catches to return what it counted, and a hard
        # limit of 3 seconds, the safety net for code that would not stop. Fill in the except,
        # add the limits to the decorator, have the worker load it, and name it in q2.
        MY_TASK = """
        import time

        from celery import shared_task
        from celery.exceptions import SoftTimeLimitExceeded


        @shared_task  # add the time limits here
        def count_slowly(n, seconds_each):
            done = 0
            try:
                for _ in range(n):
                    time.sleep(seconds_each)
                    done += 1
            except ____:
                pass  # the time is up: return what is done
            return done
        """
        put_task(MY_TASK)

        q2 = ____  # the name the worker knows your task by
    ''',
    solution=_count_slowly("(soft_time_limit=1, time_limit=3)"),
    hints=[
        "The decorator takes `soft_time_limit` and `time_limit`, in seconds. At the soft "
        "limit, Celery raises an exception inside the task, which it may catch.",
        "`@shared_task(soft_time_limit=1, time_limit=3)`, and `except SoftTimeLimitExceeded:`.",
    ],
    given=GIVEN,
    wrong={
        "no limit at all": _count_slowly(""),
        "the soft limit not caught": _count_slowly(
            "(soft_time_limit=1, time_limit=3)", caught="ValueError"
        ),
        "a hard limit only": _count_slowly("(time_limit=1)"),
        "no safety net": _count_slowly("(soft_time_limit=1)"),
    },
    writes_code=True,
)
def check_q2(q2, ns):
    from proj.celery import app

    learner_task(q2, LIMIT_NAME, "q2")
    short = app.send_task(q2, args=(3, 0.1))
    long = app.send_task(q2, args=(40, 0.1))
    value = short.get(timeout=10, propagate=False)
    if short.state != "SUCCESS" or value != 3:
        raise Incorrect(f"count_slowly(3, 0.1), 0.3 s of work, ended {short.state}: {value!r}.")
    try:
        value = long.get(timeout=10, propagate=False)
    except Exception:
        raise Incorrect("count_slowly(40, 0.1) was not done after 10 s.") from None
    call = "count_slowly(40, 0.1), 4 s of work,"
    if long.state == "FAILURE" and "TimeLimitExceeded" in type(value).__name__:
        if type(value).__name__ == "SoftTimeLimitExceeded":
            raise Incorrect(
                f"{call} ended FAILURE with SoftTimeLimitExceeded: the soft limit raised it "
                "inside your task, and nothing caught it. Catch it, and return what is done."
            )
        raise Incorrect(
            f"{call} ended FAILURE with {value!r}: the hard limit killed the process running "
            "it, so nothing could be returned. The soft limit comes first, and can be caught."
        )
    if long.state != "SUCCESS" or not isinstance(value, int):
        raise Incorrect(f"{call} ended {long.state}: {value!r}.")
    if value >= 40:
        raise Incorrect(f"{call} counted all 40: nothing stopped it after 1 s.")
    if not 4 <= value <= 15:
        raise Incorrect(f"{call} counted {value}: about 10 steps fit in 1 s.")
    options = _registered(LIMIT_NAME) or {}
    if options.get("time_limit") != "3" or options.get("soft_time_limit") != "1":
        raise Incorrect(
            f"the worker has count_slowly with {options or 'no limits'}: a soft limit of 1 s "
            "and a hard one of 3 s. The hard one is the safety net, for code that would not "
            "stop at the soft one (a C call that never returns to Python)."
        )
    return (
        f"0.3 s of work finished; 4 s of work was stopped after 1 s and returned {value}: what "
        "it had done. The hard limit waits behind it."
    )


P1 = prediction(
    "p1",
    choices={
        "a": "another process runs it again, and it ends SUCCESS",
        "b": "it ends FAILURE (WorkerLostError), and nothing runs it again",
        "c": "it stays STARTED for ever",
    },
    # observed: the state the task ended in, within a bound
    happened=lambda state: {"SUCCESS": "a", "FAILURE": "b", "STARTED": "c"}.get(state),
    expected="b",
    why=(
        "by default a worker acknowledges a message just before it runs the task: from then "
        "on Redis has forgotten it. When the process running it dies, the worker records "
        "WorkerLostError, and the message is gone."
    ),
)
