"""Bad input, end to end through `python -m routinec` in a subprocess.

Each case: the documented exit code (DESIGN "CLI contract": 1 a check found problems, 2 bad
input), a located message (`path:line:col:`) or a one-line reason with `help:`, never a
traceback, and the lockfile byte-identical before and after — for `lock` too.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from tests.helpers import run_cli, snapshot, write_project

GOOD = """\
routine greet v1 {
  model "claude-haiku-4-5"
  max_tokens 256
  prompt file "specs/prompts/greet.j2"
  input { name: string }
  output { greeting: string }
}
"""
PROMPT = "Say hello to {{ name }}.\n"
LOCATED = re.compile(r"^specs/[\w./-]+:\d+:\d+: error: .+  \[[a-z-]+\]$", re.MULTILINE)


@pytest.fixture(scope="module")
def locked_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = write_project(
        tmp_path_factory.mktemp("template") / "p",
        {"specs/greet.routine": GOOD, "specs/prompts/greet.j2": PROMPT},
    )
    result = run_cli("lock", cwd=root)
    assert result.code == 0, result.output
    return root


@pytest.fixture
def project(locked_template: Path, tmp_path: Path) -> Path:
    dest = tmp_path / "p"
    shutil.copytree(locked_template, dest)
    return dest


def assert_clean_failure(root: Path, command: str, code: int, *, located: bool = True) -> str:
    """Run `command`; check exit code, message shape, no traceback, nothing on disk changed."""
    before = snapshot(root)
    result = run_cli(command, cwd=root)
    out = result.output
    assert result.code == code, f"{command}: exit {result.code}\n{out}"
    assert "Traceback" not in out
    assert "internal error" not in out
    if located:
        assert LOCATED.search(result.output), f"{command}: no located message\n{out}"
    else:
        assert re.search(r"^.+: error: .+  \[[a-z-]+\]$", result.output, re.MULTILINE), out
        assert "  help: " in result.output, out
    assert snapshot(root) == before, f"{command} changed files on disk"
    return result.output


def break_all_three(root: Path, code: int = 2, *, verify: bool = False) -> str:
    """check and lock (and verify, when asked) refuse the broken project; returns check's stderr.

    verify runs the same compiler as lock, so it is exercised on a few cases only (suite time).
    """
    text = assert_clean_failure(root, "check", code)
    assert_clean_failure(root, "lock", code)
    if verify:
        assert_clean_failure(root, "verify", code)
    return text


def test_empty_file_is_an_empty_spec(project: Path) -> None:
    (project / "specs" / "empty.routine").write_bytes(b"")
    before = snapshot(project)
    for command in ("check", "lock", "verify"):
        result = run_cli(command, cwd=project)
        assert result.code == 0, result.output
        assert "Traceback" not in result.output
    assert snapshot(project) == before


def test_only_an_empty_spec(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", {"specs/empty.routine": ""})
    result = run_cli("check", cwd=root)
    assert result.code == 0, result.output
    assert "checked 0 routines: 0 errors, 0 warnings" in result.output


def test_binary_file(project: Path) -> None:
    (project / "specs" / "blob.routine").write_bytes(bytes(range(256)) * 4)
    text = break_all_three(project)
    # line 2 starts after byte 0x0a; 0x80 (offset 128) is the first byte that is not UTF-8
    assert "specs/blob.routine:2:118: error: the file is not UTF-8 (byte 0x80)  [encoding]" in text


def test_nul_bytes_in_utf8_text(project: Path) -> None:
    (project / "specs" / "nul.routine").write_bytes(b"routine r v1 {\n\x00\x00\n}\n")
    text = break_all_three(project)
    assert "specs/nul.routine:2:1: error: the file contains NUL bytes; is it a binary file?" in text


def test_non_utf8_bytes(project: Path) -> None:
    (project / "specs" / "latin1.routine").write_bytes(
        b'routine r v1 {\n  description "caf\xe9"\n}\n'
    )
    text = break_all_three(project)
    assert "specs/latin1.routine:2:19: error: the file is not UTF-8 (byte 0xe9)  [encoding]" in text


def test_utf8_bom_is_accepted(project: Path) -> None:
    spec = project / "specs" / "greet.routine"
    spec.write_bytes(b"\xef\xbb\xbf" + spec.read_bytes())
    result = run_cli("check", cwd=project)
    assert result.code == 0, result.output


def test_binary_file_output_has_no_control_characters(project: Path) -> None:
    (project / "specs" / "blob.routine").write_bytes(b'routine r v1 {\n  model "x\x00"\n}\n')
    result = run_cli("check", cwd=project)
    assert result.code == 2
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f]", result.output), repr(result.output)


def test_unterminated_string(project: Path) -> None:
    spec = project / "specs" / "greet.routine"
    spec.write_text(GOOD.replace('"claude-haiku-4-5"', '"claude-haiku-4-5'), "utf-8")
    text = break_all_three(project, verify=True)
    assert "specs/greet.routine:2:9: error: unterminated string  [syntax]" in text
    assert "help: close the string" in text


def test_ten_megabyte_spec_with_an_error_at_the_end(project: Path) -> None:
    filler = "".join(f"# line {i:07d} " + "x" * 80 + "\n" for i in range(110_000))
    assert len(filler) > 10_000_000
    (project / "specs" / "huge.routine").write_text(
        filler + "routine r v1 {\n  model\n}\n", "utf-8"
    )
    # How long it takes is a figure for `nox -s bench`; here only that it ends in a diagnostic.
    text = assert_clean_failure(project, "check", 2)
    assert "specs/huge.routine:110003:1: error: unexpected '}'" in text


def test_ten_megabyte_prompt_compiles(project: Path) -> None:
    body = "Context paragraph without template syntax. " * 240_000
    spec = GOOD.replace(
        'prompt file "specs/prompts/greet.j2"', f'prompt """{body}{{{{ name }}}}"""'
    )
    assert len(spec) > 10_000_000
    (project / "specs" / "greet.routine").write_text(spec, "utf-8")
    result = run_cli("check", cwd=project, timeout=600)  # a hang guard, not a budget
    assert result.code == 0, result.output[-2000:]
    assert "checked 1 routine: 0 errors, 0 warnings" in result.output


def test_five_hundred_deep_nesting(project: Path) -> None:
    deep = "list[" * 500 + "string" + "]" * 500
    spec = project / "specs" / "greet.routine"
    spec.write_text(GOOD.replace("greeting: string", f"greeting: {deep}"), "utf-8")
    text = break_all_three(project)
    assert re.search(
        r"specs/greet\.routine:6:\d+: error: nesting deeper than 64 levels  \[syntax\]", text
    )


def test_five_hundred_deep_inline_test_input(project: Path) -> None:
    deep = "[" * 500 + "]" * 500
    spec = project / "specs" / "greet.routine"
    spec.write_text(GOOD[:-2] + "  test t {\n    input { name: " + deep + " }\n  }\n}\n", "utf-8")
    text = break_all_three(project)
    assert "nesting deeper than 64 levels" in text


def test_deeply_nested_test_input_json_file(project: Path) -> None:
    spec = project / "specs" / "greet.routine"
    spec.write_text(GOOD[:-2] + '  test t {\n    input file "golden/t.json"\n  }\n}\n', "utf-8")
    (project / "golden").mkdir()
    (project / "golden" / "t.json").write_text("[" * 100_000 + "]" * 100_000, "utf-8")
    result = run_cli("check", cwd=project)
    assert result.code == 2, result.output
    assert "Traceback" not in result.output
    assert "golden/t.json" in result.output


def test_template_path_escapes_the_project(project: Path) -> None:
    spec = project / "specs" / "greet.routine"
    spec.write_text(GOOD.replace("specs/prompts/greet.j2", "../../etc/passwd"), "utf-8")
    text = break_all_three(project)
    assert (
        "specs/greet.routine:4:15: error: prompt path '../../etc/passwd' leaves the project root  [path-escape]"
        in text
    )
    assert "root:" not in text  # nothing of /etc/passwd was read into the output


def test_missing_prompt_file(project: Path) -> None:
    (project / "specs" / "prompts" / "greet.j2").unlink()
    text = assert_clean_failure(project, "check", 2)
    assert (
        "specs/greet.routine:4:15: error: prompt file 'specs/prompts/greet.j2' does not exist"
        in text
    )
    assert_clean_failure(project, "lock", 2)
    # verify: the fast path sees a source file vanish and recompiles, which reports the file
    verify = assert_clean_failure(project, "verify", 2)
    assert "[missing-file]" in verify


def test_duplicate_names_across_files(project: Path) -> None:
    (project / "specs" / "again.routine").write_text(GOOD, "utf-8")
    text = break_all_three(project, verify=True)
    assert (
        "specs/greet.routine:1:9: error: routine 'greet' is declared twice  [duplicate-name]"
        in text
    )
    assert "note: first declared at specs/again.routine:1:9" in text


def test_lock_truncated_mid_file(project: Path) -> None:
    lock = project / "routines.lock"
    data = lock.read_bytes()
    lock.write_bytes(data[: len(data) // 2])
    text = assert_clean_failure(project, "verify", 2, located=False)
    assert "error: the lockfile is not valid JSON" in text
    assert "[lock-corrupt]" in text
    assert "help: restore it from git" in text


def test_lock_rewrites_a_truncated_lock(project: Path) -> None:
    lock = project / "routines.lock"
    good = lock.read_bytes()
    lock.write_bytes(good[:100])
    result = run_cli("lock", cwd=project)
    assert result.code == 0, result.output
    assert lock.read_bytes() == good


def test_lock_from_a_newer_format(project: Path) -> None:
    lock = project / "routines.lock"
    data = json.loads(lock.read_text("utf-8"))
    data["format_version"] = 99
    data["compiler_version"] = "9.0.0"
    lock.write_text(json.dumps(data, indent=2), "utf-8")
    text = assert_clean_failure(project, "verify", 2, located=False)
    assert "the lockfile has format version 99, written by a newer routinec (9.0.0)" in text
    assert "[lock-format]" in text
    assert "help: upgrade routinec" in text


def test_hand_edited_lock(project: Path) -> None:
    lock = project / "routines.lock"
    lock.write_text(
        lock.read_text("utf-8").replace('"max_tokens": 256', '"max_tokens": 4096'), "utf-8"
    )
    text = assert_clean_failure(project, "verify", 1, located=False)
    assert (
        "lock entry 'greet' does not match its entry_hash: the lockfile was edited by hand" in text
    )
    assert "[lock-tampered]" in text


def test_missing_lock(project: Path) -> None:
    (project / "routines.lock").unlink()
    text = assert_clean_failure(project, "verify", 1, located=False)
    assert "error: no lockfile at this path  [lock-missing]" in text
    assert "help: run 'routinec lock' and commit it" in text
    assert not (project / "routines.lock").exists()


def test_lock_that_is_not_an_object(project: Path) -> None:
    (project / "routines.lock").write_text("[1, 2, 3]\n", "utf-8")
    before = snapshot(project)
    result = run_cli("verify", cwd=project)
    assert result.code == 2
    assert "error: the lockfile is not a JSON object  [lock-corrupt]" in result.output
    assert "Traceback" not in result.output
    assert snapshot(project) == before


@pytest.mark.parametrize(
    "content", ["[1, 2, 3]\n", '{"routines": {}}\n', '{"format_version": 1}\n']
)
def test_every_lock_corrupt_message_has_help(project: Path, content: str) -> None:
    (project / "routines.lock").write_text(content, "utf-8")
    assert_clean_failure(project, "verify", 2, located=False)


def test_quoted_source_line_is_the_located_line(project: Path) -> None:
    spec = "# a comment\u2028with a line separator\nroutine r {\n}\n"
    (project / "specs" / "sep.routine").write_text(spec, "utf-8")
    result = run_cli("check", cwd=project)
    assert result.code == 2
    assert "specs/sep.routine:2:11: error: unexpected '{'" in result.output
    assert " 2 | routine r {" in result.output, result.output


def test_bad_flag_is_exit_2(project: Path) -> None:
    before = snapshot(project)
    result = run_cli("verify", "--no-such-flag", cwd=project)
    assert result.code == 2
    assert "No such option" in result.output
    assert "Traceback" not in result.output
    assert snapshot(project) == before


def test_bad_format_value_is_exit_2(project: Path) -> None:
    result = run_cli("check", "--format", "xml", cwd=project)
    assert result.code == 2
    assert "Traceback" not in result.output


def test_check_of_a_missing_path_is_exit_2(project: Path) -> None:
    result = run_cli("check", "specs/nope.routine", cwd=project)
    assert result.code == 2
    assert "no such file or directory: specs/nope.routine" in result.output
