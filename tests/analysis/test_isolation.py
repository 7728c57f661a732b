"""analysis/ is a plain library: importing all of it loads no web, database or plotting code."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_analysis_imports_no_flask_sqlalchemy_plotly_or_app():
    code = (
        "import sys, analysis, analysis.compare, analysis.disclosure, analysis.publish, "
        "analysis.__main__; banned = {'flask', 'sqlalchemy', 'plotly', 'survey_app'}; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in banned))"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
