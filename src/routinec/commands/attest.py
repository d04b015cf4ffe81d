"""Application layer: `routinec attest RUN_ID` and `routinec attest --verify FILE`.

In: a `Config`, a run id (or a statement / DSSE envelope file) and optional key files. Out:
the statement's bytes (canonical, sorted keys: attesting a run twice gives the same file;
an Ed25519 envelope too), or the diagnostics a check found: `attest-mismatch` per field
that differs from the ledger or the lock and `attest-signature` (exit 1), `attest-invalid`,
`unknown-run`, `foreign-run`, `not-attestable`, `invalid-key`, `missing-extra` (exit 2).
The ledger is only read: a project without one is `unknown-run`, and no file is created.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from routinec.canonical import canonical_bytes, dumps_pretty, loads
from routinec.codes import Code
from routinec.diagnostics import Diagnostic, DiagnosticError, Severity, Span

if TYPE_CHECKING:
    from routinec.config import Config
    from routinec.ledger.api import Ledger

__all__ = ["Checked", "attest_run", "verify_file"]


@dataclass
class Checked:
    run_id: str
    subject: str  # the output digest the statement names
    signed: bool  # the file was a DSSE envelope
    signature: str  # verified | not checked | failed
    diagnostics: list[Diagnostic] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _open_ledger(config: Config) -> Ledger:
    from routinec.ledger.api import Ledger, ledger_exists, ledger_name

    if not ledger_exists(config):  # a SQLite file that is not there (a server is always tried)
        raise DiagnosticError([Diagnostic(
            Code.UNKNOWN_RUN, Severity.ERROR, f"this project has no run ledger ({ledger_name(config)})",
            None, "live and record runs write it; a run of another project is in that project's ledger",
        )])
    return Ledger.open(config=config)


def attest_run(config: Config, run_id: str, *, sign: Path | None = None) -> bytes:
    """The statement for `run_id` as pretty canonical JSON, or a DSSE envelope around its
    compact canonical bytes when `sign` names a private key."""
    from routinec.provenance.build import build_statement

    with _open_ledger(config) as ledger:
        run = ledger.run(run_id)
    statement = build_statement(config, run).to_json()
    if sign is None:
        return dumps_pretty(statement).encode("utf-8")
    from routinec.provenance.dsse import sign_statement

    return dumps_pretty(sign_statement(canonical_bytes(statement), sign)).encode("utf-8")


def _invalid(path: Path, reason: str) -> DiagnosticError:
    return DiagnosticError([Diagnostic(
        Code.ATTEST_INVALID, Severity.ERROR, reason, Span(str(path)),
        "pass a file written by 'routinec attest RUN_ID [--sign KEY]'",
    )])


def _read(path: Path) -> Any:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise _invalid(path, f"cannot read the file: {exc.strerror}") from None
    try:
        return loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise _invalid(path, f"not JSON ({type(exc).__name__}: {str(exc).splitlines()[0][:100]})") from None


def verify_file(config: Config, path: Path, *, key: Path | None = None) -> Checked:
    from routinec.provenance.dsse import is_envelope, read_envelope, verify_envelope
    from routinec.provenance.statement import BadStatement, Statement
    from routinec.provenance.verify import verify_statement

    data = _read(path)
    envelope = None
    if is_envelope(data):
        try:
            envelope = read_envelope(data)
            data = loads(envelope.payload.decode("utf-8"))
        except (ValueError, UnicodeDecodeError, RecursionError) as exc:
            raise _invalid(path, f"not a DSSE envelope routinec reads: {str(exc).splitlines()[0][:120]}") from None
    elif key is not None:
        raise DiagnosticError([Diagnostic(
            Code.CONFIG, Severity.ERROR, "--key checks a DSSE envelope's signature, and this file is a bare statement",
            Span(str(path)), "drop --key, or verify the envelope written by 'routinec attest RUN_ID --sign KEY'",
        )])
    try:
        statement = Statement.from_json(data)
    except BadStatement as exc:
        raise _invalid(path, f"not a routinec provenance statement: {exc}") from None
    signature = "not checked"
    problems: list[Diagnostic] = []
    if envelope is not None and key is not None:
        why = verify_envelope(envelope, key)
        signature = "verified" if why is None else "failed"
        if why is not None:
            problems.append(Diagnostic(Code.ATTEST_SIGNATURE, Severity.ERROR, why, Span(str(path)),
                                       "the file was altered after signing, or signed with another key"))
    with _open_ledger(config) as ledger:
        run = ledger.run(statement.invocation_id)
    result = verify_statement(config, statement, run, data)
    for finding in result.findings:
        problems.append(Diagnostic(Code.ATTEST_MISMATCH, Severity.ERROR, finding.message(), Span(str(path)),
                                   None))
    notes = list(result.notes)
    if envelope is not None and key is None:
        notes.append("the envelope's signature was not checked: pass --key PUBKEY")
    subject = statement.subject[0].digest.get("sha256", "")
    return Checked(run.run_id, subject, envelope is not None, signature, problems, notes)
