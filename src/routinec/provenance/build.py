"""Provenance layer: build the SLSA provenance statement of one run.

In: a `Config` and a ledger `RunRecord`. Out: a `Statement` (subject: the run's output
digest; resolved dependencies: the lock file and git commit, the pinned model, the prompt
and schema hashes of the lock entry the run used; byproducts: the transcript the run wrote or
replayed, when the file still belongs to it, and the response id). Nothing here reads the
clock, so the same run attests to the same bytes. A run without a validated output is
`not-attestable` (exit 2).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from routinec.canonical import digest_bytes, loads
from routinec.codes import Code
from routinec.diagnostics import Diagnostic, DiagnosticError, Severity
from routinec.provenance.entries import FoundEntry, find_entry, git_remote
from routinec.provenance.statement import (
    ExternalParameters,
    InternalParameters,
    ResourceDescriptor,
    Statement,
    builder_id,
    hex_of,
)
from routinec.runtime.transcript import transcript_path

if TYPE_CHECKING:
    from routinec.config import Config
    from routinec.ledger.model import RunRecord

__all__ = ["MODEL_URI", "Transcript", "build_statement", "find_transcript", "subject_name"]

MODEL_URI = "https://api.anthropic.com/v1/models/{snapshot}"


@dataclass(frozen=True, slots=True)
class Transcript:
    path: str  # project-relative
    digest: str  # sha256:<hex> of the file's bytes


def subject_name(run: RunRecord) -> str:
    return f"{run.routine}.v{run.version}.output.json"


def find_transcript(config: Config, run: RunRecord) -> Transcript | None:
    """The transcript a record (or replay) run of a test case wrote or read, if the file at
    its path is still that run's: same request hash and, when known, the same response id.
    A file re-recorded since is another run's byproduct and is left out."""
    if run.case is None or run.mode not in ("record", "replay"):
        return None
    path = transcript_path(config.golden_path, run.routine, run.case)
    try:
        raw = path.read_bytes()
        data = loads(raw.decode("utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError):
        return None
    if not isinstance(data, dict) or data.get("request_hash") != run.request_hash:
        return None
    responses = data.get("responses")
    last = responses[-1] if isinstance(responses, list) and responses else None
    said = last.get("id") if isinstance(last, dict) else None
    if run.response_id is not None and said != run.response_id:
        return None
    return Transcript(path.relative_to(config.root).as_posix(), digest_bytes(raw))


def _sha(value: str | None) -> dict[str, str]:
    hexed = hex_of(value)
    return {"sha256": hexed} if hexed else {}


def dependencies(config: Config, run: RunRecord, found: FoundEntry) -> tuple[ResourceDescriptor, ...]:
    entry = found.entry
    lock_name = config.lock_path.relative_to(config.root).as_posix()
    out = []
    if run.lock_digest is not None:
        out.append(ResourceDescriptor(lock_name, digest=_sha(run.lock_digest), annotations={"entryHash": run.entry_hash}))
    if run.git_commit is not None:
        remote = git_remote(config.root)
        out.append(ResourceDescriptor("git", uri=f"git+{remote}@{run.git_commit}" if remote else None,
                                      digest={"gitCommit": run.git_commit}))
    out.append(ResourceDescriptor("model", uri=MODEL_URI.format(snapshot=run.model_snapshot),
                                  annotations={"alias": run.model_alias, "snapshot": run.model_snapshot}))
    out.append(ResourceDescriptor("prompt", digest=_sha(entry.prompt.hash)))
    out.append(ResourceDescriptor("input_schema", digest=_sha(entry.input_schema_hash)))
    out.append(ResourceDescriptor("output_schema", digest=_sha(entry.output_schema_hash)))
    return tuple(out)


def byproducts(config: Config, run: RunRecord) -> tuple[ResourceDescriptor, ...]:
    out = []
    transcript = find_transcript(config, run)
    if transcript is not None:
        out.append(ResourceDescriptor("transcript", uri=transcript.path, digest=_sha(transcript.digest)))
    if run.response_id is not None:
        notes: dict[str, Any] = {"servedModel": run.served_model, "stopReason": run.stop_reason,
                                 "requestId": run.request_id, "usage": {"inputTokens": run.input_tokens,
                                                                        "outputTokens": run.output_tokens}}
        out.append(ResourceDescriptor("response", uri=f"urn:anthropic:message:{run.response_id}",
                                      annotations={k: v for k, v in notes.items() if v is not None}))
    return tuple(out)


def build_statement(config: Config, run: RunRecord) -> Statement:
    if run.output_digest is None:
        raise DiagnosticError([Diagnostic(
            Code.NOT_ATTESTABLE, Severity.ERROR,
            f"run {run.run_id} has no validated output to attest (status {run.status})",
            None, "attest a run whose status is ok ('routinec ledger ls --status ok')",
        )])
    found = find_entry(config, run)
    return Statement(
        subject=(ResourceDescriptor(subject_name(run), digest=_sha(run.output_digest)),),
        external=ExternalParameters(run.routine, run.version, run.case, run.mode, run.input_digest),
        internal=InternalParameters(run.entry_hash, run.params_digest, run.request_hash, run.model_alias,
                                    run.output_schema_hash, run.routinec_version),
        dependencies=dependencies(config, run, found),
        builder=builder_id(run.invoker),
        builder_version={"routinec": run.routinec_version},
        invocation_id=run.run_id,
        started_on=run.started_at,
        finished_on=run.ended_at,
        byproducts=byproducts(config, run),
    )
