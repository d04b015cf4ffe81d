"""CLI layer: `routinec attest RUN_ID [-o FILE] [--sign KEY]` and `routinec attest --verify
FILE [--key PUBKEY]`. Parse flags, call routinec.commands.attest, write or render, exit
(0 ok; 1 a statement that disagrees with the ledger or the lock, a bad signature; 2 bad
input: unknown run, another project's run, a run with no output, a bad file or key)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from routinec.cli.options import (
    emit,
    guard,
    load_or_exit,
    log,
    output_options,
    project_option,
    summary_extra,
)

__all__ = ["attest"]


@click.command(
    epilog="""\b
Examples:
  routinec attest 0193…c1 -o run.intoto.json
  routinec attest 0193…c1 --sign key.pem -o run.dsse.json
  routinec attest --verify run.dsse.json --key key.pub

\b
The statement is an in-toto Statement v1 with a SLSA provenance v1 predicate: subject = the
output's sha256, dependencies = lock file, git commit, model, prompt and schema hashes
(docs/provenance.md). --verify exits 1 when a field disagrees with the ledger or the lock."""
)
@click.argument("run_id", required=False)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the statement here (atomically) instead of stdout.")
@click.option("--sign", "sign", type=click.Path(dir_okay=False, exists=True, path_type=Path), default=None,
              help="Wrap the statement in a DSSE envelope signed with this PEM private key (routinec[sign]).")
@click.option("--verify", "verify", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Check a statement or envelope against the ledger and routines.lock instead.")
@click.option("--key", "key", type=click.Path(dir_okay=False, exists=True, path_type=Path), default=None,
              help="With --verify: the PEM public key the envelope's signature must verify with.")
@output_options(("text", "json"))
@project_option
@guard
def attest(run_id: str | None, output: Path | None, sign: Path | None, verify: Path | None, key: Path | None,
           fmt: str, project: Path | None) -> None:
    """Write (or check) the SLSA provenance of a run in the ledger."""
    if verify is not None:
        if run_id is not None or output is not None or sign is not None:
            raise click.UsageError("--verify FILE takes no RUN_ID, -o or --sign")
        _verify(verify, key, fmt, project)
        return
    if run_id is None:
        raise click.UsageError("give a RUN_ID to attest (see 'routinec ledger ls'), or --verify FILE")
    if key is not None:
        raise click.UsageError("--key goes with --verify; to sign, use --sign PRIVATE_KEY")
    from routinec.canonical import atomic_write
    from routinec.commands.attest import attest_run

    config = load_or_exit(project, fmt)
    data = attest_run(config, run_id, sign=sign)
    if output is not None:
        atomic_write(output, data)
    if fmt == "json":
        # JSON lines like every command: the statement (or where it went), then the summary.
        import hashlib

        record: dict[str, object] = {
            "kind": "statement", "run_id": run_id, "signed": sign is not None,
            "path": str(output) if output is not None else None, "sha256": hashlib.sha256(data).hexdigest(),
        }
        if output is None:
            record["document"] = json.loads(data)
        click.echo(json.dumps(record, sort_keys=True))
        return
    if output is None:
        # The default: the statement's own canonical bytes, so `> run.intoto.json` is the file -o writes.
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    log(f"wrote {output}")


def _verify(path: Path, key: Path | None, fmt: str, project: Path | None) -> None:
    from routinec.commands.attest import verify_file
    from routinec.diagnostics import exit_code_for

    config = load_or_exit(project, fmt)
    checked = verify_file(config, path, key=key)
    code = exit_code_for(checked.diagnostics)
    if fmt == "json":
        # JSON lines: the attestation checked, one record per finding, then the summary record.
        click.echo(json.dumps({
            "kind": "attestation", "run_id": checked.run_id, "subject_sha256": checked.subject,
            "signed": checked.signed, "signature": checked.signature, "ok": code == 0, "notes": checked.notes,
        }, sort_keys=True))
        emit(checked.diagnostics, "json", project)
        summary_extra(verified=code == 0)
    else:
        emit(checked.diagnostics, "text", project)
        for note in checked.notes:
            click.echo(f"note: {note}", err=True)
        if code == 0:
            signed = f"; signature {checked.signature}" if checked.signed else ""
            click.echo(f"verified: run {checked.run_id}, output sha256:{checked.subject} matches the ledger "
                       f"and the lock{signed}")
        else:
            click.echo(f"{len(checked.diagnostics)} problem(s) in {path}", err=True)
    sys.exit(code)
