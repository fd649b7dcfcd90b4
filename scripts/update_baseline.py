"""Regenerate tests/baseline.json: fixed-seed summaries that tests/test_baseline.py compares against.

Run this only when a change to the model is meant to change its results, and
say so in the commit message:

    python3 scripts/update_baseline.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from c2c_sim import make_config, run_replications  # noqa: E402

BASELINE = ROOT / "tests" / "baseline.json"
CASES = {
    "default": {},
    "classic_no_programme": {"network": "classic", "programme": "none"},
    "multilevel_long_term_migrants": {"network": "multilevel_hybrid", "programme": "long_term",
                                      "migrants_involvement": 0.3, "migrants_outreach": 0.01},
    "donor_budget_cut_2011": {"scenario": "budget_cut_2011", "programme_mode": "donor",
                              "dissemination_turnover_rate": 0.03},
}
COMMON = {"months": 60, "replications": 4, "seed": 20240601}


def summaries() -> dict[str, dict[str, float]]:
    """Mean of every summary outcome over the replications, per case."""
    out = {}
    for name, params in CASES.items():
        summary = run_replications(make_config({**COMMON, **params})).summary
        means = summary.drop(columns=["replication", "seed"]).mean()
        out[name] = {k: (None if v != v else float(v)) for k, v in means.items()}
    return out


if __name__ == "__main__":
    BASELINE.write_text(json.dumps({"common": COMMON, "cases": CASES, "summaries": summaries()}, indent=1,
                                   sort_keys=True) + "\n")
    print(f"wrote {BASELINE}")
