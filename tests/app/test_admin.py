"""The admin journey through the real views: schools, waves, codes, margins, questionnaires."""

from __future__ import annotations

import io

import sqlalchemy as sa

from survey_app.extensions import db
from survey_app.models import (
    AccessCode,
    AuditEvent,
    PopulationMargin,
    Questionnaire,
    School,
    Wave,
    WaveSchool,
)
from survey_app.services.access_codes import display
from tests.support import AWARE_PUPIL, Walker, csrf_token


def _post(client, page: str, url: str, data: dict | None = None, file: bytes | None = None):
    body = {"csrf_token": csrf_token(client.get(page).get_data(as_text=True)), **(data or {})}
    if file is not None:
        body["file"] = (io.BytesIO(file), "upload.csv")
    return client.post(url, data=body, content_type="multipart/form-data")


def _count(app, model, *where) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


SCHOOLS = (
    b"urn,name,borough,phase\n100200,Hackney Park School,Hackney,Secondary\n"
    b"100201,Brent Hill Academy,E09000005,secondary\n"
)


def test_schools_import_adds_then_updates_by_urn(app, staff, world):
    client = staff("admin")
    response = _post(client, "/admin/schools", "/admin/schools", file=SCHOOLS)
    assert response.status_code == 303
    assert "2 added, 0 updated" in client.get("/admin/schools").get_data(as_text=True)
    renamed = SCHOOLS.replace(b"Hackney Park School", b"Hackney Park Academy")
    _post(client, "/admin/schools", "/admin/schools", file=renamed)
    with app.app_context():
        names = set(db.session.scalars(sa.select(School.name)))
    assert "Hackney Park Academy" in names and "Hackney Park School" not in names


def test_a_school_file_with_any_bad_row_imports_nothing_and_names_each_row(app, staff, world):
    client = staff("admin")
    bad = SCHOOLS + b'12,Tiny,Narnia,Castle\n100202,=HYPERLINK("x"),Hackney,\n100200,Again,Hackney,\n'
    response = _post(client, "/admin/schools", "/admin/schools", file=bad)
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "Nothing was imported" in page
    for expected in (
        "Row 4: URN &#39;12&#39; should be 6 or 7 digits",
        "Row 4: &#39;Narnia&#39; is not a London borough",
        "Row 5: a cell starts like a spreadsheet formula",
        "Row 6: URN 100200 is also on row 2",
    ):
        assert expected in page
    assert _count(app, School) == 3  # only the world's own schools


def test_unreadable_school_files_get_clear_messages(app, staff, world):
    client = staff("admin")
    cases = {
        b"": "The file is empty",
        "urn,name,borough\n100200,Caf\u00e9,Hackney\n".encode("latin-1"): "not UTF-8",
        b"urn,name\n100200,School\n": "missing: borough",
        b"urn,name,borough,colour\n1,a,b,c\n": "columns this upload does not use",
    }
    for data, message in cases.items():
        response = _post(client, "/admin/schools", "/admin/schools", file=data)
        assert response.status_code == 400 and message in response.get_data(as_text=True), message
    huge = b"urn,name,borough\n" + b"100200,School,Hackney\n" * 150_000
    response = _post(client, "/admin/schools", "/admin/schools", file=huge)
    page = response.get_data(as_text=True)
    assert response.status_code == 413 and "Files can be up to 2 MB" in page and "shorter answer" not in page


def _new_wave(app, client, version_key: str = "pupil", name: str = "Spring 2027") -> int:
    with app.app_context():
        version_id = (
            db.session.scalar(sa.select(Questionnaire).where(Questionnaire.key == version_key)).versions[0].id
        )
    response = _post(
        client,
        "/admin/waves/new",
        "/admin/waves/new",
        {
            "name": name,
            "version_id": version_id,
            "opens_on": "2026-01-01",
            "closes_on": "2099-01-01",
        },
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    return int(response.headers["Location"].rsplit("/", 1)[1])


def test_an_admin_runs_a_wave_from_creation_to_close(app, staff, world):
    client = staff("admin")
    _post(client, "/admin/schools", "/admin/schools", file=SCHOOLS)
    wave_id = _new_wave(app, client)
    page = f"/admin/waves/{wave_id}"
    assert "draft" in client.get(page).get_data(as_text=True)
    assert (
        _post(
            client, page, f"{page}/schools", file=b"urn,expected_pupils\n100200,900\n100201,1200\n"
        ).status_code
        == 303
    )
    with app.app_context():
        school_id = db.session.scalar(sa.select(School.id).where(School.urn == "100200"))
    assert (
        _post(
            client, page, f"{page}/codes/class", {"school_id": school_id, "labels": "8X\n10Y\n"}
        ).status_code
        == 303
    )
    with app.app_context():
        codes = db.session.scalars(sa.select(AccessCode).where(AccessCode.wave_id == wave_id)).all()
        assert [c.class_label for c in codes] == ["8X", "10Y"]
        code, code_id = codes[0].code, codes[1].id
    sheet = client.get(f"{page}/schools/{school_id}/sheet").get_data(as_text=True)
    assert display(code) in sheet and "@page" not in sheet  # print rules live in the stylesheet
    exported = client.get(f"{page}/codes.csv")
    assert exported.mimetype == "text/csv" and display(code) in exported.get_data(as_text=True)
    margins = (
        b"variable,category,proportion\nyear_group,year_7,0.5\nyear_group,year_8,0.5\n"
        b"ethnic_group,Black,0.4\nethnic_group,White,0.6\n"
    )
    assert (
        _post(client, page, f"{page}/margins", {"source_note": "ONS 2021 (test)"}, file=margins).status_code
        == 303
    )
    assert _count(app, PopulationMargin, PopulationMargin.wave_id == wave_id) == 4
    assert _post(client, page, f"{page}/open").status_code == 303
    pupil = Walker(app.test_client())
    pupil.answer_all(pupil.start_pupil(code), AWARE_PUPIL)
    assert pupil.send().status_code == 303
    monitor = client.get(f"{page}/monitor").get_data(as_text=True)
    assert "Hackney Park School" in monitor
    assert "<td>1</td><td>900</td><td>0.1%</td><td>100.0%</td>" in monitor
    assert _post(client, page, f"/admin/codes/{code_id}/revoke").status_code == 303
    refused = Walker(app.test_client()).enter_code(display(codes[1].code))
    assert "cancelled" in refused.get_data(as_text=True)
    assert _post(client, page, f"{page}/close").status_code == 303
    with app.app_context():
        assert db.session.get(Wave, wave_id).state.value == "closed"
        actions = list(db.session.scalars(sa.select(AuditEvent.action)))
    for action in (
        "import_schools",
        "create_wave",
        "assign_schools",
        "create_class_codes",
        "print_codes",
        "export_codes",
        "upload_margins",
        "open_wave",
        "revoke_code",
        "close_wave",
    ):
        assert action in actions, action
    assert "open_wave" in client.get("/admin/audit").get_data(as_text=True)


def test_margins_are_checked_against_the_questionnaire_and_name_the_row(app, staff, world):
    client = staff("admin")
    page = f"/admin/waves/{world.pupil_wave_id}"
    bad = (
        b"variable,category,proportion\nyear_group,year_7,0.5\nyear_group,year_6,0.5\n"
        b"shoe_size,9,1\nsend,yes,abc\n"
    )
    response = _post(client, page, f"{page}/margins", {"source_note": "x"}, file=bad)
    text = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Row 3: &#39;year_6&#39; is not an answer code of &#39;year_group&#39;" in text
    assert "Row 4: &#39;shoe_size&#39; is not a question" in text
    assert "Row 5: proportion &#39;abc&#39; is not a number" in text
    off = b"variable,category,proportion\nyear_group,year_7,0.5\nyear_group,year_8,0.6\n"
    text = _post(client, page, f"{page}/margins", {"source_note": "x"}, file=off).get_data(as_text=True)
    assert "proportions sum to 1.1" in text
    assert _count(app, PopulationMargin) == 0


def test_waves_cannot_be_moved_against_their_lifecycle(app, staff, world):
    client = staff("admin")
    page = f"/admin/waves/{world.pupil_wave_id}"
    response = _post(client, page, f"{page}/open")  # already open
    assert response.status_code == 409 and "cannot become open" in response.get_data(as_text=True)


def test_a_version_in_use_is_frozen_and_a_new_version_can_be_edited_and_previewed(app, staff, world):
    client = staff("admin")
    with app.app_context():
        used = db.session.get(Wave, world.pupil_wave_id).version_id
    frozen = _post(
        client,
        f"/admin/versions/{used}/questions/send",
        f"/admin/versions/{used}/questions/send",
        {"wording": "Changed?", "options": "a\nb\nc\nd"},
    )
    assert frozen.status_code == 409 and "Create a new version" in frozen.get_data(as_text=True)
    copied = _post(client, f"/admin/versions/{used}", f"/admin/versions/{used}/copy")
    new_id = int(copied.headers["Location"].rsplit("/", 1)[1])
    edit = f"/admin/versions/{new_id}/questions/aware_sso?lang=cy"
    saved = _post(
        client,
        edit,
        edit,
        {"wording": "A oes heddwas yn eich ysgol?", "options": "Oes\nNac oes\nDdim yn siŵr", "required": "y"},
    )
    assert saved.status_code == 303
    preview = client.get(f"/admin/versions/{new_id}/preview/aware_sso?lang=cy").get_data(as_text=True)
    assert "A oes heddwas yn eich ysgol?" in preview and "Ddim yn siŵr" in preview
    english = client.get(f"/admin/versions/{new_id}/preview/aware_sso").get_data(as_text=True)
    assert "Does your school have a police officer" in english
    sensitive = f"/admin/versions/{new_id}/questions/ethnicity"
    refused = _post(
        client,
        sensitive,
        sensitive,
        {"wording": "Ethnicity", "required": "y", "options": "\n".join(["x"] * 20)},
    )
    assert refused.status_code == 400 and "must stay optional" in refused.get_data(as_text=True)


def test_expected_pupils_upload_refuses_unknown_schools(app, staff, world):
    client = staff("admin")
    page = f"/admin/waves/{world.pupil_wave_id}"
    response = _post(client, page, f"{page}/schools", file=b"urn,expected_pupils\n999999,10\n100000,x\n")
    text = response.get_data(as_text=True)
    assert "Row 2: no school with URN" in text and "Row 3: expected pupils" in text
    assert _count(app, WaveSchool) == 3  # the world's three, unchanged


def test_routing_can_be_changed_on_a_new_version_but_only_to_earlier_questions(app, staff, world):
    client = staff("admin")
    with app.app_context():
        used = db.session.get(Wave, world.pupil_wave_id).version_id
    copied = _post(client, f"/admin/versions/{used}", f"/admin/versions/{used}/copy")
    new_id = int(copied.headers["Location"].rsplit("/", 1)[1])
    edit = f"/admin/versions/{new_id}/questions/felt_safety"
    base = {
        "wording": "Does the officer make you feel safer?",
        "options": "More safe\nNo different\nLess safe\nI don't know",
        "required": "y",
    }
    saved = _post(
        client, edit, edit, {**base, "condition_question": "know_sso", "condition_codes": "yes, not_sure"}
    )
    assert saved.status_code == 303
    with app.app_context():
        from survey_app.models import QuestionnaireVersion

        version = db.session.get(QuestionnaireVersion, new_id)
        assert version.question("felt_safety").condition == {
            "question": "know_sso",
            "in": ["yes", "not_sure"],
        }
    wrong = _post(client, edit, edit, {**base, "condition_question": "know_sso", "condition_codes": "maybe"})
    assert wrong.status_code == 400 and "answer codes of" in wrong.get_data(as_text=True)
    later = _post(
        client, edit, edit, {**base, "condition_question": "trust_police", "condition_codes": "a_lot"}
    )
    assert later.status_code == 400  # not an earlier question: not even a choice
