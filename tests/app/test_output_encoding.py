"""P-18 and P-21: whatever staff type or upload is shown as text, never run as markup or as a template."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest

from tests.app.test_admin import _new_wave, _post

PAYLOADS = [
    "<script>alert('x')</script>",
    '"><svg onload=alert(1)>',
    "{{ 7*7 }}{{ config }}",
    "{% for x in range(3) %}loop{% endfor %}",
    "javascript:alert(1)",
]
TEMPLATES = Path(__file__).resolve().parents[2] / "survey_app" / "templates"


def _shown_only_as_text(html: str) -> None:
    assert "<script>alert" not in html and "<svg onload" not in html
    assert "&lt;script&gt;alert(" in html and "&lt;svg onload=alert(1)&gt;" in html
    assert "{{ 7*7 }}{{ config }}" in html and "49" not in re.sub(r"\d{3,}", "", html)
    assert "{% for x in range(3) %}loop{% endfor %}" in html and "looploop" not in html
    assert "SECRET_KEY" not in html and "testing-secret" not in html


def test_question_wording_and_options_are_text_in_the_preview(app, staff, world):
    client = staff("admin")
    from survey_app.extensions import db
    from survey_app.models import Wave

    with app.app_context():
        used = db.session.get(Wave, world.pupil_wave_id).version_id
    copied = _post(client, f"/admin/versions/{used}", f"/admin/versions/{used}/copy")
    new_id = int(copied.headers["Location"].rsplit("/", 1)[1])
    edit = f"/admin/versions/{new_id}/questions/aware_sso"
    wording = " ".join(PAYLOADS)
    saved = _post(
        client, edit, edit, {"wording": wording, "options": "\n".join(PAYLOADS[:3]), "required": "y"}
    )
    assert saved.status_code == 303
    for page in (f"/admin/versions/{new_id}/preview/aware_sso", f"/admin/versions/{new_id}", edit):
        _shown_only_as_text(client.get(page).get_data(as_text=True))


def test_uploaded_school_names_and_wave_names_are_text_on_every_admin_page(app, staff, world):
    client = staff("admin")
    rows = io.StringIO()
    writer = csv.writer(rows)
    writer.writerow(["urn", "name", "borough", "phase"])
    writer.writerow(["100300", " ".join(PAYLOADS), "Hackney", "Secondary"])
    uploaded = _post(client, "/admin/schools", "/admin/schools", file=rows.getvalue().encode())
    assert uploaded.status_code == 303
    _shown_only_as_text(client.get("/admin/schools").get_data(as_text=True))
    wave_name = " ".join(PAYLOADS)[:120]
    refused = _post(client, "/admin/waves/new", "/admin/waves/new", {"name": wave_name, "opens_on": "x"})
    assert refused.status_code == 400
    assert "&lt;script&gt;alert(" in refused.get_data(as_text=True)
    wave_id = _new_wave(app, client, "pupil", name=wave_name)
    for page in ("/admin/", f"/admin/waves/{wave_id}", "/admin/audit"):
        html = client.get(page).get_data(as_text=True)
        assert "<script>alert" not in html and "<svg onload" not in html
        assert "&lt;script&gt;alert(" in html or "&amp;lt;script" in html, page


@pytest.mark.parametrize("template", sorted(p.name for p in TEMPLATES.rglob("*.html")))
def test_no_template_marks_anything_safe(template):
    text = next(TEMPLATES.rglob(template)).read_text()
    assert not re.search(r"\|\s*safe\b", text) and "autoescape false" not in text
