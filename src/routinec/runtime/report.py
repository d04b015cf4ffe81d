"""Runtime layer: render golden-test outcomes as text, JSON, GitHub annotations or JUnit XML.

In: sorted `CaseOutcome`s and the elapsed time. Out: strings (the CLI prints them) and a
JUnit XML document (written atomically). Pure apart from the JUnit write.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

from routinec.canonical import atomic_write
from routinec.redact import Redactor, redact_text
from routinec.runtime.entry import to_wire
from routinec.runtime.golden import field_lines
from routinec.runtime.suite import CaseOutcome

__all__ = ["FORMATS", "exit_code", "render", "summary", "write_junit"]

FORMATS = ("text", "json", "github")
_LABEL = {
    "pass": "PASS",
    "fail": "FAIL",
    "error": "ERROR",
    "updated": "UPDATED",
    "drift": "DRIFT",
    "recorded": "RECORDED",
}


def exit_code(outcomes: list[CaseOutcome]) -> int:
    return max((o.exit_code for o in outcomes), default=0)


def summary(outcomes: list[CaseOutcome], seconds: float) -> str:
    kinds = ("pass", "fail", "error", "updated", "recorded", "drift")
    counts = {k: sum(1 for o in outcomes if o.status == k) for k in kinds}
    parts = [f"{counts['pass']} passed", f"{counts['fail'] + counts['drift']} failed"]
    if counts["error"]:
        parts.append(f"{counts['error']} errors")
    if counts["updated"]:
        parts.append(f"{counts['updated']} goldens written")
    if counts["recorded"]:
        parts.append(f"{counts['recorded']} recorded")
    return f"routinec: {', '.join(parts)} in {seconds:.2f}s"


def golden_line(o: CaseOutcome) -> str:
    """`golden: matches` / `differs in risk, summary` / `none yet …` for a recorded case."""
    checked = o.golden
    if checked is None:
        return "golden: not compared"
    if checked.status == "matches":
        return "golden: matches"
    if checked.status == "differs":
        fields = checked.fields()
        return f"golden: differs in {len(fields)} field{'s' if len(fields) != 1 else ''} ({', '.join(fields)})"
    if checked.status == "missing":
        return f"golden: none yet; review the output, then run 'routinec test {o.routine} --update-golden'"
    assert checked.error is not None
    return f"golden: unusable ({checked.where}): {checked.error.brief()}"


def _recorded(o: CaseOutcome) -> list[str]:
    """A recorded case: where it went, its output field by field, and the golden's verdict."""
    lines = [f"{_LABEL['recorded']} {o.name}" + (f" -> {o.path}" if o.path else "")]
    lines.extend(f"  {line}" for line in field_lines(o.output))
    lines.append(f"  {golden_line(o)}")
    lines.extend(f"    {d.render()}" for d in o.diffs)
    return lines


def _text(outcomes: list[CaseOutcome], seconds: float, verbose: bool) -> str:
    lines: list[str] = []
    for o in outcomes:
        if o.status == "pass" and not verbose:
            continue
        if o.status == "recorded":
            lines.extend(_recorded(o))
            continue
        lines.append(f"{_LABEL.get(o.status, o.status.upper())} {o.name}")
        lines.extend(f"  {line}" for line in o.lines())
    lines.append(summary(outcomes, seconds))
    return "\n".join(lines)


def to_json(o: CaseOutcome) -> dict[str, object]:
    error = o.error
    record: dict[str, object] = {
        "routine": o.routine,
        "case": o.case,
        "status": o.status,
        "path": o.path,
        "seconds": round(o.seconds, 6),
        "diffs": [d.to_json() for d in o.diffs],
        "error": None
        if error is None
        else {"kind": error.kind, "message": error.diagnostic.message, "help": error.hint},
    }
    if o.status == "recorded":
        # The output as the JSON value it is; the golden's verdict and the fields that differ.
        checked = o.golden
        record["output"] = to_wire(o.output)
        record["golden"] = None if checked is None else {
            "status": checked.status,
            "path": checked.where,
            "fields": checked.fields(),
            "error": checked.error.brief() if checked.error is not None and checked.status == "unusable" else None,
        }
    return record


def render(
    outcomes: list[CaseOutcome],
    seconds: float,
    fmt: str = "text",
    verbose: bool = False,
    redactor: Redactor | None = None,
) -> str:
    """The report, with any secret an output or an error message carried redacted."""
    return redact_text(_render(outcomes, seconds, fmt, verbose), redactor)


def _render(outcomes: list[CaseOutcome], seconds: float, fmt: str, verbose: bool) -> str:
    if fmt == "json":
        # JSON lines, like every other command: one record per case, then the summary.
        lines = [json.dumps({"kind": "case", **to_json(o)}, sort_keys=True) for o in outcomes]
        lines.append(json.dumps(
            {"kind": "summary", "exit_code": exit_code(outcomes), "summary": summary(outcomes, seconds)},
            sort_keys=True,
        ))
        return "\n".join(lines)
    if fmt == "github":
        # The counts line only: failed cases are annotations like every other command's
        # findings, printed by the CLI through `cli.options.emit` (`CaseOutcome.diagnostic`).
        return summary(outcomes, seconds)
    return _text(outcomes, seconds, verbose)


def write_junit(
    path: Path, outcomes: list[CaseOutcome], seconds: float, redactor: Redactor | None = None
) -> None:
    failures = sum(1 for o in outcomes if o.status == "fail")
    errors = sum(1 for o in outcomes if o.status == "error")
    suite = ET.Element(
        "testsuite",
        name="routinec",
        tests=str(len(outcomes)),
        failures=str(failures),
        errors=str(errors),
        time=f"{seconds:.3f}",
    )
    for o in outcomes:
        case = ET.SubElement(suite, "testcase", classname=o.routine, name=o.case, time=f"{o.seconds:.3f}")
        if o.status in ("fail", "error", "drift"):
            text = "\n".join(o.lines())
            tag = "error" if o.status == "error" else "failure"
            node = ET.SubElement(case, tag, message=text.splitlines()[0] if text else o.status)
            node.text = text
    root = ET.Element("testsuites")
    root.append(suite)
    ET.indent(root)
    data = ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
    atomic_write(path, redact_text(data, redactor).encode("utf-8"))
