"""Rendered templates for ``dist/<version>/``: the committed templates with version defaults filled in.

The committed templates are valid as they are; rendering only changes parameter defaults (the code
location of this version), editing the text so that comments and layout survive, and checks the result
by parsing it.
"""

import re
from pathlib import Path
from typing import Any

from cfnlint.decode import decode_str  # type: ignore[import-untyped]

from release.layout import PINNED_CODE


class RenderError(ValueError):
    """The template does not have the shape rendering relies on."""


def _parameter_block(text: str, name: str) -> tuple[int, int]:
    parameters = re.search(r"^Parameters:[ \t]*\n", text, flags=re.MULTILINE)
    if parameters is None:
        raise RenderError("the template has no top-level Parameters section")
    header = re.compile(rf"^  {re.escape(name)}:[ \t]*\n", flags=re.MULTILINE)
    match = header.search(text, parameters.end())
    if match is None:
        raise RenderError(f"parameter {name} not found")
    end = re.compile(r"^(?!    |\s*$|\s*#)", flags=re.MULTILINE).search(text, match.end())
    return match.end(), end.start() if end else len(text)


def set_parameter_default(text: str, name: str, value: str) -> str:
    """Set (or add) ``Default: <value>`` of parameter ``name`` in a YAML CloudFormation template."""
    if not re.fullmatch(r"[A-Za-z0-9._/+:-]+", value):
        raise RenderError(f"refusing to render unusual characters into {name}: {value!r}")
    start, end = _parameter_block(text, name)
    block = text[start:end]
    default = re.compile(r"^    Default:.*$", flags=re.MULTILINE)
    if default.search(block):
        block = default.sub(f"    Default: {value}", block, count=1)
    else:
        type_line = re.search(r"^    Type:.*\n", block, flags=re.MULTILINE)
        if type_line is None:
            raise RenderError(f"parameter {name} has no Type line")
        block = block[: type_line.end()] + f"    Default: {value}\n" + block[type_line.end() :]
    rendered = text[:start] + block + text[end:]
    parsed = parse_template(rendered)
    if str(parsed["Parameters"][name].get("Default")) != value:
        raise RenderError(f"rendering {name} did not take effect")
    return rendered


def pin_parameter(text: str, name: str, value: str) -> str:
    """Make ``value`` the only value parameter ``name`` accepts (``Default`` and a one-item
    ``AllowedValues``): whoever provisions the product cannot pass another one, and CloudFormation
    refuses the stack if they try."""
    if not re.fullmatch(r"[A-Za-z0-9._/+=-]{1,1024}", value) or value == "null":
        raise RenderError(f"refusing to pin {name} to {value!r}")
    start, end = _parameter_block(text, name)
    lines = [
        line
        for line in text[start:end].splitlines(keepends=True)
        if not re.match(r"^    (Default|AllowedValues):", line)
    ]
    if any(re.match(r"^      - ", line) for line in lines):
        raise RenderError(f"parameter {name} has a multi-line list; write it inline to pin it")
    type_index = next((i for i, line in enumerate(lines) if line.startswith("    Type:")), None)
    if type_index is None:
        raise RenderError(f"parameter {name} has no Type line")
    # Double quotes keep YAML from reading a version id as a number or a boolean.
    lines[type_index + 1 : type_index + 1] = [
        f'    Default: "{value}"\n',
        f'    AllowedValues: ["{value}"]\n',
    ]
    rendered = text[:start] + "".join(lines) + text[end:]
    parameter = parse_template(rendered)["Parameters"][name]
    if parameter.get("Default") != value or parameter.get("AllowedValues") != [value]:
        raise RenderError(f"pinning {name} did not take effect")
    return rendered


def parse_template(text: str) -> dict[str, Any]:
    """Parse a CloudFormation YAML template (short-form intrinsics included) with cfn-lint's loader."""
    template, matches = decode_str(text)
    if matches or not isinstance(template, dict):
        raise RenderError(f"template does not parse: {[str(match) for match in matches]}")
    return dict(template)


def render_file(source: Path, destination: Path, defaults: dict[str, str]) -> None:
    text = source.read_text(encoding="utf-8")
    for name, value in sorted(defaults.items()):
        text = set_parameter_default(text, name, value)
    destination.parent.mkdir(parents=True, exist_ok=True)
    destination.write_text(text, encoding="utf-8")


def pin_code_versions(text: str, versions: dict[str, str]) -> str:
    """The project template with each Lambda zip's S3 object version pinned (``layout.PINNED_CODE``)."""
    for artifact, parameter in sorted(PINNED_CODE.items()):
        if artifact not in versions:
            raise RenderError(f"no uploaded version of {artifact} to pin {parameter} to")
        text = pin_parameter(text, parameter, versions[artifact])
    return text
