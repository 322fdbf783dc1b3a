"""The shared system-service fixtures of tests/conftest.py work end to end."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

WORKER = textwrap.dedent(
    """
    import sys, optuna
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.load_study(study_name="roundtrip", storage=sys.argv[1])
    def objective(t):
        x = t.suggest_int("x", 0, 100)
        t.set_user_attr("metrics", {"x2": float(x * x)})
        return float(x), float(-x)
    study.optimize(objective, n_trials=5)
    """
)


def test_postgres_optuna_round_trip(postgres_url: str) -> None:
    import optuna

    assert postgres_url.startswith("postgresql+psycopg2://postgres@127.0.0.1:")
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(
        study_name="roundtrip",
        storage=postgres_url,
        directions=["minimize", "maximize"],
        sampler=optuna.samplers.RandomSampler(seed=0),
    )
    study.set_user_attr("accelsmith", {"campaign": "roundtrip", "objectives": [["a", "min"]]})

    def objective(trial: optuna.Trial) -> tuple[float, float]:
        x = trial.suggest_int("x", 0, 100)
        trial.set_user_attr("metrics", {"x2": float(x * x)})
        return float(x), float(-x)

    study.optimize(objective, n_trials=6)
    # a second process adds trials to the same study through the server
    subprocess.run([sys.executable, "-c", WORKER, postgres_url], check=True, timeout=120)

    loaded = optuna.load_study(study_name="roundtrip", storage=postgres_url)
    trials = loaded.get_trials(deepcopy=False)
    assert len(trials) == 6 + 5
    assert loaded.user_attrs["accelsmith"]["campaign"] == "roundtrip"
    first = [t for t in trials if "x" in t.params]
    assert len(first) == 11
    assert all(t.user_attrs["metrics"]["x2"] == t.params["x"] ** 2 for t in first)
    assert all(t.values == [float(t.params["x"]), -float(t.params["x"])] for t in first)
    assert len({t.number for t in trials}) == 11  # no duplicated trial numbers


def test_postgres_url_is_a_fresh_database(postgres_url: str) -> None:
    import optuna

    assert optuna.study.get_all_study_names(storage=postgres_url) == []


def test_chromium_renders_a_page(chromium_launch_kwargs: dict, tmp_path) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    html = tmp_path / "page.html"
    html.write_text(
        "<html><head><title>accelsmith</title></head><body><p id='v'>0</p><script>"
        "document.getElementById('v').textContent = String(6 * 7);</script></body></html>"
    )
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(**chromium_launch_kwargs)
        try:
            page = browser.new_page()
            errors: list[str] = []
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.goto(html.as_uri())
            assert page.title() == "accelsmith"
            assert page.locator("#v").inner_text() == "42"  # JavaScript ran
            page.screenshot(path=str(tmp_path / "page.png"))
            assert errors == []
        finally:
            browser.close()
    assert (tmp_path / "page.png").stat().st_size > 0
