"""Reject abusive documents before they run: depth, aliases, tokens and an estimated cost."""

from __future__ import annotations

from functools import partial

from graphql import FieldNode, GraphQLError, IntValueNode, ValidationRule
from graphql.language import FragmentSpreadNode, InlineFragmentNode, OperationDefinitionNode
from strawberry.extensions import AddValidationRules, MaxTokensLimiter, ParserCache, ValidationCache
from strawberry.extensions.max_aliases import create_validator as aliases_rule
from strawberry.extensions.query_depth_limiter import create_validator as depth_rule

MAX_DEPTH = 12
MAX_ALIASES = 30
MAX_TOKENS = 4000
MAX_COST = 50_000
# The rules of strawberry's QueryDepthLimiter and MaxAliasesLimiter, made once: those extensions make a new
# rule class per instance, that is per request, and ValidationCache keys on the rule classes, so with them
# no validation was ever reused (every request re-validated its document).
DEPTH_RULE = depth_rule(MAX_DEPTH, None, None)
ALIASES_RULE = aliases_rule(MAX_ALIASES)


class CostRule(ValidationRule):
    """Estimated cost: every field costs 1 times the ``first`` of the lists around it."""

    def enter_operation_definition(self, node: OperationDefinitionNode, *_args: object) -> None:
        fragments = {f.name.value: f for f in self.context.document.definitions if hasattr(f, "type_condition")}
        cost = _cost(node.selection_set, 1, fragments, 0)
        if cost > MAX_COST:
            self.report_error(GraphQLError(
                f"Query cost {cost} exceeds the limit of {MAX_COST}; ask for fewer rows or fields",
                node, extensions={"code": "BAD_USER_INPUT", "cost": cost},
            ))


def _cost(selection_set, multiplier: int, fragments: dict, depth: int) -> int:
    if selection_set is None or depth > 50:
        return 0
    total = 0
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            inner = multiplier
            for argument in selection.arguments or ():
                if argument.name.value == "first":
                    size = int(argument.value.value) if isinstance(argument.value, IntValueNode) else 500
                    inner = multiplier * max(size, 1)
                    break
            total += multiplier + _cost(selection.selection_set, inner, fragments, depth + 1)
        elif isinstance(selection, InlineFragmentNode):
            total += _cost(selection.selection_set, multiplier, fragments, depth + 1)
        elif isinstance(selection, FragmentSpreadNode):
            fragment = fragments.get(selection.name.value)
            if fragment is not None:
                total += _cost(fragment.selection_set, multiplier, fragments, depth + 1)
    return total


def limit_extensions(*, introspection: bool) -> list:
    """Schema extensions as factories (never shared instances: they hold per-request state)."""
    from graphql.validation import NoSchemaIntrospectionCustomRule

    rules = [DEPTH_RULE, ALIASES_RULE, CostRule]
    if not introspection:
        rules.append(NoSchemaIntrospectionCustomRule)
    return [
        partial(ParserCache, maxsize=512),
        partial(ValidationCache, maxsize=512),
        partial(MaxTokensLimiter, max_token_count=MAX_TOKENS),
        partial(AddValidationRules, rules),
    ]

