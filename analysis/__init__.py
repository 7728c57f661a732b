"""Weighting and estimation for Safer Schools Surveys: a plain library (no Flask, no database).

>>> from analysis import rake, estimate
"""

from analysis.errors import AnalysisInputError
from analysis.estimates import estimate
from analysis.raking import RakeResult, rake

__all__ = ["AnalysisInputError", "RakeResult", "estimate", "rake"]
