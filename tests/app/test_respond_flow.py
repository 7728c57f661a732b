"""The respondent journey through the real views, on the suite's database."""

from __future__ import annotations

import sqlalchemy as sa

from survey_app.extensions import db
from survey_app.models import AccessCode, Response, Wave
from tests.support import AWARE_PUPIL, Walker, stored_answers


def _rows(app, model) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_pupil_completes_the_survey_and_one_response_is_stored(app, client, world):
    walker = Walker(client)
    first = walker.start_pupil(world.class_code)
    asked = walker.answer_all(first, AWARE_PUPIL)
    assert asked == list(AWARE_PUPIL)  # every question asked, in order, routing included
    response = walker.send()
    assert response.status_code == 303 and response.headers["Location"] == "/thanks"
    with app.app_context():
        stored = db.session.scalars(sa.select(Response)).one()
        assert stored_answers() == [AWARE_PUPIL]
        assert stored.school_id == world.school_id
        code = db.session.scalar(sa.select(AccessCode).where(AccessCode.code == world.class_code))
        assert code.uses == 1


def test_routing_skips_officer_questions_for_pupils_unaware_of_one(app, client, world):
    walker = Walker(client)
    answers = {**AWARE_PUPIL, "aware_sso": "no"}
    asked = walker.answer_all(walker.start_pupil(world.class_code), answers)
    assert "felt_safety" not in asked and "know_sso" not in asked
    assert len(asked) == 9
    walker.send()
    with app.app_context():
        (stored,) = stored_answers()
    assert "felt_safety" not in stored and stored == {k: answers[k] for k in asked}


def test_changing_an_earlier_answer_drops_answers_routing_no_longer_asks(app, client, world):
    walker = Walker(client)
    walker.answer_all(walker.start_pupil(world.class_code), AWARE_PUPIL)
    assert walker.post("/q/aware_sso", {"answer": "no"}).status_code == 303
    assert client.get("/q/felt_safety").status_code == 404  # no longer on this pupil's route
    walker.send()
    with app.app_context():
        (stored,) = stored_answers()
    assert "felt_safety" not in stored and "officer_discipline" not in stored and stored["aware_sso"] == "no"


def test_progress_back_link_and_saved_answer_are_shown(client, world):
    walker = Walker(client)
    first = walker.start_pupil(world.class_code)
    walker.post(first, {"answer": "year_8"})
    page = client.get("/q/gender").get_data(as_text=True)
    assert "Question 2 of 13" in page
    assert 'href="/q/year_group"' in page  # Back goes to the previous question
    back = client.get("/q/year_group").get_data(as_text=True)
    assert 'value="year_8" checked' in back  # the answer is kept on Back


def test_required_question_without_answer_gets_a_plain_message(client, world):
    walker = Walker(client)
    response = walker.post(walker.start_pupil(world.class_code), {"answer": ""})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Choose one answer to carry on." in page and "There is a problem" in page


def test_sensitive_questions_can_be_skipped_and_have_no_default(client, world):
    walker = Walker(client)
    walker.post(walker.start_pupil(world.class_code), {"answer": "year_8"})
    page = client.get("/q/ethnicity").get_data(as_text=True)
    assert " checked" not in page and "Prefer not to say" in page
    assert "Black, Black British, Black Welsh, Caribbean or African" in page
    assert walker.post("/q/ethnicity", {"answer": ""}).status_code == 303


def test_answer_outside_the_options_is_refused_and_nothing_is_stored(app, client, world):
    walker = Walker(client)
    response = walker.post(walker.start_pupil(world.class_code), {"answer": "year_99"})
    assert response.status_code == 400
    assert "Not a valid choice" in response.get_data(as_text=True)
    assert _rows(app, Response) == 0


def test_free_text_over_the_limit_is_refused_with_a_message(app, client, world):
    walker = Walker(client)
    walker.answer_all(walker.start_pupil(world.class_code), {**AWARE_PUPIL, "comments": "x"})
    too_long = "y" * (app.config["FREE_TEXT_MAX_CHARS"] + 1)
    response = walker.post("/q/comments", {"answer": too_long})
    assert response.status_code == 400
    assert "no more than 1000 characters" in response.get_data(as_text=True)


def test_double_submit_stores_once_and_both_see_thanks(app, client, world):
    walker = Walker(client)
    walker.answer_all(walker.start_pupil(world.class_code), AWARE_PUPIL)
    submission_uuid = walker.submission_uuid()
    token = walker.token("/send")
    first = client.post("/send", data={"csrf_token": token, "submission_uuid": submission_uuid})
    second = client.post("/send", data={"csrf_token": token, "submission_uuid": submission_uuid})
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"] == "/thanks"
    with app.app_context():
        assert stored_answers() == [AWARE_PUPIL]


def test_thanks_page_is_side_effect_free(app, client, world):
    walker = Walker(client)
    walker.answer_all(walker.start_pupil(world.class_code), AWARE_PUPIL)
    walker.send()
    for _ in range(3):
        assert client.get("/thanks").status_code == 200
    assert _rows(app, Response) == 1


def test_next_pupil_starts_clean_and_back_cannot_reach_previous_answers(app, client, world):
    walker = Walker(client)
    walker.answer_all(walker.start_pupil(world.class_code), AWARE_PUPIL)
    walker.send()
    assert walker.post("/finish", token_from="/thanks").headers["Location"] == "/"
    for key in ("year_group", "comments"):
        assert client.get(f"/q/{key}").status_code == 302  # back to the start, no answers
    first = walker.start_pupil()  # the kiosk still knows the class
    assert " checked" not in client.get(first).get_data(as_text=True)
    assert walker.submission_uuid() != ""


def test_each_pupil_gets_a_new_submission_uuid(client, world):
    walker = Walker(client)
    walker.answer_all(
        walker.start_pupil(world.class_code), {"year_group": "year_7", "aware_sso": "no"} | AWARE_PUPIL
    )
    first_uuid = walker.submission_uuid()
    walker.send(first_uuid)
    walker.post("/finish", token_from="/thanks")
    walker.answer_all(walker.start_pupil(), AWARE_PUPIL)
    assert walker.submission_uuid() != first_uuid


def test_idle_draft_is_discarded(app, client, world, monkeypatch):
    walker = Walker(client)
    walker.post(walker.start_pupil(world.class_code), {"answer": "year_8"})
    monkeypatch.setitem(app.config, "KIOSK_IDLE_SECONDS", -1)
    response = client.get("/q/gender")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert "nobody used it for a while" in client.get("/").get_data(as_text=True)


def test_invitation_code_is_single_use(app, client, world):
    walker = Walker(client)
    assert walker.enter_code(world.invitation_codes[0]).headers["Location"] == "/privacy"
    first = walker.post("/privacy").headers["Location"]
    walker.answer_all(
        first,
        {
            "age_band": "35_44",
            "borough": "E09000001",
            "parent_of_pupil": "yes",
            "heard_of_sso": "yes",
            "support_sso": "tend_to_support",
            "police_good_job": "good",
        },
    )
    assert walker.send().status_code == 303
    other = Walker(app.test_client())
    refused = other.enter_code(world.invitation_codes[0])
    assert refused.status_code == 400
    assert "already been used" in refused.get_data(as_text=True)


def test_code_typed_in_lower_case_with_spaces_works(client, world):
    code = world.class_code
    typed = f" {code[:5].lower()} - {code[5:]} "
    assert Walker(client).enter_code(typed).status_code == 303


def test_wrong_code_gets_a_clear_message(client, world):
    response = Walker(client).enter_code("ABCDE-FGHJK")
    assert response.status_code == 400
    assert "could not find that code" in response.get_data(as_text=True)


def test_code_in_the_query_string_is_ignored(client, world):
    response = client.get(f"/?code={world.class_code}")
    assert "Enter your code" in response.get_data(as_text=True)
    assert (
        client.post(f"/code?code={world.class_code}", data={"csrf_token": Walker(client).token()}).status_code
        == 400
    )


def test_public_open_link_flow(app, client, world):
    walker = Walker(client)
    assert client.get(f"/public/{world.public_slug}").status_code == 200
    response = walker.post(f"/public/{world.public_slug}")
    assert response.headers["Location"] == "/privacy"
    first = walker.post("/privacy").headers["Location"]
    assert first == "/q/age_band"
    walker.answer_all(
        first,
        {
            "age_band": "16_24",
            "borough": "E09000012",
            "parent_of_pupil": "no",
            "heard_of_sso": "no",
            "support_sso": "strongly_oppose",
            "police_good_job": "poor",
        },
    )
    assert walker.send().status_code == 303
    with app.app_context():
        stored = db.session.scalars(sa.select(Response)).one()
        assert stored.school_id is None and stored.wave_id == world.public_wave_id


def test_respondent_can_switch_language_at_any_point(app, client, world):
    with app.app_context():
        wave = db.session.get(Wave, world.pupil_wave_id)
        wave.version.languages = ["en", "cy"]
        gender = wave.version.question("gender")
        gender.wording = {"en": gender.wording["en"], "cy": "Pa un o'r rhain sy'n eich disgrifio chi?"}
        db.session.commit()
    walker = Walker(client)
    walker.post(walker.start_pupil(world.class_code), {"answer": "year_8"})
    page = client.get("/q/gender").get_data(as_text=True)
    assert 'lang="cy"' in page and "Cymraeg" in page  # the switch is offered
    response = walker.post("/language", {"language": "cy", "back": "gender"}, token_from="/q/gender")
    assert response.headers["Location"] == "/q/gender"
    page = client.get("/q/gender").get_data(as_text=True)
    assert "Pa un o&#39;r rhain" in page and '<html lang="cy">' in page
    assert "Girl" in page  # options without a translation fall back to English
    walker.post("/language", {"language": "xx", "back": "gender"}, token_from="/q/gender")
    assert '<html lang="cy">' in client.get("/q/gender").get_data(as_text=True)  # unknown: ignored


def test_ending_a_class_session_needs_the_class_code(app, client, world):
    walker = Walker(client)
    assert walker.enter_code(world.class_code).status_code == 303
    token = walker.token("/")
    refused = client.post("/kiosk/end", data={"end-csrf_token": token, "end-code": ""})
    assert refused.status_code == 400 and "Start the survey" in refused.get_data(as_text=True)
    wrong = client.post("/kiosk/end", data={"end-csrf_token": token, "end-code": world.other_class_code})
    assert wrong.status_code == 400 and "not this class" in wrong.get_data(as_text=True)
    assert "Start the survey" in client.get("/").get_data(as_text=True)  # still a kiosk
    ended = client.post("/kiosk/end", data={"end-csrf_token": token, "end-code": world.class_code.lower()})
    assert ended.status_code == 303
    assert "Enter your code" in client.get("/").get_data(as_text=True)


def test_back_after_next_pupil_reaches_the_start_not_the_last_thank_you(app, client, world):
    walker = Walker(client)
    walker.answer_all(walker.start_pupil(world.class_code), AWARE_PUPIL)
    walker.send()
    assert client.get("/thanks").status_code == 200
    walker.post("/finish", token_from="/thanks")
    back = client.get("/thanks")
    assert back.status_code == 303 and back.headers["Location"] == "/"


def test_check_your_answers_lists_what_routing_asked_and_changes_return_there(app, client, world):
    walker = Walker(client)
    answers = {**AWARE_PUPIL, "aware_sso": "no"}
    asked = walker.answer_all(walker.start_pupil(world.class_code), answers)
    html = client.get("/send").get_data(as_text=True)
    assert "Check your answers" in html
    assert html.count("change=1") == len(asked)
    assert "/q/felt_safety?change=1" not in html  # routing skipped it
    assert "Black Caribbean" in html or "Caribbean" in html
    # Saying yes to "aware" opens follow-ups: the change leads to them, then back to the check.
    response = walker.post("/q/aware_sso?change=1", {"answer": "yes"}, token_from="/q/aware_sso")
    assert response.headers["Location"].startswith("/q/know_sso")
    assert "change=1" in response.headers["Location"]
    # Changing an answer that opens nothing goes straight back.
    response = walker.post("/q/gender?change=1", {"answer": "boy"}, token_from="/q/gender")
    assert response.headers["Location"] == "/send"


def test_wrong_codes_say_what_is_wrong_with_them(client, world):
    html = Walker(client).enter_code("12345-67890").get_data(as_text=True)
    assert "never use 0, 1, I, O" in html
    short = Walker(client).enter_code("ABCD").get_data(as_text=True)
    assert "that had 4" in short


def test_the_public_thank_you_page_speaks_to_adults(app, client, world):
    walker = Walker(client)
    assert walker.enter_code(world.invitation_codes[0]).status_code == 303
    walker.answer_all(
        walker.post("/privacy").headers["Location"],
        {
            "age_band": "25_34",
            "borough": "E09000001",
            "parent_of_pupil": "no",
            "heard_of_sso": "yes",
            "support_sso": "tend_to_support",
            "police_good_job": "good",
        },
    )
    walker.send()
    html = client.get("/thanks").get_data(as_text=True)
    assert "Thank you" in html and "talk to a teacher" not in html and "Samaritans" in html
    pupil = Walker(app.test_client())
    pupil.answer_all(pupil.start_pupil(world.class_code), AWARE_PUPIL)
    pupil.send()
    assert "talk to a teacher" in pupil.client.get("/thanks").get_data(as_text=True)
