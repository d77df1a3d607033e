"""The claims as a Rich table: what `explain` prints on a terminal and what the Explain screen shows."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from dropout_tui.engine.explain.claims import Claim
from dropout_tui.engine.explain.report import ClaimResult
from dropout_tui.tui.fmt import finite, num

if TYPE_CHECKING:
    from rich.table import Table

VERDICT_STYLES = {"true": "bold green", "false": "bold red", "caveat": "bold yellow"}


def format_number(value: float | None) -> str:
    number = finite(value)
    if number is not None and number.is_integer() and abs(number) < 1e9:
        return str(int(number))
    return num(value, ".4g")


def measured_lines(measured: dict) -> list[str]:
    return [f"{name} = {format_number(value)}" for name, value in measured.items()]


NARROW_TABLE = 100  # below this many columns, one claim per row: its text, verdict, numbers and why, stacked


def claims_table(
    results: Sequence[ClaimResult],
    title: str,
    running: int | None = None,
    width: int | None = None,
    *,
    claims: Sequence[Claim],
) -> Table:
    """The claims run on one backend (``claims_on``) as a Rich table; claims without a result yet show as
    pending (or running). Narrower than NARROW_TABLE (the Explain screen at 80x24), each claim is one full-width
    cell, so code and names in the measured values are never split mid-word and a claim takes a few rows."""
    from rich.table import Table
    from rich.text import Text

    by_id = {result.id: result for result in results}
    if width is not None and width < NARROW_TABLE:
        return _stacked_table(by_id, title, running, claims)
    table = Table(title=title, show_lines=True, expand=True)
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column("Claim", ratio=2, overflow="fold")
    table.add_column("Verdict", no_wrap=True)
    table.add_column("Measured", ratio=2, overflow="fold")
    table.add_column("Explanation", ratio=4)
    for claim in claims:
        result = by_id.get(claim.id)
        if result is None:
            status = "running..." if claim.id == running else "pending"
            table.add_row(str(claim.id), Text(claim.text), Text(status, style="dim"), "", "")
            continue
        table.add_row(
            str(claim.id),
            Text(result.claim),
            Text(result.verdict.upper(), style=VERDICT_STYLES.get(result.verdict, "")),
            # Spaces instead of underscores let narrow columns wrap between words, not mid-name.
            Text("\n".join(line.replace("_", " ") for line in measured_lines(result.measured))),
            Text(result.explanation),
        )
    return table


def _stacked_table(by_id: dict[int, ClaimResult], title: str, running: int | None, claims: Sequence[Claim]) -> Table:
    from rich.table import Table
    from rich.text import Text

    table = Table(title=title, show_lines=True, expand=True, show_header=False)
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column("Claim")
    for claim in claims:
        result = by_id.get(claim.id)
        if result is None:
            status = "running..." if claim.id == running else "pending"
            table.add_row(str(claim.id), Text.assemble(claim.text, "  ", (status, "dim")))
            continue
        cell = Text.assemble(
            (result.verdict.upper(), VERDICT_STYLES.get(result.verdict, "")), "  ", (result.claim, "bold"), "\n"
        )
        cell.append("measured: " + ", ".join(measured_lines(result.measured)), style="dim")
        cell.append("\n" + result.explanation)
        table.add_row(str(claim.id), cell)
    return table
