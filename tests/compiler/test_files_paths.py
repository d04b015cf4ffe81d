"""ProjectFiles.normalise resolves each directory once, with string operations; it must give
exactly what resolving every path with realpath and pathlib gives (the reference below), on
paths with ".", "..", doubled slashes, backslashes, and symlinks to files and directories that
stay inside the project or leave it."""

from __future__ import annotations

import os
import posixpath
from pathlib import Path, PurePosixPath

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

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
    written = sep.join(parts) + (sep if trailing else "")
    files = ProjectFiles(tree)
    expected = _reference(tree, written)
    try:
        rel = files.normalise(written, Span("x.routine"), "prompt")
    except FileError as exc:
        assert exc.diagnostic.code == expected, (written, exc.diagnostic.message)
        return
    assert not isinstance(expected, str) or expected == rel, (written, expected, rel)
    assert (rel, files.links.get(posixpath.normpath(written.replace("\\", "/")))) == expected, written
