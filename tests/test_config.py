"""The parameter schema: validation messages, the flat/dotted doors, and agreement with Hydra's composition."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from omegaconf import OmegaConf

from c2c_sim import C2CModel, Config, ConfigError, make_config
from c2c_sim.config import (
    CONFIG_DIR,
    DOMAINS,
    SECTIONS,
    budget_per_year_for_total,
    check_value,
    list_presets,
    load_preset,
    lookup_field,
    register_configs,
    schema_keys,
    unflatten_params,
    validate,
)
from c2c_sim.rules import programme_budget
from c2c_sim.state import params_from_config


def error_of(*args, **kwargs) -> str:
    """The message of the ConfigError that make_config raises (fails the test if none is raised)."""
    with pytest.raises(ConfigError) as info:
        make_config(*args, **kwargs)
    message = str(info.value)
    assert "\n" not in message, f"ConfigError message is not one line: {message!r}"
    return message


# ---------------------------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("params, key, value, allowed", [
    ({"trust_initial": "abc"}, "trust.initial", "abc", "float"),
    ({"months": 2.5}, "months", "2.5", "int"),
    ({"months": True}, "months", "True", "int"),
    ({"world_staff_per_municipality": "many"}, "world.staff_per_municipality", "many", "int"),
    ({"programme_learning_strategy": "maybe"}, "programme.learning_strategy", "maybe", "bool"),
    ({"programme_mode": 3}, "programme.mode", "3", "str"),
    ({"knowledge_bounded_gap": float("nan")}, "knowledge.bounded_gap", "nan", "float"),
])
def test_wrong_type_names_key_value_and_type(params, key, value, allowed):
    msg = error_of(params)
    assert key in msg and value in msg and allowed in msg
    assert "wrong type" in msg


@pytest.mark.parametrize("value", [48.0, np.float64(48.0), np.int32(48), "48", "48.0"])
def test_integer_fields_take_whole_numbers_of_any_type(value):
    """Samplers (EMA Workbench, SALib, numpy) give integer parameters as whole floats: 48.0 is 48."""
    cfg = make_config(programme_duration=value)
    assert cfg.programme.duration == 48 and type(cfg.programme.duration) is int


@pytest.mark.parametrize("params, text", [
    ({"programme_duration": 48.5}, "programme.duration=48.5 has the wrong type: expected int, a whole number"),
    ({"programme_duration": "48.5"}, "'48.5' has the wrong type: expected int, a whole number"),
    ({"seed": float(2**60)}, "beyond 2**53"),
    ({"months": float("inf")}, "months=inf has the wrong type"),
])
def test_integer_fields_refuse_fractions_and_inexact_floats(params, text):
    assert text in error_of(params)


def test_a_large_integer_seed_is_kept_exactly():
    seed = 2**62 + 1  # not representable as a float
    assert make_config(seed=seed).seed == seed and make_config(seed=np.uint64(seed)).seed == seed


@pytest.mark.parametrize("params, key, value, allowed", [
    ({"trust_initial": 1.5}, "trust.initial", "1.5", "0.0 <= value <= 1.0"),
    ({"trust_decay": -0.1}, "trust.decay", "-0.1", "0.0 <= value <= 1.0"),
    ({"months": 0}, "months", "0", "1 <= value <= 100000"),
    ({"seed": -1}, "seed", "-1", "0 <= value"),
    ({"shocks_funding_cut_month": -2}, "shocks.funding_cut_month", "-2", "-1 <= value"),
    ({"knowledge.staff_north.youth_participation": 1.5}, "knowledge.staff_north.youth_participation", "1.5",
     "0.0 <= value <= 1.0"),
])
def test_out_of_range_names_key_value_and_range(params, key, value, allowed):
    msg = error_of(params)
    assert key in msg and value in msg and allowed in msg
    assert "out of range" in msg


@pytest.mark.parametrize("params, key, value", [
    ({"network_model": "star"}, "network.model", "star"),
    ({"programme_mode": "Donor"}, "programme.mode", "Donor"),
    ({"programme_pattern": "random"}, "programme.pattern", "random"),
])
def test_choice_not_allowed_lists_the_choices(params, key, value):
    msg = error_of(params)
    assert key in msg and value in msg
    field = lookup_field(key)
    for choice in field.metadata["choices"]:
        assert choice in msg


@pytest.mark.parametrize("params, bad, suggestion", [
    ({"trust_inital": 0.3}, "trust_inital", "trust_initial"),
    ({"trust.inital": 0.3}, "trust.inital", "trust.initial"),
    ({"programme_durration": 12}, "programme_durration", "programme_duration"),
    ({"knowledge.explicit_rat": 0.2}, "knowledge.explicit_rat", "knowledge.explicit_rate"),
])
def test_unknown_key_is_named_with_a_suggestion(params, bad, suggestion):
    msg = error_of(params)
    assert f"'{bad}'" in msg
    assert "did you mean" in msg and suggestion in msg


def test_unknown_section_lists_the_sections():
    msg = error_of({"foo.bar": 1})
    assert "'foo.bar'" in msg
    for section in SECTIONS:
        assert section in msg


@pytest.mark.parametrize("group, name", [("programme", "longterm"), ("network", "star"), ("scenario", "nope")])
def test_unknown_preset_lists_the_presets(group, name):
    msg = error_of({group: name})
    assert group in msg and f"'{name}'" in msg
    presets = list_presets(group)
    assert presets, f"no presets found for {group}"
    for p in presets:
        assert p in msg


def test_preset_given_as_mapping_is_rejected():
    msg = error_of(programme={"duration": 3})
    assert "programme" in msg and "preset" in msg


def test_domain_dict_missing_domains_are_named():
    msg = error_of(knowledge_staff_north={"youth_participation": 0.5})
    assert "knowledge.staff_north" in msg
    for d in DOMAINS[1:]:
        assert d in msg
    assert "missing" in msg


def test_domain_dict_extra_domain_is_named():
    profile = {d: 0.5 for d in DOMAINS} | {"sport": 0.3}
    msg = error_of(knowledge_staff_north=profile)
    assert "knowledge.staff_north" in msg and "sport" in msg and "unknown" in msg


def test_domain_dict_value_out_of_range():
    profile = {d: 0.5 for d in DOMAINS} | {"environment": 2.0}
    msg = error_of(municipality_objectives_north=profile)
    assert "municipality.objectives_north.environment" in msg and "2.0" in msg


def test_domain_dict_not_a_mapping():
    msg = error_of(knowledge_migrant=0.5)
    assert "knowledge.migrant" in msg and "mapping" in msg


def test_objectives_need_a_positive_weight():
    msg = error_of(municipality_objectives_south={d: 0.0 for d in DOMAINS})
    assert "municipality.objectives_south" in msg


def test_experiment_preset_is_not_for_make_config():
    with pytest.raises(ConfigError):
        make_config(experiment="spillover")


def test_validate_rejects_unknown_keys_in_a_composed_tree():
    tree = OmegaConf.create({"trust": {"inital": 0.3}})
    with pytest.raises(ConfigError, match="trust.inital"):
        validate(tree)
    with pytest.raises(ConfigError, match="montsh"):
        validate(OmegaConf.create({"montsh": 3}))


def test_c2cmodel_and_run_reject_bad_input():
    import c2c_sim

    with pytest.raises(ConfigError, match="trust.initial"):
        C2CModel(trust_initial=2.0)
    with pytest.raises(ConfigError, match="trust_inital"):
        c2c_sim.run(trust_inital=0.3)


# ---------------------------------------------------------------------------------------------- coercion
def test_check_value_coerces_compatible_values():
    assert check_value("months", "12") == 12 and isinstance(check_value("months", "12"), int)
    assert check_value("months", np.int64(12)) == 12 and isinstance(check_value("months", np.int64(12)), int)
    assert check_value("months", 12.0) == 12 and isinstance(check_value("months", 12.0), int)  # a sampler's 12.0
    with pytest.raises(ConfigError, match="wrong type: expected int"):
        check_value("months", 12.5)
    assert check_value("trust.initial", 1) == 1.0 and isinstance(check_value("trust.initial", 1), float)
    assert check_value("trust.initial", "0.25") == 0.25
    assert check_value("programme.learning_strategy", "true") is True
    assert check_value("programme.learning_strategy", "False") is False


def test_range_bounds_are_inclusive():
    cfg = make_config(trust_initial=0.0, trust_decay=1.0, months=1, shocks_termination_month=-1)
    assert cfg.trust.initial == 0.0 and cfg.trust.decay == 1.0 and cfg.months == 1


# ---------------------------------------------------------------------------------------------- the doors agree
def test_defaults_are_valid():
    assert validate(Config()) == Config()
    assert make_config() == Config()


def test_flat_and_dotted_names_give_the_same_config():
    flat = make_config(trust_initial=0.3, programme_duration=12, world_staff_per_municipality=5,
                       network_model="classic", migrants_facilitator=False, months=24)
    dotted = make_config({"trust.initial": 0.3, "programme.duration": 12, "world.staff_per_municipality": 5,
                          "network.model": "classic", "migrants.facilitator": False, "months": 24})
    assert flat == dotted
    assert flat.trust.initial == 0.3 and flat.programme.duration == 12 and flat.network.model == "classic"
    assert flat != Config()


def test_every_schema_key_has_a_flat_name():
    """Every key of the schema is reachable by its flat name ``<section>_<field>``, which maps to its dotted key."""
    keys = [k for k in schema_keys()]
    assert len(keys) > 80
    for key in keys:
        flat_name = key.replace(".", "_", 1)
        assert unflatten_params({flat_name: 1}) == {key: 1}, key
        lookup_field(key)  # and the dotted key is known


def test_a_changed_key_lands_in_its_section():
    cfg = make_config(dissemination_turnover_rate=0.07)
    assert cfg.dissemination.turnover_rate == 0.07
    assert dataclasses.replace(cfg, dissemination=Config().dissemination) == Config()


def test_explicit_values_override_presets():
    cfg = make_config(programme="long_term", programme_duration=12)
    assert cfg.programme.duration == 12
    assert cfg.programme.coherence == load_preset("programme", "long_term")["coherence"]
    assert cfg.programme.learning_strategy is True


@pytest.mark.parametrize("name", list_presets("programme"))
def test_programme_presets_apply_their_values(name):
    cfg = make_config(programme=name)
    preset = load_preset("programme", name)
    for k, v in preset.items():
        if isinstance(v, str) and v.startswith("${"):
            continue  # interpolated (fixed_total)
        assert getattr(cfg.programme, k) == v, (name, k)


# ---------------------------------------------------------------------------------------------- Hydra
@pytest.fixture(scope="module")
def hydra_compose():
    """``compose(overrides)`` for configs/config.yaml with the schema registered (Hydra's own composition)."""
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    register_configs()
    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        yield lambda overrides=(): compose(config_name="config", overrides=list(overrides))
    GlobalHydra.instance().clear()


def test_dataclass_defaults_equal_the_composed_hydra_default(hydra_compose):
    composed = hydra_compose()
    assert validate(composed) == Config()


@pytest.mark.parametrize("group, name", [(g, n) for g in ("network", "programme", "scenario")
                                         for n in list_presets(g)])
def test_each_preset_is_the_same_through_hydra_and_make_config(hydra_compose, group, name):
    assert validate(hydra_compose([f"{group}={name}"])) == make_config({group: name})


def test_overrides_are_the_same_through_hydra_and_make_config(hydra_compose):
    composed = hydra_compose(["trust.initial=0.35", "programme=piecemeal", "months=30",
                              "knowledge.staff_south.environment=0.4"])
    assert validate(composed) == make_config({"trust_initial": 0.35, "programme": "piecemeal", "months": 30,
                                              "knowledge.staff_south.environment": 0.4})


@pytest.mark.parametrize("scenario", ["budget_cut_2011", "zeist_berkane"])
@pytest.mark.parametrize("programme", ["logo_south", "long_term", "piecemeal"])
def test_scenario_and_programme_presets_combine_the_same_way(hydra_compose, scenario, programme):
    """Scenario presets set programme keys: both doors apply them in the same order (scenario after programme)."""
    composed = validate(hydra_compose([f"scenario={scenario}", f"programme={programme}"]))
    assert composed == make_config(scenario=scenario, programme=programme)
    preset = OmegaConf.to_container(OmegaConf.create(load_preset("scenario", scenario)), resolve=True)  # dates
    assert composed.programme.duration == preset["programme"]["duration"]


def test_hydra_schema_rejects_unknown_keys(hydra_compose):
    from hydra.errors import ConfigCompositionException

    with pytest.raises(ConfigCompositionException):
        hydra_compose(["trust.inital=0.3"])


# ---------------------------------------------------------------------------------------------- fixed total
@pytest.mark.parametrize("duration, pattern", [(12, "continuous"), (48, "continuous"), (96, "continuous"),
                                               (48, "bursts"), (30, "bursts")])
def test_fixed_total_pays_the_total(duration, pattern):
    per_year = budget_per_year_for_total(240.0, duration, pattern)
    cfg = make_config(programme_budget_per_year=per_year, programme_duration=duration, programme_pattern=pattern)
    prm = params_from_config(cfg)
    paid = sum(programme_budget(prm, t) for t in range(1, duration + 200))
    assert paid == pytest.approx(240.0, rel=1e-12)


def test_fixed_total_preset_spends_the_same_whatever_the_duration():
    totals = []
    for duration in (12, 48, 120):
        cfg = make_config(programme="fixed_total", programme_duration=duration)
        prm = params_from_config(cfg)
        totals.append(sum(programme_budget(prm, t) for t in range(1, 400)))
    assert totals == pytest.approx([240.0] * 3, rel=1e-12)
