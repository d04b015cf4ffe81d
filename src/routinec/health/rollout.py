"""Health layer: the report's rollout section, from the lock's channels and the ledger's
rollout records.

In: an open `Ledger`, the current `Lock` (or None), the report's window and routine filter.
Out: `RolloutFigures` per routine that has channels or rollout records in the window: each
channel's version side by side (the running canary, else the last one, marked aborted or
promoted) over the canary's window, the guard's verdict, and the history of changes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from routinec.canonical import loads
from routinec.health.figures import RolloutEvent, RolloutFigures, RolloutSide, rate
from routinec.rollout.channels import Channels
from routinec.rollout.guard import Counts, evaluate

if TYPE_CHECKING:
    from routinec.ledger.api import Ledger
    from routinec.ledger.model import RolloutRecord
    from routinec.lockfile import Lock

__all__ = ["channels_text", "rollout_figures"]


def channels_text(data: Any) -> str:
    if not isinstance(data, dict):
        return "?"
    text = f"stable v{data.get('stable')}"
    canary = data.get("canary")
    if isinstance(canary, dict):
        text += f", canary v{canary.get('version')} at {canary.get('weight')}%"
    return text


def _side(channel: str, version: int, weight: int | None, counts: Counts) -> RolloutSide:
    return RolloutSide(
        channel=channel, version=version, weight=weight, runs=counts.runs, outcomes=counts.outcomes,
        rejected_rate=rate(counts.rejected, counts.outcomes), modified_rate=rate(counts.modified, counts.outcomes),
        invalid_output_rate=rate(counts.invalid_output, counts.runs), error_rate=rate(counts.errors, counts.runs),
    )


def _last_canary(records: list[RolloutRecord]) -> tuple[int, int | None, str, str] | None:
    """(version, weight, start, how it ended) of the latest canary in the records."""
    found: tuple[int, int | None, str, str] | None = None
    for record in records:
        after, before = loads(record.to_json), loads(record.from_json)
        canary = after.get("canary")
        if isinstance(canary, dict):
            running = before.get("canary")
            same = isinstance(running, dict) and running.get("version") == canary.get("version")
            start = found[2] if found is not None and same else record.recorded_at
            found = (int(canary["version"]), int(canary["weight"]), start, "running")
        elif found is not None and found[3] == "running":
            found = (found[0], found[1], found[2], "promoted" if record.action == "promote" else "aborted")
    return found


def rollout_figures(ledger: Ledger, lock: Lock | None, since: str, routine: str | None) -> tuple[RolloutFigures, ...]:
    records = [r for r in ledger.rollouts(routine)]
    names = {r.routine for r in records if r.recorded_at >= since}
    if lock is not None:
        names |= {n for n in lock.rollout if routine is None or n == routine}
    out = []
    for name in sorted(names):
        mine = [r for r in records if r.routine == name]
        if lock is not None and name in lock.rollout:
            channels = lock.rollout[name].channels
        elif mine:
            channels = Channels.from_json(loads(mine[-1].to_json))
        else:
            continue
        last = _last_canary(mine)
        window = last[2] if last is not None else since
        stable_counts = ledger.counts(name, channels.stable, window)
        sides = [_side("stable", channels.stable, None, stable_counts)]
        guard = state = message = None
        if channels.canary is not None:
            canary_counts = ledger.counts(name, channels.canary.version, window)
            sides.append(_side("canary", channels.canary.version, channels.canary.weight, canary_counts))
            if channels.canary.guard is not None:
                g = channels.canary.guard
                verdict = evaluate(g, canary_counts, stable_counts)
                guard, state, message = f"{g.text()} after {g.min_outcomes}", verdict.state, verdict.text(g)
        elif last is not None and last[0] != channels.stable:
            sides.append(_side(f"canary ({last[3]})", last[0], last[1], ledger.counts(name, last[0], window)))
        history = tuple(
            RolloutEvent(r.recorded_at, r.action, r.by, r.why, channels_text(loads(r.from_json)), channels_text(loads(r.to_json)))
            for r in mine if r.recorded_at >= since
        )
        out.append(RolloutFigures(name, channels.stable, channels.canary.version if channels.canary else None,
                                  guard, state, message, window if last is not None else None, tuple(sides), history))
    return tuple(out)
