"""Property test: whatever a respondent posts, the answer is success or a 400, never a 500."""

from __future__ import annotations

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from survey_app.extensions import db
from survey_app.models import Response, TextAnswer
from tests.support import Walker

KEYS = ["year_group", "gender", "ethnicity", "aware_sso", "felt_safety", "comments", "nope", "../send", "%00"]
text = st.text(st.characters(codec="utf-8"), max_size=60) | st.sampled_from(
    ["year_7", "yes", "", "'; DROP TABLE answer;--", "<script>alert(1)</script>", "\x00", "🙂" * 20]
)
fields = st.dictionaries(
    st.sampled_from(["answer", "submission_uuid", "code", "language", "back", "extra"]), text, max_size=4
)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(key=st.sampled_from(KEYS), body=fields, with_token=st.booleans())
def test_question_posts_never_fail_and_never_store_partial_rows(app, world, key, body, with_token):
    client = app.test_client()
    walker = Walker(client)
    walker.start_pupil(world.class_code)
    if with_token:
        body = {**body, "csrf_token": walker.token("/q/year_group")}
    for path in (f"/q/{key}", "/send", "/language", "/code"):
        response = client.post(path, data=body)
        assert response.status_code in {200, 302, 303, 400, 404, 409, 413, 429}, (path, body)
    with app.app_context():
        responses = db.session.scalar(sa.select(sa.func.count()).select_from(Response))
        answers = db.session.scalar(sa.select(sa.func.count()).select_from(TextAnswer))
    assert responses == 0 and answers == 0  # nothing complete was ever sent
