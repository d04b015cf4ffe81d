"""Provenance layer: the in-toto Statement v1 with a SLSA provenance v1 predicate, typed.

In: the parts `provenance.build` gathers from a run record and its lock entry, or the JSON of
a statement file. Out: a frozen `Statement` and its JSON form (`to_json`), whose bytes are
canonical (sorted keys) so attesting the same run twice gives the same file. `from_json`
checks the shape a routinec statement has and names the first bad field (`BadStatement`).
Format and vocabulary: docs/provenance.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "BUILD_TYPE",
    "PAYLOAD_TYPE",
    "PREDICATE_TYPE",
    "STATEMENT_TYPE",
    "BadStatement",
    "ExternalParameters",
    "InternalParameters",
    "ResourceDescriptor",
    "Statement",
    "builder_id",
    "hex_of",
]

STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
PREDICATE_TYPE = "https://slsa.dev/provenance/v1"
# What a routinec run is, as a SLSA build type (docs/provenance.md describes its parameters).
BUILD_TYPE = "urn:routinec:build-type:run:v1"
BUILDER_PREFIX = "urn:routinec:builder:"
PAYLOAD_TYPE = "application/vnd.in-toto+json"  # DSSE payloadType of a signed statement



class BadStatement(Exception):
    """The file is not a statement routinec wrote; the message names the field."""


def builder_id(invoker: str) -> str:
    """The builder is the routinec runtime on the invoker's platform (`local`, `github-actions`, …)."""
    return BUILDER_PREFIX + invoker


def hex_of(ledger_digest: str | None) -> str | None:
    """`sha256:<hex>` (the ledger's and the lock's form) → `<hex>` (an in-toto DigestSet value)."""
    if ledger_digest is None or not ledger_digest.startswith("sha256:"):
        return None
    return ledger_digest[len("sha256:"):]


@dataclass(frozen=True, slots=True)
class ResourceDescriptor:
    """An in-toto ResourceDescriptor: at least one of uri and digest is set."""

    name: str
    uri: str | None = None
    digest: dict[str, str] = field(default_factory=dict)  # algorithm → hex (`sha256`, `gitCommit`)
    annotations: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name}
        if self.uri is not None:
            out["uri"] = self.uri
        if self.digest:
            out["digest"] = dict(self.digest)
        if self.annotations:
            out["annotations"] = dict(self.annotations)
        return out

    @classmethod
    def from_json(cls, value: Any, where: str) -> ResourceDescriptor:
        data = _obj(value, where)
        name = _str(data, "name", where)
        uri = data.get("uri")
        if uri is not None and not isinstance(uri, str):
            raise BadStatement(f"{where}.uri must be a string")
        digest = data.get("digest", {})
        if not isinstance(digest, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in digest.items()):
            raise BadStatement(f"{where}.digest must map algorithm names to hex strings")
        annotations = data.get("annotations", {})
        if not isinstance(annotations, dict):
            raise BadStatement(f"{where}.annotations must be an object")
        if uri is None and not digest:
            raise BadStatement(f"{where} has neither uri nor digest")
        return cls(name, uri, dict(digest), dict(annotations))


@dataclass(frozen=True, slots=True)
class ExternalParameters:
    """What the caller chose: which routine, which contract version, which case, which mode,
    and the input (as its digest: the statement never carries content)."""

    routine: str
    version: int
    case: str | None
    mode: str
    input_digest: str | None  # sha256:<hex> of the validated input

    def to_json(self) -> dict[str, Any]:
        return {"routine": self.routine, "version": self.version, "case": self.case, "mode": self.mode,
                "inputDigest": self.input_digest}

    @classmethod
    def from_json(cls, value: Any, where: str) -> ExternalParameters:
        data = _obj(value, where)
        version = data.get("version")
        if not isinstance(version, int) or isinstance(version, bool):
            raise BadStatement(f"{where}.version must be an integer")
        return cls(_str(data, "routine", where), version, _opt_str(data, "case", where), _str(data, "mode", where),
                   _opt_str(data, "inputDigest", where))


@dataclass(frozen=True, slots=True)
class InternalParameters:
    """What the lock and the runtime decided, not the caller."""

    entry_hash: str
    params_digest: str
    request_hash: str | None
    model_alias: str
    output_schema_hash: str  # the contract the output was held to (the run record's)
    routinec_version: str

    def to_json(self) -> dict[str, Any]:
        return {"entryHash": self.entry_hash, "paramsDigest": self.params_digest, "requestHash": self.request_hash,
                "modelAlias": self.model_alias, "outputSchemaHash": self.output_schema_hash,
                "routinecVersion": self.routinec_version}

    @classmethod
    def from_json(cls, value: Any, where: str) -> InternalParameters:
        data = _obj(value, where)
        return cls(_str(data, "entryHash", where), _str(data, "paramsDigest", where),
                   _opt_str(data, "requestHash", where), _str(data, "modelAlias", where),
                   _str(data, "outputSchemaHash", where), _str(data, "routinecVersion", where))


@dataclass(frozen=True, slots=True)
class Statement:
    """One run's provenance: subject = its output, predicate = SLSA provenance v1."""

    subject: tuple[ResourceDescriptor, ...]
    external: ExternalParameters
    internal: InternalParameters
    dependencies: tuple[ResourceDescriptor, ...]
    builder: str
    builder_version: dict[str, str]
    invocation_id: str  # the ledger's run_id
    started_on: str
    finished_on: str
    byproducts: tuple[ResourceDescriptor, ...]
    build_type: str = BUILD_TYPE

    def to_json(self) -> dict[str, Any]:
        return {
            "_type": STATEMENT_TYPE,
            "subject": [s.to_json() for s in self.subject],
            "predicateType": PREDICATE_TYPE,
            "predicate": {
                "buildDefinition": {
                    "buildType": self.build_type,
                    "externalParameters": self.external.to_json(),
                    "internalParameters": self.internal.to_json(),
                    "resolvedDependencies": [d.to_json() for d in self.dependencies],
                },
                "runDetails": {
                    "builder": {"id": self.builder, "version": dict(self.builder_version)},
                    "metadata": {"invocationId": self.invocation_id, "startedOn": self.started_on,
                                 "finishedOn": self.finished_on},
                    "byproducts": [b.to_json() for b in self.byproducts],
                },
            },
        }

    def dependency(self, name: str) -> ResourceDescriptor | None:
        return next((d for d in self.dependencies if d.name == name), None)

    def byproduct(self, name: str) -> ResourceDescriptor | None:
        return next((b for b in self.byproducts if b.name == name), None)

    @classmethod
    def from_json(cls, value: Any) -> Statement:
        """Read a statement; `BadStatement` names the first field that is not as routinec writes it."""
        data = _obj(value, "the statement")
        if data.get("_type") != STATEMENT_TYPE:
            raise BadStatement(f"_type is {data.get('_type')!r}, not {STATEMENT_TYPE}")
        if data.get("predicateType") != PREDICATE_TYPE:
            raise BadStatement(f"predicateType is {data.get('predicateType')!r}, not {PREDICATE_TYPE}")
        subjects = data.get("subject")
        if not isinstance(subjects, list) or not subjects:
            raise BadStatement("subject must be a non-empty list")
        subject = tuple(ResourceDescriptor.from_json(s, f"subject[{i}]") for i, s in enumerate(subjects))
        _unique(subject, "subject")
        predicate = _obj(data.get("predicate"), "predicate")
        build = _obj(predicate.get("buildDefinition"), "predicate.buildDefinition")
        if build.get("buildType") != BUILD_TYPE:
            raise BadStatement(f"buildType is {build.get('buildType')!r}, not routinec's {BUILD_TYPE}")
        details = _obj(predicate.get("runDetails"), "predicate.runDetails")
        builder = _obj(details.get("builder"), "predicate.runDetails.builder")
        metadata = _obj(details.get("metadata"), "predicate.runDetails.metadata")
        version = builder.get("version", {})
        if not isinstance(version, dict) or not all(isinstance(v, str) for v in version.values()):
            raise BadStatement("predicate.runDetails.builder.version must map names to strings")
        return cls(
            subject=subject,
            external=ExternalParameters.from_json(build.get("externalParameters"),
                                                  "predicate.buildDefinition.externalParameters"),
            internal=InternalParameters.from_json(build.get("internalParameters"),
                                                  "predicate.buildDefinition.internalParameters"),
            dependencies=_descriptors(build, "resolvedDependencies", "predicate.buildDefinition"),
            builder=_str(builder, "id", "predicate.runDetails.builder"),
            builder_version=dict(version),
            invocation_id=_str(metadata, "invocationId", "predicate.runDetails.metadata"),
            started_on=_str(metadata, "startedOn", "predicate.runDetails.metadata"),
            finished_on=_str(metadata, "finishedOn", "predicate.runDetails.metadata"),
            byproducts=_descriptors(details, "byproducts", "predicate.runDetails"),
        )


def _descriptors(data: dict[str, Any], key: str, where: str) -> tuple[ResourceDescriptor, ...]:
    items = data.get(key, [])
    if not isinstance(items, list):
        raise BadStatement(f"{where}.{key} must be a list")
    found = tuple(ResourceDescriptor.from_json(item, f"{where}.{key}[{i}]") for i, item in enumerate(items))
    _unique(found, f"{where}.{key}")
    return found


def _unique(items: tuple[ResourceDescriptor, ...], where: str) -> None:
    names = [item.name for item in items]
    for name in names:
        if names.count(name) > 1:
            raise BadStatement(f"{where} names {name!r} twice")


def _obj(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise BadStatement(f"{where} must be an object")
    return value


def _str(data: dict[str, Any], key: str, where: str) -> str:
    value = data.get(key)
    if not isinstance(value, str):
        raise BadStatement(f"{where}.{key} must be a string")
    return value


def _opt_str(data: dict[str, Any], key: str, where: str) -> str | None:
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        raise BadStatement(f"{where}.{key} must be a string or null")
    return value
