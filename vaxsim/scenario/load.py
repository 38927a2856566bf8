"""Load a scenario file: resolve ``extends``, apply ``--set`` overrides, validate, check."""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Sequence
from pathlib import Path as FilePath
from typing import Any

import yaml
from pydantic import ValidationError

from vaxsim.errors import Path, Problem, ScenarioError, format_path
from vaxsim.scenario.checks import check
from vaxsim.scenario.messages import message_for
from vaxsim.scenario.scenario import Scenario
from vaxsim.scenario.yaml_source import Located, read_yaml

MAX_EXTENDS = 16
#: ``extends`` names only YAML files: vaxsim never reads other files as a base.
YAML_SUFFIXES = (".yaml", ".yml")


def load(path: str | os.PathLike[str], overrides: Sequence[str] = ()) -> Scenario:
    """Read, merge, validate and check a scenario file.

    ``overrides`` are ``"dotted.path=value"`` strings (values are YAML, so ``3``, ``true`` and
    ``[1, 2]`` keep their types); list items are addressed by index (``sites.0.type=mass``).
    Raises :class:`~vaxsim.errors.ScenarioError` listing every problem with file, line and field.
    """
    located = read_tree(path)
    for override in overrides:
        apply_override(located, override)
    return validate(located)


def read_tree(path: str | os.PathLike[str], _chain: tuple[FilePath, ...] = ()) -> Located:
    """Read ``path`` and the files it ``extends`` into one merged :class:`Located` tree."""
    file_path = FilePath(path)
    resolved = file_path.resolve()
    if resolved in _chain:
        cycle = " -> ".join(str(p) for p in (*_chain, resolved))
        raise ScenarioError([Problem(str(path), None, "extends", f"extends cycle: {cycle}")])
    if len(_chain) >= MAX_EXTENDS:
        raise ScenarioError([Problem(str(path), None, "extends", "too many levels of extends")])
    located = read_yaml(file_path)
    base_name = located.data.pop("extends", None)
    if base_name is None:
        return located
    if not isinstance(base_name, str) or not base_name:
        file, line = located.where(("extends",))
        raise ScenarioError([Problem(file, line, "extends", "must be the path of a scenario file")])
    base_path = file_path.parent / base_name
    if base_path.suffix.lower() not in YAML_SUFFIXES:
        file, line = located.where(("extends",))
        message = f"must name a scenario file ending in .yaml or .yml (got {base_name[:80]!r})"
        raise ScenarioError([Problem(file, line, "extends", message)])
    try:
        base = read_tree(base_path, (*_chain, resolved))
        _only_scenario_sections(base, base_path)
    except ScenarioError as error:
        file, line = located.where(("extends",))
        note = Problem(file, line, "extends", f"in the base scenario {base_name!r}:")
        raise ScenarioError([note, *error.problems]) from None
    return merge(base, located)


def _only_scenario_sections(base: Located, path: FilePath) -> None:
    """Refuse a base file whose top level is not scenario sections, quoting at most one of its
    keys (a YAML file that is not a scenario is not listed field by field)."""
    sections = set(Scenario.model_fields)
    strangers = [key for key in base.data if key not in sections]
    if strangers:
        key = str(strangers[0])[:40]
        message = f"not a scenario file (its top-level key {key!r} is not a scenario section)"
        raise ScenarioError([Problem(str(path), None, "", message)])


def merge(base: Located, override: Located) -> Located:
    """Deep-merge ``override`` onto ``base``: mappings merge key by key, anything else replaces."""

    def merged(base_value: Any, override_value: Any) -> Any:
        if isinstance(base_value, dict) and isinstance(override_value, dict):
            result = dict(base_value)
            for key, value in override_value.items():
                result[key] = merged(base_value[key], value) if key in base_value else value
            return result
        return override_value

    def from_base(path: Path) -> bool:
        node = override.data
        for key in path:
            if not isinstance(node, dict):
                return False
            if key not in node:
                return True
            node = node[key]
        return False

    locations = {path: where for path, where in base.locations.items() if from_base(path)}
    locations.update(override.locations)
    return Located(merged(base.data, override.data), locations)


def override_keys(name: str) -> list[str]:
    """``site_types.hub.stations[2].servers`` → ``['site_types', 'hub', 'stations', '2',
    'servers']``: list items by ``.2`` or ``[2]``; raises ``ValueError`` for a malformed path."""
    text = name.strip()
    if not re.fullmatch(r"[^.\[\]]+(\[-?\d+\]|\.[^.\[\]]+)*", text):
        raise ValueError("expected a path like section.field, list.2.field or list[2].field")
    return [part.strip("[]") for part in re.findall(r"[^.\[\]]+|\[-?\d+\]", text)]


def apply_override(located: Located, override: str) -> None:
    """Apply one ``dotted.path=value`` override to ``located`` in place.

    Keys the file does not have are created; they are remembered as coming from the override,
    so a misspelt path is reported against ``--set …``, not against a line of the file.
    """
    source = f"--set {override}"
    name, sep, text = override.partition("=")
    if not sep or not name.strip():
        raise ScenarioError([Problem(source, None, "", "expected --set path.to.field=value")])
    try:
        value = yaml.safe_load(text) if text.strip() else None
    except yaml.YAMLError as error:
        raise ScenarioError([Problem(source, None, name, f"value is not valid YAML: {error}")]) from None
    except (ValueError, OverflowError):
        value = text.strip()  # e.g. 2021-02-30: validation reports it against the date field
    parts: list[str | int] = []
    node: Any = located.data
    try:
        keys = override_keys(name)
    except ValueError as error:
        raise ScenarioError([Problem(source, None, name.strip(), str(error))]) from None
    created: tuple[str | int, ...] | None = None
    for position, key in enumerate(keys):
        last = position == len(keys) - 1
        if isinstance(node, list):
            if not key.lstrip("-").isdigit() or not -len(node) <= int(key) < len(node):
                message = f"no list item {key!r} (the list has {len(node)} items)"
                raise ScenarioError([Problem(source, None, format_path(tuple(parts)), message)])
            index = int(key) % len(node)
            parts.append(index)
            if last:
                node[index] = value
            else:
                node = node[index]
        elif isinstance(node, dict):
            if key not in node and created is None:
                created = (*parts, key)
            parts.append(key)
            if last:
                node[key] = value
            else:
                node = node.setdefault(key, {})
        else:
            message = "cannot set a field inside a plain value"
            raise ScenarioError([Problem(source, None, format_path(tuple(parts)), message)])
    path = tuple(parts)
    for existing in [p for p in located.locations if p[: len(path)] == path]:
        del located.locations[existing]
    located.locations[path] = (source, None)
    if created is not None:
        located.locations[created] = (source, None)


def validate(located: Located) -> Scenario:
    """Validate merged data into a :class:`Scenario`, then run the semantic checks."""
    try:
        scenario = Scenario.model_validate(located.data)
    except ValidationError as error:
        problems = [_problem(located, err["loc"], message_for(err)) for err in error.errors()]
        raise ScenarioError(_sorted(problems)) from None
    _resolve_plan_against(scenario, located)
    findings = check(scenario)
    if findings:
        raise ScenarioError(located_problems(located, findings))
    # Checks that need the compiled store network run when the model is compiled
    # (vaxsim.coldchain.checks.checked_model); they name file and line from here.
    scenario._source = located
    return scenario


def located_problems(located: Located, findings: Sequence[tuple[Any, str]]) -> list[Problem]:
    """``(data path, message)`` findings as problems with the file and line of each path."""
    return _sorted(_problem(located, path, message) for path, message in findings)


def _resolve_plan_against(scenario: Scenario, located: Located) -> None:
    """``policies.plan`` is relative to the folder of the file that states it."""
    if scenario.policies.plan:
        file, _ = located.where(("policies", "plan"))
        from_file = not file.startswith(("--set", "<"))
        scenario.policies.with_plan_folder(str(FilePath(file).parent) if from_file else None)



def source_of(scenario: Scenario) -> Located:
    """Where ``scenario``'s values came from (no lines for a scenario built in code)."""
    if scenario._source is not None:
        return scenario._source
    return Located(scenario.model_dump(mode="json", by_alias=True), {})


def _problem(located: Located, loc: tuple[Any, ...], message: str) -> Problem:
    """Map a pydantic ``loc`` (which may include union tags) to a data path and its line."""
    path: list[str | int] = []
    node: Any = located.data
    for part in loc:
        if part == "[key]":
            message = f"invalid key: {message}"
            continue
        in_mapping = isinstance(node, dict) and part in node
        in_list = isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        if in_mapping or in_list:
            node = node[part]
        elif isinstance(node, dict) and node.get("kind") == part:
            continue  # a discriminated union's tag, not a field
        else:
            node = None
        path.append(part)
    data_path = tuple(path)
    file, line = located.where(data_path)
    return Problem(file, line, format_path(data_path), message)


def _sorted(problems: Any) -> list[Problem]:
    return sorted(set(problems), key=lambda p: (p.file, p.line or 0, p.path, p.message))


def canonical_json(scenario: Scenario) -> str:
    """The scenario as canonical JSON text (keys sorted): what :func:`scenario_hash` hashes and
    what a plan bundle carries as ``scenario.json``."""
    return json.dumps(scenario.model_dump(mode="json", by_alias=True), sort_keys=True)


def scenario_hash(scenario: Scenario) -> str:
    """sha256 of the scenario's canonical JSON: equal hashes mean equal inputs."""
    return hashlib.sha256(canonical_json(scenario).encode()).hexdigest()
