"""Background jobs (DESIGN §3, §11): weigh + results snapshot, prepare a draft, publish.

A view or command records a :class:`~survey_app.models.Job` (at most one active per wave),
commits, then :func:`start` hands it to RQ on the production Redis, or, with no queue
configured (a laptop, the test suite), runs it at once in the same process. Either way the
work is :func:`perform`, which commits the job's progress as it goes so that the wave page can
show it, and ends every job as done or failed with a reason: never a 500 on the page that
asked for it. A job whose worker died is found by :func:`refresh` and shown as failed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

from flask import current_app, has_app_context
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from survey_app.exceptions import SurveyError
from survey_app.extensions import db
from survey_app.models import Job, JobKind, JobState, Release, StaffUser, Wave
from survey_app.models.job import ACTIVE
from survey_app.models.types import utcnow
from survey_app.services import audit, releases, snapshots

log = logging.getLogger(__name__)
QUEUE_NAME = "surveys"


def submit(kind: JobKind, wave: Wave, actor: StaffUser | None, **params: object) -> Job:
    """Records a job for ``wave``; refused while another job of the wave is queued or running."""
    for job in active(wave):
        refresh(job)
    if active(wave):
        raise SurveyError("Another job for this wave is still running: wait for it to finish.")
    job = Job(kind=kind, wave_id=wave.id, created_by_id=actor.id if actor else None, params=params)
    try:
        with db.session.begin_nested():
            db.session.add(job)
    except IntegrityError:  # another request recorded one between our check and this insert
        raise SurveyError("Another job for this wave is still running: wait for it to finish.") from None
    return job


def active(wave: Wave) -> list[Job]:
    return list(db.session.scalars(select(Job).where(Job.wave_id == wave.id, Job.state.in_(ACTIVE))))


def latest(wave: Wave) -> Job | None:
    """The wave's newest job, its state brought up to date."""
    job = db.session.scalar(select(Job).where(Job.wave_id == wave.id).order_by(Job.id.desc()).limit(1))
    if job is not None and job.active and refresh(job):
        db.session.commit()
    return job


def start(job: Job) -> None:
    """Runs a committed job: on RQ when a queue is configured, else here and now."""
    if current_app.config["JOB_QUEUE_URL"] is None:
        perform(job.id)
        return
    try:
        _enqueue(job)
    except Exception as error:  # Redis away: say so on the page, never a 500
        log.warning("job %s could not be queued: %s", job.id, type(error).__name__)
        job.fail("The job queue cannot be reached just now: try again in a few minutes.")
        db.session.commit()


def _redis():
    """The job queue's Redis; a refused or slow connection fails in seconds, not minutes."""
    from redis import Redis

    return Redis.from_url(current_app.config["JOB_QUEUE_URL"], socket_connect_timeout=2)


def _enqueue(job: Job) -> None:
    from rq import Queue, Retry

    Queue(QUEUE_NAME, connection=_redis()).enqueue(
        run_queued,
        job.id,
        job_id=rq_id(job),
        job_timeout=current_app.config["JOB_TIMEOUT_SECONDS"],
        retry=Retry(max=2, interval=[5, 30]),
    )


def rq_id(job: Job) -> str:
    return f"surveys-job-{job.id}"


def refresh(job: Job) -> bool:
    """Marks an active job failed if nothing can still be running it: RQ says it failed or
    lost it, or it has run past the time limit. True when it changed."""
    limit = timedelta(seconds=current_app.config["JOB_TIMEOUT_SECONDS"] + 60)
    if utcnow() - (job.started_at or job.created_at) > limit:
        job.fail("This job stopped without finishing (its worker may have been restarted): start it again.")
        return True
    if current_app.config["JOB_QUEUE_URL"] is None:
        return False
    status = _rq_status(job)
    if status in ("failed", "stopped", "canceled", "missing"):
        job.fail("This job failed in the background worker, even after retries: start it again.")
        return True
    return False


def _rq_status(job: Job) -> str | None:
    from rq.exceptions import NoSuchJobError
    from rq.job import Job as QueuedJob

    try:
        return QueuedJob.fetch(rq_id(job), connection=_redis()).get_status(refresh=True)
    except NoSuchJobError:
        return "missing"
    except Exception:  # Redis away: say nothing new rather than fail the page
        return None


def run_queued(job_id: int) -> None:
    """RQ's entry point: runs in a worker, inside the app of ``flask jobs worker`` or a new one."""
    if has_app_context():
        db.engine.dispose(close=False)  # never share the parent's connections after a fork
        perform(job_id, raise_unexpected=True)
        return
    from survey_app import create_app

    with create_app().app_context():
        perform(job_id, raise_unexpected=True)


def perform(job_id: int, raise_unexpected: bool = False) -> None:
    """Runs the job to its end, committing as it goes. A :class:`SurveyError` fails it with
    its message; anything else fails it too, or (on RQ) is raised for RQ to retry."""
    job = db.session.get(Job, job_id)
    if job is None or not job.active:
        return
    if job.state is JobState.QUEUED:
        job.start()
    job.advance(1, "started")
    db.session.commit()
    actor = db.session.get(StaffUser, job.created_by_id) if job.created_by_id else None

    def progress(percent: int, stage: str) -> None:
        job.advance(percent, stage)
        db.session.commit()

    try:
        message, result_id = RUNNERS[job.kind](job, actor, progress)
        job.succeed(message, result_id)
        db.session.commit()
    except SurveyError as error:
        _end_failed(job_id, error.message)
    except Exception:
        log.exception("job %s (%s) failed", job_id, job.kind.value)
        if raise_unexpected:
            db.session.rollback()
            raise
        _end_failed(job_id, "Something went wrong while running this job; it has been logged.")


def _end_failed(job_id: int, message: str) -> None:
    db.session.rollback()
    job = db.session.get(Job, job_id)
    job.fail(message)
    db.session.commit()


Runner = Callable[[Job, StaffUser | None, snapshots.Progress], tuple[str, int | None]]


def _weigh(job: Job, actor: StaffUser | None, progress: snapshots.Progress) -> tuple[str, int]:
    """Weighs the wave (the run is committed at once), then stores the run's results snapshot."""
    wave = db.session.get(Wave, job.wave_id)
    run = snapshots.weigh(
        wave,
        actor,
        progress=progress,
        on_weighed=lambda run: audit.record(
            actor, "weigh_wave", "wave", wave.id, run=run.id, converged=run.converged
        ),
        **job.params,
    )
    if not run.converged:
        return f"Weighting did not converge: {run.problem}", run.id
    return "Weighted: the results below are from this weighting.", run.id


def _draft(job: Job, actor: StaffUser | None, progress: snapshots.Progress) -> tuple[str, int]:
    release = releases.create_draft(db.session.get(Wave, job.wave_id), actor)
    audit.record(actor, "prepare_release", "release", release.id, wave=job.wave_id)
    return "Draft release prepared. Someone else must check and publish it.", release.id


def _publish(job: Job, actor: StaffUser | None, progress: snapshots.Progress) -> tuple[str, int]:
    release = db.session.get(Release, job.params["release_id"])
    progress(20, "rendering the release's files")
    releases.publish(release, actor)
    audit.record(actor, "publish_release", "release", release.id, checksum=release.checksum)
    return "Published.", release.id


RUNNERS: dict[JobKind, Runner] = {JobKind.WEIGH: _weigh, JobKind.DRAFT: _draft, JobKind.PUBLISH: _publish}


def worker(burst: bool = False) -> None:
    """An RQ worker on the jobs queue, inside this app (``flask jobs worker``)."""
    from rq import Queue, Worker

    connection = _redis()
    # The scheduler is what re-queues a job retried after an interval (see ``_enqueue``).
    Worker([Queue(QUEUE_NAME, connection=connection)], connection=connection).work(
        burst=burst, with_scheduler=True
    )
