"""DSSE signing (`routinec[sign]`): real Ed25519 and ECDSA keys made with pyca/cryptography,
envelopes written and checked through the CLI; a payload changed after signing, another key,
or a bad key file each give their own diagnostic; without securesystemslib, missing-extra."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from tests.runtime.conftest import cli_env, run_cli, snapshot


def _keys(tmp_path: Path, name: str, kind: str = "ed25519") -> tuple[Path, Path]:
    private = ed25519.Ed25519PrivateKey.generate() if kind == "ed25519" else ec.generate_private_key(ec.SECP256R1())
    key, pub = tmp_path / f"{name}.pem", tmp_path / f"{name}.pub"
    key.write_bytes(private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    pub.write_bytes(private.public_key().public_bytes(serialization.Encoding.PEM,
                                                      serialization.PublicFormat.SubjectPublicKeyInfo))
    return key, pub


@pytest.mark.parametrize("kind", ["ed25519", "ecdsa"])
def test_sign_and_verify(project: Path, recorded: dict[str, dict[str, Any]], tmp_path: Path, kind: str) -> None:
    run_id = str(recorded["small_fix"]["run_id"])
    key, pub = _keys(tmp_path, "signer", kind)
    out = tmp_path / "run.dsse.json"
    done = run_cli(project, "attest", run_id, "--sign", str(key), "-o", str(out))
    assert done.returncode == 0, (done.stdout + done.stderr)
    envelope = json.loads(out.read_text())
    assert envelope["payloadType"] == "application/vnd.in-toto+json"
    assert len(envelope["signatures"]) == 1
    statement = json.loads(base64.b64decode(envelope["payload"]))
    plain = json.loads(run_cli(project, "attest", run_id).stdout)
    assert statement == plain
    assert b"PRIVATE KEY" not in out.read_bytes()

    checked = run_cli(project, "attest", "--verify", str(out), "--key", str(pub))
    assert checked.returncode == 0, (checked.stdout + checked.stderr)
    assert "signature verified" in checked.stdout
    unchecked = run_cli(project, "attest", "--verify", str(out))
    assert unchecked.returncode == 0 and "signature was not checked" in (unchecked.stdout + unchecked.stderr)

    _, other_pub = _keys(tmp_path, "other")
    wrong = run_cli(project, "attest", "--verify", str(out), "--key", str(other_pub))
    assert wrong.returncode == 1 and "[attest-signature]" in (wrong.stdout + wrong.stderr) and "no signature by key" in (wrong.stdout + wrong.stderr)

    # The statement changed after signing, its digest made to agree with the ledger again:
    # the content checks pass, the signature does not.
    statement["predicate"]["runDetails"]["builder"]["id"] = "urn:routinec:builder:evil"
    forged = dict(envelope, payload=base64.b64encode(json.dumps(statement).encode()).decode())
    path = tmp_path / "forged.dsse.json"
    path.write_text(json.dumps(forged))
    bad = run_cli(project, "attest", "--verify", str(path), "--key", str(pub))
    assert bad.returncode == 1
    assert "[attest-signature]" in (bad.stdout + bad.stderr) and "does not match the payload" in (bad.stdout + bad.stderr)
    assert "runDetails.builder.id" in (bad.stdout + bad.stderr)  # and the field that differs from the ledger


def test_deterministic_ed25519_envelope(project: Path, recorded: dict[str, dict[str, Any]], tmp_path: Path) -> None:
    key, _ = _keys(tmp_path, "signer")
    run_id = str(recorded["typo"]["run_id"])
    first = run_cli(project, "attest", run_id, "--sign", str(key))
    second = run_cli(project, "attest", run_id, "--sign", str(key))
    assert first.returncode == 0 and first.stdout == second.stdout


def test_bad_keys(project: Path, recorded: dict[str, dict[str, Any]], tmp_path: Path) -> None:
    run_id = str(recorded["typo"]["run_id"])
    junk = tmp_path / "junk.pem"
    junk.write_text("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
    out = tmp_path / "never.json"
    before = snapshot(project, ledger=True)
    done = run_cli(project, "attest", run_id, "--sign", str(junk), "-o", str(out))
    assert done.returncode == 2 and "[invalid-key]" in (done.stdout + done.stderr) and "openssl genpkey" in (done.stdout + done.stderr)
    assert "Traceback" not in (done.stdout + done.stderr) and not out.exists()
    key, _ = _keys(tmp_path, "k")
    signed = tmp_path / "s.json"
    assert run_cli(project, "attest", run_id, "--sign", str(key), "-o", str(signed)).returncode == 0
    swapped = run_cli(project, "attest", "--verify", str(signed), "--key", str(key))  # a private key as --key
    assert swapped.returncode == 2 and "[invalid-key]" in (swapped.stdout + swapped.stderr)
    assert snapshot(project, ledger=True) == before


def test_missing_sign_extra(project: Path, recorded: dict[str, dict[str, Any]], tmp_path: Path) -> None:
    shadow = tmp_path / "shadow" / "securesystemslib"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text('raise ImportError("securesystemslib is not installed (test shadow)")\n')
    key, _ = _keys(tmp_path, "k")
    out = tmp_path / "never.json"
    done = run_cli(project, "attest", str(recorded["typo"]["run_id"]), "--sign", str(key), "-o", str(out),
                   env=cli_env(PYTHONPATH=str(shadow.parent)))
    assert done.returncode == 2, (done.stdout + done.stderr)
    assert "[missing-extra]" in (done.stdout + done.stderr) and "pip install '.[sign]'" in (done.stdout + done.stderr)
    assert "Traceback" not in (done.stdout + done.stderr) and not out.exists()
    plain = run_cli(project, "attest", str(recorded["typo"]["run_id"]), env=cli_env(PYTHONPATH=str(shadow.parent)))
    assert plain.returncode == 0  # an unsigned statement needs no extra
