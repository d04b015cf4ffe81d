"""Compat layer: the rule catalogue (one `RULES` tuple) and the level of each finding.

In: a rule id, the value-set facts (old ⊆ new, new ⊆ old) and the direction/policy. Out: ERR,
WARN or INFO per COMPAT-RULES.md §6.1.3: OUT breaks when new ⊄ old, IN when old ⊄ new.
"""

from __future__ import annotations

from dataclasses import dataclass

from routinec.compat.report import Level

__all__ = ["POLICIES", "RULES", "Context", "Rule", "rule"]

POLICIES = ("default", "strict", "lenient")


@dataclass(frozen=True)
class Rule:
    id: str
    family: str
    summary: str


RULES: tuple[Rule, ...] = (
    # objects
    Rule("property-added-optional", "objects", "a new optional property"),
    Rule("property-added-required", "objects", "a new required property"),
    Rule("property-removed", "objects", "a property no longer declared"),
    Rule("property-became-required", "objects", "an existing property is now required"),
    Rule("property-became-optional", "objects", "an existing property is no longer required"),
    Rule("required-undeclared-added", "objects", "`required` gains a name not in `properties`"),
    Rule("required-undeclared-removed", "objects", "`required` loses a name not in `properties`"),
    Rule("additional-properties-closed", "objects", "undeclared properties are now rejected"),
    Rule("additional-properties-opened", "objects", "undeclared properties are now accepted"),
    Rule("additional-properties-schema-changed", "objects", "the schema of undeclared ones"),
    Rule("pattern-property-added", "objects", "a new patternProperties entry"),
    Rule("pattern-property-removed", "objects", "a patternProperties entry removed"),
    Rule("property-names-added", "objects", "propertyNames constrains names now"),
    Rule("property-names-removed", "objects", "propertyNames no longer constrains names"),
    Rule("min-properties-added", "objects", "minProperties added"),
    Rule("min-properties-increased", "objects", "minProperties increased"),
    Rule("min-properties-decreased", "objects", "minProperties decreased"),
    Rule("min-properties-removed", "objects", "minProperties removed"),
    Rule("max-properties-added", "objects", "maxProperties added"),
    Rule("max-properties-decreased", "objects", "maxProperties decreased"),
    Rule("max-properties-increased", "objects", "maxProperties increased"),
    Rule("max-properties-removed", "objects", "maxProperties removed"),
    Rule("dependent-required-added", "objects", "a dependentRequired entry added"),
    Rule("dependent-required-extended", "objects", "a dependentRequired entry grew"),
    Rule("dependent-required-narrowed", "objects", "a dependentRequired entry shrank"),
    Rule("dependent-required-changed", "objects", "a dependentRequired entry changed"),
    Rule("dependent-required-removed", "objects", "a dependentRequired entry removed"),
    Rule("dependent-schema-added", "objects", "a dependentSchemas entry added"),
    Rule("dependent-schema-removed", "objects", "a dependentSchemas entry removed"),
    # types and nullability
    Rule("type-widened", "types", "the type set grew or the type constraint went away"),
    Rule("type-narrowed", "types", "the type set shrank or a type constraint appeared"),
    Rule("type-changed", "types", "the types were swapped for others"),
    Rule("became-nullable", "types", "null is accepted now"),
    Rule("became-not-nullable", "types", "null is rejected now"),
    # enums and const
    Rule("enum-value-added", "enums", "an enum gained values"),
    Rule("enum-value-removed", "enums", "an enum lost values"),
    Rule("enum-added", "enums", "an enum where there was none"),
    Rule("enum-removed", "enums", "the enum went away"),
    Rule("enum-reordered", "enums", "the same enum values in another order"),
    Rule("const-added", "enums", "a const where there was none"),
    Rule("const-removed", "enums", "the const went away"),
    Rule("const-changed", "enums", "a different const"),
    Rule("const-to-enum", "enums", "a const became an enum"),
    Rule("enum-to-const", "enums", "an enum became a const"),
    # numbers
    Rule("minimum-added", "numbers", "a lower bound appeared"),
    Rule("minimum-increased", "numbers", "the lower bound went up"),
    Rule("minimum-decreased", "numbers", "the lower bound went down"),
    Rule("minimum-removed", "numbers", "the lower bound went away"),
    Rule("exclusive-minimum-added", "numbers", "the lower bound became exclusive"),
    Rule("exclusive-minimum-removed", "numbers", "the lower bound became inclusive"),
    Rule("maximum-added", "numbers", "an upper bound appeared"),
    Rule("maximum-decreased", "numbers", "the upper bound went down"),
    Rule("maximum-increased", "numbers", "the upper bound went up"),
    Rule("maximum-removed", "numbers", "the upper bound went away"),
    Rule("exclusive-maximum-added", "numbers", "the upper bound became exclusive"),
    Rule("exclusive-maximum-removed", "numbers", "the upper bound became inclusive"),
    Rule("multiple-of-added", "numbers", "multipleOf appeared"),
    Rule("multiple-of-removed", "numbers", "multipleOf went away"),
    Rule("multiple-of-expanded", "numbers", "multipleOf became a multiple of the old one"),
    Rule("multiple-of-reduced", "numbers", "multipleOf became a divisor of the old one"),
    Rule("multiple-of-changed", "numbers", "multipleOf changed, neither divides the other"),
    # strings
    Rule("min-length-added", "strings", "minLength appeared"),
    Rule("min-length-increased", "strings", "minLength went up"),
    Rule("min-length-decreased", "strings", "minLength went down"),
    Rule("min-length-removed", "strings", "minLength went away"),
    Rule("max-length-added", "strings", "maxLength appeared"),
    Rule("max-length-decreased", "strings", "maxLength went down"),
    Rule("max-length-increased", "strings", "maxLength went up"),
    Rule("max-length-removed", "strings", "maxLength went away"),
    Rule("pattern-added", "strings", "a pattern appeared"),
    Rule("pattern-removed", "strings", "the pattern went away"),
    Rule("pattern-changed", "strings", "a different pattern"),
    Rule("format-added", "strings", "a format appeared"),
    Rule("format-removed", "strings", "the format went away"),
    Rule("format-changed", "strings", "a different format"),
    Rule("content-encoding-changed", "strings", "contentEncoding changed"),
    Rule("content-media-type-changed", "strings", "contentMediaType changed"),
    # arrays
    Rule("items-added", "arrays", "items constrains elements now"),
    Rule("items-removed", "arrays", "items no longer constrains elements"),
    Rule("prefix-items-added", "arrays", "a tuple position appeared"),
    Rule("prefix-items-removed", "arrays", "a tuple position went away"),
    Rule("min-items-added", "arrays", "minItems appeared"),
    Rule("min-items-increased", "arrays", "minItems went up"),
    Rule("min-items-decreased", "arrays", "minItems went down"),
    Rule("min-items-removed", "arrays", "minItems went away"),
    Rule("max-items-added", "arrays", "maxItems appeared"),
    Rule("max-items-decreased", "arrays", "maxItems went down"),
    Rule("max-items-increased", "arrays", "maxItems went up"),
    Rule("max-items-removed", "arrays", "maxItems went away"),
    Rule("unique-items-added", "arrays", "items must be unique now"),
    Rule("unique-items-removed", "arrays", "items may repeat now"),
    Rule("contains-added", "arrays", "contains appeared"),
    Rule("contains-removed", "arrays", "contains went away"),
    Rule("min-contains-increased", "arrays", "minContains went up"),
    Rule("min-contains-decreased", "arrays", "minContains went down"),
    Rule("max-contains-decreased", "arrays", "maxContains went down or appeared"),
    Rule("max-contains-increased", "arrays", "maxContains went up or went away"),
    # combinators
    Rule("any-of-branch-added", "combinators", "an anyOf branch appeared"),
    Rule("any-of-branch-removed", "combinators", "an anyOf branch went away"),
    Rule("one-of-branch-added", "combinators", "a oneOf branch appeared"),
    Rule("one-of-branch-removed", "combinators", "a oneOf branch went away"),
    Rule("all-of-conjunct-added", "combinators", "an allOf conjunct appeared"),
    Rule("all-of-conjunct-removed", "combinators", "an allOf conjunct went away"),
    Rule("one-of-to-any-of", "combinators", "oneOf became anyOf"),
    Rule("any-of-to-one-of", "combinators", "anyOf became oneOf"),
    Rule("wrapped-in-union", "combinators", "a schema became one branch of a union"),
    Rule("unwrapped-from-union", "combinators", "a union became one of its branches"),
    Rule("not-added", "combinators", "a `not` appeared"),
    Rule("not-removed", "combinators", "the `not` went away"),
    Rule("not-changed", "combinators", "the schema inside `not` changed"),
    Rule("if-then-else-added", "combinators", "a conditional appeared"),
    Rule("if-then-else-removed", "combinators", "the conditional went away"),
    Rule("if-then-else-changed", "combinators", "the conditional changed"),
    Rule("schema-changed", "combinators", "a change the rules cannot split into parts"),
    # references, defaults, annotations
    Rule("ref-unresolved", "refs", "a $ref that cannot be resolved (remote, another file)"),
    Rule("dialect-assumed", "dialects", "no $schema: the dialect was inferred from keywords"),
    Rule("default-added", "defaults", "a default appeared (consumer behaviour changes)"),
    Rule("default-changed", "defaults", "the default changed (consumer behaviour changes)"),
    Rule("default-removed", "defaults", "the default went away (consumer behaviour changes)"),
    Rule("deprecated-added", "annotations", "marked deprecated"),
    Rule("deprecated-removed", "annotations", "no longer deprecated"),
    Rule("unsupported-keyword", "unsupported", "a keyword the engine does not understand"),
)
_BY_ID = {r.id: r for r in RULES}


def rule(rule_id: str) -> Rule:
    return _BY_ID[rule_id]


@dataclass(frozen=True)
class Context:
    """Direction (out: producer output changed; in: consumer input changed) and policy."""

    direction: str = "out"
    policy: str = "default"
    edge: bool = False

    @property
    def strict(self) -> bool:
        return self.policy == "strict"

    def level(
        self,
        old_in_new: bool | None,
        new_in_old: bool | None,
        *,
        out: Level | None = None,
        in_: Level | None = None,
    ) -> Level:
        """The table of §6.1.3, from the facts; `out`/`in_` are the per-rule overrides."""
        override = out if self.direction == "out" else in_
        if override is not None:
            return override
        fact = new_in_old if self.direction == "out" else old_in_new
        if fact is None:
            return Level.ERR if self.strict else Level.WARN
        return Level.INFO if fact else Level.ERR
