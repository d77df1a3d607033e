"""Shared test set-up: the app's own quiet-TensorFlow environment, the one real explain run, and the
markers that keep `make test-fast` fast."""

import gc
import inspect
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from importlib.abc import Loader, MetaPathFinder
from importlib.machinery import ModuleSpec
from pathlib import Path
from types import ModuleType

import pytest

from dropout_tui.engine.quiet import prepare_environment
from dropout_tui.tui.collector import collect_less

prepare_environment()

# `make test-fast` sets this: there an unmarked test that imports a deep-learning framework fails at once,
# instead of making the fast tier slow (checked only there: in the whole suite an earlier test has
# usually imported TensorFlow already, so the check would depend on the order).
FAST_TIER = os.environ.get("DROPOUT_TUI_FAST_TIER") == "1"
FRAMEWORKS = ("tensorflow", "keras", "jax", "torch")

SLOW_MARKERS = ("subprocess", "training", "explain", "wheel", "storm", "browser", "multiworker", "backend")

# A test that uses one of these fixtures is of that kind, wherever it lives.
MARKER_BY_FIXTURE = {
    "explain_run": "explain",
    "explain_report": "explain",
    "measured": "explain",
    "trained": "training",
    "bn_model": "training",
    "saved_model": "training",
    "snap_compare": "pilot",
}

# pytest-xdist (`make test` and `make test-fast` run one worker per core, `--dist loadgroup`) sends each group to
# one worker: a file's tests stay together, so its module fixtures (trained models, runs) are built once, and
# the tests that share the one explain run (a minute of training) join one group instead of running it on
# every worker. The fast tier builds nothing costly, so its tests spread one by one.
XDIST_GROUP_BY_FIXTURE = {
    "explain_run": "explain-run",
    "explain_report": "explain-run",
    "measured": "explain-run",
    "headless_runs": "headless-runs",  # tests/cli/conftest.py
    "sweep_streams": "sweep-streams",
}


# A test file whose every test is of a slow kind says so in one module-level line; the fast tier does not
# even import it (many import Keras at the top).
SLOW_FILE = re.compile(r"^pytestmark = .*pytest\.mark\.(" + "|".join(SLOW_MARKERS) + r")\b", re.M)


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    if FAST_TIER and collection_path.suffix == ".py" and collection_path.name.startswith("test_"):
        return bool(SLOW_FILE.search(collection_path.read_text(encoding="utf-8"))) or None
    return None


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        # Every async test drives the Textual app through its pilot (`make test ARGS="-m pilot"` runs them).
        if inspect.iscoroutinefunction(getattr(item, "function", None)):
            item.add_marker("pilot")
        fixtures = getattr(item, "fixturenames", ())
        for fixture in fixtures:
            marker = MARKER_BY_FIXTURE.get(fixture)
            if marker:
                item.add_marker(marker)
        if not FAST_TIER:
            groups = [XDIST_GROUP_BY_FIXTURE[fixture] for fixture in fixtures if fixture in XDIST_GROUP_BY_FIXTURE]
            item.add_marker(pytest.mark.xdist_group(groups[0] if groups else item.path.as_posix()))


def pytest_collection_finish(session: pytest.Session) -> None:
    # Textual builds and drops many small objects a frame: at CPython's default thresholds the cyclic
    # collector ran thousands of times a test, each young collection also walking what collection imported.
    # Frozen, those objects are never walked again, and the app's own threshold (tui/collector.py) runs it
    # less often: about a fifth of the pilot tests' CPU.
    gc.collect()
    gc.freeze()
    collect_less()


@contextmanager
def _processes_only_where_marked(item: pytest.Item) -> Iterator[None]:
    """A test outside the slow kinds may not start a process, in its fixtures (whatever their scope) or
    its body: it would slip into the fast tier."""
    if any(item.get_closest_marker(name) for name in SLOW_MARKERS):
        yield
        return
    original = subprocess.Popen.__init__

    def refuse(self: subprocess.Popen, *args: object, **kwargs: object) -> None:
        raise AssertionError(f"{item.nodeid} starts a process: mark it @pytest.mark.subprocess")

    subprocess.Popen.__init__ = refuse  # type: ignore[method-assign]
    try:
        yield
    finally:
        subprocess.Popen.__init__ = original  # type: ignore[method-assign]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Iterator[None]:
    with _processes_only_where_marked(item):
        yield


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    with _processes_only_where_marked(item):
        yield


class _RefuseFrameworks(MetaPathFinder, Loader):
    """Finds the frameworks (so `importlib.util.find_spec`, which asks whether one is installed, still answers)
    but refuses to run them."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        return ModuleSpec(fullname, self) if fullname.split(".")[0] in FRAMEWORKS else None

    def create_module(self, spec: ModuleSpec) -> ModuleType | None:
        return None

    def exec_module(self, module: ModuleType) -> None:
        raise ImportError(f"the fast tier imports no {module.__name__}: mark the test @pytest.mark.training")


if FAST_TIER:
    sys.meta_path.insert(0, _RefuseFrameworks())


@pytest.fixture(scope="session")
def explain_run():
    """One real run of every explain experiment, shared by the engine, CLI and screen tests."""
    from dropout_tui.engine.explain.runner import run_explain

    began = time.perf_counter()
    report = run_explain(seed=0)
    return report, time.perf_counter() - began


@pytest.fixture(scope="session")
def explain_report(explain_run):
    return explain_run[0]


@pytest.fixture(scope="session")
def measured(explain_report):
    """claim id -> its measured numbers."""
    return {claim.id: claim.measured for claim in explain_report.claims}
