"""Whether GitLab would create a pipeline at all: ``[skip ci]`` and top-level ``workflow:rules``.

GitLab decides this before any job exists: a push whose workflow rules do not match creates no pipeline,
and an API or trigger request gets 400 ``{"message": {"base": ["Pipeline filtered out by workflow rules."]}}``.
The jobs themselves are the runner's business (gitlab-ci-local evaluates job rules).

Emulated: ``workflow: rules:`` entries with ``if:`` (``$VAR``, ``==``, ``!=``, ``=~``, ``!~``, ``null``,
``&&``, ``||``, parentheses), ``exists:`` (checked against the commit's files), ``when: never|always``;
``changes:`` counts as matching. Variables: the CI file's top-level ``variables``, the project's CI/CD
variables, the pipeline's variables and the predefined ones below. Not emulated: ``include:`` (a workflow in
an included file is not seen), ``!reference``, ``rules:variables``, push options (``-o ci.skip``).
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Mapping
from typing import Any

import yaml

_TOKEN = re.compile(
    r"\s*(?:(?P<var>\$\{?\w+\}?)|(?P<str>\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*')|(?P<re>/(?:[^/\\]|\\.)*/[a-z]*)"
    r"|(?P<op>==|!=|=~|!~|&&|\|\||\(|\))|(?P<null>null))"
)


class _Loader(yaml.SafeLoader):
    """SafeLoader that tolerates GitLab's custom tags (``!reference [...]``) instead of failing."""


def _any_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node)
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node)
    return loader.construct_scalar(node)  # type: ignore[arg-type]


_Loader.add_multi_constructor("!", _any_tag)  # type: ignore[no-untyped-call]


def skip_ci(message: str) -> bool:
    return bool(re.search(r"\[(ci[ _-]skip|skip[ _-]ci)\]", message, re.IGNORECASE))


def _tokens(expr: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    expr = expr.strip()
    while pos < len(expr):
        found = _TOKEN.match(expr, pos)
        if not found or found.end() == pos:
            raise ValueError(f"cannot parse rules:if expression {expr!r}")
        kind = found.lastgroup or ""
        out.append((kind, found.group(kind)))
        pos = found.end()
    return out


def evaluate(expr: str, variables: Mapping[str, str]) -> bool:
    """Evaluate a ``rules:if`` expression (GitLab's CI/CD expression syntax)."""
    tokens = _tokens(expr)
    index = 0

    def peek() -> tuple[str, str] | None:
        return tokens[index] if index < len(tokens) else None

    def take() -> tuple[str, str]:
        nonlocal index
        index += 1
        return tokens[index - 1]

    def operand(token: tuple[str, str]) -> str | None:
        kind, text = token
        if kind == "var":
            return variables.get(text.strip("${}"))
        if kind == "str":
            return text[1:-1]
        if kind == "null":
            return None
        raise ValueError(f"unexpected {text!r} in {expr!r}")

    def comparison() -> bool:
        token = take()
        if token == ("op", "("):
            inner = disjunction()
            take()
            return inner
        nxt = peek()
        if nxt and nxt[0] == "op" and nxt[1] in ("==", "!=", "=~", "!~"):
            op = take()[1]
            left = operand(token)
            right_token = take()
            if op in ("=~", "!~"):
                pattern_text = right_token[1] if right_token[0] == "re" else (operand(right_token) or "")
                body, _, flags = (
                    pattern_text[1:].rpartition("/")
                    if pattern_text.startswith("/")
                    else (pattern_text, "", "")
                )
                regex = re.compile(body, re.IGNORECASE if "i" in flags else 0)
                matched = left is not None and regex.search(left) is not None
                return matched if op == "=~" else not matched
            right = operand(right_token)
            return (left == right) if op == "==" else (left != right)
        return bool(operand(token))

    def chain(operand: Callable[[], bool], op: str) -> bool:
        """``operand (op operand)*``, left to right; every operand is parsed (no short circuit), so the
        tokens are consumed whatever the values."""
        value = operand()
        while peek() == ("op", op):
            take()
            right = operand()
            value = (value and right) if op == "&&" else (value or right)
        return value

    # && binds tighter than ||, as in GitLab's rules:if (https://docs.gitlab.com/ci/jobs/job_rules/).
    def disjunction() -> bool:
        return chain(lambda: chain(comparison, "&&"), "||")

    return disjunction()


def creates_pipeline(
    ci_yaml: bytes, variables: Mapping[str, str], file_exists: Callable[[str], bool]
) -> bool:
    """Whether ``workflow:rules`` let this pipeline be created (no workflow = yes)."""
    try:
        config = yaml.load(ci_yaml, Loader=_Loader)  # noqa: S506 (SafeLoader subclass)
    except yaml.YAMLError:
        return True  # GitLab would create a failed pipeline with yaml_errors; the runner reports it
    if not isinstance(config, dict):
        return True
    workflow = config.get("workflow")
    rules = workflow.get("rules") if isinstance(workflow, dict) else None
    if not isinstance(rules, list):
        return True
    scope = dict(_top_level_variables(config))
    scope.update(variables)
    for rule in rules:
        if not isinstance(rule, dict):
            continue
        if "if" in rule and not evaluate(str(rule["if"]), scope):
            continue
        exists = rule.get("exists")
        if exists is not None:
            paths = (
                exists
                if isinstance(exists, list)
                else exists.get("paths", [])
                if isinstance(exists, dict)
                else []
            )
            if not any(file_exists(str(p)) for p in paths):
                continue
        return bool(rule.get("when", "always") != "never")
    return False


def _top_level_variables(config: dict[str, Any]) -> dict[str, str]:
    raw = config.get("variables")
    if not isinstance(raw, dict):
        return {}
    result = {}
    for key, value in raw.items():
        result[str(key)] = str(value.get("value", "")) if isinstance(value, dict) else str(value)
    return result


def glob_exists(paths: list[str]) -> Callable[[str], bool]:
    """``exists:`` patterns (globs, ``**`` included) against a list of file paths."""

    def check(pattern: str) -> bool:
        return any(fnmatch.fnmatch(p, pattern) or p == pattern for p in paths)

    return check
