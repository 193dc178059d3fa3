"""Request validation against Google's published Sheets v4 discovery document.

The document ships inside google-api-python-client, so the emulator checks every
query parameter and JSON body against the same schema Google serves: an unknown
parameter or field, a wrong enum value or a wrong type is answered with a 400, as
Google does, and recorded as a violation so the test that caused it fails.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import googleapiclient

DOCUMENT = Path(googleapiclient.__file__).parent / "discovery_cache/documents/sheets.v4.json"
Tree = dict[str, "Tree | None"]


def _snake(path: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", lambda m: "_" + m.group(1).lower(), path)


class Discovery:
    """The schema of every Sheets method, indexed by method id (``sheets.spreadsheets.get``)."""

    def __init__(self, path: Path = DOCUMENT) -> None:
        doc = json.loads(path.read_text(encoding="utf-8"))
        self.schemas: dict[str, Any] = doc["schemas"]
        self.global_params: dict[str, Any] = doc["parameters"]
        self.methods = dict(_walk(doc["resources"]))

    def check_query(self, method_id: str, params: Mapping[str, list[str]]) -> list[str]:
        specs = self.methods[method_id].get("parameters", {})
        problems = []
        for name, values in params.items():
            spec = specs.get(name) or self.global_params.get(name)
            if spec is None or spec.get("location") == "path":
                problems.append(
                    f'Invalid JSON payload received. Unknown name "{name}": Cannot '
                    f"bind query parameter. Field '{name}' could not be found in "
                    "request message."
                )
                continue
            if len(values) > 1 and not spec.get("repeated"):
                problems.append(
                    f"Parameter '{name}' was given {len(values)} times; it is not repeated"
                )
            problems.extend(p for v in values if (p := _scalar(spec, v, name, from_query=True)))
        return problems

    def check_body(self, method_id: str, body: Any) -> list[str]:
        request = self.methods[method_id].get("request")
        if request is None:
            return [] if body is None else [f"{method_id} takes no request body"]
        if body is None:
            return []
        problems: list[str] = []
        self._value(body, {"$ref": request["$ref"]}, "", problems)
        return problems

    def check_mask(self, method_id: str, tree: Tree) -> list[str]:
        """Every path of a ``fields`` mask must exist in the method's response schema."""
        response = self.methods[method_id].get("response")
        if response is None:
            return []
        problems: list[str] = []
        self._mask(tree, {"$ref": response["$ref"]}, "", problems)
        return problems

    # -- walking schemas ------------------------------------------------------------------
    def _value(self, value: Any, spec: Mapping[str, Any], path: str, problems: list[str]) -> None:
        if value is None:
            return  # proto JSON: null means "not set"
        if "$ref" in spec:
            self._object(value, self.schemas[spec["$ref"]], spec["$ref"], path, problems)
            return
        kind = spec.get("type")
        if kind == "array":
            if not isinstance(value, list):
                problems.append(f"Invalid value at '{_snake(path)}' (array), {json.dumps(value)}")
                return
            for i, item in enumerate(value):
                self._value(item, spec.get("items", {}), f"{path}[{i}]", problems)
        elif kind == "object":
            self._object(value, spec, "", path, problems)
        elif kind != "any" and (problem := _scalar(spec, value, path)):
            problems.append(problem)

    def _object(
        self, value: Any, schema: Mapping[str, Any], name: str, path: str, problems: list[str]
    ) -> None:
        if not isinstance(value, dict):
            problems.append(
                f"Invalid value at '{_snake(path)}' ({name or 'object'}), {json.dumps(value)}"
            )
            return
        if name == "Request" and len(value) != 1:
            problems.append(
                f"Invalid value at '{_snake(path)}' (oneof kind): exactly one kind of "
                f"request expected, got {sorted(value)}"
            )
        props = schema.get("properties")
        extra = schema.get("additionalProperties")
        for key, item in value.items():
            where = f"{path}.{key}" if path else key
            spec = props.get(key) if props is not None else None
            if spec is None and extra is not None:
                spec = extra
            if spec is None:
                at = f" at '{_snake(path)}'" if path else ""
                problems.append(
                    f'Invalid JSON payload received. Unknown name "{key}"{at}: Cannot find field.'
                )
                continue
            self._value(item, spec, where, problems)

    def _mask(self, tree: Tree, spec: Mapping[str, Any], path: str, problems: list[str]) -> None:
        while "$ref" in spec or spec.get("type") == "array":
            spec = self.schemas[spec["$ref"]] if "$ref" in spec else spec.get("items", {})
        props = spec.get("properties", {})
        for key, sub in tree.items():
            if key == "*":
                continue
            if key not in props:
                problems.append(
                    f"Request contains an invalid argument: field mask path "
                    f"'{path}{key}' is not in the response"
                )
            elif sub is not None:
                self._mask(sub, props[key], f"{path}{key}.", problems)


def _scalar(  # noqa: PLR0911 - one verdict per JSON type
    spec: Mapping[str, Any],
    value: Any,
    path: str,
    *,
    from_query: bool = False,
) -> str | None:
    kind = spec.get("type")
    bad = f"Invalid value at '{_snake(path)}' ({_type_name(spec)}), {json.dumps(value)}"
    if kind == "string":
        if not isinstance(value, str):
            return None if spec.get("format") == "int64" and _is_int(value) else bad
        return bad if "enum" in spec and value not in spec["enum"] else None
    if kind == "boolean":
        ok = value in ("true", "false") if from_query else isinstance(value, bool)
        return None if ok else bad
    if kind == "integer":
        ok = _is_int(value) or (isinstance(value, str) and bool(re.fullmatch(r"-?\d+", value)))
        if ok and spec.get("format") == "int32" and not -(2**31) <= int(value) < 2**31:
            return bad
        return None if ok else bad
    if kind == "number":
        ok = (isinstance(value, int | float) and not isinstance(value, bool)) or (
            isinstance(value, str) and _is_float(value)
        )
        return None if ok else bad
    return None


def _type_name(spec: Mapping[str, Any]) -> str:
    if "enum" in spec:
        return "type.googleapis.com/google.apps.sheets.v4." + "enum"
    return "TYPE_" + str(spec.get("type", "any")).upper()


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_float(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _walk(resources: Mapping[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for resource in resources.values():
        for method in resource.get("methods", {}).values():
            yield method["id"], method
        yield from _walk(resource.get("resources", {}))


# -- field masks ------------------------------------------------------------------------------
_TOKEN = re.compile(r"\s*([A-Za-z0-9_*]+(?:\.[A-Za-z0-9_*]+)*|[(),])")


class MaskError(ValueError):
    pass


def parse_mask(text: str) -> Tree:
    """``properties.title,sheets(properties(sheetId,title))`` -> a tree; ``None`` = all below."""
    tokens = _TOKEN.findall(text)
    if "".join(tokens) != re.sub(r"\s", "", text):
        raise MaskError(text)
    tree, rest = _mask_list(tokens, text)
    if rest:
        raise MaskError(text)
    return tree


def _mask_list(tokens: list[str], text: str) -> tuple[Tree, list[str]]:
    tree: Tree = {}
    while tokens:
        path, tokens = tokens[0], tokens[1:]
        if path in "(),":
            raise MaskError(text)
        sub: Tree | None = None
        if tokens and tokens[0] == "(":
            sub, tokens = _mask_list(tokens[1:], text)
            if not tokens or tokens[0] != ")":
                raise MaskError(text)
            tokens = tokens[1:]
        _merge(tree, path.split("."), sub)
        if not tokens or tokens[0] == ")":
            return tree, tokens
        if tokens[0] != ",":
            raise MaskError(text)
        tokens = tokens[1:]
    return tree, tokens


def _merge(tree: Tree, names: list[str], sub: Tree | None) -> None:
    head, rest = names[0], names[1:]
    if not rest:
        old = tree.get(head, {})
        tree[head] = None if sub is None or old is None else {**old, **sub}
        return
    node = tree.get(head, {})
    if node is None:
        return  # already included whole
    tree[head] = node
    _merge(node, rest, sub)


def apply_mask(value: Any, tree: Tree | None) -> Any:
    if tree is None or "*" in tree:
        return value
    if isinstance(value, list):
        return [apply_mask(v, tree) for v in value]
    if isinstance(value, dict):
        return {k: apply_mask(v, tree[k]) for k, v in value.items() if k in tree}
    return value
