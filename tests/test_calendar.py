"""The calendar (month 1 = January 2000), dates for month parameters, and the 2000-2017 timeline presets."""

from __future__ import annotations

import subprocess

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from c2c_sim import calendar, rules
from c2c_sim.config import DATED, Config, ConfigError, check_value, flatten, make_config
from c2c_sim.runner import run_replications
from c2c_sim.state import params_from_config
from c2c_sim.world import Kind, build_world


def test_months_and_dates_map_both_ways():
    assert calendar.month_of("2000-01") == 1
    assert calendar.month_of("1999-12") == 0
    assert calendar.month_of("2011-01") == 133
    assert calendar.month_of("2017-03") == 207
    assert calendar.month_of(pd.Period("2017-12", "M")) == 216
    assert calendar.label(133) == "2011-01" and calendar.label(0) == "1999-12" and calendar.label(12) == "2000-12"
    assert calendar.dates(1) == pd.Timestamp("2000-01-01")
    assert list(calendar.dates([0, 13])) == [pd.Timestamp("1999-12-01"), pd.Timestamp("2001-01-01")]
    for bad in ("2011-13", "2011", "11-2011", "1998-06"):
        with pytest.raises(ValueError):
            calendar.month_of(bad)


@given(st.integers(0, 5000))
def test_label_and_month_of_are_inverse(month):
    assert calendar.month_of(calendar.label(month)) == month
    assert calendar.dates(month).strftime("%Y-%m") == calendar.label(month)


def test_month_parameters_take_dates():
    cfg = make_config({"shocks.funding_cut_month": "2011-01", "shocks.termination_month": "2017-03",
                       "programme.start": "2000-01", "programme.successor_start": "2012-01", "months": "2017-12"})
    assert (cfg.shocks.funding_cut_month, cfg.shocks.termination_month) == (133, 207)
    # a programme "starting" in a month pays from that month: start is the month before
    assert cfg.programme.start == 0 and cfg.programme.successor_start == 144 and cfg.months == 216
    assert set(DATED) == {"months", "programme.start", "programme.successor_start", "shocks.funding_cut_month",
                          "shocks.termination_month", "shocks.support_cut_month"}
    with pytest.raises(ConfigError, match=r"shocks.funding_cut_month='2011-13'.*YYYY-MM"):
        make_config({"shocks.funding_cut_month": "2011-13"})
    with pytest.raises(ConfigError, match="before the calendar.*2000-01"):
        make_config({"shocks.termination_month": "1990-01"})
    with pytest.raises(ConfigError, match="wrong type"):
        make_config({"trust.initial": "2011-01"})  # only month parameters take dates
    with pytest.raises(ConfigError, match="wrong type"):
        make_config({"world.staff_per_municipality": "2011-01"})


@pytest.mark.parametrize("key", sorted(DATED))
def test_a_date_before_2000_is_refused_naming_the_field_and_the_dates(key):
    """1999-12 (month 0) is no date of any month parameter: not 'none' (-1) for successor_start, not month 0
    for a shock, and the error names the field, the date and the allowed dates."""
    for bad in ("1999-12", "1999-11", "1950-06"):
        with pytest.raises(ConfigError) as err:
            make_config({key: bad})
        msg = str(err.value)
        assert msg.startswith(f"{key}='{bad}'") and "before the calendar" in msg and "allowed dates" in msg, msg
        assert "from 2000-01 on" in msg, msg
    make_config({key: "2000-01"})  # the first date is fine for every one


def test_a_date_means_the_same_in_yaml_and_on_the_command_line(tmp_path):
    """The timeline's successor pays from 2012-01: its YAML (${c2c.paid_from:2012-01}) gives the value the
    date 2012-01 gives on the command line and in Python, and the programme pays from that month."""
    from omegaconf import OmegaConf

    yaml_cfg = make_config(scenario="timeline")
    py_cfg = make_config({"scenario": "timeline", "programme.successor_start": "2012-01",
                          "programme.start": "2000-01"})
    assert yaml_cfg.programme.successor_start == py_cfg.programme.successor_start == 144
    assert yaml_cfg.programme.start == py_cfg.programme.start == 0
    # any date: both resolvers against check_value (what the CLI applies to an override)
    for d in ("2000-01", "2011-01", "2012-01", "2017-03"):
        node = OmegaConf.create({"a": f"${{c2c.paid_from:{d}}}", "m": f"${{c2c.month:{d}}}"})
        for key in ("programme.start", "programme.successor_start"):
            assert node.a == check_value(key, d)
        for key in ("shocks.funding_cut_month", "shocks.termination_month", "months"):
            assert node.m == check_value(key, d)
    prm = params_from_config(yaml_cfg)
    assert rules.programme_budget(prm, calendar.month_of("2011-12")) == 0
    assert rules.programme_budget(prm, calendar.month_of("2012-01")) > 0  # the first paid month is the date
    with pytest.raises(Exception, match="before the calendar"):
        OmegaConf.to_container(OmegaConf.create({"a": "${c2c.paid_from:1999-12}"}), resolve=True)
    for early in ("1999-12", "1999-05"):  # one message for every date before the calendar
        with pytest.raises(Exception, match="before the calendar: dates start at 2000-01"):
            OmegaConf.to_container(OmegaConf.create({"a": f"${{c2c.month:{early}}}"}), resolve=True)
    res = subprocess.run(["c2c-sim", "--cfg", "job", "scenario=timeline", "programme.successor_start=2012-01"],
                         capture_output=True, text=True, cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert "successor_start: 144\n" in res.stdout


def test_command_line_writes_a_date_as_its_month(tmp_path):
    out = tmp_path / "run"
    res = subprocess.run(["c2c-sim", "months=2000-06", "replications=1", "world.staff_per_municipality=2",
                          "shocks.funding_cut_month=2000-03", f"hydra.run.dir={out}"],
                         capture_output=True, text=True, cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    saved = (out / "config.yaml").read_text()
    assert "months: 6\n" in saved and "funding_cut_month: 3\n" in saved
    bad = subprocess.run(["c2c-sim", "shocks.funding_cut_month=2011-13"], capture_output=True, text=True,
                         cwd=tmp_path)
    assert bad.returncode != 0 and "2011-13" in bad.stderr and "YYYY-MM" in bad.stderr


def test_timeline_has_the_events_on_their_dates():
    cfg = make_config(scenario="timeline")
    assert cfg.months == calendar.month_of("2017-12")
    assert cfg.programme.start == 0 and cfg.programme.duration == calendar.month_of("2016-12")
    assert cfg.shocks.funding_cut_month == calendar.month_of("2011-01")
    assert cfg.programme.successor_start + 1 == calendar.month_of("2012-01")
    assert cfg.programme.successor_start + cfg.programme.successor_duration == calendar.month_of("2016-12")
    assert cfg.programme.successor_budget == pytest.approx(0.65) and not cfg.programme.successor_cofinancing
    assert cfg.shocks.termination_month == calendar.month_of("2017-03") and cfg.shocks.terminated_country == "turkey"
    assert cfg.world.large_communities == 1
    prm = params_from_config(cfg)
    paid = {calendar.label(t): rules.programme_budget(prm, t) for t in range(1, cfg.months + 1)}
    full = cfg.programme.budget_per_year / 12
    assert paid["2000-01"] == paid["2010-12"] == pytest.approx(full)
    assert all(v == 0 for k, v in paid.items() if k.startswith("2011"))  # cut to zero
    assert paid["2012-01"] == paid["2016-12"] == pytest.approx(0.65 * full)  # the successor, 35 % less
    assert all(v == 0 for k, v in paid.items() if k >= "2017-01")
    assert rules.programme_cofinanced(prm, calendar.month_of("2010-06"))
    assert not rules.programme_cofinanced(prm, calendar.month_of("2013-06"))  # no co-financing in the successor
    # the other calendar presets: the 2011 cut in 2011, March 2017 in 2017
    assert make_config(scenario="budget_cut_2011").shocks.funding_cut_month == 133
    assert make_config(scenario="diplomatic_shock").shocks.termination_month == 207


def test_the_programme_ends_with_its_successor():
    """activity_after_programme reads the months after all programme money: in the timeline that is after the
    successor (2016-12), not after the 2011 cut; every month after the end is unpaid, the end itself paid."""
    from c2c_sim.runner import programme_end

    for params, want in (({"scenario": "timeline"}, "2016-12"), ({"scenario": "timeline_no_cut"}, "2016-12"),
                         ({"scenario": "budget_cut_2011"}, "2010-12"),
                         ({"scenario": "timeline", "programme.successor_budget": 0.0}, "2010-12"),
                         ({"programme.duration": 48, "shocks.funding_cut_month": 24,
                           "programme.successor_start": 30, "programme.successor_duration": 12}, "2003-06")):
        cfg = make_config({**params, "months": "2017-12"})
        end = programme_end(cfg)
        assert calendar.label(end) == want, params
        prm = params_from_config(cfg)
        assert rules.programme_budget(prm, end) > 0
        assert all(rules.programme_budget(prm, t) == 0 for t in range(end + 1, cfg.months + 1)), params
    assert programme_end(make_config(programme="none")) == 0


COUNTERFACTUAL_CHANGES = {
    "timeline_no_cut": {"name", "shocks.funding_cut_month", "programme.successor_start", "programme.successor_duration"},
    "timeline_long_term": {"name", "shocks.funding_cut_month", "programme.successor_start", "programme.successor_duration",
                           "programme.duration",
                           "programme.coherence", "programme.learning_strategy"},
    "timeline_migrants": {"name", "migrants.involvement", "migrants.outreach"},
}


@pytest.mark.parametrize("name", sorted(COUNTERFACTUAL_CHANGES))
def test_counterfactuals_change_only_what_they_say(name):
    base, other = flatten(make_config(scenario="timeline")), flatten(make_config(scenario=name))
    assert {k for k in base if base[k] != other[k]} == COUNTERFACTUAL_CHANGES[name]  # no successor: its duration 0


def test_successor_without_cofinancing_needs_the_dutch_take_up():
    prm = params_from_config(Config())._replace(response_base=0.2)
    with_cf = rules.exchange_intensity(prm, 5.0, 0.5, 0.1, 0.3, 0.0, 1.0, 0.0, True)[0]
    without = rules.exchange_intensity(prm, 5.0, 0.5, 0.1, 0.3, 0.0, 1.0, 0.0, False)[0]
    assert with_cf == pytest.approx(5.0 / prm.cost_per_visit)
    assert without == pytest.approx(with_cf * rules.take_up(prm, 0.1))  # the Dutch side pays its own part


def test_a_large_community_involves_more_of_its_migrants():
    cfg = make_config({"world.large_communities": 1, "migrants.community_involvement": 0.8,
                       "migrants.involvement": 0.1, "world.migrants_per_city": 20, "network.model": "multi_actor"})
    w = build_world(cfg, np.random.default_rng(1))
    mig = np.flatnonzero(w.kind == Kind.MIGRANT)
    share = [w.involved[mig[w.partnership[mig] == p]].mean() for p in range(5)]
    assert share[0] == pytest.approx(0.8)  # the Zeist-Berkane-like pair
    assert share[1:] == pytest.approx([0.1] * 4)
    # a Dutch-Turkish partnership is never the large Moroccan community
    cfg2 = make_config({"world.large_communities": 9, "migrants.community_involvement": 0.8,
                        "world.migrants_per_city": 20})
    w2 = build_world(cfg2, np.random.default_rng(1))
    mig2 = np.flatnonzero(w2.kind == Kind.MIGRANT)
    assert [w2.involved[mig2[w2.partnership[mig2] == p]].mean() for p in range(5)] == pytest.approx([0.8] * 3 + [0.1] * 2)


def test_tables_carry_dates():
    res = run_replications(make_config(months=14, world_staff_per_municipality=2), replications=2)
    for table in (res.series, res.partnerships, res.countries):
        assert (table["date"] == calendar.dates(table["month"].to_numpy())).all()
    assert res.series.loc[res.series.month == 13, "date"].iloc[0] == pd.Timestamp("2001-01-01")
