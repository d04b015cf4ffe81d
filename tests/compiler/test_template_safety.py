"""`template-unsafe` at check time: each injection payload is an error located at the
expression (in the .routine for inline templates, in the .j2 file otherwise), `lock` refuses
it, ordinary templates pass, and nothing is compiled (so `9 ** (9 ** 9)` cannot hang)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import jinja2
import pytest
from jinja2.sandbox import SandboxedEnvironment

from routinec.compiler.template_safety import unsafe_expressions

# payload -> (column of the reported expression within the payload, words in the message)
PAYLOADS = {
    "{{ ''.__class__.__mro__ }}": (7, "private attribute '__class__'"),
    "{{ x|attr('__class__') }}": (12, "through the `attr` filter"),
    "{{ x|attr(x) }}": (6, "computed attribute name"),
    "{{ cycler.__init__.__globals__ }}": (11, "private attribute '__init__'"),
    "{{ '{0.__class__}'.format(x) }}": (20, "{0.__class__}"),
    "{{ x.format(1) }}": (6, "computed string"),
    "{{ range(10**11)|list }}": (4, "range of 100000000000 items"),
    "{{ 9 ** (9 ** 9) }}": (6, "power"),
    "{{ 2 ** x }}": (6, "power"),
    "{{ '{:>3000000000}'.format('x') }}": (21, "wider than 1000"),
    "{{ '%3000000000s' % x }}": (5, "'%3000000000s'"),
    "{{ '%*s'|format(x, x) }}": (10, "'%*s'"),
    "{{ 'x' * 3000000000 }}": (8, "3000000000 times"),
    "{{ x|center(3000000000) }}": (6, "3000000000 columns"),
    "{{ x|map(attribute='a.__class__')|list }}": (21, "'a.__class__' through the `map` filter"),
    "{{ x|selectattr('__dict__')|list }}": (18, "'__dict__'"),
    "{{ x['__class__'] }}": (7, "private item '__class__'"),
}
BENIGN = (
    "{{ x }} {{ 2 ** 10 }} {{ x ** 2 }} {{ '%5s' % x }} {{ '{:>4}'.format(x) }} {{ 7 % 3 }}",
    "{% for i in range(3) %}{{ i }}{{ loop.index }}{% endfor %} {{ x|upper|center(20) }} {{ range(x)|list }}",
    "{{ x|map(attribute='name')|join(',') }} {{ x|selectattr('done')|list }} {{ 'ab' * 3 }} {{ x['key'] }}",
)

_ENV = SandboxedEnvironment()


@pytest.mark.parametrize("payload", sorted(PAYLOADS))
def test_each_payload_is_found_at_its_expression(payload: str) -> None:
    column, words = PAYLOADS[payload]
    findings = unsafe_expressions(_ENV.parse(payload), payload)
    assert len(findings) == 1, findings
    assert (findings[0].line, findings[0].column) == (1, column)
    assert words in findings[0].message


@pytest.mark.parametrize("template", BENIGN)
def test_ordinary_templates_pass(template: str) -> None:
    assert unsafe_expressions(_ENV.parse(template), template) == []


def test_parse_does_not_fold_constants() -> None:
    # The walk runs on `env.parse`, which only builds the AST; compiling would fold 9 ** 387420489.
    tree = _ENV.parse("{{ 9 ** (9 ** 9) }}")
    assert isinstance(next(iter(tree.find_all(jinja2.nodes.Pow))).right, jinja2.nodes.Pow)


def _routinec(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "routinec", *args], cwd=root, capture_output=True, text=True, timeout=120
    )


def test_check_and_lock_refuse_with_locations(tmp_path: Path) -> None:
    (tmp_path / "specs" / "prompts").mkdir(parents=True)
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "t"\nversion = "0"\n')
    payloads = sorted(PAYLOADS)
    body = "\n".join(payloads)
    (tmp_path / "specs" / "prompts" / "p.j2").write_text("{{ x }}\n" + body + "\n")
    spec = (
        "routine inline v1 {\n"                          # line 1
        '  model "claude-haiku-4-5"\n  max_tokens 100\n'  # lines 2-3
        f'  prompt """{{{{ x }}}}\n{body}"""\n'             # line 4, payloads from line 5
        "  input { x: string }\n  output { y: string }\n}\n"
        "routine from_file v1 {\n"
        '  model "claude-haiku-4-5"\n  max_tokens 100\n'
        '  prompt file "specs/prompts/p.j2"\n'
        "  input { x: string }\n  output { y: string }\n}\n"
    )
    (tmp_path / "specs" / "t.routine").write_text(spec)
    check = _routinec(tmp_path, "check")
    out = check.stdout + check.stderr
    assert check.returncode == 2, out
    for i, payload in enumerate(payloads):
        column = PAYLOADS[payload][0]
        assert f"specs/t.routine:{5 + i}:{column}: error:" in out, (payload, out)
        assert f"specs/prompts/p.j2:{2 + i}:{column}: error:" in out, (payload, out)
    assert out.count("[template-unsafe]") == 2 * len(payloads)
    lock = _routinec(tmp_path, "lock")
    assert lock.returncode == 2 and "[template-unsafe]" in lock.stdout + lock.stderr
    assert not (tmp_path / "routines.lock").exists()
