"""Reading an uploaded CSV safely: size, encoding, header and formula checks with plain messages."""

from __future__ import annotations

import csv
import io

from survey_app.exceptions import SurveyError

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class UploadError(SurveyError):
    """The file as a whole cannot be read; ``problems`` lists row-level faults, if any."""

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or []


def read_csv(
    data: bytes, required: set[str], optional: set[str] = frozenset(), max_rows: int = 20_000
) -> list[dict[str, str]]:
    """Rows as dicts keyed by lower-case header; raises ``UploadError`` with a clear reason."""
    if not data.strip():
        raise UploadError("The file is empty.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UploadError(
            "The file is not UTF-8 text. In Excel, save it as "
            "'CSV UTF-8 (comma delimited)' and upload it again."
        ) from None
    if "\x00" in text:
        raise UploadError("The file is not a CSV file.")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    headers = [(h or "").strip().lower() for h in (reader.fieldnames or [])]
    missing = required - set(headers)
    if missing:
        found = ", ".join(h for h in headers if h) or "none"
        raise UploadError(
            f"The file needs the columns {', '.join(sorted(required))}; "
            f"missing: {', '.join(sorted(missing))}. Its first row has: {found}. "
            "Check the first row holds the column names."
        )
    unknown = set(headers) - required - set(optional)
    if unknown:
        raise UploadError(f"The file has columns this upload does not use: {', '.join(sorted(unknown))}.")
    rows = []
    try:
        for row in reader:
            if len(rows) >= max_rows:
                raise UploadError(f"The file has more than {max_rows:,} rows.")
            rows.append(
                {(k or "").strip().lower(): (v or "").strip() for k, v in row.items() if k is not None}
            )
    except csv.Error as error:
        raise UploadError(f"The file is not valid CSV: {error}.") from None
    if not rows:
        raise UploadError("The file has a header but no rows.")
    return rows


def formula_like(value: str) -> bool:
    """Cells a spreadsheet would run as a formula (SECURITY P-20); refused in imports."""
    return value.startswith(FORMULA_STARTS) and not _is_number(value)


def _is_number(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True


def neutralise(value: object) -> str:
    """A cell safe to open in a spreadsheet: formula starters get a leading apostrophe."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text
