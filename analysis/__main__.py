"""Command line (DESIGN §7.6): ``python -m analysis weigh ...`` and ``python -m analysis estimate ...``.

Errors go to stderr with exit status 2 and no traceback. Raking that does not converge still
writes the weights and the report, warns, and exits with status 1 so that scripts notice.
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from analysis.errors import AnalysisInputError
from analysis.estimates import estimate
from analysis.intervals import METHODS
from analysis.raking import rake

READ_ERRORS = (OSError, UnicodeDecodeError, pd.errors.ParserError)


def _read_csv(path: str, **options) -> pd.DataFrame:
    try:
        return pd.read_csv(path, **options)
    except pd.errors.EmptyDataError:
        raise AnalysisInputError(f"{path} is empty: it needs a header row and data rows") from None


def read_data(path: str) -> pd.DataFrame:
    """Every column as text, an empty cell meaning missing; numbers are parsed where needed."""
    return _read_csv(path, dtype=str, keep_default_na=False).replace({"": None})


def read_margins(path: str) -> pd.DataFrame:
    return _read_csv(path, dtype={"variable": str, "category": str})


def parse_bounds(text: str) -> tuple[float, float]:
    try:
        lower, upper = (float(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError("--bounds takes two numbers, e.g. 0.3,3") from None
    return lower, upper


def parse_where(conditions: Sequence[str]) -> dict[str, list[str]]:
    where: dict[str, list[str]] = {}
    for condition in conditions:
        column, equals, value = condition.partition("=")
        if not equals or not column:
            raise AnalysisInputError(f'--where takes "COLUMN=VALUE", not "{condition}"')
        where.setdefault(column.strip(), []).append(value.strip())
    return where


def weigh(args: argparse.Namespace) -> int:
    frame = read_data(args.data)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # reported below, once, in words
        result = rake(
            frame,
            read_margins(args.margins),
            base_weight=args.base_weight,
            max_iter=args.max_iter,
            tol=args.tol,
            bounds=args.bounds,
        )
    frame.assign(weight=result.weights.map(lambda w: f"{w:.17g}")).to_csv(args.out, index=False)
    if args.report:
        report = {
            "converged": result.converged,
            "iterations": result.iterations,
            "max_error": result.max_error,
            "problem": result.problem(),
            "worst_margin": {"variable": result.worst[0], "category": result.worst[1]},
            "diagnostics": result.diagnostics,
            "settings": {
                "max_iter": args.max_iter,
                "tol": args.tol,
                "bounds": args.bounds,
                "base_weight": args.base_weight,
            },
        }
        Path(args.report).write_text(json.dumps(report, indent=2))
    if not result.converged:
        print(f"warning: {result.problem()}", file=sys.stderr)
        return 1
    return 0


def estimates(args: argparse.Namespace) -> int:
    frame = read_data(args.data)
    margins = read_margins(args.margins) if args.margins else None
    table = estimate(
        frame,
        outcome=args.outcome,
        weight=args.weight,
        strata=args.strata,
        cluster=args.cluster,
        margins=margins,
        base_weight=args.base_weight,
        where=parse_where(args.where),
        by=args.by,
        ci=args.ci,
        level=args.level,
    )
    table.to_csv(args.out, index=False, float_format="%.17g")
    return 0


def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(prog="python -m analysis", description=__doc__.splitlines()[0])
    commands = main.add_subparsers(dest="command", required=True)
    w = commands.add_parser("weigh", help="rake base weights to population margins")
    w.add_argument("data")
    w.add_argument("--margins", required=True)
    w.add_argument("--base-weight")
    w.add_argument("--max-iter", type=int, default=100)
    w.add_argument("--tol", type=float, default=1e-10)
    w.add_argument("--bounds", type=parse_bounds)
    w.add_argument("--out", required=True)
    w.add_argument("--report")
    w.set_defaults(run=weigh)
    e = commands.add_parser("estimate", help="weighted proportions with design-based SEs")
    e.add_argument("data")
    e.add_argument("--weight", required=True)
    e.add_argument("--outcome", required=True)
    e.add_argument("--margins")
    e.add_argument("--base-weight")
    e.add_argument("--strata")
    e.add_argument("--cluster")
    e.add_argument("--where", action="append", default=[])
    e.add_argument("--by")
    e.add_argument("--ci", choices=METHODS, default="logit")
    e.add_argument("--level", type=float, default=0.95)
    e.add_argument("--out", required=True)
    e.set_defaults(run=estimates)
    return main


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.run(args)
    except (AnalysisInputError, *READ_ERRORS) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
