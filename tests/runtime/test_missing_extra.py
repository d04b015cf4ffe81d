"""Without the `anthropic` extra, record, test --live and lock --resolve-online say what to
install (missing-extra, exit 2) instead of an internal error. The SDK is made unimportable for
real: a directory first on PYTHONPATH holds an `anthropic` package that raises ImportError."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.runtime.conftest import cli_env, run_cli
from tests.support.fake_api import FakeAnthropic


@pytest.fixture
def no_sdk(tmp_path: Path) -> Path:
    shadow = tmp_path / "shadow" / "anthropic"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text('raise ImportError("anthropic is not installed (test shadow)")\n')
    return shadow.parent


@pytest.mark.parametrize(
    "args",
    [("record", "chat"), ("test", "--live", "chat"), ("lock", "--resolve-online")],
    ids=["record", "test-live", "lock-resolve-online"],
)
def test_missing_anthropic_names_the_extra(
    project: Path, fake_api: FakeAnthropic, no_sdk: Path, args: tuple[str, ...]
) -> None:
    result = run_cli(project, *args, env=cli_env(fake_api, PYTHONPATH=str(no_sdk)))
    output = result.stdout + result.stderr
    assert result.returncode == 2, output
    assert "[missing-extra]" in output, output
    assert "pip install '.[anthropic]'" in output, output
    assert "internal error" not in output and "Traceback" not in output, output
