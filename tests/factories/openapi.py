"""Requests built from the app's own OpenAPI document, for probes that must cover every operation.

``minimal(schema)`` is the smallest instance that passes the schema (the schema's own example when it
gives one), so a probe can change one field and know that field is what the server reacts to.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hypothesis import find
from hypothesis import strategies as st

Schema = dict[str, Any]


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    parameters: list[Schema]
    body: Schema | None  # the JSON body's schema, if the operation takes one
    form: Schema | None  # the multipart form's schema, if it takes one (file uploads)
    document: Schema

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"

    def resolve(self, schema: Schema) -> Schema:
        while "$ref" in schema:
            node: Any = self.document
            for part in schema["$ref"].removeprefix("#/").split("/"):
                node = node[part]
            schema = node
        return schema

    def url(self, path_values: dict[str, object], query: dict[str, object] | None = None) -> str:
        """The path with each parameter from ``path_values`` (by name), else its minimal value."""
        url = self.path
        for param in self.parameters:
            if param["in"] == "path":
                name = param["name"]
                value = path_values[name] if name in path_values else minimal(self, param["schema"])
                url = url.replace(f"{{{name}}}", str(value))
        if query:
            url += "?" + "&".join(f"{k}={v}" for k, v in query.items())
        return url

    def minimal_body(self) -> object:
        return minimal(self, self.body) if self.body is not None else None

    def minimal_request(self, upload: tuple[str, bytes, str]) -> dict[str, Any]:
        """Keyword arguments for ``client.request``: the minimal JSON body, or the minimal form
        with ``upload`` (filename, content, type) in each of its file fields."""
        if self.body is not None:
            return {"json": self.minimal_body()}
        if self.form is None:
            return {}
        schema = self.resolve(self.form)
        files, data = {}, {}
        for name in schema.get("required", []):
            prop = self.resolve(schema["properties"][name])
            if prop.get("format") == "binary" or "contentMediaType" in prop:
                files[name] = upload
            else:
                data[name] = str(minimal(self, prop))
        return {"files": files, "data": data}


def operations(document: Schema) -> list[Operation]:
    found = []
    for path, item in document["paths"].items():
        for method, op in item.items():
            content = op.get("requestBody", {}).get("content", {})
            body = content.get("application/json", {}).get("schema")
            form = content.get("multipart/form-data", {}).get("schema")
            found.append(Operation(method.upper(), path, op.get("parameters", []), body, form, document))
    return found


def _pattern_example(schema: Schema) -> str:
    """The smallest string matching the pattern within the length bounds."""
    low, high = schema.get("minLength", 0), schema.get("maxLength", 10_000)
    return find(st.from_regex(schema["pattern"], fullmatch=True), lambda s: low <= len(s) <= high)


def minimal(op: Operation, schema: Schema) -> object:
    schema = op.resolve(schema)
    if schema.get("examples"):
        return schema["examples"][0]
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return schema["enum"][0]
    for key in ("anyOf", "oneOf"):
        if key in schema:
            options = [o for o in schema[key] if op.resolve(o).get("type") != "null"]
            return minimal(op, options[0]) if options else None
    if "allOf" in schema:
        return minimal(op, schema["allOf"][0])
    kind = schema.get("type")
    if kind == "object":
        properties = schema.get("properties", {})
        return {name: minimal(op, properties[name]) for name in schema.get("required", [])}
    if kind == "array":
        return [minimal(op, schema.get("items", {})) for _ in range(schema.get("minItems", 0))]
    if kind in ("integer", "number"):
        low = schema.get("minimum", schema.get("exclusiveMinimum", 0) + 1)
        return int(low) if kind == "integer" else float(low)
    if kind == "boolean":
        return False
    if kind == "string":
        if "pattern" in schema:
            return _pattern_example(schema)
        formats = {"email": "buyer@example.com", "date": "2025-01-01", "date-time": "2025-01-01T00:00:00Z"}
        return formats.get(schema.get("format", ""), "x" * max(schema.get("minLength", 1), 1))
    return None


def properties(op: Operation, schema: Schema | None) -> dict[str, Schema]:
    """The top-level properties of an object schema, each resolved to its non-null alternative."""
    if schema is None:
        return {}
    schema = op.resolve(schema)
    found = {}
    for name, prop in schema.get("properties", {}).items():
        prop = op.resolve(prop)
        options = [op.resolve(o) for o in prop.get("anyOf", [prop]) if op.resolve(o).get("type") != "null"]
        if options:
            found[name] = options[0]
    return found
