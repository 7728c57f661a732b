"""Thin click commands: each calls services and commits once."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from survey_app.extensions import db
from survey_app.services import builtin, demo
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
@click.option("--responses", default=0, show_default=True,
              help="Top the demo pupil wave up to this many synthetic responses.")
@click.option("--seed", default=2026, show_default=True, help="Random seed for the responses.")
def load_demo(responses: int, seed: int) -> None:
    """Create the demo schools, waves, codes and margins (idempotent) and print how to start."""
    summary = demo.load_demo(responses=responses, seed=seed,
                             max_text=current_app.config["FREE_TEXT_MAX_CHARS"])
    db.session.commit()
    click.echo(f"Demo ready: {summary.responses_added} responses added.\n")
    click.echo("Pupil survey (kiosk): open http://127.0.0.1:5000/ and type a class code:")
    for code in summary.class_codes[:4]:
        click.echo(f"  {display(code.code)}  {code.school.name}, {code.class_label}")
    unused = [c for c in summary.invitation_codes if c.uses == 0]
    if unused:
        click.echo(f"\nPublic survey: a one-time invitation code: {display(unused[0].code)}")
    click.echo(f"Public survey open link: http://127.0.0.1:5000/public/{summary.public_wave.slug}")


def register(app: Flask) -> None:
    app.cli.add_command(load_builtin)
    app.cli.add_command(load_demo)
