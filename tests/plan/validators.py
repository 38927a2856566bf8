"""Offline validators for the exports, driven by the shared reference material (test data only).

- :class:`FhirSchema`: each resource against the HL7 FHIR R4 JSON Schema,
  ``#/definitions/<resourceType>`` (draft-06, ``$ref`` resolved inside the file).
- :class:`SslProfiles`: the SMART Scheduling Links conformance profiles (Inferno
  StructureDefinitions and ValueSets): reads each differential's ``min`` / ``max``, fixed and
  pattern values, slices (by url, system, profile or pattern), type profiles and required
  bindings, and checks resources against them. It implements the constructs these profiles use,
  not all of FHIR profiling; bindings to value sets that are not in the folder are not checked.
- :func:`validate_ssl_folder`: a whole publication: the ``$bulk-publish`` manifest's shape,
  every NDJSON line against the schema and the profiles, and references between the files.

Messages read ``file:line: ResourceType/id: rule: problem``; ``rule`` is the profile element
(e.g. ``Location.identifier:vTrckS``), so known deviations can be allow-listed by rule.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema

INSTANT = re.compile(
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$"
)
SSL_PROFILES = {
    "Location": "http://fhir-registry.smarthealthit.org/StructureDefinition/vaccine-location",
    "Schedule": "http://fhir-registry.smarthealthit.org/StructureDefinition/vaccine-schedule",
    "Slot": "http://fhir-registry.smarthealthit.org/StructureDefinition/vaccine-slot",
}
SLOT_CAPACITY = "http://fhir-registry.smarthealthit.org/StructureDefinition/slot-capacity"
VACCINE_PRODUCT = "http://fhir-registry.smarthealthit.org/StructureDefinition/vaccine-product"
VACCINE_DOSE = "http://fhir-registry.smarthealthit.org/StructureDefinition/vaccine-dose"
CVX = "http://hl7.org/fhir/sid/cvx"
FILE_TYPES = {"locations.ndjson": "Location", "schedules.ndjson": "Schedule"}


class FhirSchema:
    """Validate FHIR R4 resources against the official JSON Schema."""

    def __init__(self, path: Path):
        self.schema = json.loads(path.read_text(encoding="utf-8"))
        self._validators: dict[str, jsonschema.Draft6Validator] = {}

    def validator(self, resource_type: str) -> jsonschema.Draft6Validator:
        if resource_type not in self._validators:
            if resource_type not in self.schema["definitions"]:
                raise KeyError(f"no FHIR R4 resource type {resource_type!r}")
            # The root keeps "definitions" so every "#/definitions/..." $ref resolves in the file.
            root = {
                "$schema": self.schema["$schema"],
                "definitions": self.schema["definitions"],
                "$ref": f"#/definitions/{resource_type}",
            }
            self._validators[resource_type] = jsonschema.Draft6Validator(root)
        return self._validators[resource_type]

    def problems(self, resource: dict[str, Any]) -> list[str]:
        kind = resource.get("resourceType")
        if not isinstance(kind, str) or kind not in self.schema["definitions"]:
            return [f"schema: unknown resourceType {kind!r}"]
        found = []
        for error in self.validator(kind).iter_errors(resource):
            where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
            found.append(f"schema: {kind}{where}: {error.message[:200]}")
        return found


def _values(item: Any, segments: list[str]) -> list[Any]:
    """Values at a relative element path (arrays flattened; ``value[x]`` matches valueAnything)."""
    current = [item]
    for segment in segments:
        found = []
        for node in current:
            if not isinstance(node, dict):
                continue
            if segment.endswith("[x]"):
                stem = segment[:-3]
                keys = [k for k in node if k.startswith(stem) and k[len(stem) : len(stem) + 1].isupper()]
            else:
                keys = [segment] if segment in node else []
            for key in keys:
                value = node[key]
                found.extend(value if isinstance(value, list) else [value])
        current = found
    return current


def _matches(value: Any, pattern: Any) -> bool:
    if isinstance(pattern, dict):
        return isinstance(value, dict) and all(_matches(value.get(k), v) for k, v in pattern.items())
    return value == pattern


def _max(element: dict[str, Any]) -> float:
    text = element.get("max", "*")
    return float("inf") if text == "*" else int(text)


class SslProfiles:
    """The SMART Scheduling Links profiles of a folder of StructureDefinitions and ValueSets."""

    def __init__(self, folder: Path):
        self.definitions: dict[str, dict[str, Any]] = {}
        self.value_sets: dict[str, set[str]] = {}
        for path in sorted(folder.glob("*.json")):
            document = json.loads(path.read_text(encoding="utf-8"))
            if document.get("resourceType") == "StructureDefinition":
                self.definitions[document["url"]] = document
            elif document.get("resourceType") == "ValueSet":
                codes = set()
                for include in document.get("compose", {}).get("include", []):
                    codes |= {concept["code"] for concept in include.get("concept", [])}
                self.value_sets[document["url"]] = codes

    def problems(self, resource: dict[str, Any]) -> list[str]:
        """Problems of a Location, Schedule or Slot against its SMART Scheduling Links profile."""
        profile = SSL_PROFILES.get(resource.get("resourceType", ""))
        if profile is None:
            return [f"profile: no SMART Scheduling Links profile for {resource.get('resourceType')!r}"]
        return self.check(profile, resource)

    def check(self, url: str, item: Any) -> list[str]:
        """Problems of ``item`` against the StructureDefinition ``url``."""
        definition = self.definitions[url]
        root = definition["type"]
        elements = definition["differential"]["element"]
        found: list[str] = []
        for index, element in enumerate(elements):
            path = element["path"]
            if path == root:
                continue
            segments = path.split(".")[1:]
            if "sliceName" in element:
                found += self._check_slice(element, elements[index + 1 :], item, segments)
                continue
            if self._inside_slice(elements[:index], path):
                continue  # a slice's own constraints: applied to its members in _check_slice
            found += self._check_element(element, item, segments)
        return found

    @staticmethod
    def _inside_slice(before: list[dict[str, Any]], path: str) -> bool:
        """Whether the nearest earlier element on an ancestor path is a slice (its constraints
        then apply to the slice's members only)."""
        for element in reversed(before):
            if path.startswith(element["path"] + "."):
                return "sliceName" in element
        return False

    def _check_element(self, element: dict[str, Any], item: Any, segments: list[str]) -> list[str]:
        found = []
        name = element["path"]
        parents = _values(item, segments[:-1])
        for parent in parents:
            values = _values(parent, segments[-1:])
            if len(values) < element.get("min", 0):
                found.append(f"{name}: {len(values)} found, at least {element['min']} required")
            if len(values) > _max(element):
                found.append(f"{name}: {len(values)} found, at most {element['max']} allowed")
            for key in ("fixedUri", "patternUri", "fixedCode", "patternCoding"):
                if key in element:
                    for value in values:
                        if not _matches(value, element[key]):
                            found.append(f"{name}: {value!r} is not {element[key]!r}")
            binding = element.get("binding", {})
            if binding.get("strength") == "required" and binding.get("valueSet") in self.value_sets:
                allowed = self.value_sets[binding["valueSet"]]
                for value in values:
                    code = value.get("code") if isinstance(value, dict) else value
                    if code not in allowed:
                        found.append(
                            f"{name}: {code!r} is not in {binding['valueSet']} ({', '.join(sorted(allowed))})"
                        )
            for kind in element.get("type", []):
                for profile in kind.get("profile", []):
                    if profile in self.definitions:
                        for value in values:
                            found += [f"{name} ({problem})" for problem in self.check(profile, value)]
                for target in kind.get("targetProfile", []):
                    expected = target.rsplit("/", 1)[1] + "/"
                    for value in values:
                        reference = value.get("reference", "") if isinstance(value, dict) else ""
                        if not reference.startswith(expected):
                            found.append(f"{name}: reference {reference!r} is not to a {expected[:-1]}")
            if element["path"].endswith("[x]") and element.get("type"):
                allowed_keys = {"value" + t["code"][0].upper() + t["code"][1:] for t in element["type"]}
                present = [k for k in (parent if isinstance(parent, dict) else {}) if k.startswith("value")]
                if len(present) != 1 or present[0] not in allowed_keys:
                    found.append(
                        f"{name}: needs exactly one of {', '.join(sorted(allowed_keys))} (found {present})"
                    )
        return found

    def _check_slice(
        self, element: dict[str, Any], following: list[dict[str, Any]], item: Any, segments: list[str]
    ) -> list[str]:
        """A slice of an array of the root: select its members, count them, check each."""
        name = f"{element['path']}:{element['sliceName']}"
        children = []
        for child in following:
            if not child["path"].startswith(element["path"] + ".") or "sliceName" in child:
                break
            children.append(child)
        members = []
        for value in _values(item, segments):
            if "patternCoding" in element:
                selected = _matches(value, element["patternCoding"])
            elif element.get("type") and element["type"][0].get("profile"):
                profile = self.definitions.get(element["type"][0]["profile"][0])
                if profile is None:
                    continue
                if profile["type"] == "Extension":
                    fixed = next(e["fixedUri"] for e in profile["differential"]["element"] if "fixedUri" in e)
                    selected = isinstance(value, dict) and value.get("url") == fixed
                else:
                    selected = not self.check(profile["url"], value)
            else:
                selected = all(
                    _matches(
                        _values(value, [c["path"].rsplit(".", 1)[1]])[:1] or [None], [c.get("patternUri")]
                    )
                    for c in children
                    if "patternUri" in c
                )
            if selected:
                members.append(value)
        found = []
        if len(members) < element.get("min", 0):
            found.append(f"{name}: {len(members)} found, at least {element['min']} required")
        if len(members) > _max(element):
            found.append(f"{name}: {len(members)} found, at most {element['max']} allowed")
        for kind in element.get("type", []):
            for profile in kind.get("profile", []):
                if profile in self.definitions and self.definitions[profile]["type"] == "Extension":
                    for member in members:
                        found += [f"{name} ({problem})" for problem in self.check(profile, member)]
        return found


def _slot_rules(resource: dict[str, Any]) -> list[str]:
    """Rules of the specification's text: a Slot is free or busy, with a whole capacity ≥ 1."""
    found = []
    if resource.get("status") not in ("free", "busy"):
        found.append(f"slot-status: {resource.get('status')!r} is not free or busy")
    capacities = [e for e in resource.get("extension", []) if e.get("url") == SLOT_CAPACITY]
    for extension in capacities:
        value = extension.get("valueInteger")
        if not isinstance(value, int) or value < 1:
            found.append(f"slot-capacity: {value!r} is not a whole number of at least 1")
    for key in ("start", "end"):
        if not INSTANT.match(str(resource.get(key, ""))):
            found.append(f"slot-{key}: {resource.get(key)!r} is not an instant with an offset")
    return found


def _schedule_rules(resource: dict[str, Any]) -> list[str]:
    """The specification's text: the vaccine-product extension carries a CVX code, the
    vaccine-dose extension a dose number of at least 1."""
    found = []
    for extension in resource.get("extension", []):
        if extension.get("url") == VACCINE_PRODUCT:
            coding = extension.get("valueCoding", {})
            if coding.get("system") != CVX or not str(coding.get("code", "")).isdigit():
                found.append(f"vaccine-product: {coding!r} is not a CVX code")
        if extension.get("url") == VACCINE_DOSE:
            value = extension.get("valueInteger")
            if not isinstance(value, int) or value < 1:
                found.append(f"vaccine-dose: {value!r} is not a dose number")
    return found


def _telecom_rules(resource: dict[str, Any]) -> list[str]:
    found = []
    for contact in resource.get("telecom", []):
        if contact.get("system") == "url" and not str(contact.get("value", "")).startswith(
            ("https://", "http://")
        ):
            found.append(f"telecom: url {contact.get('value')!r} is not an http(s) URL")
        if not str(contact.get("value", "")).strip():
            found.append("telecom: empty value")
    return found


def manifest_problems(manifest: Any) -> list[str]:
    """The ``$bulk-publish`` manifest's shape (SMART Scheduling Links, "Manifest File")."""
    if not isinstance(manifest, dict):
        return ["manifest: not a JSON object"]
    found = []
    if not INSTANT.match(str(manifest.get("transactionTime", ""))):
        found.append(f"manifest: transactionTime {manifest.get('transactionTime')!r} is not an instant")
    if not isinstance(manifest.get("request"), str) or not manifest["request"]:
        found.append("manifest: request must be the manifest's URL")
    output = manifest.get("output")
    if not isinstance(output, list) or not output:
        return [*found, "manifest: output must be a non-empty list"]
    types = set()
    for index, entry in enumerate(output):
        if not isinstance(entry, dict) or entry.get("type") not in ("Location", "Schedule", "Slot"):
            found.append(f"manifest: output[{index}].type must be Location, Schedule or Slot")
            continue
        types.add(entry["type"])
        if not isinstance(entry.get("url"), str) or not entry["url"].startswith(("https://", "http://")):
            found.append(f"manifest: output[{index}].url must be an http(s) URL")
        state = entry.get("extension", {}).get("state")
        if state is not None and not (isinstance(state, list) and all(isinstance(s, str) for s in state)):
            found.append(f"manifest: output[{index}].extension.state must be a list of codes")
    for kind in ("Location", "Schedule", "Slot"):
        if kind not in types:
            found.append(f"manifest: no {kind} output")
    if not isinstance(manifest.get("error", []), list):
        found.append("manifest: error must be a list")
    return found


def validate_resource(
    resource: dict[str, Any], schema: FhirSchema, profiles: SslProfiles | None
) -> list[str]:
    found = schema.problems(resource)
    if profiles is not None and resource.get("resourceType") in SSL_PROFILES:
        found += profiles.problems(resource)
    if resource.get("resourceType") == "Slot":
        found += _slot_rules(resource)
    if resource.get("resourceType") == "Location":
        found += _telecom_rules(resource)
    if resource.get("resourceType") == "Schedule":
        found += _schedule_rules(resource)
    return found


def read_ndjson(path: Path) -> list[tuple[int, Any]]:
    found = []
    for line, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if text.strip():
            try:
                found.append((line, json.loads(text)))
            except json.JSONDecodeError as error:
                found.append((line, {"__error__": str(error)}))
    return found


def validate_ndjson(
    path: Path, schema: FhirSchema, profiles: SslProfiles | None, expected_type: str | None = None
):
    """``(messages, resources)`` of one NDJSON file; ``resources`` maps ``Type/id`` to the resource."""
    messages, resources = [], {}
    for line, resource in read_ndjson(path):
        where = f"{path.name}:{line}"
        if "__error__" in resource:
            messages.append(f"{where}: not JSON: {resource['__error__']}")
            continue
        ident = f"{resource.get('resourceType')}/{resource.get('id')}"
        if expected_type and resource.get("resourceType") != expected_type:
            messages.append(f"{where}: {ident}: file holds {expected_type} resources")
        resources[ident] = resource
        messages += [
            f"{where}: {ident}: {problem}" for problem in validate_resource(resource, schema, profiles)
        ]
    return messages, resources


def validate_ssl_folder(folder: Path, schema: FhirSchema, profiles: SslProfiles) -> list[str]:
    """Every problem of a SMART Scheduling Links publication in ``folder``."""
    manifest_path = folder / "$bulk-publish"
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        return [f"$bulk-publish: {error}"]
    messages = [f"$bulk-publish: {problem}" for problem in manifest_problems(manifest)]
    resources: dict[str, dict[str, Any]] = {}
    for entry in manifest.get("output", []) if isinstance(manifest.get("output"), list) else []:
        name = str(entry.get("url", "")).rsplit("/", 1)[-1]
        path = folder / name
        if not path.is_file():
            messages.append(f"$bulk-publish: {entry.get('url')} has no file {name} in {folder}")
            continue
        found, more = validate_ndjson(path, schema, profiles, entry.get("type"))
        messages += found
        resources.update(more)
    for ident, resource in resources.items():
        targets = []
        if resource.get("resourceType") == "Slot":
            targets = [resource.get("schedule", {}).get("reference")]
        elif resource.get("resourceType") == "Schedule":
            targets = [actor.get("reference") for actor in resource.get("actor", [])]
        for target in targets:
            if target not in resources:
                messages.append(f"{ident}: reference {target!r} is not in the publication")
    return messages
