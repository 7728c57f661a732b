"""Access codes: unguessable, easy to type, looked up with clear errors (SECURITY P-13)."""

from __future__ import annotations

import math
from collections import Counter

import pytest

from survey_app.exceptions import AccessCodeError
from survey_app.services.access_codes import ALPHABET, CODE_LENGTH, display, find_usable, new_code, normalise


def test_codes_carry_at_least_40_bits_and_avoid_confusable_characters():
    assert CODE_LENGTH * math.log2(len(ALPHABET)) >= 40
    assert not set("01OI") & set(ALPHABET)


def test_a_batch_has_no_collisions_and_a_uniform_alphabet():
    codes = [new_code() for _ in range(20_000)]
    assert len(set(codes)) == len(codes)
    counts = Counter("".join(codes))
    expected = len(codes) * CODE_LENGTH / len(ALPHABET)
    chi_square = sum((counts[ch] - expected) ** 2 / expected for ch in ALPHABET)
    assert set(counts) == set(ALPHABET)
    assert chi_square < 70  # 31 degrees of freedom: p < 0.0002 of a false alarm


def test_normalise_forgives_case_spaces_and_dashes():
    assert normalise(" abcde - fghjk ") == "ABCDEFGHJK"
    assert display("ABCDEFGHJK") == "ABCDE-FGHJK"


@pytest.mark.parametrize("typed", ["", "short", "ABCDE-FGHJ0", "ÄBCDE-FGHJK", "x" * 40])
def test_malformed_codes_are_refused_without_a_lookup(ctx, typed):
    with pytest.raises(AccessCodeError, match="Codes have 10 letters"):
        find_usable(typed)
