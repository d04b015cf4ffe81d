"""Bottom layer: every diagnostic code, as an object (after mypy's `errorcodes.py`).

In: nothing. Out: `Code` members, passed by identity (`Code.SYNTAX`), so a misspelt code
fails at import, not in front of a user. Each code carries what it means, the phase that
owns it, and its exit class: what the CLI returns when it is an error. That one field is the
whole exit policy, the same in every command: 1 when a check found a problem, 2 when the
input or the invocation is bad (docs/diagnostics.md).

`Code` is a `StrEnum`: it prints, compares and serialises as its kebab-case name, so JSON
output, annotations and `[code]` suffixes stay what users already match on.
"""

from __future__ import annotations

from enum import IntEnum, StrEnum

__all__ = ["Code", "ExitClass", "Phase", "reference_table"]


class ExitClass(IntEnum):
    """The CLI's exit code when a diagnostic with this code is an error."""

    FINDING = 1  # the check ran and found a problem (drift, a break, a golden mismatch)
    BAD_INPUT = 2  # the input or the invocation is bad; nothing could be checked


class Phase(StrEnum):
    PARSE = "parse"
    CHECK = "check"
    MATERIALS = "materials"
    LOCK = "lock"
    COMPAT = "compat"
    CONFIG = "config"
    RUNTIME = "runtime"
    REPLAY = "replay"
    LEDGER = "ledger"
    PROVENANCE = "provenance"
    ROLLOUT = "rollout"
    INTERNAL = "internal"


_F, _I = ExitClass.FINDING, ExitClass.BAD_INPUT


class Code(StrEnum):
    doc: str
    phase: Phase
    exit_class: ExitClass

    def __new__(cls, name: str, doc: str, phase: Phase, exit_class: ExitClass) -> Code:
        member = str.__new__(cls, name)
        member._value_ = name
        member.doc = doc
        member.phase = phase
        member.exit_class = exit_class
        return member

    # -- parse ------------------------------------------------------------------------------
    SYNTAX = ("syntax", "the file does not follow the .routine grammar", Phase.PARSE, _I)
    ENCODING = ("encoding", "the file is not UTF-8 text", Phase.PARSE, _I)
    DUPLICATE_STATEMENT = ("duplicate-statement", "a statement given twice where one is allowed", Phase.PARSE, _I)
    # -- check ------------------------------------------------------------------------------
    UNKNOWN_TYPE = ("unknown-type", "a type name that no `type` block declares", Phase.CHECK, _I)
    UNKNOWN_FIELD = ("unknown-field", "a test's `compare` rule for a field the routine's output does not have", Phase.CHECK, _I)
    COMPARE_RULE = ("compare-rule", "a test's `compare` rule that does not exist, or with the wrong argument", Phase.CHECK, _I)
    INFINITE_TYPE = ("infinite-type", "a type that requires itself, so no finite value fits it", Phase.CHECK, _I)
    DUPLICATE_NAME = ("duplicate-name", "a routine, type, consumer, test or field declared twice", Phase.CHECK, _I)
    MISSING_STATEMENT = ("missing-statement", "a routine, test or consumer lacks a required statement", Phase.CHECK, _I)
    PARAM_RANGE = ("param-range", "a parameter outside its valid range", Phase.CHECK, _I)
    PARAM_UNSUPPORTED = ("param-unsupported", "a parameter the chosen model does not accept", Phase.CHECK, _I)
    UNKNOWN_MODEL = ("unknown-model", "a model id that routinec cannot pin", Phase.CHECK, _I)
    MODEL_DEPRECATED = ("model-deprecated", "a model that is deprecated and will retire", Phase.CHECK, _I)
    MODEL_RETIRED = ("model-retired", "a model that has retired and can no longer be called", Phase.CHECK, _F)
    MODEL_ALIAS_MOVED = ("model-alias-moved", "an alias that now points to a newer snapshot than the lock pins", Phase.LOCK, _F)
    UNKNOWN_CONSUMER = ("unknown-consumer", "a consumer name that no `consumer` block declares", Phase.CHECK, _I)
    INVALID_DEFAULT = ("invalid-default", "a default that does not fit its field's type", Phase.CHECK, _I)
    INVALID_CONSTRAINT = ("invalid-constraint", "a constraint that does not apply to the field's type", Phase.CHECK, _I)
    PYTHON_KEYWORD = ("python-keyword", "a routine, type or field name that is a Python keyword (the typed client could not use it)", Phase.CHECK, _I)
    PYTHON_NAME_CLASH = ("python-name-clash", "a name that collides in the typed client, or shadows a name pydantic or the client owns", Phase.CHECK, _I)
    TOOL_INVALID = ("tool-invalid", "a tool declaration that is malformed (name, effect, options, server tool type, missing dry_run)", Phase.CHECK, _I)
    TOOL_LIMITS = ("tool-limits", "a routine with tools lacks a limit, or a limit is out of range", Phase.CHECK, _I)
    TOOLS_UNSUPPORTED = ("tools-unsupported", "the model does not support the tools the routine declares", Phase.CHECK, _I)
    TOOL_STATE = ("tool-state", "`state session` on a routine with tools: each tool-using run starts a fresh conversation", Phase.CHECK, _I)
    INVALID_TRIGGER = ("invalid-trigger", "a trigger (`on …`) that is malformed, e.g. a cron line that is invalid or runs more often than every 5 minutes", Phase.CHECK, _I)
    UNUSED_IGNORE = ("unused-ignore", "a `# routinec: ignore[code]` comment that suppressed nothing", Phase.CHECK, _F)
    # -- materials (files the specs name: templates, inputs, schemas) ------------------------
    UNDEFINED_VARIABLE = ("undefined-variable", "a template variable that is not an input", Phase.MATERIALS, _I)
    UNUSED_INPUT = ("unused-input", "an input the templates never use", Phase.MATERIALS, _I)
    TEMPLATE_SYNTAX = ("template-syntax", "a Jinja2 template that does not parse", Phase.MATERIALS, _I)
    TEMPLATE_UNSAFE = ("template-unsafe", "a template that reaches into Python internals or asks for unbounded work", Phase.MATERIALS, _I)
    SECRET_IN_SPEC = ("secret-in-spec", "a credential written into a spec, prompt or test input", Phase.MATERIALS, _I)
    MISSING_FILE = ("missing-file", "a referenced file that does not exist", Phase.MATERIALS, _I)
    PATH_ESCAPE = ("path-escape", "a path that leaves the project root", Phase.MATERIALS, _I)
    INVALID_TEST_INPUT = ("invalid-test-input", "a test input that does not validate against the input schema", Phase.MATERIALS, _I)
    INVALID_JSON = ("invalid-json", "a JSON file that does not parse", Phase.MATERIALS, _I)
    INVALID_SCHEMA = ("invalid-schema", "a JSON Schema file that is not a valid schema", Phase.MATERIALS, _I)
    TOOL_ENTRY_POINT = ("tool-entry-point", "a tool's entry point whose module or attribute cannot be found (looked up without importing it)", Phase.MATERIALS, _I)
    TOOL_SCHEMA = ("tool-schema", "a tool's declared input schema disagrees with its signature, cannot be derived, or leaves the API's strict subset", Phase.MATERIALS, _I)
    # -- configuration and the project --------------------------------------------------------
    CONFIG = ("config", "a bad [tool.routinec] setting, environment variable or option", Phase.CONFIG, _I)
    NO_SPECS = ("no-specs", "no .routine files were found", Phase.CONFIG, _I)
    # -- the lockfile -------------------------------------------------------------------------
    LOCK_MISSING = ("lock-missing", "no lockfile exists", Phase.LOCK, _F)
    LOCK_CORRUPT = ("lock-corrupt", "the lockfile does not parse or has the wrong shape", Phase.LOCK, _I)
    LOCK_FORMAT = ("lock-format", "the lockfile was written by a newer routinec", Phase.LOCK, _I)
    LOCK_TAMPERED = ("lock-tampered", "a lock entry does not match its hash", Phase.LOCK, _F)
    LOCK_DRIFT = ("lock-drift", "the specs no longer compile to the lockfile", Phase.LOCK, _F)
    LOCK_STALE = ("lock-stale", "a source file changed since the lock was written", Phase.LOCK, _F)
    GENERATED_STALE = ("generated-stale", "a generated file (typed client) that no longer matches the lock it was generated from", Phase.LOCK, _F)
    WORKFLOW_STALE = ("workflow-stale", "a generated GitHub Actions workflow differs from what the lock generates", Phase.LOCK, _F)
    # -- schema compatibility -------------------------------------------------------------------
    COMPAT_BREAK = ("compat-break", "a schema change that breaks a reader", Phase.COMPAT, _F)
    CONSUMER_BREAK = ("consumer-break", "a consumer that rejects a producer's output", Phase.COMPAT, _F)
    # -- running a routine ----------------------------------------------------------------------
    UNKNOWN_ROUTINE = ("unknown-routine", "a routine name the lock does not have", Phase.RUNTIME, _I)
    UNKNOWN_CASE = ("unknown-case", "a test case name the routine does not have", Phase.RUNTIME, _I)
    INVALID_INPUT = ("invalid-input", "inputs that do not validate against the input schema", Phase.RUNTIME, _I)
    TEMPLATE_ERROR = ("template-error", "a template that failed to render with these inputs", Phase.RUNTIME, _I)
    API_KEY = ("api-key", "a missing, placeholder or refused API key (record, live runs, lock --resolve-online)", Phase.RUNTIME, _I)
    MISSING_EXTRA = ("missing-extra", "an optional dependency the command needs is not installed", Phase.RUNTIME, _I)
    API_ERROR = ("api-error", "the model API failed or refused the request", Phase.RUNTIME, _F)
    INVALID_OUTPUT = ("invalid-output", "a model output that does not validate against the output schema", Phase.RUNTIME, _F)
    CI_REFUSED = ("ci-refused", "an action that CI=true does not allow", Phase.RUNTIME, _I)
    TOOL_LIMIT = ("tool-limit", "a tool-using run exceeded max_turns or max_tool_calls", Phase.RUNTIME, _F)
    TOOL_UNAVAILABLE = ("tool-unavailable", "a tool's entry point could not be imported or called at run time", Phase.RUNTIME, _I)
    # -- replay: transcripts and goldens ----------------------------------------------------------
    TRANSCRIPT_MISSING = ("transcript-missing", "no recorded transcript matches the request", Phase.REPLAY, _F)
    TRANSCRIPT_MISMATCH = ("transcript-mismatch", "a transcript recorded for a different request", Phase.REPLAY, _F)
    TRANSCRIPT_CORRUPT = ("transcript-corrupt", "a transcript that does not parse or has the wrong shape", Phase.REPLAY, _I)
    TRANSCRIPT_ORPHAN = ("transcript-orphan", "a transcript that no test case uses", Phase.REPLAY, _F)
    SECRET = ("secret", "a credential that would have reached a file", Phase.REPLAY, _I)
    GOLDEN_MISSING = ("golden-missing", "a test case without a golden output", Phase.REPLAY, _F)
    GOLDEN_MISMATCH = ("golden-mismatch", "an output that differs from its golden", Phase.REPLAY, _F)
    GOLDEN_INVALID = ("golden-invalid", "a golden that does not validate against the output schema", Phase.REPLAY, _F)
    GOLDEN_CORRUPT = ("golden-corrupt", "a golden file that does not parse", Phase.REPLAY, _I)
    GOLDEN_ORPHAN = ("golden-orphan", "a golden that no test case uses", Phase.REPLAY, _F)
    TRAJECTORY_MISMATCH = ("trajectory-mismatch", "a run's tool calls or turns differ from the test's `expect` statements", Phase.REPLAY, _F)
    TOOL_RESULT_CHANGED = ("tool-result-changed", "a read tool re-run with --tools live returned something other than the recording", Phase.REPLAY, _F)
    # -- the run ledger ---------------------------------------------------------------------------
    LEDGER_CORRUPT = ("ledger-corrupt", "the ledger file is not a routinec ledger (corrupt, or another program's database)", Phase.LEDGER, _I)
    LEDGER_FORMAT = ("ledger-format", "the ledger's schema version is newer than this routinec", Phase.LEDGER, _I)
    LEDGER_UNAVAILABLE = ("ledger-unavailable", "the ledger could not be opened or written (permissions, disk, locks)", Phase.LEDGER, _I)
    UNKNOWN_RUN = ("unknown-run", "a run id (or outcome id) the ledger does not hold", Phase.LEDGER, _I)
    INVALID_OUTCOME = ("invalid-outcome", "an outcome whose verdict, source or override is not allowed", Phase.LEDGER, _I)
    INVALID_CORRECTION = ("invalid-correction", "a correction that does not validate against the routine's output schema", Phase.LEDGER, _I)
    # -- provenance: attestations of runs ---------------------------------------------------------
    FOREIGN_RUN = ("foreign-run", "a run whose lock entry neither this project's lock nor its git history holds (another project's run)", Phase.PROVENANCE, _I)
    NOT_ATTESTABLE = ("not-attestable", "a run without a validated output, so there is nothing to attest", Phase.PROVENANCE, _I)
    ATTEST_INVALID = ("attest-invalid", "a file that is not an in-toto statement or DSSE envelope routinec writes", Phase.PROVENANCE, _I)
    INVALID_KEY = ("invalid-key", "a signing or verification key file that cannot be read", Phase.PROVENANCE, _I)
    ATTEST_MISMATCH = ("attest-mismatch", "an attestation that disagrees with the ledger or the lock", Phase.PROVENANCE, _F)
    ATTEST_SIGNATURE = ("attest-signature", "a DSSE signature that does not verify with the given key", Phase.PROVENANCE, _F)
    # -- rollout: channels, canaries and their guards ---------------------------------------------
    ROLLOUT_INVALID = ("rollout-invalid", "a rollout option that cannot apply (weight outside 0-100, a key field the input lacks, a bad guard)", Phase.ROLLOUT, _I)
    NO_CANARY = ("no-canary", "a rollout command that needs a canary on a routine that has none", Phase.ROLLOUT, _I)
    UNKNOWN_VERSION = ("unknown-version", "a routine version that the lock holds no frozen entry for", Phase.ROLLOUT, _I)
    ROLLOUT_BROKEN = ("rollout-broken", "a channel in the lock that points at a missing entry, or a malformed rollout section", Phase.ROLLOUT, _I)
    GUARD_FAILED = ("guard-failed", "a canary whose guard metric is worse than stable's by more than allowed", Phase.ROLLOUT, _F)
    # -- routinec itself ----------------------------------------------------------------------------
    INTERNAL = ("internal", "a bug in routinec", Phase.INTERNAL, _I)


def reference_table() -> str:
    """The Markdown table of every code, as docs/diagnostics.md shows it (a test keeps the
    two equal)."""
    rows = ["| code | phase | exit | meaning |", "|---|---|---|---|"]
    for code in Code:
        rows.append(f"| `{code.value}` | {code.phase.value} | {int(code.exit_class)} | {code.doc} |")
    return "\n".join(rows) + "\n"


def extra_hint(extra: str) -> str:
    """The hint of every `missing-extra` diagnostic. routinec is installed from its checkout or
    a built wheel (it is on no package index), so an extra is added the same way."""
    return (
        f"pip install '.[{extra}]' from the routinec checkout "
        f"(or 'routinec-<version>-py3-none-any.whl[{extra}]' from a built wheel)"
    )
