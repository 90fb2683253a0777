"""What a window says of a project's holder: a computer and a time a person reads.

"process 26869 on vm since 2026-11-30 20:02" meant nothing to a radiologist; the pid
stays in the log and on the command line (`LockInfo.words`)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from vertapp.annotations import project_lock
from vertapp.annotations.project_lock import LockInfo, taken_away_words

NOW = datetime(2026, 11, 30, 21, 0, tzinfo=timezone(timedelta(hours=1)))


def _holder(started: str, host: str | None = None) -> LockInfo:
    return LockInfo(26869, host or project_lock._host(), "1.0", started, "ab" * 8)


def test_the_time_is_said_as_a_person_says_it() -> None:
    def when(started: str) -> str:
        return _holder(started).when_words(NOW)

    assert when("2026-11-30T20:02:37+01:00") == "20:02 today"
    assert when("2026-11-29T08:15:00+01:00") == "08:15 yesterday"
    assert when("2026-11-02T08:15:00+01:00") == "08:15 on 2 Nov"
    assert when("2025-12-31T23:59:00+01:00") == "23:59 on 31 Dec 2025"
    assert when("2026-11-30T19:02:37+00:00") == "20:02 today"  # another computer's clock
    assert when("not a time") == ""


def test_the_computer_is_named_only_when_it_is_another() -> None:
    assert _holder("2026-11-30T20:02:37+01:00").where_words() == ""
    other = _holder("2026-11-30T20:02:37+01:00", host="ws-12")
    assert other.where_words() == " on ws-12" and other.elsewhere()


def test_the_taken_away_words_have_no_process_id() -> None:
    started = datetime.now().astimezone().replace(hour=20, minute=2).isoformat()
    words = taken_away_words(_holder(started))
    assert words == (
        "Another VertApp window opened this project at 20:02 today, so this window is read-only now"
    )
    assert "26869" in _holder(started).words()  # the log's words keep it
