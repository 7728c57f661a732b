"""Thin click commands: each calls services and commits once."""

from __future__ import annotations

import sys

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import select

from survey_app import jobs
from survey_app.exceptions import SurveyError
from survey_app.extensions import db
from survey_app.models import Job, JobKind, JobState, Release, Role, StaffUser, Wave, WeightRun
from survey_app.services import (
    audit,
    builtin,
    demo,
    microdata,
    retention,
    staff,
    waves,
)
from survey_app.services.access_codes import display


@click.command("builtin")
@with_appcontext
def load_builtin() -> None:
    """Load the built-in questionnaires, indicators and London boroughs (idempotent)."""
    builtin.load_all()
    db.session.commit()
    click.echo("Built-in questionnaires, indicators and boroughs are loaded.")


@click.command("demo")
@with_appcontext
@click.option(
    "--responses",
    default=0,
    show_default=True,
    help="Top the demo pupil wave up to this many synthetic responses.",
)
@click.option("--seed", default=2026, show_default=True, help="Random seed for the responses.")
def load_demo(responses: int, seed: int) -> None:
    """Create the demo schools, waves, codes and margins (idempotent) and print how to start."""
    summary = demo.load_demo(
        responses=responses, seed=seed, max_text=current_app.config["FREE_TEXT_MAX_CHARS"]
    )
    db.session.commit()
    click.echo(f"Demo ready: {summary.responses_added} responses added.\n")
    click.echo("Pupil survey (kiosk): open http://127.0.0.1:5000/ and type a class code:")
    for code in summary.class_codes[:4]:
        click.echo(f"  {display(code.code)}  {code.school.name}, {code.class_label}")
    unused = [c for c in summary.invitation_codes if c.uses == 0]
    if unused:
        click.echo(f"\nPublic survey: a one-time invitation code: {display(unused[0].code)}")
    click.echo(f"Public survey open link: http://127.0.0.1:5000/public/{summary.public_wave.slug}")
    if summary.staff:
        click.echo("\nStaff sign-in at http://127.0.0.1:5000/staff/login (passwords shown once):")
        for email, password in summary.staff:
            click.echo(f"  {email}  {password}")


users = AppGroup("users", help="Staff accounts.")


@users.command("create")
@click.option("--email", required=True)
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from standard input "
    "instead of generating one (never pass passwords as arguments).",
)
def create_user(email: str, role: str, password_stdin: bool) -> None:
    """Create a staff user; prints a generated password unless one is piped in."""
    password = sys.stdin.readline().rstrip("\n") if password_stdin else None
    try:
        user, chosen = staff.create_user(email, Role(role), password)
    except SurveyError as error:
        raise click.ClickException(error.message) from None
    audit.record(None, "create_user", "staff_user", user.id, role=role)
    db.session.commit()
    click.echo(f"Created {role} {user.email}.")
    if not password_stdin:
        click.echo(f"Password (shown once; ask them to keep it in a password manager): {chosen}")


waves_cli = AppGroup("waves", help="Survey waves.")


@waves_cli.command("tick")
def tick() -> None:
    """Close open waves whose closing date has passed (run every few minutes from cron)."""
    closed = waves.close_past_waves()
    for wave in closed:
        audit.record(None, "close_wave", "wave", wave.id, reason="closing date passed")
    db.session.commit()
    click.echo(f"Closed {len(closed)} wave(s).")


results_cli = AppGroup("results", help="Weighting, releases and publication.")


def _wave(wave_id: int) -> Wave:
    wave = db.session.get(Wave, wave_id)
    if wave is None:
        raise click.ClickException(f"There is no wave {wave_id}.")
    return wave


def _staff(email: str | None) -> StaffUser | None:
    if email is None:
        return None
    user = db.session.scalar(select(StaffUser).where(StaffUser.email == email.strip().lower()))
    if user is None:
        raise click.ClickException(f"There is no staff user {email}.")
    return user


def _run_job(kind: JobKind, wave: Wave, user: StaffUser | None, **params: object) -> Job:
    """Runs a job here and now (an analyst at a terminal waits for it) and says how it ended."""
    try:
        job = jobs.submit(kind, wave, user, **params)
    except SurveyError as error:
        raise click.ClickException(error.message) from None
    db.session.commit()
    jobs.perform(job.id)
    if job.state is JobState.FAILED:
        raise click.ClickException(job.message)
    return job


@results_cli.command("weigh")
@click.option("--wave", "wave_id", type=int, required=True)
def weigh(wave_id: int) -> None:
    """Rake a wave's responses to its margins, store the weights and compute the results."""
    job = _run_job(JobKind.WEIGH, _wave(wave_id), None)
    run = db.session.get(WeightRun, job.result_id)
    click.echo(f"Weight run {run.id}: " + ("converged" if run.converged else run.problem))
    if not run.converged:
        sys.exit(1)


@results_cli.command("release")
@click.option("--wave", "wave_id", type=int, required=True)
@click.option("--by", "email", help="The staff member preparing it.")
def release(wave_id: int, email: str | None) -> None:
    """Prepare a draft release from the wave's latest results; prints its id."""
    click.echo(_run_job(JobKind.DRAFT, _wave(wave_id), _staff(email)).result_id)


@results_cli.command("publish")
@click.argument("release_id", type=int)
@click.option("--by", "email", required=True, help="The staff member publishing it.")
def publish(release_id: int, email: str) -> None:
    """Publish a draft release (not by the person who prepared it)."""
    draft = db.session.get(Release, release_id)
    if draft is None:
        raise click.ClickException(f"There is no release {release_id}.")
    _run_job(JobKind.PUBLISH, draft.wave, _staff(email), release_id=draft.id)
    click.echo(f"Published release {draft.id} ({draft.checksum}).")


@results_cli.command("export")
@click.option("--wave", "wave_id", type=int, required=True)
@click.option("--format", "format", type=click.Choice(sorted(microdata.FORMATS)), default="csv")
@click.option("--out", "path", type=click.Path(dir_okay=False, writable=True), required=True)
@click.option("--text/--no-text", default=False, help="Include free-text answers.")
def export(wave_id: int, format: str, path: str, text: bool) -> None:
    """Write a wave's microdata with its weights and design columns (audited)."""
    try:
        data = microdata.load(_wave(wave_id), include_text=text)
    except SurveyError as error:
        raise click.ClickException(error.message) from None
    if format == "csv":
        with open(path, "w", newline="", encoding="utf-8") as out:
            out.writelines(microdata.csv_chunks(data))
    else:
        microdata.write(data, format, path)
    audit.record(
        None,
        "export_microdata",
        "wave",
        wave_id,
        format=format,
        free_text=text,
        rows=len(data.frame),
        unweighted=data.unweighted,
        weight_run=data.weight_run_id,
    )
    db.session.commit()
    click.echo(
        f"Wrote {len(data.frame):,} responses with the weights of weight run {data.weight_run_id} to {path}."
    )
    if data.unweighted:
        click.echo(
            f"{data.unweighted:,} responses arrived after that weighting and are not in it: weigh again."
        )


retention_cli = AppGroup("retention", help="Deleting personal data past its retention period.")


@retention_cli.command("run")
@click.option("--dry-run", is_flag=True, help="Count what would be deleted; delete nothing.")
def retention_run(dry_run: bool) -> None:
    """Delete free-text answers past their wave's retention period and old access codes
    (cron-ready: run daily)."""
    result = retention.run(dry_run=dry_run)
    audit.record(
        None,
        "retention_run",
        "retention",
        None,
        dry_run=dry_run,
        text_answers=result.text_answers,
        access_codes=result.access_codes,
    )
    db.session.commit()
    verb = "Would delete" if dry_run else "Deleted"
    click.echo(f"{verb} {result.text_answers:,} free-text answers and {result.access_codes:,} access codes.")


jobs_cli = AppGroup("jobs", help="Background jobs (weighing, results, drafts, publication).")


@jobs_cli.command("worker")
@click.option("--burst", is_flag=True, help="Stop once the queue is empty.")
def jobs_worker(burst: bool) -> None:
    """Run an RQ worker for this app's jobs (production runs one or more)."""
    if current_app.config["JOB_QUEUE_URL"] is None:
        raise click.ClickException("Set JOB_QUEUE_URL to the Redis that holds the job queue.")
    jobs.worker(burst=burst)


def register(app: Flask) -> None:
    app.cli.add_command(load_builtin)
    app.cli.add_command(load_demo)
    app.cli.add_command(users)
    app.cli.add_command(waves_cli)
    app.cli.add_command(results_cli)
    app.cli.add_command(retention_cli)
    app.cli.add_command(jobs_cli)
