"""Stage parameters: frozen dataclasses whose fields are declared with `param(...)`.

    class LogParams(CrushParams):
        min_lines: int = param(40, ge=0, description="Logs this short are left whole")

pydantic validates them (types, bounds, unknown keys) and writes their JSON
Schema, but its models are built only when something needs validating: a
pipeline file being read, or a stage built in code with values other than the
defaults. Running a pipeline whose params were checked when it was compiled
(`headroom.pipeline.plan`) never imports pydantic, which keeps a fresh process's first
call fast.
"""

from __future__ import annotations

import dataclasses
import sys
import typing
from collections.abc import Callable
from typing import Any, ClassVar

if sys.version_info >= (3, 11):
    from typing import Self, dataclass_transform
else:  # pragma: no cover  (typing_extensions costs a few ms to import: only where typing lacks them)
    from typing_extensions import Self, dataclass_transform

_META = "headroom.param"
_CONSTRAINTS = ("ge", "gt", "le", "lt")


def param(
    default: Any = dataclasses.MISSING,
    *,
    default_factory: Callable[[], Any] | Any = dataclasses.MISSING,
    ge: float | None = None,
    gt: float | None = None,
    le: float | None = None,
    lt: float | None = None,
    description: str | None = None,
    check: Callable[[Any], Any] | None = None,
) -> Any:
    """A parameter: its default, numeric bounds, a description for the schema and `headroom stages`,
    and an optional `check` (returns the value or raises ValueError with a message for the user)."""
    meta = {"ge": ge, "gt": gt, "le": le, "lt": lt, "description": description, "check": check}
    return dataclasses.field(default=default, default_factory=default_factory, metadata={_META: meta})


@dataclass_transform(kw_only_default=True, frozen_default=True, field_specifiers=(param,))
class StageParams:
    """Base for every stage's parameters: subclasses become frozen, keyword-only dataclasses.

    Building one in code validates the values that differ from the defaults (unknown keys are
    already a TypeError); `from_config` validates a mapping read from a pipeline file.
    """

    __dataclass_fields__: ClassVar[dict[str, Any]]
    _declared_doc: ClassVar[str | None] = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # dataclass() writes a signature into an empty __doc__; the schema wants only a real docstring
        cls._declared_doc = cls.__dict__.get("__doc__")
        dataclasses.dataclass(frozen=True, kw_only=True)(cls)

    def __post_init__(self) -> None:
        changed = {
            field.name: getattr(self, field.name)
            for field in dataclasses.fields(self)
            if getattr(self, field.name) != default_of(field)
        }
        if changed:
            validated = pydantic_model(type(self)).model_validate(changed)
            for name in changed:  # the validated form: "3" -> 3 for an int, 1 -> 1.0 for a float
                object.__setattr__(self, name, getattr(validated, name))

    @classmethod
    def from_config(cls, raw: Any) -> Self:
        """Validate a `params:` mapping; raises pydantic's ValidationError with every problem."""
        validated = pydantic_model(cls).model_validate(raw)
        return cls.trusted({name: getattr(validated, name) for name in field_names(cls)})

    @classmethod
    def trusted(cls, values: dict[str, Any]) -> Self:
        """Build from values validated before (a compiled plan): no checks, no pydantic."""
        instance = object.__new__(cls)
        for field in dataclasses.fields(cls):
            value = values[field.name] if field.name in values else default_of(field)
            object.__setattr__(instance, field.name, value)
        return instance

    def as_dict(self) -> dict[str, Any]:
        """Every field's value, as a pipeline file would spell it."""
        return {name: _plain(getattr(self, name)) for name in field_names(type(self))}

    @classmethod
    def json_schema(cls) -> dict[str, Any]:
        schema: dict[str, Any] = pydantic_model(cls).model_json_schema()
        return schema


dataclasses.dataclass(frozen=True, kw_only=True)(StageParams)


def field_names(cls: type[StageParams]) -> list[str]:
    return [field.name for field in dataclasses.fields(cls)]


def default_of(field: dataclasses.Field[Any]) -> Any:
    if field.default is not dataclasses.MISSING:
        return field.default
    if field.default_factory is not dataclasses.MISSING:
        return field.default_factory()
    return dataclasses.MISSING


def description_of(field: dataclasses.Field[Any]) -> str | None:
    description: str | None = field.metadata.get(_META, {}).get("description")
    return description


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


_MODELS: dict[type[StageParams], Any] = {}


def pydantic_model(cls: type[StageParams]) -> Any:
    """The pydantic model that validates `cls`, built on first use."""
    model = _MODELS.get(cls)
    if model is None:
        model = _MODELS[cls] = _build_model(cls)
    return model


def _build_model(cls: type[StageParams]) -> Any:
    from pydantic import AfterValidator, ConfigDict, Field, create_model

    hints = typing.get_type_hints(cls)
    fields: dict[str, Any] = {}
    for field in dataclasses.fields(cls):
        meta = field.metadata.get(_META, {})
        options = {name: meta[name] for name in (*_CONSTRAINTS, "description") if meta.get(name) is not None}
        if field.default is not dataclasses.MISSING:
            options["default"] = field.default
        elif field.default_factory is not dataclasses.MISSING:
            options["default_factory"] = field.default_factory
        annotation = hints[field.name]
        if meta.get("check") is not None:
            annotation = typing.Annotated[annotation, AfterValidator(meta["check"])]
        fields[field.name] = (annotation, Field(**options))
    config = ConfigDict(extra="forbid", frozen=True)
    return create_model(cls.__name__, __config__=config, __doc__=cls._declared_doc, **fields)
