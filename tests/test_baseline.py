"""The model's fixed-seed results match the stored baseline (scripts/update_baseline.py regenerates it).

A failure here means a change altered what the model computes. If that was
intended, regenerate the baseline and say so in the commit message.
"""

import importlib.util
import json
import math
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("update_baseline", ROOT / "scripts" / "update_baseline.py")
update_baseline = importlib.util.module_from_spec(spec)
spec.loader.exec_module(update_baseline)

STORED = json.loads(update_baseline.BASELINE.read_text())


def test_baseline_covers_the_current_cases():
    assert STORED["cases"] == update_baseline.CASES and STORED["common"] == update_baseline.COMMON


@pytest.fixture(scope="module")
def current():
    return update_baseline.summaries()


@pytest.mark.parametrize("case", sorted(update_baseline.CASES))
def test_summary_matches_baseline(current, case):
    want, got = STORED["summaries"][case], current[case]
    assert set(got) == set(want), "the outcome names changed"
    for key, value in want.items():
        if value is None:
            assert got[key] is None, key
        else:
            assert got[key] is not None and math.isclose(got[key], value, rel_tol=1e-9, abs_tol=1e-12), \
                f"{case}.{key}: {got[key]!r} != baseline {value!r}"
