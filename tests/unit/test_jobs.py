from __future__ import annotations

from vertapp.jobs import Job, Progress, run_job, sub_job


def _count(n: int, log: list[str]) -> Job[int]:
    try:
        for i in range(n):
            yield Progress("count", (i + 1) / n)
        return n * 10
    finally:
        log.append("cleaned")


def test_run_job_returns_value_and_reports_progress() -> None:
    seen: list[float | None] = []
    log: list[str] = []
    assert run_job(_count(4, log), lambda p: seen.append(p.fraction)) == 40
    assert seen == [0.25, 0.5, 0.75, 1.0]
    assert log == ["cleaned"]


def test_sub_job_rescales_fractions() -> None:
    seen: list[float | None] = []
    assert run_job(sub_job(_count(2, []), 0.5, 1.0), lambda p: seen.append(p.fraction)) == 20
    assert seen == [0.75, 1.0]


def test_closing_a_job_runs_its_cleanup() -> None:
    log: list[str] = []
    job = _count(100, log)
    next(job)
    job.close()
    assert log == ["cleaned"]
