"""Every command-line option, once: the table argparse is built from, and what README's option table is checked against.

Ranges come from the engine's limits, defaults from ``RunConfig``, so the help,
the parser and the engine's validation cannot disagree.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields
from urllib.parse import urlsplit

from dropout_tui.engine import backends
from dropout_tui.engine.backends import BACKENDS
from dropout_tui.engine.config import RunConfig
from dropout_tui.engine.errors import ConfigError
from dropout_tui.engine.evaluation.modes import MODES
from dropout_tui.engine.limits import DATASETS, LIMITS, MAX_SWEEP_RATES, TASKS, check_input_scale
from dropout_tui.engine.sweep.plan import DEFAULT_RATES, parse_rates, rates_argument
from dropout_tui.tui.cli import commands

RUNS = frozenset({"train", "inspect"})  # commands that start a run and accept the run options
TRAIN = frozenset({"train"})
INSPECT = frozenset({"inspect"})
EXPLAIN = frozenset({"explain"})
SWEEP = frozenset({"sweep"})
COMPARE = frozenset({"compare"})
SERVE = frozenset({"serve"})
# The commands `serve` runs in each browser tab: the ones with a screen (explain's is reached from train's).
SERVED = ("train", "inspect", "sweep", "compare")
MAX_SESSIONS = 16  # each session is its own TensorFlow process of 0.6-0.8 GB
FROM_CONFIG = object()  # the default is RunConfig's
ALL_DEVICES = "all"  # --devices all: every GPU


def _listed(names: Iterable[str]) -> str:
    """'a', 'b' and 'c'."""
    quoted = [f"'{name}'" for name in names]
    return quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} and {quoted[-1]}"


def _limited(name: str) -> Callable[[str], float]:
    """An argparse type that accepts exactly what the engine's limit for ``name`` accepts."""
    limit = LIMITS[name]

    def parse(text: str) -> float:
        try:
            return limit.parse(text)
        except ValueError as error:
            raise argparse.ArgumentTypeError(str(error)) from None

    parse.__name__ = name  # argparse names the type in some of its messages
    return parse


def _devices(text: str) -> int | str:
    """--devices: 'all' or a count within the engine's limit."""
    if text == ALL_DEVICES:
        return text
    limit = LIMITS["devices"]
    try:
        return int(limit.parse(text))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{limit.option} must be {ALL_DEVICES} or {limit.describe()}, got {text!r}"
        ) from None


_devices.__name__ = "devices"


def _backend(text: str) -> str:
    """--backend: a known backend that is installed (else the one line naming the extra to install), or all."""
    try:
        return text if text == backends.ALL else backends.check(text)
    except ConfigError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _workers(text: str) -> str:
    """--workers: HOST:PORT,HOST:PORT,... as the engine checks it (engine.run.cluster.parse_workers)."""
    from dropout_tui.engine.run.cluster import parse_workers

    try:
        return ",".join(parse_workers(text))
    except ConfigError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


_workers.__name__ = "workers"


def _rates(text: str) -> tuple[float, ...]:
    """--rates: the engine's own check of a sweep's list (engine.sweep.parse_rates)."""
    try:
        return parse_rates(text)
    except ConfigError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


_rates.__name__ = "rates"


def _scale(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    try:
        return check_input_scale(value)
    except ConfigError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _public_url(text: str) -> str:
    """`serve --public-url`: an http(s) address with a host (a path allowed), without its trailing slash."""
    parts = urlsplit(text)
    try:
        port_ok = parts.port is None or parts.port > 0  # a port out of range or not a number raises
    except ValueError:
        port_ok = False
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment or not port_ok:
        raise argparse.ArgumentTypeError(
            f"expected an http:// or https:// address with a host, such as https://lab.example/dropout, got {text!r}"
        )
    return text.rstrip("/")


_public_url.__name__ = "--public-url"


def _whole(name: str, low: int, high: int) -> Callable[[str], int]:
    """An argparse type for a whole number in [low, high]."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{name} must be in [{low}, {high}], got {value}")
        return value

    parse.__name__ = name
    return parse


@dataclass(frozen=True)
class Option:
    """One option: where it applies, how it parses, which RunConfig field it fills."""

    flag: str
    help: str
    commands: frozenset[str]
    group: str
    field: str | None = None  # the RunConfig field; None for options of the front end (output, debug)
    type: object = None  # an argparse type; a limit name is turned into one
    metavar: str | None = None
    choices: tuple | None = None
    switch: bool = False  # store_true
    required: bool = False
    default: object = FROM_CONFIG
    nargs: str | None = None  # a positional argument's, e.g. "+"

    @property
    def positional(self) -> bool:
        """A name without dashes is an argument, not an option: argparse lists it under "positional arguments"."""
        return not self.flag.startswith("-")

    @property
    def dest(self) -> str:
        return self.flag.lstrip("-").replace("-", "_")

    def default_value(self) -> object:
        if self.default is not FROM_CONFIG:
            return self.default
        return getattr(RunConfig(), self.field) if self.field else None

    def add_to(self, group: argparse._ArgumentGroup | argparse.ArgumentParser) -> None:
        if self.positional:
            group.add_argument(
                self.flag,
                nargs=self.nargs,
                metavar=self.metavar,
                help=self.help,
                default=self.default_value(),
                choices=self.choices,
            )
            return
        kwargs: dict = {"help": self.help, "dest": self.dest}
        if self.switch:
            kwargs["action"] = "store_true"
        else:
            kwargs["default"] = self.default_value()
            kind = _limited(self.type) if isinstance(self.type, str) else self.type
            if kind is not None:
                kwargs["type"] = kind
            if self.metavar:
                kwargs["metavar"] = self.metavar
            if self.choices:
                kwargs["choices"] = self.choices
        if self.required:
            kwargs["required"] = True
        group.add_argument(self.flag, **kwargs)


OPTIONS: tuple[Option, ...] = (
    Option(
        "--dataset",
        "built-in data set; mnist/fashion_mnist are read from the Keras cache",
        RUNS,
        "data",
        field="dataset",
        choices=DATASETS,
    ),
    Option(
        "--data",
        "your own data: keys x_train, y_train, x_test, y_test (default: none; overrides --dataset)",
        RUNS,
        "data",
        field="data_path",
        metavar="FILE.npz",
    ),
    Option(
        "--task",
        "classification or regression (default: decided from the labels and the model's head)",
        RUNS,
        "data",
        field="task",
        choices=TASKS,
    ),
    Option(
        "--ood",
        "out-of-distribution inputs: a .npz with x_test (or x) shaped like the inputs, or 'noise' "
        "(the test inputs plus Gaussian noise of one standard deviation) (default: none)",
        RUNS,
        "data",
        field="ood",
        metavar="FILE.npz|noise",
    ),
    Option(
        "--model",
        "a saved Keras model (.keras or legacy .h5); never written to",
        INSPECT,
        "model",
        field="model_path",
        metavar="FILE.keras",
        required=True,
    ),
    Option(
        "--unsafe",
        "allow unsafe deserialisation (e.g. Lambda layers): only for files you trust",
        INSPECT,
        "model",
        field="unsafe",
        switch=True,
    ),
    Option(
        "--custom-objects",
        "a Python file to import before loading --model, so that it registers your custom classes: "
        "it runs as your code, only when given (default: none)",
        INSPECT,
        "model",
        field="custom_objects",
        metavar="FILE.py",
    ),
    Option(
        "--input-scale",
        "multiply inputs by F before feeding them (default: fed as stored)",
        INSPECT,
        "model",
        field="input_scale",
        type=_scale,
        metavar="F",
    ),
    Option(
        "--fine-tune",
        "train N epochs before evaluating",
        INSPECT,
        "model",
        field="fine_tune",
        type="fine_tune",
        metavar="N",
    ),
    Option("--rate", "dropout rate in [0, 1)", TRAIN, "model and training", field="rate", type="rate", metavar="R"),
    Option(
        "--hidden",
        "hidden units of the default MLP",
        TRAIN,
        "model and training",
        field="hidden",
        type="hidden",
        metavar="H",
    ),
    Option("--epochs", "training epochs", TRAIN, "model and training", field="epochs", type="epochs", metavar="N"),
    Option(
        "--batch-size", "batch size", RUNS, "model and training", field="batch_size", type="batch_size", metavar="B"
    ),
    Option("--lr", "Adam learning rate", RUNS, "model and training", field="lr", type="lr", metavar="LR"),
    Option(
        "--seed",
        "random seed; equal seeds give equal numbers",
        RUNS | EXPLAIN,
        "model and training",
        field="seed",
        type="seed",
        metavar="S",
    ),
    Option(
        "--eval-every",
        "epochs between evaluations of every mode",
        RUNS,
        "evaluation",
        field="eval_every",
        type="eval_every",
        metavar="N",
    ),
    Option(
        "--mc-samples",
        "stochastic passes for MC dropout and the probe",
        RUNS,
        "evaluation",
        field="mc_samples",
        type="mc_samples",
        metavar="T",
    ),
    Option(
        "--repeats",
        f"repeats of the {_listed(mode.name for mode in MODES if mode.repeated)} modes",
        RUNS,
        "evaluation",
        field="repeats",
        type="repeats",
        metavar="R",
    ),
    Option(
        "--probe-index",
        "test sample shown in the probe",
        RUNS,
        "evaluation",
        field="probe_index",
        type="probe_index",
        metavar="I",
    ),
    Option(
        "--devices",
        "train and evaluate on N devices (or all GPUs) with tf.distribute.MirroredStrategy; "
        "without GPUs the CPU is split into N logical devices (default: TensorFlow's single device)",
        RUNS,
        "evaluation",
        field="devices",
        type=_devices,
        metavar="N|all",
    ),
    Option(
        "--backend",
        "the Keras backend the run uses, KERAS_BACKEND when that is set; JAX and PyTorch come with the "
        "extras [jax] and [torch]; explain also takes all (each backend in its own process, a column each)",
        RUNS | EXPLAIN,
        "evaluation",
        field="backend",
        type=_backend,
        metavar="|".join(BACKENDS),
        default=backends.default(),
    ),
    Option(
        "--ensemble",
        "after training, train K-1 more models like it (seeds S+1..S+K-1) and report their deep ensemble "
        "beside MC dropout and temperature scaling (default: none)",
        TRAIN,
        "evaluation",
        field="ensemble",
        type="ensemble",
        metavar="K",
    ),
    Option(
        "--workers",
        "one run across processes on several hosts with tf.distribute.MultiWorkerMirroredStrategy: the same command "
        "on every host, only --worker-index differs; headless; without it TF_CONFIG is honoured when set "
        "(default: one process)",
        RUNS,
        "cluster",
        field="workers",
        type=_workers,
        metavar="HOST:PORT,HOST:PORT,...",
    ),
    Option(
        "--worker-index",
        "this host's place in --workers; 0 is the chief, which writes the events (default: none)",
        RUNS,
        "cluster",
        field="worker_index",
        type="worker_index",
        metavar="I",
    ),
    Option(
        "--worker-timeout",
        "seconds a worker may take to come up, or a collective to complete, before the run fails naming it",
        RUNS,
        "cluster",
        field="worker_timeout",
        type="worker_timeout",
        metavar="S",
    ),
    Option(
        "--headless",
        "no UI: print JSON lines on stdout (works under nohup, no TTY needed)",
        RUNS,
        "output",
        switch=True,
    ),
    Option(
        "--output",
        "headless: also write the JSON lines to this file (default: stdout only)",
        RUNS,
        "output",
        metavar="FILE.jsonl",
        default=None,
    ),
    Option(
        "--export-dir",
        "where the app's 'e' key writes results and a screenshot",
        RUNS,
        "output",
        metavar="DIR",
        default="dropout-tui-export",
    ),
    Option(
        "--rates",
        "the dropout rates to train, one run each, separated by commas: each in "
        f"{LIMITS['rate'].describe().removeprefix('in ')}, no repeats, at most {MAX_SWEEP_RATES}",
        SWEEP,
        "sweep",
        type=_rates,
        metavar="R,R,...",
        default=rates_argument(DEFAULT_RATES),
    ),
    Option(
        "--jobs",
        "rates trained at once, each in its own process (at most one per CPU core)",
        SWEEP,
        "sweep",
        type="jobs",
        metavar="N",
        default=1,
    ),
    Option(
        "files",
        "results JSON from the e key, or a headless .jsonl (train or sweep)",
        COMPARE,
        "",
        metavar="FILE",
        nargs="+",
        default=None,
    ),
    Option(
        "--host",
        "address to listen on; anything but loopback lets other machines in, with the link",
        SERVE,
        "serve",
        metavar="ADDR",
        default="127.0.0.1",
    ),
    Option(
        "--port", "port to listen on (0: any free port)", SERVE, "serve", type=_whole("--port", 0, 65535), default=8000
    ),
    Option(
        "--public-url",
        "the address browsers open when a reverse proxy stands in front (https, a path): the printed link, the "
        "page's websocket and the Origin check use it",
        SERVE,
        "serve",
        type=_public_url,
        metavar="URL",
        default=None,
    ),
    Option(
        "--max-sessions",
        "apps running at once, one per browser tab (each its own TensorFlow process, 0.6-0.8 GB); "
        "the next tab gets a page saying so, and no app",
        SERVE,
        "serve",
        type=_whole("--max-sessions", 1, MAX_SESSIONS),
        metavar="N",
        default=2,
    ),
    Option(
        "served",
        f"what each tab runs: {', '.join(SERVED)}, then its options as `dropout-tui COMMAND --help` lists them",
        SERVE,
        "",
        metavar="COMMAND",
        nargs="?",
        choices=SERVED,
        default="train",
    ),
    Option("served_options", argparse.SUPPRESS, SERVE, "", nargs=argparse.REMAINDER),
    Option("--json", "print one JSON object instead of a table", EXPLAIN, "output", switch=True),
    Option("--debug", "show full tracebacks on errors", RUNS | EXPLAIN, "output", switch=True),
)
_CONFIG_FIELDS = {f.name for f in fields(RunConfig)}
assert all(option.field in _CONFIG_FIELDS for option in OPTIONS if option.field), "an option names no RunConfig field"


def options_of(command: str) -> tuple[Option, ...]:
    """The options a command takes (its row in tui/cli/commands.py says which of other commands' it borrows)."""
    row = commands.command_named(command)
    borrowed = {option.flag for option in options_of(row.options_of)} - set(row.leaves_out) if row.options_of else set()
    return tuple(option for option in OPTIONS if command in option.commands or option.flag in borrowed | row.also_takes)


def add_options(parser: argparse.ArgumentParser, command: str) -> None:
    """The command's options (``options_of``), in argparse groups named by their rows."""
    groups: dict[str, argparse._ArgumentGroup] = {}
    for option in options_of(command):
        if option.positional:
            option.add_to(parser)
            continue
        if option.group not in groups:
            groups[option.group] = parser.add_argument_group(option.group)
        option.add_to(groups[option.group])


def config_from_args(args: argparse.Namespace) -> RunConfig:
    """The RunConfig the parsed options ask for; options a command lacks keep RunConfig's defaults.

    A sweep's is the train config every run shares (each run sets its own rate).
    """
    values = {option.field: getattr(args, option.dest) for option in options_of(args.command) if option.field}
    return RunConfig(command="train" if args.command == "sweep" else args.command, **values).validate()
