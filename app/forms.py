"""Form fields from a params model: the model is the single source of every control and its default.

Each field's `name` is its dotted path in the RunConfig JSON (optimizer.params.lr, train.steps,
train.early_stopping.patience); app.js rebuilds the JSON from those names.
"""

from __future__ import annotations

import json
import types
import typing
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError

from engine.registry import schema


@dataclass
class FormField:
    name: str
    label: str
    widget: str  # number, integer, checkbox, select, list, json, rows, text, group
    value: Any
    description: str = ""
    options: list[Any] = field(default_factory=list)
    minimum: float | None = None
    maximum: float | None = None
    item_type: str = ""  # for list widgets: integer or number
    # group widgets: an optional sub-model's fields; rows widgets: the columns, one per field of a row's model
    children: list[FormField] = field(default_factory=list)
    optional: bool = False  # left empty it means null; any other field left empty is an error in the form

    @property
    def column(self) -> dict[str, Any]:
        """This field as a column of a row editor (the browser builds one control per row from it)."""
        return {"key": self.label, "widget": self.widget, "value": self.value, "description": self.description,
                "options": self.options, "minimum": self.minimum, "maximum": self.maximum, "optional": self.optional}


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
        if "$ref" in items or items.get("type") == "object":
            return "json", [], ""  # a list of objects: edited as JSON, checked by the same params model
        return "list", [], items.get("type", "number")
    if "anyOf" in schema:
        given = [s for s in schema["anyOf"] if s.get("type") != "null"]
        kinds = [s.get("type") for s in given]
        if len(kinds) == 1 and kinds[0] in ("integer", "number"):
            return kinds[0], [], ""  # an optional number: empty means null
        if len(given) == 1 and "enum" in given[0]:
            return "select", list(given[0]["enum"]), ""  # an optional choice: empty means null
    return "text", [], ""  # unions such as int | "same": the browser sends what was typed


def _sub_model(annotation: Any) -> type[BaseModel] | None:
    """X for an annotation `X | None` where X is a pydantic model."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        models = [a for a in typing.get_args(annotation) if isinstance(a, type) and issubclass(a, BaseModel)]
        return models[0] if len(models) == 1 else None
    return None


def _row_model(annotation: Any) -> type[BaseModel] | None:
    """X for an annotation `list[X]` where X is a pydantic model (a list of layers)."""
    args = typing.get_args(annotation) if typing.get_origin(annotation) is list else ()
    return args[0] if len(args) == 1 and isinstance(args[0], type) and issubclass(args[0], BaseModel) else None


def fields_for(prefix: str, model: type[BaseModel], values: dict[str, Any] | None = None) -> list[FormField]:
    properties = schema(model).get("properties", {})
    values = values or {}
    try:  # the model's own reading of the values: an old name (batch_norm) lands on its field (norm)
        values = model.model_validate(values).model_dump(mode="json")
    except ValidationError:
        pass  # shown as given, so the person sees what to fix
    defaults = model.model_construct().model_dump(mode="json")  # default factories too, not only defaults
    result = []
    for key, prop in properties.items():
        name, given = f"{prefix}.{key}", values.get(key, defaults.get(key))
        sub = _sub_model(model.model_fields[key].annotation)
        if sub is not None:
            result.append(FormField(name=name, label=key, widget="group", value=given is not None,
                                    description=prop.get("description", ""),
                                    children=fields_for(name, sub, given if isinstance(given, dict) else {})))
            continue
        widget, options, item_type = _widget(prop)
        rows = _row_model(model.model_fields[key].annotation)
        if widget == "list" and isinstance(given, (list, tuple)):
            given = ", ".join(str(v) for v in given)
        elif widget == "json":
            given = json.dumps(given)
            if rows is not None:  # a list of layers: a row editor, one row per layer and a column per field
                result.append(FormField(name=name, label=key, widget="rows", value=given,
                                        description=prop.get("description", ""), children=fields_for(name, rows)))
                continue
        result.append(FormField(
            name=name, label=key, widget=widget, value=given, description=prop.get("description", ""),
            options=options, minimum=prop.get("minimum", prop.get("exclusiveMinimum")),
            maximum=prop.get("maximum", prop.get("exclusiveMaximum")), item_type=item_type,
            optional=any(s.get("type") == "null" for s in prop.get("anyOf", [])),
        ))
    return result
