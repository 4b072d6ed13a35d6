"""TaskMonitor follows real tasks through their states, and says so deterministically."""

import pytest

from calc.tasks import add, divide
from classroom.monitor import TaskMonitor

pytestmark = pytest.mark.usefixtures("live_stack")


def test_a_new_monitor_shows_the_same_thing_every_time():
    first, second = TaskMonitor(), TaskMonitor()
    assert repr(first.widget) == repr(second.widget)
    assert "No tasks tracked yet" in first._table.value


def test_the_monitor_sees_started_then_success_or_failure(capsys):
    mon = TaskMonitor()
    mon.track(divide.delay(1, 2), divide.delay(1, 0), add.delay(2, 2))
    mon.wait(timeout=20)
    assert capsys.readouterr().out.strip() == "3 tasks: 1 FAILURE, 2 SUCCESS"
    histories = [row.history for row in mon.rows]
    assert histories[0] == ["PENDING", "STARTED", "SUCCESS"]  # divide sleeps: STARTED is seen
    assert histories[1] == ["PENDING", "STARTED", "FAILURE"]
    assert "ZeroDivisionError" in mon.rows[1].outcome
    assert "calc.tasks.divide" in mon._table.value
    assert "worker@" in mon._header.value


def test_wait_is_bounded_and_says_what_is_unfinished(capsys):
    mon = TaskMonitor()
    mon.track(divide.delay(1, 2))
    mon.wait(timeout=0.2)
    assert "still running: wait longer" in capsys.readouterr().out


def test_a_displayed_monitor_leaves_a_static_copy_of_its_last_state(monkeypatch, capsys):
    """Where no widget can run (a lesson read on a code host), its output still shows the
    table: a text/html copy beside the widget, brought up to date when wait() is done."""
    import IPython.display

    shown = {}
    monkeypatch.setattr(
        IPython.display, "display", lambda b, raw, display_id: shown.update({display_id: b})
    )
    monkeypatch.setattr(
        IPython.display, "update_display", lambda b, raw, display_id: shown.update({display_id: b})
    )
    mon = TaskMonitor()
    mon._ipython_display_()
    (first,) = shown.values()
    assert "application/vnd.jupyter.widget-view+json" in first
    assert "No tasks tracked yet" in first["text/html"]
    mon.track(divide.delay(1, 0))
    mon.wait(timeout=20)
    (last,) = shown.values()  # the same display, updated
    assert "ZeroDivisionError" in last["text/html"] and "FAILURE" in last["text/html"]
    assert last["text/plain"] == first["text/plain"]  # what nbval compares stays the same
