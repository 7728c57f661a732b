"""Weighting and estimation for Safer Schools Surveys: a plain library (no Flask, no database).

>>> from analysis import rake, estimate
>>> result = rake(frame, margins)                      # doctest: +SKIP
>>> table = estimate(frame.assign(weight=result.weights), outcome="felt_safety",
...                  weight="weight", margins=margins)  # doctest: +SKIP

The command line is ``python -m analysis weigh|estimate`` (DESIGN §7.6).
"""

from analysis.compare import Comparison, compare_domains, compare_waves, each_against_rest
from analysis.disclosure import Thresholds
from analysis.errors import AnalysisInputError
from analysis.estimates import estimate
from analysis.margins import check_margins
from analysis.publish import IndicatorSpec, release_table
from analysis.raking import RakeResult, rake

__all__ = [
    "AnalysisInputError",
    "Comparison",
    "IndicatorSpec",
    "RakeResult",
    "Thresholds",
    "check_margins",
    "compare_domains",
    "compare_waves",
    "each_against_rest",
    "estimate",
    "rake",
    "release_table",
]
