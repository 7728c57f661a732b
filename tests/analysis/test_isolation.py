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


def test_the_app_imports_only_the_librarys_public_names():
    """The app depends on ``analysis.__all__`` alone, so the library may rearrange its modules."""
    import ast

    import analysis

    used = []
    for path in (ROOT / "survey_app").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "analysis":
                used += [(path.name, node.module, alias.name) for alias in node.names]
            elif isinstance(node, ast.Import):
                used += [(path.name, a.name, "*") for a in node.names if a.name.split(".")[0] == "analysis"]
    assert used  # the app does use the library
    assert [u for u in used if u[1] != "analysis" or u[2] not in analysis.__all__] == []


def test_the_models_load_without_the_statistics():
    """Every ``flask`` command imports the models: they must not pay for scipy and pandas."""
    code = "import sys, survey_app.models; print(sorted({'analysis', 'scipy', 'pandas'} & set(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
