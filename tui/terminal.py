"""What every dropout-tui app does with its terminal: signals, a size floor, one notice at a time, quitting.

The train/inspect app and the sweep/compare app differ in their panes and
workers; how they share the terminal is said once here.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual.app import App
from textual.events import Resize
from textual.geometry import Size
from textual.notifications import Notify, SeverityLevel
from textual.widgets import Static

from dropout_tui.engine.errors import EXIT_USAGE, ConfigError
from dropout_tui.engine.quiet import redirect_native_stderr
from dropout_tui.tui.hangup import watch_terminal

if TYPE_CHECKING:
    from dropout_tui.tui.export import ExportResult

MIN_WIDTH, MIN_HEIGHT = 80, 24  # below this the panes clip: say so instead of drawing them
NOTICE_SECONDS = 3.0  # a key's answer; failures stay longer
NOTICE_WIDTH = MIN_WIDTH - 5  # a notice's text at 80 columns: 75 cells fit beside the toast's edge and padding


def too_small_notice() -> Static:
    """The main screen's notice that the terminal is too small (TerminalApp.on_resize fills and shows it)."""
    return Static("", id="too-small")


def export_notice(result: ExportResult, width: int) -> str:
    """Where `e` wrote, in ``width`` cells: the directory whole (that is where to look), the file name cut in the
    middle if it must be (its time stamp's end stays)."""
    directory, name = str(result.results.parent), result.results.stem
    kinds = ".json, .svg + .csv" if result.series is not None else ".json + .svg"
    words = f"wrote {{}}{kinds} in {directory}"
    room = width - len(words.format(""))
    if len(name) > room >= 9:
        name = f"{name[: (room - 1) // 2]}…{name[-(room - 1 - (room - 1) // 2) :]}"
    return words.format(name)


class TerminalApp(App[int]):
    """A dropout-tui app: subclasses say what goes on while the window is too small and what to stop on quit."""

    # What both apps' CSS shares: the too-small notice (each app hides its own panes under Screen.-too-small), and
    # notices on the top row, one line each where they fit: they cover the settings line for a few seconds (what
    # the user chose, known already), never the key bar and never the panes' numbers. App CSS, not DEFAULT_CSS:
    # Toast's and ToastRack's own DEFAULT_CSS would win over an app's. The train app's CSS_PATH comes first; the
    # sweep app's CSS adds its own rules to these.
    CSS = """
    #too-small {
        display: none;
        width: 1fr;
        height: 1fr;
        content-align: center middle;
        text-align: center;
        padding: 1 2;
    }

    Screen.-too-small #too-small {
        display: block;
    }

    ToastRack {
        dock: top;
        align: right top;
        margin-bottom: 0;
    }

    Toast {
        width: auto;
        max-width: 100%;
        padding: 0 1;
        margin-top: 0;
    }
    """
    NOTIFICATION_TIMEOUT = NOTICE_SECONDS
    GOES_ON = "Training goes on"  # the too-small message's promise
    export_dir: Path  # where the `e` key writes

    _native_captured = False  # fd 2 goes to a file only under run(), not run_test()
    # Bad input that only the loaded model revealed (set by a worker): the app leaves at once and the command
    # line says it on the restored terminal, one line and exit 2, as headless does.
    refused: ConfigError | None = None
    REFUSED_CHECK = 0.1  # seconds between looks at ``refused``

    @property
    def run_failed(self) -> bool:
        """A run (or rate) ended in failure: q then exits 1, as headless does."""
        return False

    @property
    def closing(self) -> bool:
        """True once shutdown has begun: Textual empties the screen stack before it stops the app's timers,
        so a tick can land in between, when there is no screen to draw on."""
        return not self.is_running or not self.screen_stack

    def stop_workers(self) -> None:
        """Wake and end every worker (a paused or serving engine, a child process) so the app can exit."""

    def on_mount(self) -> None:
        # A worker only sets an attribute: calling into an app that is already closing could wait forever.
        self.set_interval(self.REFUSED_CHECK, self._leave_if_refused)
        if self._native_captured:  # a real terminal (run(), not run_test()): own SIGINT/SIGTERM, and a hang-up
            loop = asyncio.get_running_loop()
            for number in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(number, self._on_signal, number)
            watch_terminal(self.stop_workers, lambda: loop.call_soon_threadsafe(self._on_signal, signal.SIGHUP))

    def _leave_if_refused(self) -> None:
        if self.refused is not None and self.is_running:
            self.stop_workers()
            self.exit(EXIT_USAGE, return_code=EXIT_USAGE)

    def on_unmount(self) -> None:
        # However the app ends (quit, crash, a test's teardown), no worker may outlive it.
        self.stop_workers()

    def on_resize(self, event: Resize) -> None:
        self.fit_terminal(event.size)

    def fit_terminal(self, size: Size) -> None:
        """Panes, or the too-small notice: on every resize, and once the main screen's widgets exist."""
        width, height = size
        small = width < MIN_WIDTH or height < MIN_HEIGHT
        notices = self.screen_stack[0].query("#too-small").results(Static)
        notice = next(notices, None)
        if notice is None:  # the main screen is not composed yet: it calls this once it is
            return
        if small:
            notice.update(
                # Short lines: centred text that wraps on its own reads badly at 40 columns.
                f"dropout-tui needs at least {MIN_WIDTH}x{MIN_HEIGHT};\nthis terminal is {width}x{height}.\n\n"
                f"{self.GOES_ON}; enlarge the\nwindow to see it (q quits)."
            )
        # The class lives on the main screen so the panes come back as soon as the terminal is large enough.
        self.screen_stack[0].set_class(small, "-too-small")

    def _on_signal(self, signum: int) -> None:
        # Runs on the event loop, so the normal exit path restores the terminal; dropout_tui.tui.cli then
        # leaves without TensorFlow's slow interpreter teardown.
        self.stop_workers()
        self.exit(128 + signum, return_code=128 + signum)

    def run(self, *args: Any, **kwargs: Any) -> int | None:  # Textual's own signature, passed through
        # Native TensorFlow logging writes to fd 2 and would tear the screen; the
        # CLI does this already, other callers (bench scripts) get it here. Idempotent.
        redirect_native_stderr()
        self._native_captured = True
        return super().run(*args, **kwargs)

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None:
        """A notice on the footer row, plain text unless asked: engine messages may hold [brackets]."""
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=markup)

    def write_export(self, write: Callable[[str, Path], ExportResult]) -> None:
        """The `e` key: ``write(svg, directory)`` writes the pair (an SVG of the screen on top), and a notice says
        where, or why nothing was written."""
        try:
            result = write(self.export_screenshot(), self.export_dir)
        except OSError as error:
            where = error.filename or self.export_dir
            self.notify(f"export failed: {error.strerror or error} ({where})", severity="error", timeout=8)
            return
        self.notify(export_notice(result, NOTICE_WIDTH))

    def on_notify(self, event: Notify) -> None:
        # Runs before Textual adds the new notice: one notice at a time, the newest, never a stack over the panes.
        self.clear_notifications()

    def action_toggle_theme(self) -> None:
        self.theme = "textual-light" if self.current_theme.dark else "textual-dark"

    async def action_quit(self, code: int = 0) -> None:
        code = code or int(self.run_failed)
        self.stop_workers()
        self.exit(code, return_code=code)
