"""Pilot tests for what users do to the app: tiny and resized terminals, failing exports, Ctrl+C. No TensorFlow."""

from __future__ import annotations

import errno
import json
import os
import random
import stat

import pytest
from textual.events import Key
from textual.widgets import Static
from textual.widgets._footer import FooterKey
from textual.widgets._toast import Toast

from dropout_tui.engine.config import RunConfig
from dropout_tui.engine.events import LogRecord, SamplesChanged, Status
from dropout_tui.tui import app as app_module
from dropout_tui.tui import explain_job
from dropout_tui.tui import export as exporting
from dropout_tui.tui.app import DropoutApp, create_app
from dropout_tui.tui.keys import KEYS
from dropout_tui.tui.panes.log import LogPane
from dropout_tui.tui.screens.explain import ExplainScreen
from dropout_tui.tui.screens.main import MainScreen
from dropout_tui.tui.screens.uncertainty import UncertaintyScreen
from tests.support import eventkit as ev
from tests.support.eventkit import screen_text


def _app(tmp_path, export_dir=None) -> DropoutApp:
    events = [Status("loading", "loading TensorFlow"), ev.run_started(), *ev.epoch(1), *ev.epoch(2), ev.probe()]
    app = create_app(RunConfig(epochs=5), export_dir=export_dir or tmp_path / "export", replay=events)
    app.animation_level = "none"
    return app


def _too_small(app: DropoutApp) -> str | None:
    notice = app.query_one("#too-small", Static)
    return " ".join(str(notice.render()).split()) if notice.display else None


def _messages(app: DropoutApp) -> list[str]:
    return [n.message for n in app._notifications]


@pytest.mark.parametrize("size", [(60, 20), (40, 12), (79, 24), (80, 23)])
async def test_small_terminal_says_how_large_it_must_be_and_recovers(tmp_path, size):
    app = _app(tmp_path)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        width, height = size
        notice = _too_small(app)
        assert notice is not None and f"needs at least 80x24; this terminal is {width}x{height}" in notice
        assert not app.query_one("#top").display and not app.query_one("#bottom").display
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        assert _too_small(app) is None
        assert app.query_one("#top").display and app.query_one("#loss-pane").region.width > 0
        assert "fit 0.800" in str(app.query_one("#loss-caption", Static).render())


async def test_resize_while_running_keeps_every_pane(tmp_path):
    app = _app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        for width, height in [(80, 24), (200, 60), (60, 20), (100, 30)]:
            await pilot.resize_terminal(width, height)
            await pilot.pause()
        assert _too_small(app) is None
        assert app.query_one("#bottom").has_class("-narrow")
        for pane in ("#loss-pane", "#probe-pane", "#modes-pane"):
            assert app.query_one(pane).region.area > 0, pane
        await pilot.press("q")
    assert app.return_code == 0


async def test_ctrl_c_quits_from_any_screen_with_130(tmp_path):
    app = _app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("question_mark")
        assert type(app.screen).__name__ == "HelpScreen"
        await pilot.press("ctrl+c")
    assert app.return_code == 130 and app.controls.cancelled


async def test_a_tick_that_lands_during_shutdown_draws_nothing(tmp_path):
    # Textual empties the screen stack before it stops the app's timers; a tick in between crashed the exit.
    app = _app(tmp_path)
    async with app.run_test(size=(80, 24)):
        pass
    assert not app.screen_stack
    app._tick()


async def test_native_stderr_lines_keep_their_level_and_warnings_are_counted(tmp_path, monkeypatch):
    # The tick drains fd 2 before the engine's own drain can, so it must read absl's level letter itself.
    lines = ["W0000 00:00:1.0  1 op_kernel.cc:1] something to act on", "plain text from a C library"]
    monkeypatch.setattr(app_module, "drain_native_stderr", lambda: lines.copy())
    app = _app(tmp_path)
    async with app.run_test(size=(80, 24)):
        app._native_captured = True
        before = app.state.warnings
        app._tick()
        app._native_captured = False
        assert app.state.warnings == before + 1


async def test_export_creates_a_missing_directory_with_normal_permissions(tmp_path):
    target = tmp_path / "a" / "b" / "exports"
    app = _app(tmp_path, export_dir=target)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("e")
        await pilot.pause()
        files = sorted(target.iterdir())
        assert [f.suffix for f in files] == [".csv", ".json", ".svg"]
        umask = os.umask(0)
        os.umask(umask)
        for file in files:
            assert stat.S_IMODE(file.stat().st_mode) == 0o666 & ~umask, file
        assert any("wrote" in m for m in _messages(app))


async def test_reexport_never_overwrites_an_earlier_one(tmp_path):
    app = _app(tmp_path)
    target = tmp_path / "export"
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("e")
        await pilot.pause()
        (first,) = target.glob("*.json")
        before = first.read_bytes()
        await pilot.press("e", "e")  # within the same second: the timestamps collide
        await pilot.pause()
        assert len(list(target.glob("*.json"))) == 3 and len(list(target.glob("*.svg"))) == 3
        assert first.read_bytes() == before
        assert len({p.stem for p in target.iterdir()}) == 3


@pytest.mark.parametrize("where", ["under a regular file", "in /proc"])
async def test_export_into_an_unwritable_place_is_a_message(tmp_path, where):
    blocker = tmp_path / "file"
    blocker.write_text("mine")
    target = blocker / "exports" if where == "under a regular file" else "/proc/dropout-tui-export"
    app = _app(tmp_path, export_dir=target)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("e")
        await pilot.pause()
        assert any(m.startswith("export failed: ") for m in _messages(app))
        assert app.is_running
        await pilot.press("n")  # still answering keys
    assert blocker.read_text() == "mine"


@pytest.mark.parametrize("failing", ["write", "replace"])
async def test_full_disk_leaves_no_file_behind(tmp_path, monkeypatch, failing):
    target = tmp_path / "export"
    target.mkdir()
    calls = {"n": 0}
    real_replace = os.replace

    def replace(src, dst):
        calls["n"] += 1
        if calls["n"] == 2:  # the SVG: the JSON already made it, and must be taken back
            raise OSError(errno.ENOSPC, "No space left on device", str(dst))
        return real_replace(src, dst)

    real_fsync = os.fsync

    def fsync(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    if failing == "replace":
        monkeypatch.setattr(exporting.os, "replace", replace)
    else:
        monkeypatch.setattr(exporting.os, "fsync", fsync)
    app = _app(tmp_path, export_dir=target)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("e")
        await pilot.pause()
        assert any("export failed: No space left on device" in m for m in _messages(app))
        assert list(target.iterdir()) == []  # no temp file, no lone JSON
        monkeypatch.setattr(exporting.os, "replace", real_replace)
        monkeypatch.setattr(exporting.os, "fsync", real_fsync)
        await pilot.press("e")  # space again: the next export works
        await pilot.pause()
        assert sorted(p.suffix for p in target.iterdir()) == [".csv", ".json", ".svg"]
        assert json.loads(next(target.glob("*.json")).read_text())["epochs_run"] == 2


async def test_footer_palette_and_config_line_say_what_the_keys_do(tmp_path):
    app = _app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert "Export (e)" in titles and "Quit (q)" in titles  # "[e]" would be eaten as markup
        assert "Help (?)" in titles and not any("question_mark" in t for t in titles)
        # Every footer key is on screen at 80 columns, left of the palette key.
        for _ in range(50):  # the footer composes itself once the bindings are ready: on a busy box, later
            keys = [key for key in app.screen.query(FooterKey) if "-command-palette" not in key.classes]
            if keys and all(key.region.width for key in keys):
                break
            await pilot.pause(0.05)
        palette = app.screen.query_one("FooterKey.-command-palette")
        shown = [key.key for key in keys if key.region.right <= palette.region.x and key.region.width]
        assert shown == [b.key for b in MainScreen.BINDINGS if b.show]
        assert shown[:3] == ["q", "question_mark", "space"]
        await pilot.press("t")  # T=30 from the config: t asks the engine for 15 and shows it at once
        assert [(c.name, c.value) for c in app.controls.pending_commands()] == [("set_samples", 15)]
        assert "T=15" in str(app.query_one("#config-line", Static).render())
        app._buffer.put(SamplesChanged(samples=15))  # the engine's answer
        await pilot.pause(0.3)
        assert "T=15" in str(app.query_one("#config-line", Static).render())


async def test_a_notice_covers_only_the_settings_row_and_replaces_the_last(tmp_path):
    app = _app(tmp_path)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await pilot.pause()
        app.notify("first notice")
        app.notify("MC samples T = 60 from the next evaluation")
        await pilot.pause(0.2)
        toasts = list(app.screen.query(Toast))
        assert len(toasts) == 1 and "T = 60" in str(toasts[0].render())
        assert toasts[0].region.y == 0 and toasts[0].region.height == 1  # the settings row, nothing below it
        assert "q Quit" in screen_text(app).splitlines()[-1]  # the key bar stays readable
        modes = app.query_one("#modes-table").region
        caption = app.query_one("#loss-caption").region
        assert not toasts[0].region.overlaps(modes) and not toasts[0].region.overlaps(caption)


# Every key of the table but the quitting ones (q quits from the main screen), the screen keys twice as often.
KEY_STORM = [k.key for k in KEYS if k.key not in ("q", "ctrl+c", "ctrl+p")] + ["escape", "escape", "question_mark", "w"]


@pytest.mark.storm
async def test_a_key_storm_leaves_one_explain_screen_one_explain_run_and_a_working_app(tmp_path, monkeypatch):
    measure = ev.FakeExplain()
    monkeypatch.setattr(explain_job, "measure", measure)
    app = _app(tmp_path)
    rng = random.Random(9)
    sizes = [(80, 24), (200, 60), (60, 20), (120, 40), (100, 30)]
    explain_seen = uncertainty_seen = 0
    async with app.run_test(size=(120, 40)) as pilot:
        for burst in range(30):
            # Ten keys at once, as a terminal delivers them when they come faster than the app handles them.
            for key in rng.choices(KEY_STORM, k=10):
                app._driver.send_message(Key(key, key if len(key) == 1 else None))
            await pilot.pause()
            if burst % 3 == 0:
                await pilot.resize_terminal(*sizes[burst // 3 % len(sizes)])
            stack = app.screen_stack
            assert sum(isinstance(screen, ExplainScreen) for screen in stack) <= 1, stack
            assert sum(isinstance(screen, UncertaintyScreen) for screen in stack) <= 1, stack
            assert len(stack) <= 3, stack  # main, Explain or Uncertainty, help at most
            explain_seen += isinstance(app.screen, ExplainScreen)
            uncertainty_seen += isinstance(app.screen, UncertaintyScreen)
        # The storm did open (and rerun) the Explain screen and open the Uncertainty screen.
        assert app.is_running and explain_seen > 2 and measure.runs >= 2 and uncertainty_seen >= 1
        await pilot.resize_terminal(80, 24)
        for _ in range(3):
            await pilot.press("escape")
        await pilot.pause()
        assert app.screen is app.screen_stack[0]
        await pilot.press("q")
    assert measure.most_at_once == 1  # never two explain runs at once
    assert app.return_code == 0 and app.controls.cancelled


async def test_the_log_wraps_its_lines_again_when_its_width_changes(tmp_path):
    words = " ".join(f"word{i}" for i in range(80))
    events = [ev.run_started(), LogRecord("WARNING", words)]
    app = create_app(RunConfig(epochs=5), export_dir=tmp_path, replay=events)
    async with app.run_test(size=(200, 60)) as pilot:
        await pilot.pause()
        log = app.query_one(LogPane).view
        assert log is not None
        for size in [(120, 40), (160, 40)]:
            await pilot.resize_terminal(*size)
            await pilot.pause()
            width = log.scrollable_content_region.width
            assert all(strip.cell_length <= width for strip in log.lines), size  # nothing cut at the edge
            text = " ".join(strip.text.strip() for strip in log.lines)
            assert "word0" in text and "word79" in text and len(log.lines) > 2


async def test_the_footer_offers_resume_while_paused(tmp_path):
    app = _app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert "space Pause" in screen_text(app).splitlines()[-1]
        await pilot.press("space")
        await pilot.pause()
        footer = screen_text(app).splitlines()[-1]
        assert app.state.paused and "space Resume" in footer and "Pause" not in footer
        await pilot.press("space")
        await pilot.pause()
        assert "space Pause" in screen_text(app).splitlines()[-1]
