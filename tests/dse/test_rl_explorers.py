"""RL explorers end to end on a tiny campaign: ledger fields, reproducibility, resume, warm
start."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from accelsmith.core.errors import ConfigError

RL = ("marl", "ppo", "sac", "random-walk")
# small learners so each run takes a second or two on one CPU thread
FAST = {"n_envs": 4, "n_steps": 2, "batch_size": 8, "n_epochs": 2, "net_arch": [16]}
FAST_SAC = {"n_envs": 4, "batch_size": 8, "learning_starts": 4, "net_arch": [16]}
BUDGET = 16


def options(explorer: str, **extra: Any) -> dict[str, Any]:
    base = {"marl": FAST, "ppo": FAST, "sac": FAST_SAC}.get(explorer, {"n_envs": 4})
    return {**base, **extra}


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # campaigns write their run folder runs/<name>/ in the cwd


@pytest.fixture(scope="module")
def workload_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    d = tmp_path_factory.mktemp("wl")
    a = d / "small.yaml"
    a.write_text("- {name: l0, M: 64, N: 64, K: 64}\n- {name: l1, M: 128, N: 32, K: 256}\n")
    b = d / "other.yaml"
    b.write_text("- {name: l0, M: 256, N: 16, K: 512}\n")
    return a, b


def run(
    tmp: Path,
    workload: Path,
    explorer: str,
    *,
    budget: int = BUDGET,
    seed: int = 3,
    name: str = "tiny",
    opts: dict[str, Any] | None = None,
    storage: str | None = None,
) -> Any:
    from accelsmith.dse.campaign import open_campaign, run_worker
    from accelsmith.dse.spec import parse_spec

    spec = parse_spec(
        {
            "name": name,
            "family": "systolic",
            "workload": {"file": str(workload)},
            "space": {
                "rows": {"low": 4, "high": 32, "step": 4},
                "cols": {"low": 4, "high": 32, "step": 4},
                "dataflow": {"choices": ["os", "ws"]},
                "ifmap_kb": {"choices": [16, 64]},
                "filter_kb": 16,
                "ofmap_kb": 16,
            },
            "objectives": {"latency_s": "minimize", "energy_j": "minimize", "area_um2": "minimize"},
            "constraints": ["area_mm2 <= 0.8"],
            "explorer": {
                "name": explorer,
                "options": opts if opts is not None else options(explorer),
            },
            "budget": budget,
            "seed": seed,
            "storage": storage or f"sqlite:///{tmp / 'study.db'}",
        }
    )
    campaign = open_campaign(spec)
    run_worker(campaign)
    return campaign.study


def configs(study: Any) -> list[tuple]:
    return [tuple(sorted(t.params.items())) for t in study.trials]


@pytest.mark.parametrize("explorer", RL)
def test_rl_explorer_end_to_end_reproducible(
    explorer: str, workload_files: tuple[Path, Path], tmp_path: Path
) -> None:
    import optuna

    first = run(tmp_path / "a", workload_files[0], explorer)
    second = run(tmp_path / "b", workload_files[0], explorer)
    assert len(first.trials) == BUDGET  # the budget counts evaluated designs
    assert configs(first) == configs(second)  # same seed, same trials
    assert len(set(configs(first))) == BUDGET  # a design is evaluated (and recorded) once
    assert all(t.state == optuna.trial.TrialState.COMPLETE for t in first.trials)
    assert {t.user_attrs["explorer"] for t in first.trials} == {explorer}
    assert any(not t.user_attrs["feasible"] for t in first.trials)  # constraint exercised
    other = run(tmp_path / "c", workload_files[0], explorer, seed=4)
    assert configs(other) != configs(first)


def test_trials_have_the_fields_of_optuna_trials(
    workload_files: tuple[Path, Path], tmp_path: Path
) -> None:
    rl = run(tmp_path / "rl", workload_files[0], "marl", budget=8).trials[0]
    ref = run(tmp_path / "tpe", workload_files[0], "random", budget=3, opts={}).trials[0]
    assert set(rl.user_attrs) == set(ref.user_attrs)
    # Optuna's constraints attribute, read by its samplers, and the worker token (batched
    # writes store it on every trial)
    assert set(rl.system_attrs) == set(ref.system_attrs) == {"constraints", "accelsmith:owner"}
    assert set(rl.params) == set(ref.params)
    assert set(rl.distributions.items()) == set(ref.distributions.items())
    assert set(rl.user_attrs["metrics"]) == set(ref.user_attrs["metrics"])
    assert len(rl.values) == len(ref.values) == 3
    assert rl.system_attrs["constraints"] == rl.user_attrs["constraint_values"]


def test_resume_counts_and_never_repeats(workload_files: tuple[Path, Path], tmp_path: Path) -> None:
    run(tmp_path, workload_files[0], "random-walk", budget=10)
    study = run(tmp_path, workload_files[0], "random-walk", budget=24)
    assert len(study.trials) == 24
    assert len(set(configs(study))) == 24


def test_marl_parameter_sharing_runs(workload_files: tuple[Path, Path], tmp_path: Path) -> None:
    a = run(tmp_path / "a", workload_files[0], "marl", opts=options("marl", share_parameters=True))
    b = run(tmp_path / "b", workload_files[0], "marl", opts=options("marl", share_parameters=True))
    assert len(a.trials) == BUDGET and configs(a) == configs(b)


@pytest.mark.parametrize("explorer", ["marl", "sac"])
def test_warm_start_on_another_workload(
    explorer: str,
    workload_files: tuple[Path, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import torch
    from stable_baselines3.common.base_class import BaseAlgorithm

    policy = tmp_path / "policy"
    run(
        tmp_path / "a", workload_files[0], explorer, opts=options(explorer, save_policy=str(policy))
    )
    assert (policy / "policy.json").is_file()
    saved = sorted(policy.glob("*.zip"))
    assert saved
    loaded: list[dict[str, torch.Tensor]] = []
    original = BaseAlgorithm.set_parameters

    def spy(self: BaseAlgorithm, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        loaded.append({k: v.clone() for k, v in self.policy.state_dict().items()})

    monkeypatch.setattr(BaseAlgorithm, "set_parameters", spy)
    warm = run(
        tmp_path / "c", workload_files[1], explorer, opts=options(explorer, warm_start=str(policy))
    )
    assert len(warm.trials) == BUDGET
    got = list(loaded)  # (SB3 load below calls set_parameters too)
    assert len(got) == len(saved)  # every agent was warm-started ...
    from stable_baselines3 import PPO, SAC

    algo = SAC if explorer == "sac" else PPO
    for state, zip_file in zip(got, saved, strict=True):
        ref = algo.load(str(zip_file), device="cpu").policy.state_dict()
        assert state.keys() == ref.keys()
        assert all(torch.equal(state[k], ref[k]) for k in ref)  # ... with the saved weights


def test_warm_start_refuses_an_incompatible_policy(
    workload_files: tuple[Path, Path], tmp_path: Path
) -> None:
    policy = tmp_path / "policy"
    run(tmp_path / "a", workload_files[0], "ppo", opts=options("ppo", save_policy=str(policy)))
    with pytest.raises(ConfigError, match=r"does not fit this campaign: its (kind|groups)"):
        run(tmp_path / "b", workload_files[0], "marl", opts=options("marl", warm_start=str(policy)))
    with pytest.raises(ConfigError, match="warm_start must be a policy folder"):
        run(tmp_path / "c", workload_files[0], "ppo", opts=options("ppo", warm_start=str(tmp_path)))


def test_options_errors_name_the_option() -> None:
    from accelsmith.dse.explorers import get_explorer

    with pytest.raises(ConfigError, match=r"explorer\.options\.episode_length must be"):
        get_explorer("marl").check_options({"episode_length": 0})
    with pytest.raises(ConfigError, match=r"unknown option 'n_steps' for random-walk"):
        get_explorer("random-walk").check_options({"n_steps": 3})
    with pytest.raises(ConfigError, match=r"explorer\.options\.reward must be one of"):
        get_explorer("sac").check_options({"reward": "target"})


def test_cli_warm_start_flag(
    workload_files: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import optuna
    import yaml

    from accelsmith.cli.main import main

    def spec(name: str, workload: Path) -> Path:
        path = tmp_path / f"{name}.yaml"
        doc = {
            "name": name,
            "family": "systolic",
            "workload": {"file": str(workload)},
            "space": {"rows": {"low": 4, "high": 32, "step": 4}, "cols": {"low": 4, "high": 32}},
            "objectives": {"latency_s": "minimize", "area_um2": "minimize"},
            "explorer": {"name": "ppo", "options": FAST},
            "budget": 8,
        }
        path.write_text(yaml.safe_dump(doc))
        return path

    assert main(["dse", "run", str(spec("src", workload_files[0])), "--quiet"]) == 0
    saved = tmp_path / "runs" / "src" / "policies" / "ppo"  # save_policy: auto
    assert (saved / "policy.json").is_file()
    dst = spec("dst", workload_files[1])
    assert main(["dse", "run", str(dst), "--warm-start", str(tmp_path), "--quiet"]) == 2
    assert "explorer.options.warm_start must be a policy folder" in capsys.readouterr().err
    assert main(["dse", "run", str(dst), "--warm-start", str(saved), "--quiet"]) == 0
    study = optuna.load_study(
        study_name="dst@ppo", storage=f"sqlite:///{tmp_path}/runs/dst/study.db"
    )
    assert len(study.trials) == 8
    stored = yaml.safe_load((tmp_path / "runs" / "dst" / "spec.yaml").read_text())
    assert stored["explorer"]["options"]["warm_start"] == str(saved)


def test_marl_grouping_per_parameter(workload_files: tuple[Path, Path], tmp_path: Path) -> None:
    from accelsmith.dse.explorers import get_explorer
    from accelsmith.dse.explorers.marl import MARLExplorer

    seen: list[list[list[int]]] = []
    original = MARLExplorer.groups

    def spy(self: MARLExplorer, names: Any) -> Any:
        out = original(self, names)
        seen.append([idx for _, idx in out])
        return out

    MARLExplorer.groups = spy  # type: ignore[method-assign]
    try:
        a = run(
            tmp_path / "a", workload_files[0], "marl", opts=options("marl", grouping="parameter")
        )
        b = run(tmp_path / "b", workload_files[0], "marl", opts=options("marl"))
    finally:
        MARLExplorer.groups = original  # type: ignore[method-assign]
    assert len(a.trials) == BUDGET == len(b.trials)
    # rows, cols, dataflow, ifmap_kb vary: one agent each, or the family's array and
    # dataflow_buffers groups
    assert seen == [[[0], [1], [2], [3]], [[0, 1], [2, 3]]]
    with pytest.raises(ConfigError, match=r"explorer\.options\.grouping must be one of"):
        get_explorer("marl").check_options({"grouping": "random"})


@pytest.mark.parametrize("explorer", ["marl", "ppo", "random-walk"])
def test_jump_actions_end_to_end(
    explorer: str, workload_files: tuple[Path, Path], tmp_path: Path
) -> None:
    from accelsmith.dse.explorers import get_explorer

    opts = options(explorer, actions="jump")
    a = run(tmp_path / "a", workload_files[0], explorer, opts=opts, budget=24)
    b = run(tmp_path / "b", workload_files[0], explorer, opts=opts, budget=24)
    assert len(a.trials) == 24 and configs(a) == configs(b)
    assert len(set(configs(a))) == 24
    local = run(tmp_path / "c", workload_files[0], explorer, budget=24)
    assert configs(local) != configs(a)  # the option changes the search
    with pytest.raises(ConfigError, match=r"explorer\.options\.actions must be one of"):
        get_explorer(explorer).check_options({"actions": "teleport"})


def test_jump_prior_is_the_untrained_policy() -> None:
    """MARL's untrained policy in jump mode draws the codes with JUMP_PRIOR's rates."""
    import torch as th

    from accelsmith.dse.explorers.env import JUMP_PRIOR, DesignVecEnv
    from accelsmith.dse.explorers.marl import MultiAgentPPO, PPOOptions
    from accelsmith.dse.explorers.rl_common import BatchOutcome, WalkCore, walk_space
    from accelsmith.dse.space import Space

    space = walk_space(Space.from_spec({"a": {"low": 1, "high": 9}, "b": {"choices": [1, 2]}}))

    def model(cfgs: list[dict]) -> BatchOutcome:
        y = np.array([[c["a"], 10.0 / c["a"]] for c in cfgs])
        n = len(cfgs)
        return BatchOutcome(y, np.ones(n, bool), np.zeros(n), np.ones(n, bool))

    core = WalkCore(space, 2, model, budget=100, n=4)
    for actions, want in (("jump", JUMP_PRIOR), ("local", (0.2,) * 5)):
        vec = DesignVecEnv(core, actions=actions)
        learner = MultiAgentPPO(vec, [("a", [0]), ("b", [1])], PPOOptions(n_envs=4), seed=0)
        obs = th.as_tensor(vec.reset())
        for m in learner.models:
            dist = m.policy.get_distribution(obs).distribution[0]
            assert np.allclose(dist.probs.detach().numpy(), want, atol=0.02)


def test_example_marl_jump_campaign_from_the_cli(tmp_path: Path, capsys: Any) -> None:
    """The example spec of MARL in jump mode runs from the CLI and records its option."""
    import optuna

    from accelsmith.cli.main import main

    spec = Path(__file__).parents[2] / "examples/campaigns/coexplore-llama3-marl-jump.yaml"
    db = f"sqlite:///{tmp_path / 'study.db'}"
    argv = ["dse", "run", str(spec), "--budget", "24", "--storage", db, "--quiet"]
    assert main(argv) == 0
    capsys.readouterr()
    study = optuna.load_study(study_name="coexplore-llama3-marl-jump@marl", storage=db)
    assert len(study.trials) == 24 and len(set(configs(study))) == 24
    info = study.user_attrs["accelsmith"]
    assert info["spec"]["explorer"]["options"]["actions"] == "jump"
