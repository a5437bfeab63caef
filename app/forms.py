"""Form fields from a params model's JSON schema: the model is the single source of every control."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from engine.registry import Params


@dataclass
class FormField:
    name: str  # e.g. optimizer.params.lr
    label: str
    widget: str  # number, integer, checkbox, select, list, text
    value: Any
    description: str = ""
    options: list[Any] = field(default_factory=list)
    minimum: float | None = None
    maximum: float | None = None
    item_type: str = ""  # for list widgets: integer or number


def _widget(schema: dict[str, Any]) -> tuple[str, list[Any], str]:
    if "enum" in schema:
        return "select", list(schema["enum"]), ""
    kind = schema.get("type")
    if kind == "boolean":
        return "checkbox", [], ""
    if kind in ("integer", "number"):
        return kind, [], ""
    if kind == "array":
        items = schema.get("items") or (schema.get("prefixItems") or [{}])[0]
        return "list", [], items.get("type", "number")
    return "text", [], ""  # unions such as int | "same": the browser sends what was typed


def fields_for(section: str, model: type[Params], values: dict[str, Any] | None = None) -> list[FormField]:
    schema = model.model_json_schema()
    values = values or {}
    result = []
    for key, prop in schema.get("properties", {}).items():
        widget, options, item_type = _widget(prop)
        value = values.get(key, prop.get("default"))
        if widget == "list" and isinstance(value, (list, tuple)):
            value = ", ".join(str(v) for v in value)
        result.append(FormField(
            name=f"{section}.params.{key}", label=key, widget=widget, value=value,
            description=prop.get("description", ""), options=options,
            minimum=prop.get("minimum", prop.get("exclusiveMinimum")),
            maximum=prop.get("maximum", prop.get("exclusiveMaximum")), item_type=item_type,
        ))
    return result
