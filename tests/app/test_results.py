"""Weighting a wave, the analyst's pages, releases (four eyes, frozen, corrections) and the
public results site, which never shows a draft (issue 9)."""

from __future__ import annotations

import io
import uuid

import pandas as pd
import pytest
import sqlalchemy as sa

from analysis.disclosure import CONFIDENTIAL
from survey_app.extensions import db
from survey_app.models import (
    AuditEvent,
    Release,
    ReleaseState,
    Response,
    TextAnswer,
    Wave,
)
from survey_app.services import releases, snapshots, weighting
from survey_app.services.exports import RELEASE_CSV_COLUMNS
from survey_app.services.responses import stored_answers as stored_answers_of
from tests.support import csrf_token, later_wave, staff_user


def test_a_weight_run_stores_a_weight_per_response_meeting_the_margins(app, wave_id):
    with app.app_context():
        wave = db.session.get(Wave, wave_id)
        run = snapshots.weigh(wave, None)
        db.session.commit()
        assert run.converged and run.responses == 500
        weights = weighting.weights_of(run)
        assert len(weights) == 500 and weights.gt(0).all()
        # Keyed by each response's UUID, one weight per response.
        weights.index = [str(uuid.UUID(k)) for k in weights.index]
        uuids = {str(u) for u in db.session.scalars(sa.select(Response.submission_uuid))}
        assert set(weights.index) == uuids
        # The stated ethnic groups carry the population's proportions among those who said.
        gender = {str(key): stored_answers_of(key).get("gender") for key in map(uuid.UUID, uuids)}
        shares = weights.groupby(pd.Series(gender)).sum()
        stated = shares.drop("prefer_not_to_say", errors="ignore")
        assert stated["girl"] / stated.sum() == pytest.approx(0.48, rel=1e-6)


def test_releases_need_four_eyes_never_change_and_are_corrected_by_a_new_one(app, wave_id):
    with app.app_context():
        wave = db.session.get(Wave, wave_id)
        snapshots.weigh(wave, None)
        analyst, admin = staff_user("analyst@example.org"), staff_user("admin@example.org")
        first = releases.create_draft(wave, analyst)
        with pytest.raises(Exception, match="Someone other than the person who prepared"):
            releases.publish(first, analyst)
        releases.publish(first, admin)
        db.session.commit()
        assert first.state is ReleaseState.PUBLISHED
        assert first.checksum == releases.checksum(first.tables, first.methodology)
        first.tables = {"indicators": []}
        with pytest.raises(PermissionError, match="cannot change"):
            db.session.flush()
        db.session.rollback()
        correction = releases.create_draft(wave, analyst, change_note="Margins corrected.")
        releases.publish(correction, admin)
        db.session.commit()
        assert db.session.get(Release, first.id).state is ReleaseState.SUPERSEDED
        assert correction.supersedes_id == first.id
        db.session.delete(db.session.get(Release, first.id))
        with pytest.raises(PermissionError, match="cannot be deleted"):
            db.session.flush()
        db.session.rollback()


def test_a_release_publishes_only_protected_rounded_figures(app, wave_id):
    with app.app_context():
        wave = db.session.get(Wave, wave_id)
        snapshots.weigh(wave, None)
        table = pd.DataFrame(releases.create_draft(wave, None).tables["indicators"])
    assert not {"se", "deff", "n_eff", "n", "estimate"} & set(table.columns)
    visible = table[table["symbol"] != CONFIDENTIAL]
    assert (visible["n_rounded"] % 5 == 0).all()
    assert (visible.loc[visible["breakdown"] != "", "n_rounded"] >= 30).all()
    assert visible["percent"].map(float.is_integer).all()
    assert table.loc[table["symbol"] == CONFIDENTIAL, ["percent", "n_rounded"]].isna().all().all()
    assert (table.loc[table["breakdown"] == "borough", "symbol"] == CONFIDENTIAL).all()  # 3 schools


def test_a_draft_is_never_public_and_a_published_release_is(app, client, wave_id, staff):
    with app.app_context():
        wave = db.session.get(Wave, wave_id)
        snapshots.weigh(wave, None)
        draft = releases.create_draft(wave, staff_user("analyst@example.org"), title="DRAFT-7Q3ZX")
        db.session.commit()
        draft_id = draft.id
    downloads = [f"/results/{draft_id}/tables.{fmt}" for fmt in ("csv", "xlsx", "ods")]
    for url in ("/results/", f"/results/{draft_id}", *downloads):
        response = client.get(url)
        assert "DRAFT-7Q3ZX" not in response.get_data(as_text=True), url
    for url in (f"/results/{draft_id}", *downloads):
        assert client.get(url).status_code == 404, url
    admin = staff("admin")
    page = admin.get(f"/analysis/releases/{draft_id}")
    assert page.status_code == 200 and "DRAFT-7Q3ZX" in page.get_data(as_text=True)
    published = admin.post(
        f"/analysis/releases/{draft_id}/publish", data={"csrf_token": csrf_token(page.get_data(as_text=True))}
    )
    assert published.status_code == 303
    public = client.get(f"/results/{draft_id}").get_data(as_text=True)
    assert "DRAFT-7Q3ZX" in public and "SHA-256" in public
    rows = client.get(f"/results/{draft_id}/tables.csv").get_data(as_text=True).splitlines()
    assert rows[0] == ",".join(RELEASE_CSV_COLUMNS) and len(rows) > 20
    assert "Equality view" in public and "Download the tables" in public


def test_an_analyst_weighs_reads_and_prepares_but_does_not_publish_their_own(app, wave_id, staff):
    analyst = staff("analyst")
    page = analyst.get(f"/analysis/waves/{wave_id}")
    assert page.status_code == 200 and "has not been weighted yet" in page.get_data(as_text=True)
    token = csrf_token(page.get_data(as_text=True))
    assert analyst.post(f"/analysis/waves/{wave_id}/weigh", data={"csrf_token": token}).status_code == 303
    page = analyst.get(f"/analysis/waves/{wave_id}").get_data(as_text=True)
    assert "Headline indicators" in page and 'class="chart" data-figure=' in page
    made = analyst.post(f"/analysis/waves/{wave_id}/releases", data={"csrf_token": token})
    assert made.status_code == 303
    release_url = made.headers["Location"]
    refused = analyst.post(release_url + "/publish", data={"csrf_token": token}, follow_redirects=True)
    assert "Someone other than the person who prepared" in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(Release.state)) is ReleaseState.DRAFT


def test_the_command_line_weighs_prepares_and_publishes(app, wave_id):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["results", "weigh", "--wave", str(wave_id)]).exit_code == 0
    made = runner.invoke(args=["results", "release", "--wave", str(wave_id), "--by", "analyst@example.org"])
    assert made.exit_code == 0, made.output
    release_id = made.output.strip()
    same = runner.invoke(args=["results", "publish", release_id, "--by", "analyst@example.org"])
    assert same.exit_code != 0 and "Someone other" in same.output
    done = runner.invoke(args=["results", "publish", release_id, "--by", "admin@example.org"])
    assert done.exit_code == 0, done.output
    with app.app_context():
        assert db.session.get(Release, int(release_id)).state is ReleaseState.PUBLISHED


def test_a_wave_without_margins_says_so(app, world):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["results", "weigh", "--wave", str(world.public_wave_id)])
    assert result.exit_code != 0 and "no population margins" in result.output


def test_an_analyst_signs_in_to_the_results_page_not_a_403(app, staff):
    from tests.support import sign_in

    client = app.test_client()
    signed_in = sign_in(client, "analyst@example.org")
    assert signed_in.status_code == 303 and signed_in.headers["Location"] == "/analysis/"
    assert client.get("/analysis/").status_code == 200


def _published_release(app, wave_id) -> Release:
    wave = db.session.get(Wave, wave_id)
    snapshots.weigh(wave, None)
    release = releases.create_draft(wave, staff_user("analyst@example.org"))
    releases.publish(release, staff_user("admin@example.org"))
    db.session.commit()
    return release


def test_release_workbooks_follow_the_gss_layout_and_hold_exactly_the_published_figures(
    app, client, wave_id, staff
):
    with app.app_context():
        release = _published_release(app, wave_id)
        release_id, table = release.id, pd.DataFrame(release.tables["indicators"])
    for fmt, engine in (("xlsx", "openpyxl"), ("ods", "odf")):
        response = client.get(f"/results/{release_id}/tables.{fmt}")
        assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
        sheets = pd.read_excel(io.BytesIO(response.data), sheet_name=None, engine=engine, header=None)
        assert list(sheets)[:3] == ["Cover", "Contents", "Notes"], fmt
        tables = [name for name in sheets if name.startswith("Table_")]
        assert len(tables) == table["breakdown"].nunique() + 1  # + equality; one wave has no trend
        cells = pd.concat([sheets[name] for name in tables]).map(str)
        text = " ".join(cells.to_numpy().ravel())
        # Every hidden figure appears as its symbol; every shown percentage appears as itself.
        assert CONFIDENTIAL in text
        first = sheets[tables[0]].astype(str)
        shown = table[(table["breakdown"] == "") & table["percent"].notna()]
        for percent in shown["percent"]:
            assert first.isin([str(int(percent)), str(float(percent))]).any().any(), fmt


def test_the_equality_view_compares_each_shown_group_with_everyone_else(app, wave_id):
    from analysis.equality import holm

    with app.app_context():
        wave = db.session.get(Wave, wave_id)
        snapshots.weigh(wave, None)
        outcome = snapshots.outcome(snapshots.latest(wave))
    equality, table = outcome.equality, outcome.table
    assert not equality.empty
    shown = table[table["symbol"] != CONFIDENTIAL].set_index(["indicator", "breakdown", "group"])
    for row in equality.itertuples():
        cell = shown.loc[(row.indicator, row.breakdown, row.group)]  # never a hidden group
        overall = shown.loc[(row.indicator, "", "All")]
        assert row.n_rest == overall["n"] - cell["n"] >= 30
        assert row.estimate == pytest.approx(cell["estimate"], abs=1e-12)
        assert row.flagged == (row.ci_low > 0 or row.ci_high < 0)
        # Two boroughs of one school each: no degrees of freedom, so no interval, no p-value,
        # and no flag (the design-based figures against R are in test_release_against_r).
        assert row.df == 0 and not row.flagged and pd.isna(row.p_holm)
    assert "borough" not in set(equality["breakdown"])
    # Holm's adjustment as R's p.adjust(c(0.01, 0.04, 0.03, 0.005), "holm") gives it.
    assert holm([0.01, 0.04, 0.03, 0.005]).tolist() == pytest.approx([0.03, 0.06, 0.06, 0.02])


def test_trends_compare_each_wave_with_the_one_before(app, world, wave_id):
    with app.app_context():
        first = db.session.get(Wave, wave_id)
        snapshots.weigh(first, None)
        second = later_wave(first, "Pupil wave 2", 300, seed=3)
        snapshots.weigh(second, None)
        trend = snapshots.frame_of(snapshots.latest(second).content["trends"])
    assert list(trend["wave_name"].unique()) == ["Pupil wave", "Pupil wave 2"]
    for _, rows in trend.groupby("indicator"):
        before, after = rows.iloc[0], rows.iloc[1]
        assert pd.isna(before["change"])
        if pd.notna(after["estimate"]) and pd.notna(before["estimate"]):
            assert after["change"] == pytest.approx(after["estimate"] - before["estimate"])
            if before["df"] + after["df"] >= 1:
                assert after["change_ci_low"] < after["change"] < after["change_ci_high"]
            else:  # one school per borough in both waves: no degrees of freedom, no interval
                assert pd.isna(after["change_ci_low"]) and pd.isna(after["change_p"])


def test_microdata_exports_carry_weights_and_labels_and_are_audited(app, wave_id, staff, tmp_path):
    import pyreadstat

    analyst = staff("analyst")
    page = analyst.get(f"/analysis/waves/{wave_id}")
    analyst.post(
        f"/analysis/waves/{wave_id}/weigh", data={"csrf_token": csrf_token(page.get_data(as_text=True))}
    )
    with app.app_context():
        first = db.session.scalar(sa.select(Response.submission_uuid).limit(1))
        db.session.add(
            TextAnswer(
                response_uuid=first, question_key="comments", text_value='=HYPERLINK("http://evil.example")'
            )
        )
        db.session.commit()
    csv_text = analyst.get(f"/analysis/waves/{wave_id}/export?format=csv").get_data(as_text=True)
    header = csv_text.splitlines()[0].split(",")
    assert {"weight", "school_id", "borough", "base_weight", "ethnic_group"} <= set(header)
    assert "comments" not in header and "HYPERLINK" not in csv_text  # no free text by default
    with_text = analyst.get(f"/analysis/waves/{wave_id}/export?format=csv&text=1").get_data(as_text=True)
    assert "'=HYPERLINK" in with_text and ",=HYPERLINK" not in with_text
    for fmt, reader in (("sav", pyreadstat.read_sav), ("dta", pyreadstat.read_dta)):
        response = analyst.get(f"/analysis/waves/{wave_id}/export?format={fmt}")
        assert response.status_code == 200, fmt
        path = tmp_path / f"w.{fmt}"
        path.write_bytes(response.data)
        frame, meta = reader(str(path))
        assert len(frame) == 500 and frame["weight"].gt(0).all()
        assert meta.variable_value_labels["gender"][1.0] == "Boy"
        assert "Final weight" in meta.column_labels
    xlsx = analyst.get(f"/analysis/waves/{wave_id}/export?format=xlsx")
    assert len(pd.read_excel(io.BytesIO(xlsx.data))) == 500
    bad = analyst.get(f"/analysis/waves/{wave_id}/export?format=exe", follow_redirects=True)
    assert bad.status_code == 200 and "Choose CSV, Excel, SPSS or Stata" in bad.get_data(as_text=True)
    with app.app_context():
        audited = db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == "export_microdata")
        ).all()
    assert len(audited) == 5 and {a.detail["format"] for a in audited} == {"csv", "sav", "dta", "xlsx"}
