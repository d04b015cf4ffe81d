"""ProjectFiles.normalise resolves each directory once, with string operations; it must give
exactly what resolving every path with realpath and pathlib gives (the reference below), on
paths with ".", "..", doubled slashes, backslashes, and symlinks to files and directories that
stay inside the project or leave it."""

from __future__ import annotations

import os
import posixpath
from decimal import Decimal
from pathlib import Path, PurePosixPath

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from routinec.canonical import source_digest
from routinec.compiler.files import FileError, ProjectFiles
from routinec.diagnostics import Span


def _reference(root: Path, written: str) -> tuple[str, str | None] | str:
    """(rel, link) or the error kind, computed the slow, obvious way."""
    pure = PurePosixPath(written.replace("\\", "/"))
    if not written.strip():
        return "missing-file"
    if pure.is_absolute() or (len(written) > 1 and written[1] == ":"):
        return "path-escape"
    resolved = Path(os.path.realpath(root / pure))
    if resolved != root and root not in resolved.parents:
        return "path-escape"
    rel = resolved.relative_to(root).as_posix()
    lexical = posixpath.normpath(pure.as_posix())
    return rel, (rel if lexical != rel and not lexical.startswith("..") else None)


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("paths")
    root = (base / "project").resolve()
    outside = base / "outside"
    for d in ("a/b/c", "prompts", "golden/r1"):
        (root / d).mkdir(parents=True)
    outside.mkdir()
    (outside / "secret.txt").write_text("x")
    (root / "a/b/c/f.j2").write_text("x")
    (root / "prompts/p.j2").write_text("x")
    os.symlink(root / "a/b", root / "link_dir")  # a directory link inside
    os.symlink(root / "prompts/p.j2", root / "a/link_file.j2")  # a file link inside
    os.symlink(outside, root / "out_dir")  # a directory link leaving the project
    os.symlink(outside / "secret.txt", root / "prompts/out.j2")  # a file link leaving it
    os.symlink("../..", root / "a/b/up2")  # a relative link upwards
    return root


_PARTS = st.sampled_from(["a", "b", "c", "f.j2", "prompts", "p.j2", "link_dir", "link_file.j2", "out_dir",
                          "secret.txt", "out.j2", "up2", "golden", "r1", "..", ".", "", "missing"])


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(_PARTS, min_size=1, max_size=6), st.sampled_from(["/", "\\", "//"]), st.booleans())
def test_normalise_agrees_with_realpath(tree: Path, parts: list[str], sep: str, trailing: bool) -> None:
    _agrees(ProjectFiles(tree), tree, sep.join(parts) + (sep if trailing else ""))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.lists(_PARTS, min_size=1, max_size=5).map("/".join), min_size=1, max_size=8))
def test_one_project_files_agrees_with_realpath_on_every_path_every_time(tree: Path, paths: list[str]) -> None:
    # A compile normalises many paths, some of them more than once, on one ProjectFiles:
    # what it remembers between calls must not change any answer.
    files = ProjectFiles(tree)
    for written in paths + paths:
        _agrees(files, tree, written)


def _agrees(files: ProjectFiles, tree: Path, written: str) -> None:
    """`files.normalise(written)` gives what `_reference` (realpath) says: the same error code,
    or the same relative path and the same symlink noted."""
    expected = _reference(tree, written)
    try:
        rel = files.normalise(written, Span("x.routine"), "prompt")
    except FileError as exc:
        assert exc.diagnostic.code == expected, (written, exc.diagnostic.message)
        return
    assert (rel, files.links.get(posixpath.normpath(written.replace("\\", "/")))) == expected, written


def _read_error(files: ProjectFiles, written: str, how: str = "read_bytes") -> tuple[str, str, str | None]:
    with pytest.raises(FileError) as caught:
        getattr(files, how)(written, Span("specs/a.routine", 3, 5), "prompt")
    d = caught.value.diagnostic
    return str(d.code), d.message, d.help


def test_reads_and_their_diagnostics(tree: Path) -> None:
    (tree / "golden/r1/in.json").write_bytes(b'{"n": 1.50}')
    (tree / "golden/r1/crlf.j2").write_bytes(b"a\r\nb\r\n")
    (tree / "golden/r1/latin1.j2").write_bytes(b"caf\xe9")
    (tree / "golden/r1/bad.json").write_bytes(b'{"n": ')
    files = ProjectFiles(tree)
    rel, data = files.read_bytes("a/b/c/f.j2", Span("x"), "prompt")
    assert (rel, data) == ("a/b/c/f.j2", b"x")
    assert files.read_bytes("./a//b/c/f.j2", Span("x"), "prompt")[1] is data  # read once
    assert files.read_text("golden/r1/crlf.j2", Span("x"), "prompt") == ("golden/r1/crlf.j2", "a\nb\n")
    assert files.read_json("golden/r1/in.json", Span("x"), "test input") == ("golden/r1/in.json", {"n": Decimal("1.50")})
    assert files.digest("golden/r1/crlf.j2") == source_digest(b"a\nb\n")
    # Through a link: the file is its target, and the written path is remembered as a source.
    assert files.read_text("a/link_file.j2", Span("x"), "prompt") == ("prompts/p.j2", "x")
    assert files.links["a/link_file.j2"] == "prompts/p.j2"
    assert _read_error(files, "prompts/nope.j2") == (
        "missing-file", "prompt file 'prompts/nope.j2' does not exist",
        "create prompts/nope.j2, or fix the path (relative to the project root)",
    )
    assert _read_error(files, "a/b/c/f.j2/x")[:2] == ("missing-file", "prompt file 'a/b/c/f.j2/x' does not exist")
    assert _read_error(files, "golden/r1")[:2] == ("missing-file", "prompt path 'golden/r1' is a directory")
    assert _read_error(files, "a/b/..")[:2] == ("missing-file", "prompt path 'a/b/..' is a directory")
    assert _read_error(files, "prompts/out.j2")[:2] == ("path-escape", "prompt path 'prompts/out.j2' leaves the project root")
    assert _read_error(files, "golden/r1/latin1.j2", "read_text")[:2] == (
        "encoding", "prompt file golden/r1/latin1.j2 is not UTF-8 (byte 0xe9 at offset 3)",
    )
    assert _read_error(files, "golden/r1/bad.json", "read_json")[0] == "invalid-json"
    # A failed path is checked again each time, with the span of that use.
    assert _read_error(files, "prompts/nope.j2") == _read_error(files, "prompts/nope.j2")
