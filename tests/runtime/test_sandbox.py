"""The runtime's second wall: the bounded sandbox refuses each injection payload with a
message naming what the template did (not blaming the inputs), and never hangs compiling."""

from __future__ import annotations

import json
from pathlib import Path

import jinja2
import pytest

from routinec.runtime.sandbox import BoundedSandbox, TemplateUnsafe
from routinec.template_limits import LIMITS
from tests.runtime import lockbuilder
from tests.runtime.conftest import run_cli

# payload -> words the refusal must contain
PAYLOADS = {
    "{{ ''.__class__.__mro__ }}": "attribute '__class__'",
    "{{ (''|attr('__class__')).__mro__ }}": "attribute '__class__'",
    "{{ cycler.__init__.__globals__ }}": "attribute '__init__'",
    "{{ '{0.__class__}'.format(question) }}": "{0.__class__}",
    "{{ range(10**11)|list }}": "range(100000000000)",
    "{{ 9 ** (9 ** 9) }}": "9 ** 387420489",
    "{{ '{:>3000000000}'.format('x') }}": "{:>3000000000}",
    "{{ '%3000000000s' % question }}": "'%3000000000s'",
    "{{ '%3000000000s'|format(question) }}": "'%3000000000s'",
    "{{ 'x' * 3000000000 }}": "3000000000 times",
    "{{ question|center(3000000000) }}": "3000000000 columns",
    "{{ question|map(attribute='__class__')|list }}": "attribute '__class__'",
    "{% for i in range(5000) %}{{ 'y' * 1000 }}{% endfor %}": "more than 4000000 characters",
}

BENIGN = (
    "{{ question }} {{ 2 ** 10 }} {{ '%5s' % question }} {{ '{:>4}'.format(question) }}",
    "{% for i in range(3) %}{{ i }}{{ loop.index }}{% endfor %} {{ question|upper|center(20) }}",
    "{{ question|indent(2) }} {{ [1, 2]|map('string')|join(',') }} {{ 'ab' * 3 }}",
)


@pytest.mark.parametrize("payload", sorted(PAYLOADS))
def test_each_payload_is_refused_naming_it(payload: str) -> None:
    env = BoundedSandbox(undefined=jinja2.StrictUndefined)
    with pytest.raises(TemplateUnsafe, match="the template") as info:
        env.from_string(payload).render(question="q")
    assert PAYLOADS[payload] in str(info.value)


@pytest.mark.parametrize("template", BENIGN)
def test_ordinary_templates_render(template: str) -> None:
    env = BoundedSandbox(undefined=jinja2.StrictUndefined)
    assert env.from_string(template).render(question="q")


def test_refusals_through_the_cli_blame_the_template(tmp_path: Path) -> None:
    entries = [lockbuilder.entry(f"p{i}", template=t) for i, t in enumerate(sorted(PAYLOADS))]
    root = lockbuilder.write_project(tmp_path / "p", *entries)
    # One process for all payloads; `9 ** (9 ** 9)` used to hang here, in get_template.
    result = run_cli(root, "test", "--format", "json", timeout=120)
    assert result.returncode == 2, result.stdout + result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    errors = {r["routine"]: r["error"] for r in records if r["kind"] == "case"}
    for i, payload in enumerate(sorted(PAYLOADS)):
        error = errors[f"p{i}"]
        assert error["kind"] == "template-unsafe", (payload, error)
        assert PAYLOADS[payload] in error["message"], (payload, error)
        assert "missing input" not in error["message"] + (error["help"] or "")


def test_the_error_is_template_unsafe_not_a_missing_input(tmp_path: Path) -> None:
    from routinec.runtime import Runtime
    from routinec.runtime.errors import RoutineError

    root = lockbuilder.write_project(tmp_path / "p", lockbuilder.entry("e", template="{{ (''|attr('__class__')).__mro__ }}"))
    with pytest.raises(RoutineError) as info:
        Runtime(root, mode="replay").run("e", {"question": "q"})
    assert info.value.diagnostic.code == "template-unsafe"
    assert "attribute '__class__' of a 'str' value" in info.value.diagnostic.message
    assert "missing input" not in str(info.value.hint)


def test_nested_loops_are_charged_to_one_budget() -> None:
    from routinec.runtime.sandbox import BoundedSandbox, TemplateUnsafe

    env = BoundedSandbox()
    ordinary = {
        "{% for i in range(3) %}{{ i }}{% if not loop.last %},{% endif %}{% endfor %}": "0,1,2",
        "{{ range(4)|reverse|list }}": "[3, 2, 1, 0]",
        "{{ range(5)|length }} {{ 3 in range(5) }} {{ range(5)[2] }}": "5 True 2",
    }
    for source, expected in ordinary.items():
        assert env.from_string(source).render() == expected
    # each range is within LIMITS["range"]; together they would run 10^12 iterations
    deep = "{% for i in range(10000) %}{% for j in range(10000) %}{% for k in range(10000) %}{% endfor %}{% endfor %}{% endfor %}"
    with pytest.raises(TemplateUnsafe, match=f"more than {LIMITS['loop_iterations']} iterations"):
        env.from_string(deep).render()


def test_check_and_sandbox_bound_center_alike() -> None:

    env = BoundedSandbox()
    width = LIMITS["format_width"]
    assert len(env.from_string(f"{{{{ 'x'|center({width}) }}}}").render()) == width
    with pytest.raises(TemplateUnsafe, match=f"{width + 1} columns"):
        env.from_string(f"{{{{ 'x'|center({width + 1}) }}}}").render()
