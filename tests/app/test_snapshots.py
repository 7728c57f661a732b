"""Results that fieldwork cannot break (issue 18): a snapshot per weighting read by every page,
jobs that end done or failed with a reason, trends quoted from what was published, and release
files rendered once and served as stored."""

from __future__ import annotations

import hashlib
import random
from datetime import timedelta

import pandas as pd
import pytest
import sqlalchemy as sa

from analysis.disclosure import CONFIDENTIAL
from survey_app.extensions import db
from survey_app.models import (
    AccessCode,
    Job,
    JobKind,
    JobState,
    Release,
    ReleaseFile,
    Wave,
    WeightRun,
)
from survey_app.models.types import utcnow
from survey_app.services import demo, release_files, releases, snapshots
from tests.support import csrf_token, later_wave, populate_pupil_wave, staff_user


def _late_responses(wave_id: int, count: int) -> None:
    wave = db.session.get(Wave, wave_id)
    demo.add_pupil_responses(wave, count, random.Random(99), max_text=1000)  # noqa: S311
    db.session.commit()


def _weigh_on_the_page(client, wave_id: int) -> str:
    page = client.get(f"/analysis/waves/{wave_id}").get_data(as_text=True)
    made = client.post(f"/analysis/waves/{wave_id}/weigh", data={"csrf_token": csrf_token(page)})
    assert made.status_code == 303
    return client.get(f"/analysis/waves/{wave_id}").get_data(as_text=True)


def test_responses_after_the_weighting_leave_the_page_working_and_say_how_many_arrived(
    app, wave_id, staff, tmp_path
):
    analyst = staff("analyst")
    _weigh_on_the_page(analyst, wave_id)
    with app.app_context():
        _late_responses(wave_id, 3)
    page = analyst.get(f"/analysis/waves/{wave_id}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "3 responses arrived since this weighting" in text and "Headline indicators" in text
    # A draft and the microdata still work, from the weighting's 500 responses.
    token = csrf_token(text)
    made = analyst.post(f"/analysis/waves/{wave_id}/releases", data={"csrf_token": token})
    assert made.status_code == 303 and "/analysis/releases/" in made.headers["Location"]
    exported = analyst.get(f"/analysis/waves/{wave_id}/export?format=csv").get_data(as_text=True)
    rows = pd.read_csv(pd.io.common.StringIO(exported))
    assert len(rows) == 500 and rows["weight"].notna().all() and (rows["weight"] > 0).all()
    out = app.test_cli_runner().invoke(
        args=["results", "export", "--wave", str(wave_id), "--out", str(tmp_path / "wave.csv")]
    )
    assert out.exit_code == 0 and "Wrote 500 responses" in out.output
    assert "3 responses arrived after that weighting" in out.output
    # Weighing again takes them in, and the notice goes.
    text = _weigh_on_the_page(analyst, wave_id)
    assert "arrived since" not in text and "503 responses" in text


def test_a_weighting_that_does_not_converge_is_shown_beside_the_last_good_results(app, wave_id, staff):
    analyst = staff("analyst")
    _weigh_on_the_page(analyst, wave_id)
    with app.app_context():
        wave = db.session.get(Wave, wave_id)
        good = snapshots.latest(wave).weight_run_id
        failed = snapshots.weigh(wave, None, max_iter=1, tol=1e-15)
        db.session.commit()
        assert not failed.converged and snapshots.latest(wave).weight_run_id == good
    page = analyst.get(f"/analysis/waves/{wave_id}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "did not converge" in text and "results below are from the last weighting that did" in text
    assert "Headline indicators" in text


def test_the_wave_page_estimates_nothing(app, wave_id, staff, monkeypatch):
    analyst = staff("analyst")
    _weigh_on_the_page(analyst, wave_id)

    def forbidden(*args, **kwargs):
        raise AssertionError("a page view ran an estimate")

    for name in (
        "results.indicator_tables",
        "results.equality_table",
        "results.wave_results",
        "snapshots.classify_areas",
        "snapshots.funnel_curves",
        "snapshots.wave_changes",
        "datasets.load",
        "weighting.weighted",
    ):
        monkeypatch.setattr(f"survey_app.services.{name}", forbidden)
    page = analyst.get(f"/analysis/waves/{wave_id}")
    assert page.status_code == 200 and "Borough performance framework" in page.get_data(as_text=True)


def test_a_failed_job_shows_its_reason_and_a_second_job_waits_for_the_first(app, world, staff):
    admin = staff("admin")
    # The public wave has no margins: the job fails, and the page says why (not a 500).
    text = _weigh_on_the_page(admin, world.public_wave_id)
    assert "Weighing failed:" in text and "no population margins" in text
    with app.app_context():
        assert db.session.scalar(sa.select(Job.state)) is JobState.FAILED
        # A job another worker is running holds the wave: a second one is refused.
        db.session.add(Job(kind=JobKind.WEIGH, wave_id=world.pupil_wave_id, state=JobState.RUNNING))
        db.session.commit()
        with pytest.raises(sa.exc.IntegrityError):  # held by the database, not only by a check
            db.session.add(Job(kind=JobKind.DRAFT, wave_id=world.pupil_wave_id))
            db.session.commit()
        db.session.rollback()
    page = admin.get(f"/analysis/waves/{world.pupil_wave_id}").get_data(as_text=True)
    assert "refreshes itself" in page and 'http-equiv="refresh"' in page
    refused = admin.post(
        f"/analysis/waves/{world.pupil_wave_id}/weigh",
        data={"csrf_token": csrf_token(page)},
        follow_redirects=True,
    )
    assert refused.status_code == 200 and "still running" in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(WeightRun.id))) == 0
        # A job whose worker died is shown failed once it is past the time limit, and frees the wave.
        stuck = db.session.scalar(sa.select(Job).where(Job.state == JobState.RUNNING))
        stuck.started_at = utcnow() - timedelta(seconds=app.config["JOB_TIMEOUT_SECONDS"] + 120)
        db.session.commit()
    page = admin.get(f"/analysis/waves/{world.pupil_wave_id}").get_data(as_text=True)
    assert "stopped without finishing" in page


def _publish(wave: Wave, title: str) -> Release:
    release = releases.create_draft(wave, staff_user("analyst@example.org"), title=title)
    releases.publish(release, staff_user("admin@example.org"))
    db.session.commit()
    return release


def _overall(rows: list[dict]) -> pd.DataFrame:
    table = pd.DataFrame(rows)
    return table[table["breakdown"] == ""].set_index("indicator")


def test_trends_quote_each_wave_as_its_published_release_shows_it_and_nothing_else(app, world, staff):
    with app.app_context():
        small = db.session.get(Wave, world.pupil_wave_id)
        # One school: its borough figures are hidden, and with them (secondary suppression) every
        # overall figure, which a trend recomputed without breakdowns used to show.
        db.session.execute(
            sa.delete(AccessCode).where(
                AccessCode.wave_id == small.id, AccessCode.school_id != world.school_id
            )
        )
        populate_pupil_wave(small, 300, seed=5, margins=("gender",))
        snapshots.weigh(small, None)
        first = _publish(small, "Small wave")
        hidden = _overall(first.tables["indicators"])
        assert (hidden["symbol"] == CONFIDENTIAL).any()  # the test world can fail
        unpublished = later_wave(small, "Never published", 300, seed=6, hours=1)
        snapshots.weigh(unpublished, None)
        latest = later_wave(small, "Latest wave", 400, seed=7, hours=2)
        snapshots.weigh(latest, None)
        # The analyst's own trend shows the unpublished wave, labelled as such.
        analyst_trend = snapshots.frame_of(snapshots.latest(latest).content["trends"])
        assert set(analyst_trend["wave_name"]) == {"Pupil wave", "Never published", "Latest wave"}
        assert not analyst_trend.loc[analyst_trend["wave_name"] == "Never published", "published"].any()
        second = _publish(latest, "Latest release")
        trend = pd.DataFrame(second.tables["trends"])
        small_id = small.id
    assert list(trend["wave_name"].unique()) == ["Pupil wave", "Latest wave"]
    quoted = trend[trend["wave_id"] == small_id].set_index("indicator")
    for column in ("percent", "ci_low", "ci_high", "n_rounded", "symbol"):
        pd.testing.assert_series_equal(
            quoted[column], hidden.loc[quoted.index, column], check_dtype=False, check_names=False
        )
    # Where the earlier figure was hidden, no change gives it away.
    assert quoted.loc[hidden["symbol"] == CONFIDENTIAL, "percent"].isna().all()
    later = trend[trend["wave_id"] != small_id].set_index("indicator")
    assert later.loc[hidden.index[hidden["symbol"] == CONFIDENTIAL], "change"].isna().all()


def test_a_release_whose_trend_has_no_confidence_intervals_renders(app, client, world, staff):
    with app.app_context():
        first = db.session.get(Wave, world.pupil_wave_id)
        populate_pupil_wave(first, 300, seed=8)
        # One school per borough: the design has no degrees of freedom, so no interval anywhere.
        for link in first.schools[2:]:
            db.session.delete(link)
        snapshots.weigh(first, None)
        _publish(first, "First")
        second = later_wave(first, "Second", 300, seed=9)
        snapshots.weigh(second, None)
        release = _publish(second, "Second release")
        trend = pd.DataFrame(release.tables["trends"])
        release_id = release.id
    assert len(trend) and trend["ci_low"].isna().all()
    page = client.get(f"/results/{release_id}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "Trends across waves" in text
    assert "nan" not in text.lower().replace("nancy", "")


def test_release_files_are_rendered_once_at_publication_and_served_as_stored(
    app, client, wave_id, staff, monkeypatch
):
    with app.app_context():
        snapshots.weigh(db.session.get(Wave, wave_id), None)
        release = _publish(db.session.get(Wave, wave_id), "Files")
        release_id = release.id
        stored = {
            f.format: (f.sha256, hashlib.sha256(f.content).hexdigest())
            for f in db.session.scalars(sa.select(ReleaseFile))
        }
    assert set(stored) == {"csv", "xlsx", "ods"}

    def never(*args, **kwargs):
        raise AssertionError("a download rendered its file")

    for name in ("xlsx", "ods", "render"):
        monkeypatch.setattr(release_files, name, never)
    for fmt, (sha, actual) in stored.items():
        assert sha == actual
        response = client.get(f"/results/{release_id}/tables.{fmt}")
        assert response.status_code == 200
        assert hashlib.sha256(response.data).hexdigest() == sha
        assert response.headers["ETag"].strip('"') == sha
        again = client.get(f"/results/{release_id}/tables.{fmt}", headers={"If-None-Match": f'"{sha}"'})
        assert again.status_code == 304 and not again.data


def test_a_release_published_before_files_were_stored_gets_them_on_its_first_download(
    app, client, wave_id, staff
):
    with app.app_context():
        snapshots.weigh(db.session.get(Wave, wave_id), None)
        release_id = _publish(db.session.get(Wave, wave_id), "Older").id
        db.session.execute(sa.delete(ReleaseFile))
        db.session.commit()
    first = client.get(f"/results/{release_id}/tables.xlsx")
    second = client.get(f"/results/{release_id}/tables.xlsx")
    assert first.status_code == second.status_code == 200 and first.data == second.data
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ReleaseFile)) == 3


def test_with_a_queue_the_page_shows_the_job_waiting_and_a_lost_one_as_failed(
    app, wave_id, staff, monkeypatch
):
    import redis
    from rq import Queue

    from survey_app import jobs
    from tests.production import redis_server

    analyst = staff("analyst")
    with redis_server() as url:
        monkeypatch.setitem(app.config, "JOB_QUEUE_URL", url)
        text = _weigh_on_the_page(analyst, wave_id)
        assert "waiting for a worker" in text and "refreshes itself" in text
        queue = Queue(jobs.QUEUE_NAME, connection=redis.Redis.from_url(url))
        assert len(queue) == 1  # queued for a worker, not run by the web request
        with app.app_context():
            assert db.session.scalar(sa.select(sa.func.count(WeightRun.id))) == 0
        queue.empty()  # the queue lost it (Redis flushed, the job expired)
        text = analyst.get(f"/analysis/waves/{wave_id}").get_data(as_text=True)
        assert "Weighing failed:" in text and "start it again" in text
    # Redis away when a job is asked for: the page says so, and nothing is half done.
    page = analyst.get(f"/analysis/waves/{wave_id}")
    assert page.status_code == 200
    refused = analyst.post(
        f"/analysis/waves/{wave_id}/weigh", data={"csrf_token": csrf_token(page.get_data(as_text=True))}
    )
    assert refused.status_code == 303
    text = analyst.get(f"/analysis/waves/{wave_id}").get_data(as_text=True)
    assert "job queue cannot be reached" in text


def test_release_lists_read_titles_not_tables(app, client, wave_id, staff):
    with app.app_context():
        snapshots.weigh(db.session.get(Wave, wave_id), None)
        _publish(db.session.get(Wave, wave_id), "Listed release")
        engine = db.engine
    statements = []

    def seen(conn, cursor, statement, *args):
        statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", seen)
    try:
        listed = client.get("/results/")
        analyst = staff("analyst")
        staff_list = analyst.get("/analysis/")
    finally:
        sa.event.remove(engine, "before_cursor_execute", seen)
    assert listed.status_code == staff_list.status_code == 200
    assert "Listed release" in listed.get_data(as_text=True)
    assert statements and not [s for s in statements if "release.tables" in s]


def test_responses_since_a_weighting_are_counted_across_days_and_for_older_runs(app, wave_id):
    from datetime import date

    from survey_app.models import Response

    with app.app_context():
        wave = db.session.get(Wave, wave_id)
        # Sent over several days before the weighting.
        keys = db.session.scalars(sa.select(Response.submission_uuid)).all()
        for i, key in enumerate(keys):
            db.session.get(Response, key).submitted_on = date(2026, 11, 1 + i % 5)
        db.session.commit()
        run = snapshots.weigh(wave, None)
        db.session.commit()
        assert run.last_day == date(2026, 11, 5) and run.on_last_day == sum(
            1 for i in range(500) if i % 5 == 4
        )
        _late_responses(wave_id, 4)  # sent today, after the weighting
        snapshot = snapshots.latest(wave)
        assert snapshots.arrived_since(snapshot) == 4
        run.last_day = run.on_last_day = None  # a run made before runs kept their newest day
        db.session.commit()
        assert snapshots.arrived_since(snapshots.latest(wave)) == 4
