"""Read YAML into plain data while remembering the line each value came from."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import yaml

from vaxsim.errors import Path, Problem, ScenarioError, format_path
from vaxsim.io.input_file import MAX_SCENARIO_BYTES, InputFileError, read_input_text

MAX_DEPTH = 64
#: Nodes of one scenario document, aliases expanded (vietnam-2021 has 22,274).
MAX_NODES = 500_000


@dataclass
class Located:
    """Plain YAML data plus, for every path into it, the ``(file, line)`` it was written at."""

    data: Any
    locations: dict[Path, tuple[str, int | None]] = field(default_factory=dict)

    def where(self, path: Path) -> tuple[str, int | None]:
        """Location of ``path``, or of its nearest ancestor that has one."""
        for end in range(len(path), -1, -1):
            if path[:end] in self.locations:
                return self.locations[path[:end]]
        return ("<scenario>", None)


def read_yaml(path: str | os.PathLike[str], display_name: str | None = None) -> Located:
    """Parse one YAML file into :class:`Located` data.

    Raises :class:`ScenarioError` for a missing, unreadable, empty or malformed file, a file that
    is not a regular file or is larger than :data:`MAX_SCENARIO_BYTES`, duplicate keys and alias
    bombs, each with the file (and line where there is one).
    """
    name = display_name or str(path)
    try:
        text = read_input_text(path, limit=MAX_SCENARIO_BYTES)
    except InputFileError as error:
        raise ScenarioError([Problem(name, None, "", str(error).removeprefix(f"{path}: "))]) from None
    except FileNotFoundError:
        raise ScenarioError([Problem(name, None, "", "file not found")]) from None
    except IsADirectoryError:
        raise ScenarioError([Problem(name, None, "", "is a directory, not a scenario file")]) from None
    except PermissionError:
        raise ScenarioError([Problem(name, None, "", "cannot read file (permission denied)")]) from None
    except UnicodeDecodeError as error:
        message = f"not UTF-8 text (bad byte at offset {error.start})"
        raise ScenarioError([Problem(name, None, "", message)]) from None
    except OSError as error:
        raise ScenarioError([Problem(name, None, "", f"cannot read file ({error.strerror})")]) from None
    return parse_yaml(text, name)


#: libyaml's parser when PyYAML was built with it (the national scenario parses ~10× faster);
#: the same nodes, marks and errors either way.
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def parse_yaml(text: str, name: str) -> Located:
    """Parse YAML ``text`` (named ``name`` in messages) into :class:`Located` data."""
    if not text.strip():
        raise ScenarioError([Problem(name, None, "", "file is empty; expected a scenario mapping")])
    if _too_many_nodes(text):
        message = f"more than {MAX_NODES:,} values: too large for a scenario"
        raise ScenarioError([Problem(name, None, "", message)])
    try:
        loader = _SafeLoader(text)
    except yaml.YAMLError as error:  # e.g. a control character the YAML reader refuses
        raise ScenarioError([Problem(name, None, "", f"malformed YAML: {error}")]) from None
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = error.problem or str(error)
        raise ScenarioError([Problem(name, line, "", f"malformed YAML: {problem}")]) from None
    except yaml.YAMLError as error:
        raise ScenarioError([Problem(name, None, "", f"malformed YAML: {error}")]) from None
    finally:
        loader.dispose()
    if node is None:
        raise ScenarioError([Problem(name, None, "", "file has no content; expected a scenario mapping")])
    builder = _Builder(name, loader)
    data = builder.build(node, (), 0)
    if builder.problems:
        raise ScenarioError(builder.problems)
    if not isinstance(data, dict):
        kind = type(data).__name__
        raise ScenarioError(
            [Problem(name, node.start_mark.line + 1, "", f"expected a mapping of sections, got {kind}")]
        )
    return Located(data, builder.locations)


def _too_many_nodes(text: str) -> bool:
    """Would composing ``text`` build more than :data:`MAX_NODES` nodes? Composing builds them
    all at once (a 30 MB list takes gigabytes), so they are counted first: cheaply bounded by the
    characters that can start a node, and, only above that bound, by streaming parse events."""
    bound = 2 * text.count(":") + text.count(",") + text.count("-") + text.count("\n") + 1
    if bound <= MAX_NODES:
        return False
    events = 0
    try:
        for event in yaml.parse(text, Loader=_SafeLoader):
            events += isinstance(event, yaml.NodeEvent)
            if events > MAX_NODES:
                return True
    except yaml.YAMLError:
        return False  # reported with its line by the parse that follows
    return False


class _Builder:
    """Turn a composed YAML node tree into plain data, recording line numbers."""

    def __init__(self, name: str, loader: yaml.SafeLoader):
        self.name = name
        self.loader = loader
        self.locations: dict[Path, tuple[str, int | None]] = {}
        self.problems: list[Problem] = []
        self.nodes = 0

    def fail(self, node: yaml.Node, path: Path, message: str) -> None:
        self.problems.append(Problem(self.name, node.start_mark.line + 1, format_path(path), message))

    def build(self, node: yaml.Node, path: Path, depth: int) -> Any:
        self.nodes += 1
        if depth > MAX_DEPTH or self.nodes > MAX_NODES:
            if not self.problems:
                self.fail(node, path, "document too deep or too large (recursive alias?)")
            return None
        self.locations.setdefault(path, (self.name, node.start_mark.line + 1))
        if isinstance(node, yaml.MappingNode):
            self.loader.flatten_mapping(node)
            result: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                key = self.scalar(key_node, path)
                if key is _INVALID:
                    continue
                if key in result:
                    self.fail(key_node, path + (key,), "duplicate key (the later value would win)")
                    continue
                child = path + (key,)
                self.locations[child] = (self.name, key_node.start_mark.line + 1)
                result[key] = self.build(value_node, child, depth + 1)
            return result
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, path + (i,), depth + 1) for i, item in enumerate(node.value)]
        return self.scalar(node, path)

    def scalar(self, node: yaml.Node, path: Path) -> Any:
        if not isinstance(node, yaml.ScalarNode):
            self.fail(node, path, "a mapping key must be a plain value, not a list or mapping")
            return _INVALID
        try:
            value = self.loader.construct_object(node, deep=True)
        except yaml.YAMLError as error:
            self.fail(node, path, f"invalid value: {getattr(error, 'problem', error)}")
            return _INVALID
        except (ValueError, OverflowError):
            # PyYAML resolves '2021-13-45' as a date, then fails to build it: keep the text
            # so validation reports it against the field that expects a date.
            return node.value
        return value


_INVALID = object()
