"""Application layer: `routinec compat --against REF`, the project against a locked past.

In: a Config and a git ref. Out: findings per routine (output schemas compared in the OUT
direction, input schemas in the IN direction) and broken consumer edges, read from the
lockfile at REF with `git show REF:routines.lock`. Nothing here prints.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from routinec.canonical import loads
from routinec.codes import Code
from routinec.compiler.build import build
from routinec.config import Config
from routinec.diagnostics import Diagnostic, DiagnosticError, Severity
from routinec.lockfile import FORMAT_VERSION, LockEntry

__all__ = ["AgainstResult", "RoutineFinding", "against"]

_LEVELS = {"INFO": 0, "WARN": 1, "ERR": 2}


@dataclass(frozen=True)
class RoutineFinding:
    routine: str
    source: str
    direction: str  # out | in | edge | routine
    level: str
    rule_id: str
    path: str
    message: str
    bumped: bool = False
    counterexample: Any = None
    consumer: str | None = None

    def text(self) -> str:
        where = f" (producer-output; breaks consumer {self.consumer})" if self.consumer else (
            " (producer-output)" if self.direction == "out" else " (consumer-input)" if self.direction == "in" else ""
        )
        bump = " [version bumped]" if self.bumped else ""
        return f"{self.source}:{self.path}: {self.level} [{self.rule_id}] {self.routine}: {self.message}{where}{bump}"

    def to_json(self) -> dict[str, Any]:
        return {
            "routine": self.routine, "source": self.source, "direction": self.direction,
            "level": self.level, "rule_id": self.rule_id, "path": self.path, "message": self.message,
            "version_bumped": self.bumped, "counterexample": self.counterexample, "consumer": self.consumer,
        }


@dataclass
class AgainstResult:
    ref: str
    findings: list[RoutineFinding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    compared: int = 0
    missing: bool = False  # the ref has no lockfile (exit 2 unless --allow-missing)
    # The project root relative to the repository root ("" when they are the same): CI
    # annotations name files from the repository root.
    repo_prefix: str = ""

    def repo_path(self, source: str) -> str:
        return f"{self.repo_prefix}/{source}" if self.repo_prefix else source

    def blocking(self, fail_on: str = "ERR") -> list[RoutineFinding]:
        """The findings that fail the run: at or above `fail_on`, not released as a new version."""
        threshold = _LEVELS[fail_on]
        return [f for f in self.findings if _LEVELS[f.level] >= threshold and not (f.bumped and f.direction in ("out", "in"))]

    def exit_code(self, fail_on: str = "ERR") -> int:
        return 1 if self.blocking(fail_on) else 0


def _bad(message: str, hint: str | None = None) -> DiagnosticError:
    return DiagnosticError([Diagnostic(Code.CONFIG, Severity.ERROR, message, None, hint)])


def _git(root: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(["git", "-C", str(root), *args], capture_output=True, check=False, timeout=60)
    except FileNotFoundError:
        raise _bad("git is not installed", "install git, or compare schema files with 'routinec compat diff'") from None


def repo_prefix(config: Config) -> str:
    top = _git(config.root, "rev-parse", "--show-toplevel")
    if top.returncode != 0:
        return ""
    rel = config.root.resolve().relative_to(Path(top.stdout.decode().strip()).resolve()).as_posix()
    return "" if rel == "." else rel


def locked_at(config: Config, ref: str) -> dict[str, LockEntry] | None:
    """The lockfile as committed at `ref`, or None when that commit has none."""
    top = _git(config.root, "rev-parse", "--show-toplevel")
    if top.returncode != 0:
        raise _bad(f"{config.root} is not inside a git repository", "--against reads routines.lock from git history")
    toplevel = Path(top.stdout.decode().strip()).resolve()
    rel = config.lock_path.resolve().relative_to(toplevel).as_posix()
    if _git(config.root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}").returncode != 0:
        shallow = _git(config.root, "rev-parse", "--is-shallow-repository").stdout.decode().strip() == "true"
        hint = (
            "this is a shallow clone; fetch more history first, e.g. 'git fetch --deepen=50' "
            "(or a named branch: 'git fetch origin main:main')"
            if shallow else "check the branch, tag or commit name"
        )
        raise _bad(f"unknown git revision {ref!r}", hint)
    shown = _git(config.root, "show", f"{ref}:{rel}")
    if shown.returncode != 0:
        return None
    try:
        data = loads(shown.stdout.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise _bad(f"{rel} at {ref} is not valid JSON ({str(exc)[:80]})") from None
    if not isinstance(data, dict) or not isinstance(data.get("routines"), dict):
        raise _bad(f"{rel} at {ref} is not a routinec lockfile")
    if int(data.get("format_version", 0)) > FORMAT_VERSION:
        raise _bad(f"{rel} at {ref} was written by a newer routinec", "upgrade routinec")
    routines: dict[str, LockEntry] = {}
    for name, entry in sorted(data["routines"].items()):
        try:
            routines[name] = LockEntry.from_json(entry, name, path=f"{rel} at {ref}")
        except DiagnosticError as exc:
            raise _bad(exc.diagnostics[0].message + f" ({rel} at {ref})") from None
    return routines


def _example_for(report: Any, finding: Any) -> Any:
    """The report's counterexample belongs to one finding (same rule and path) only."""
    example = report.counterexample
    if example is None or (example.rule_id, example.path) != (finding.rule_id, finding.path):
        return None
    return example.value


def against(config: Config, ref: str, *, policy: str = "default") -> AgainstResult:
    from routinec.compat import SchemaError, accepts, compare

    old = locked_at(config, ref)
    result = AgainstResult(ref, repo_prefix=repo_prefix(config))
    if old is None:
        result.missing = True
        return result
    built = build(config)
    if built.lock is None:
        raise DiagnosticError(built.errors)
    new = built.lock.routines
    for name in sorted(set(old) - set(new)):
        result.findings.append(RoutineFinding(
            name, old[name].source, "routine", "ERR", "routine-removed", "#",
            f"routine removed (was v{old[name].version}); its readers lose their producer",
        ))
    for name in sorted(set(new) - set(old)):
        result.notes.append(f"{name}: new routine (v{new[name].version})")
    for name in sorted(set(old) & set(new)):
        before, after = old[name], new[name]
        result.compared += 1
        bumped = after.version > before.version
        source = after.source
        for key, direction in (("output_schema", "out"), ("input_schema", "in")):
            try:
                report = compare(getattr(before, key), getattr(after, key), direction=direction, policy=policy, validate=False)
            except (SchemaError, KeyError) as exc:
                raise _bad(f"{name}: cannot compare {key} with {ref}: {exc}") from None
            for f in report.findings:
                if f.level.value == "INFO":
                    continue
                result.findings.append(RoutineFinding(
                    name, source, direction, f.level.value, f.rule_id, f.path, f.message, bumped,
                    _example_for(report, f),
                ))
        for consumer in after.consumers:
            report = accepts(after.output_schema, consumer.schema, policy=policy, validate=False)
            for f in report.findings:
                if f.level.value != "INFO":
                    result.findings.append(RoutineFinding(
                        name, source, "edge", f.level.value, f.rule_id, f.path, f.message, False,
                        _example_for(report, f), consumer.name,
                    ))
    return result


