"""Application layer: `check`, `lock` and `verify` over a whole project.

In: a Config and options. Out: an `Outcome` (diagnostics, drift lines, exit code) that the CLI
renders; nothing here prints. Combines the compiler with the compatibility engine (edges
and breaking-change gates), which the compiler itself may not import.
"""

from __future__ import annotations

import datetime as _dt
import gc
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from routinec import __version__
from routinec.canonical import digest_bytes, source_digest, sweep_stale_temps
from routinec.codes import Code
from routinec.config import Config, discover_specs, env
from routinec.diagnostics import (
    Diagnostic,
    DiagnosticError,
    Severity,
    Span,
    exit_code_for,
    sort_unique,
)
from routinec.lockfile import Lock, RoutineRollout, read_lock, write_lock
from routinec.lockfile.entry import ModelPin
from routinec.lockfile.exclusive import exclusive
from routinec.modeltable import ModelInfo, lifecycle_diagnostic, lookup

if TYPE_CHECKING:
    from routinec.compiler.check import Resolver
    from routinec.lockfile.drift import Drift

# The compiler (Lark, Jinja2, jsonschema) and the compat engine are imported inside the
# functions: verify's fast path answers without them.

__all__ = ["Outcome", "check", "lock", "verify"]



@dataclass
class Outcome:
    diagnostics: list[Diagnostic] = field(default_factory=list)
    drift: list[Drift] = field(default_factory=list)
    changed: bool = False
    routines: int = 0
    fast_path: bool = False
    # What makes `lock` pass again when a gate refuses it (`verify` says this, not "run lock").
    lock_blockers: list[str] = field(default_factory=list)

    @property
    def next_step(self) -> str:
        """The step that brings routines.lock up to date: 'run lock', or first what lock needs."""
        if not self.lock_blockers:
            return "run 'routinec lock' and commit it"
        return "; ".join(self.lock_blockers) + ", then run 'routinec lock' and commit it"

    @property
    def exit_code(self) -> int:
        return exit_code_for(self.diagnostics, findings=bool(self.drift))


def check(config: Config, paths: Iterable[Path] = ()) -> Outcome:
    from routinec.commands import gates
    from routinec.compiler.build import build

    wanted = list(paths)
    result = build(config, extra_paths=wanted)
    outcome = Outcome(list(result.diagnostics), routines=len(result.project.routines) if result.project else 0)
    if wanted:
        # Names resolve project-wide, but only the named specs' diagnostics are shown (plus
        # those in templates, inputs and schemas, which belong to whoever names them).
        selected = set(_named_specs(config, wanted))
        outcome.diagnostics = [
            d for d in outcome.diagnostics
            if d.span is None or not d.span.path.endswith(".routine") or d.span.path in selected
        ]
    if result.lock is not None:
        # The gates `lock` runs, writing nothing: a green `check` means `lock` will pass them.
        outcome.diagnostics.extend(gates.edge_diagnostics(result.lock, config))
        try:
            on_disk: Lock | None = read_lock(config.lock_path, check_hashes=False)
        except DiagnosticError:
            on_disk = None  # none yet, or `lock` and `verify` say what is wrong with it
        if on_disk is not None:
            result.lock.rollout = {n: r for n, r in on_disk.rollout.items() if n in result.lock.routines}
        outcome.diagnostics.extend(gates.rollout_edge_diagnostics(result.lock, config))
        if on_disk is not None:
            breaks = gates.breaking_changes(on_disk, result.lock, config, for_lock=True)
            if wanted:
                breaks = [d for d in breaks if d.span is None or d.span.path in selected]
            outcome.diagnostics.extend(breaks)
    return outcome


def _named_specs(config: Config, paths: list[Path]) -> list[str]:
    root = config.root.resolve()
    out: list[str] = []
    for path in paths:
        resolved = path.resolve()
        found = resolved.rglob("*.routine") if resolved.is_dir() else [resolved]
        for spec in found:
            spec = spec.resolve()
            if spec == root or root in spec.parents:
                out.append(spec.relative_to(root).as_posix())
    return out


def _lock_resolver(old: Lock | None, fallback: Resolver) -> Resolver:
    """Reuse what the Models API answered at lock time, so verify compares like with like."""
    pinned: dict[str, ModelPin] = {}
    if old is not None:
        for entry in old.routines.values():
            if entry.model.resolved_by == "models-api":
                pinned[entry.model.alias] = entry.model

    def resolve(name: str) -> ModelInfo | None:
        model = pinned.get(name)
        if model is None:
            return fallback(name)
        base = lookup(model.snapshot) or lookup(name) or ModelInfo(id=model.snapshot)
        return ModelInfo(
            id=model.snapshot,
            aliases=base.aliases,
            lifecycle=model.lifecycle,
            retires_at=model.retires_at,
            max_tokens=model.max_tokens_limit or base.max_tokens,
            structured_outputs=model.structured_outputs,
            sampling=base.sampling,
            one_sampler=base.one_sampler,
            effort=base.effort,
            thinking_budget=base.thinking_budget,
            resolved_by="models-api",
        )

    return resolve


def _try_read(config: Config, *, ours: bool = False) -> Lock | None:
    """The current lock, or None when there is none or it is unreadable (lock rewrites it).
    `ours`: these bytes are what this machine's `lock` wrote (a summary is filed under their
    digest), so their entry hashes need no recomputing (~half of reading 1,000 entries)."""
    try:
        return read_lock(config.lock_path, check_hashes=not ours)
    except DiagnosticError:
        return None


def lock(config: Config, *, resolve_online: bool = False) -> Outcome:
    """The cyclic GC is paused meanwhile, as `compiler.build` does for the compile: the old
    lock, the new one and the AST (acyclic, alive until the end) outlive the compile, and
    each full collection after it re-scanned them all (a tenth of a one-edit re-lock)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _lock(config, resolve_online=resolve_online)
    finally:
        if enabled:
            gc.enable()


def _lock(config: Config, *, resolve_online: bool) -> Outcome:
    filed = _filed_summary(config)
    if not resolve_online:
        known = _summary_of_lock(config, filed)
        if known is not None:  # nothing changed since this routinec wrote these bytes
            # No write, so no sweep on the way: remove what killed writers left here.
            sweep_stale_temps(config.lock_path.parent)
            summary, facts = known
            said = list(summary.diagnostics) + lifecycle_from_lock(facts, config, env().today, summary.model_spans)
            return Outcome(sort_unique(said), routines=len(facts), fast_path=True)
    # One writer at a time: `routinec rollout` commands rewrite the lock too (lockfile.exclusive).
    with exclusive(config.lock_path):
        return _lock_exclusive(config, filed, resolve_online=resolve_online)


def _carried_rollout(config: Config, old: Lock | None) -> dict[str, RoutineRollout]:
    """The rollout section `lock` keeps (channels and frozen entries are never recompiled).
    A lock that did not read (its routines are rewritten anyway) still has its section read
    on its own; a broken section refuses the write, rather than drop a running canary."""
    if old is not None:
        return old.rollout
    from routinec.canonical import loads
    from routinec.lockfile.rollout import parse_rollout

    try:
        data = loads(config.lock_path.read_bytes())
    except (OSError, ValueError, UnicodeDecodeError, RecursionError):
        return {}
    if not isinstance(data, dict) or data.get("rollout") is None:
        return {}
    routines = data.get("routines")
    rollout, problems = parse_rollout(data["rollout"], routines if isinstance(routines, dict) else {}, str(config.lock_path))
    if problems:
        raise DiagnosticError(problems)
    return rollout


def _lock_exclusive(config: Config, filed: Any, *, resolve_online: bool) -> Outcome:
    from routinec.commands import gates
    from routinec.compiler.build import build

    old = _try_read(config, ours=filed is not None)
    try:
        carried = _carried_rollout(config, old)
    except DiagnosticError as exc:
        return Outcome(list(exc.diagnostics))
    resolver: Resolver = lookup
    if resolve_online:
        from routinec.commands.models_api import online_resolver

        resolver = online_resolver()
    result = build(config, _lock_resolver(old, resolver) if not resolve_online else resolver)
    outcome = Outcome(list(result.diagnostics), routines=len(result.project.routines) if result.project else 0)
    if result.lock is None:
        return outcome
    result.lock.rollout = {n: r for n, r in carried.items() if n in result.lock.routines}
    if old is not None:
        result.lock.generated = dict(old.generated)  # files generated from the lock stay recorded
    outcome.diagnostics.extend(gates.edge_diagnostics(result.lock, config))
    outcome.diagnostics.extend(gates.rollout_edge_diagnostics(result.lock, config))
    if old is not None:
        outcome.diagnostics.extend(gates.breaking_changes(old, result.lock, config, for_lock=True))
    if any(d.severity is Severity.ERROR for d in outcome.diagnostics):
        return outcome
    data = result.lock.to_bytes()
    try:
        outcome.changed = write_lock(config.lock_path, result.lock, data)
    except OSError as exc:
        outcome.diagnostics.append(
            Diagnostic(Code.CONFIG, Severity.ERROR, f"cannot write the lockfile: {exc.strerror}", Span(str(config.lock_path)))
        )
        return outcome
    _remember_lock(config, result.summary, result.cache, data)
    return outcome


def _filed_summary(config: Config) -> Any:
    """The summary this machine's `lock` (or a passing `verify`) filed under the digest of
    the lockfile's current bytes, or None."""
    from routinec.compiler.cache import BuildCache

    try:
        raw = config.lock_path.read_bytes()
    except OSError:
        return None
    return BuildCache.open(config.root).load_summary(digest_bytes(raw))


def _summary_of_lock(config: Config, summary: Any) -> tuple[Any, dict[str, tuple[ModelPin, str]]] | None:
    """`summary` (`_filed_summary(config)`) if every source still hashes as it did when it
    was filed (so a compile would write the same bytes), with each routine's lifecycle facts
    (what the lifecycle checks read). None means: take the long way."""
    if summary is None or not summary.models or not _sources_unchanged(config, summary.sources):
        return None
    return summary, dict(summary.models)


def _remember_lock(config: Config, summary: Any, cache: Any, written: bytes) -> None:
    """After a successful `lock` (or a passing compile-and-compare `verify`): file the summary
    under the digest of the bytes this run wrote or found, not of a re-read that another
    process may have changed in between."""
    if summary is None or cache is None or not cache.enabled:
        return
    cache.store_summary(digest_bytes(written), summary)


def _sources_unchanged(config: Config, sources: dict[str, str]) -> bool:
    if not sources or not set(discover_specs(config)) <= set(sources):
        return False
    root = str(config.root) + os.sep
    for rel, expected in sources.items():
        try:
            with open(root + rel, "rb") as handle:
                data = handle.read()
        except OSError:
            return False
        if source_digest(data) != expected:
            return False
    return True


def lifecycle_from_lock(
    locked: Lock | dict[str, tuple[ModelPin, str]], config: Config, on: _dt.date, spans: dict[str, Any] | None = None
) -> list[Diagnostic]:
    """The lifecycle warnings `check` gives, from the models pinned in the lock (or a
    summary's `models`: name → (pin, spec file)), pointing at each routine's `model` line when
    `spans` has it, else at its spec file."""
    routines = (
        {name: (entry.model, entry.source) for name, entry in locked.routines.items()}
        if isinstance(locked, Lock) else locked
    )
    out: list[Diagnostic] = []
    for name in sorted(routines):
        model, source = routines[name]
        snapshot, lifecycle = model.snapshot, model.lifecycle
        table = lookup(snapshot)
        if table is not None and table.lifecycle == "retired":
            lifecycle = "retired"
        span = (spans or {}).get(name) or Span(source or config.lockfile)
        said = lifecycle_diagnostic(name, snapshot, lifecycle, model.retires_at, on, span)
        if said is not None:
            out.append(said)
    return out


def refreshed_models(locked: Lock, *, online: bool) -> list[Diagnostic]:
    """Aliases whose snapshot moved since the lock was written (a note, not a failure)."""
    resolve: Resolver = lookup
    if online:
        from routinec.commands.models_api import online_resolver

        resolve = online_resolver()
    out: list[Diagnostic] = []
    for name in sorted(locked.routines):
        model = locked.routines[name].model
        alias, snapshot = model.alias, model.snapshot
        if alias == snapshot:
            continue
        current = resolve(alias)
        if current is not None and current.id != snapshot:
            out.append(Diagnostic(
                Code.MODEL_ALIAS_MOVED, Severity.WARNING,
                f"routine {name!r}: {alias} now points to {current.id} (locked: {snapshot})",
                Span(locked.routines[name].source),
                "to move, run 'routinec lock', re-record the transcripts and review the goldens",
            ))
    return out


def verify(config: Config, *, full: bool = False, refresh_models: bool = False) -> Outcome:
    outcome = _verify(config, full=full)
    if refresh_models and outcome.exit_code != 2:
        try:
            locked = read_lock(config.lock_path)
        except DiagnosticError:
            return outcome

        outcome.diagnostics.extend(refreshed_models(locked, online=env().api_key is not None))
    return outcome


def _verify(config: Config, *, full: bool = False) -> Outcome:
    # The only shortcut is sound: a summary this machine's own `lock` or `verify` filed under
    # these exact lockfile bytes, with every source unchanged. Source digests alone are not
    # enough: an entry edited by hand and resealed (its entry_hash recomputed) keeps them, so
    # without a summary the lock is compared with a fresh compile.
    if not full:
        known = _summary_of_lock(config, _filed_summary(config))
        if known is not None:  # says what the compile that filed it said (lifecycle: as of today)
            summary, facts = known
            said = list(summary.diagnostics) + lifecycle_from_lock(facts, config, env().today, summary.model_spans)
            said += generated_findings(config, None)
            return Outcome(sort_unique(said), routines=len(facts), fast_path=True)
    try:
        locked = read_lock(config.lock_path)
    except DiagnosticError as exc:
        return Outcome(list(exc.diagnostics))
    from routinec.commands import gates
    from routinec.compiler.build import build
    from routinec.lockfile.drift import diff_routines

    result = build(config, _lock_resolver(locked, lookup))
    outcome = Outcome(list(result.diagnostics), routines=len(result.project.routines) if result.project else 0)
    if result.lock is None:
        return outcome
    if locked.compiler_version != __version__:
        outcome.diagnostics.append(Diagnostic(
            Code.LOCK_FORMAT, Severity.NOTE,
            f"the lockfile was written by routinec {locked.compiler_version}; this is {__version__}",
            Span(config.lockfile),
            "'routinec lock' rewrites it with this version (entries compare equal either way)",
        ))
    outcome.drift = diff_routines(locked.routines, result.lock.routines)
    # Channels and frozen entries are the lock's own (never compiled): read_lock checked them.
    result.lock.rollout = {n: r for n, r in locked.rollout.items() if n in result.lock.routines}
    result.lock.generated = dict(locked.generated)
    outcome.diagnostics.extend(generated_findings(config, locked))
    outcome.diagnostics.extend(gates.edge_diagnostics(result.lock, config))
    outcome.diagnostics.extend(gates.rollout_edge_diagnostics(result.lock, config))
    outcome.diagnostics.extend(gates.breaking_changes(locked, result.lock, config, for_lock=False))
    outcome.lock_blockers = gates.lock_blockers(outcome.diagnostics)
    compiled = result.lock.to_bytes()
    if outcome.exit_code == 0 and _lock_bytes_are(config, compiled):
        # The lock on disk is exactly what this compile writes: the next verify may trust it.
        _remember_lock(config, result.summary, result.cache, compiled)
    return outcome


def generated_findings(config: Config, locked: Lock | None) -> list[Diagnostic]:
    """`generated-stale` / `workflow-stale` findings for the files the lock records as
    generated from it, and for triggered routines' workflows it does not record
    (`routinec.client.stale`). `locked` None: read the lock only if it records any or has a
    routine with triggers (the lock's canonical bytes put the top-level `generated` table
    before `routines`)."""
    if locked is None:
        try:
            data = config.lock_path.read_bytes()
        except OSError:
            return []
        head = data[:4096]  # "generated" sorts right after "format_version"
        if b'\n  "generated": ' not in head.split(b'\n  "routines": ')[0] and b'"triggers": ' not in data:
            return []
        try:
            locked = read_lock(config.lock_path)
        except DiagnosticError as exc:
            return list(exc.diagnostics)
    if not locked.generated and not any(entry.triggers for entry in locked.routines.values()):
        return []
    from routinec.client import stale

    return stale(config, locked)


def _lock_bytes_are(config: Config, expected: bytes) -> bool:
    try:
        return config.lock_path.read_bytes() == expected
    except OSError:
        return False
