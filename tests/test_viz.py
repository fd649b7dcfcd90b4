"""The SolaraViz page end to end: ``c2c-sim-viz`` served on localhost, driven in headless Chromium.

Needs the ``viz`` extra (``pip install -e '.[viz]'``: Mesa's viz, solara, Playwright) and a Chromium
(Debian's ``chromium`` package at /usr/bin/chromium, or ``$C2C_SIM_CHROMIUM``); Playwright drives it
through ``executable_path``, no downloaded browser. Without them every test here is skipped, naming
what is missing (``.ci/run``'s viz leg sets ``$C2C_SIM_VIZ_REQUIRED``, which makes that a failure).
``$C2C_SIM_VIZ_SCREENSHOT`` (a .png path) keeps a screenshot of the page.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest


def _missing(what: str) -> None:
    """Skip this module, naming what is missing; fail instead where ``$C2C_SIM_VIZ_REQUIRED`` is set (.ci/run's
    viz leg, which installed them)."""
    if os.environ.get("C2C_SIM_VIZ_REQUIRED"):
        raise RuntimeError(f"C2C_SIM_VIZ_REQUIRED is set, but {what}")
    pytest.skip(what, allow_module_level=True)


try:
    import mesa.visualization  # noqa: F401  (needs solara)
    import playwright.sync_api  # noqa: F401
except ImportError as e:
    _missing(f"the viz extra is not installed ({e}): pip install -e '.[viz]'")
CHROMIUM = os.environ.get("C2C_SIM_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
if not os.access(CHROMIUM, os.X_OK):
    _missing(f"no Chromium at {CHROMIUM} (apt-get install chromium, or set C2C_SIM_CHROMIUM)")

from playwright.sync_api import expect, sync_playwright  # noqa: E402

from c2c_sim import app  # noqa: E402
from c2c_sim.config import Config, ConfigError, flatten, lookup_field  # noqa: E402

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]
"""What Chromium needs on a closed network, as root (no background connections, no sandbox)."""
FIRST_RENDER_S = 400  # c2c-sim-viz may compile the model's rules before it serves (30-100 s here, more on a busy day)


def test_sliders_span_the_schema_ranges_and_start_at_the_defaults():
    params = app.model_params()
    defaults = flatten(Config())
    for key in app.SLIDERS:
        p, f = params[key.replace(".", "_")], lookup_field(key)
        assert p["value"] == defaults[key] and p["min"] == f.metadata["lo"], key
        assert p["max"] == (min(f.metadata["hi"], app.VIEW[key](Config())) if key in app.VIEW else f.metadata["hi"])
        assert p["min"] <= p["value"] <= p["max"]
    assert params["programme_duration"]["max"] == Config().months
    assert params["programme_choice"]["value"] == "logo_south" and "long_term" in params["programme_choice"]["values"]


def test_presets_apply_first_and_a_moved_slider_overrides_them():
    values = {k: v["value"] for k, v in app.model_params().items()}
    untouched = app.VizModel(**{**values, "programme_choice": "long_term"})
    assert untouched.config.programme.duration == 120 and untouched.twin is not None  # the preset's, caused=true
    moved = app.VizModel(**{**values, "programme_choice": "long_term", "programme_duration": 24, "seed": "7"})
    assert moved.config.programme.duration == 24 and moved.seed == 7
    with pytest.raises(ConfigError, match="whole number"):
        app.VizModel(**{**values, "seed": "seven"})


@pytest.mark.parametrize("network", ["classic", "multi_actor", "multilevel_hybrid"])
def test_the_network_view_draws_every_actor_and_tie(network):
    from matplotlib.collections import LineCollection, PathCollection

    values = {k: v["value"] for k, v in app.model_params().items()}
    model = app.VizModel(**{**values, "network_choice": network, "scenario_choice": "zeist_berkane"})
    ax = app.network_figure(model).axes[0]
    drawn = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert sum(len(c.get_offsets()) for c in drawn) == model.world.n_actors
    ties = [c for c in ax.collections if isinstance(c, LineCollection)]
    assert sum(len(c.get_segments()) for c in ties) == model.network().number_of_edges()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """``c2c-sim-viz --port N`` (the console script next to this interpreter), from a folder of its own."""
    where = tmp_path_factory.mktemp("viz")
    script = Path(sys.executable).with_name("c2c-sim-viz")
    cmd = [str(script)] if script.exists() else [sys.executable, "-c", "from c2c_sim.app import main; main()"]
    port = _free_port()
    log = (where / "server.log").open("w")
    env = {**os.environ, "MPLBACKEND": "Agg"}
    proc = subprocess.Popen([*cmd, "--port", str(port)], cwd=where, env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + FIRST_RENDER_S
    while True:
        try:
            urllib.request.urlopen(url, timeout=5).close()
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"c2c-sim-viz did not serve {url}:\n{(where / 'server.log').read_text()[-3000:]}")
            time.sleep(0.5)
    yield url, where / "server.log"
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
    log.close()


PIXELS = """img => {
    if (!img.complete || !img.naturalWidth) return null;
    const c = document.createElement("canvas");
    c.width = img.naturalWidth;
    c.height = img.naturalHeight;
    c.getContext("2d").drawImage(img, 0, 0);
    return c.toDataURL();
}"""
"""What an <img> shows, as a PNG data URL (Mesa's plots are PNGs behind blob: URLs, new at every render)."""


def _pixels(img, differ_from: str | None = None, timeout: float = 30.0) -> str:
    """The picture an <img> shows once it is loaded (and differs from ``differ_from``, if given): a re-render
    may replace the image while it is read, so this reads until it holds still long enough."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            out = img.evaluate(PIXELS)
        except Exception:  # the element was replaced while being read
            out = None
        if out is not None and out != differ_from:
            return out
        if time.monotonic() > deadline:
            raise AssertionError(f"the image did not {'change' if differ_from else 'load'} in {timeout:.0f} s")
        time.sleep(0.25)


def test_the_page_steps_plays_resets_and_takes_a_slider_in_chromium(served, tmp_path):
    url, server_log = served
    messages: list[tuple[str, str]] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch_persistent_context(str(tmp_path / "profile"), executable_path=CHROMIUM,
                                                        headless=True, args=CHROMIUM_FLAGS,
                                                        viewport={"width": 1600, "height": 1200})
        try:
            page = browser.new_page()
            page.on("console", lambda m: messages.append((m.type, m.text)))
            page.on("pageerror", lambda e: messages.append(("pageerror", str(e))))
            page.goto(url)
            month, learning = page.locator(".c2c-month"), page.locator(".c2c-learning")
            trust, run = page.locator(".c2c-trust"), page.locator(".c2c-run")
            shown = month.or_(page.get_by_text("Traceback"))  # Solara shows a failed render's traceback
            expect(shown.first).to_be_visible(timeout=FIRST_RENDER_S * 1000)
            assert month.count(), page.inner_text("body")[:3000]
            expect(month).to_have_text("month 0")
            learning_plot = page.locator("img").first
            expect(learning_plot).to_be_visible()
            start = (learning.inner_text(), trust.inner_text(), _pixels(learning_plot))
            assert "partnership 0.2000" in start[1]  # trust.initial's default on new partnership ties

            def step_three_times():
                for i in (1, 2, 3):
                    page.get_by_role("button", name="Step").click()
                    expect(month).to_have_text(f"month {i}", timeout=60_000)
                return learning.inner_text(), trust.inner_text()

            def reset():
                page.get_by_role("button", name="Reset").click()
                expect(month).to_have_text("month 0", timeout=60_000)

            default_run = step_three_times()
            assert default_run[0] != start[0] and "North 0.00000" not in default_run[0], default_run
            _pixels(learning_plot, differ_from=start[2])  # the learning plot changed in 3 steps
            reset()
            assert (learning.inner_text(), trust.inner_text()) == start[:2]  # same seed, month 0 again

            slider = page.locator(".v-input", has=page.locator("label", has_text=re.compile(r"^trust\.initial$")))
            thumb = slider.locator("[role=slider]")
            assert thumb.get_attribute("aria-valuenow") == "0.2"
            thumb.focus()
            for _ in range(40):  # 40 steps of 0.005
                page.keyboard.press("ArrowRight")
            expect(thumb).to_have_attribute("aria-valuenow", "0.4")
            reset()  # parameters take effect on Reset, as in every Mesa page
            expect(run).to_contain_text("trust.initial 0.4")
            assert "partnership 0.4000" in trust.inner_text()
            slider_run = step_three_times()
            assert slider_run[0] != default_run[0] and slider_run[1] != default_run[1], (slider_run, default_run)
            page.get_by_role("button", name="▶").click()  # Play: steps every 100 ms until paused
            expect(month).to_have_text(re.compile(r"month ([4-9]|\d\d+)$"), timeout=60_000)
            page.get_by_role("button", name="❚❚").click()
            at_pause = int(month.inner_text().split()[-1])
            expect(page.get_by_role("button", name="Step")).to_be_enabled()
            # A step under way when Pause was pressed still ends (Mesa's play loop), and its month can reach the
            # page a second or so later; playing on would change the month every 100 ms. So: the month must
            # come to rest, unchanged for 3 s, within 20 s.
            shown, since, t0 = month.inner_text(), time.monotonic(), time.monotonic()
            while time.monotonic() - since < 3.0:
                assert time.monotonic() - t0 < 20.0, "the model went on after Pause"
                time.sleep(0.25)
                now = month.inner_text()
                if now != shown:
                    shown, since = now, time.monotonic()
            assert int(shown.split()[-1]) <= at_pause + 2, f"paused at {at_pause}, the model went on to {shown}"
            reset()
            if os.environ.get("C2C_SIM_VIZ_SCREENSHOT"):
                step_three_times()
                page.screenshot(path=os.environ["C2C_SIM_VIZ_SCREENSHOT"], full_page=True)
        finally:
            browser.close()
    errors = [m for m in messages if m[0] in ("error", "pageerror")]
    assert not errors, errors
    log = server_log.read_text()
    assert "Traceback" not in log, log[-3000:]
