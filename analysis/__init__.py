"""Weighting and estimation for Safer Schools Surveys: a plain library (no Flask, no database).

>>> from analysis import rake, estimate
>>> result = rake(frame, margins)                      # doctest: +SKIP
>>> table = estimate(frame.assign(weight=result.weights), outcome="felt_safety",
...                  weight="weight", margins=margins)  # doctest: +SKIP

A survey design is built once and passed to every estimator, as R's ``svydesign``:

>>> design = SurveyDesign.from_frame(frame, "weight", strata="borough", cluster="school_id",
...                                  margins=margins)   # doctest: +SKIP
>>> table = indicator_tables(design, specs, ["ethnic_group", "send"])  # doctest: +SKIP

The command line is ``python -m analysis weigh|estimate`` (DESIGN §7.6). Applications import
only the names in ``__all__``.
"""

from analysis.columns import codes_of
from analysis.compare import Comparison, compare_domains, compare_waves, each_against_rest, wave_changes
from analysis.design import SurveyDesign
from analysis.disclosure import Thresholds
from analysis.equality import COLUMNS as EQUALITY_COLUMNS
from analysis.equality import equality_table, published_equality
from analysis.errors import AnalysisInputError
from analysis.estimates import estimate
from analysis.funnel import classify as classify_areas
from analysis.funnel import curves as funnel_curves
from analysis.margins import check_margins
from analysis.publish import ANALYST_COLUMNS, IndicatorSpec, indicator_tables, published, release_table
from analysis.raking import RakeResult, rake

__all__ = [
    "ANALYST_COLUMNS",
    "EQUALITY_COLUMNS",
    "AnalysisInputError",
    "Comparison",
    "IndicatorSpec",
    "RakeResult",
    "SurveyDesign",
    "Thresholds",
    "check_margins",
    "classify_areas",
    "codes_of",
    "compare_domains",
    "compare_waves",
    "each_against_rest",
    "equality_table",
    "estimate",
    "funnel_curves",
    "indicator_tables",
    "published",
    "published_equality",
    "rake",
    "release_table",
    "wave_changes",
]
