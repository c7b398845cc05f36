"""Stage parameters (headroom/params.py): frozen dataclasses that pydantic validates on demand."""

from __future__ import annotations

import dataclasses
from typing import Literal

import pydantic
import pytest

from headroom.pipeline.params import StageParams, param
from tests.helpers import modules_loaded_by


def _plain_name(url: str | None) -> str | None:
    if url is not None and ":" in url:
        raise ValueError("a plain name, not a URL")
    return url


class _Params(StageParams):
    """Parameters of a test stage."""

    size: int = param(3, ge=0, description="How many")
    share: float = param(0.5, gt=0, le=1)
    mode: Literal["fast", "careful"] = "fast"
    tags: list[str] = param(default_factory=lambda: ["a"])
    name: str | None = param(None, check=_plain_name)


def test_defaults_and_keyword_construction() -> None:
    params = _Params(size=7)
    assert (params.size, params.share, params.mode, params.tags, params.name) == (7, 0.5, "fast", ["a"], None)


def test_unknown_keys_are_errors_in_code_and_in_files() -> None:
    with pytest.raises(TypeError, match="sise"):
        _Params(sise=4)  # type: ignore[call-arg]
    with pytest.raises(pydantic.ValidationError, match="Extra inputs are not permitted"):
        _Params.from_config({"sise": 4})


def test_params_are_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        _Params().size = 5  # type: ignore[misc]


def test_values_are_validated_in_code_too() -> None:
    with pytest.raises(pydantic.ValidationError, match="greater than or equal to 0"):
        _Params(size=-1)
    with pytest.raises(pydantic.ValidationError, match="less than or equal to 1"):
        _Params(share=2.0)
    with pytest.raises(pydantic.ValidationError, match="'fast' or 'careful'"):
        _Params(mode="slow")  # type: ignore[arg-type]
    with pytest.raises(pydantic.ValidationError, match="a plain name, not a URL"):
        _Params(name="redis://x")


def test_from_config_coerces_like_pydantic_and_reports_every_problem() -> None:
    assert _Params.from_config({"size": "4", "share": 1}).size == 4
    assert isinstance(_Params.from_config({"share": 1}).share, float)
    with pytest.raises(pydantic.ValidationError) as error:
        _Params.from_config({"size": -1, "share": 0})
    assert [item["loc"] for item in error.value.errors()] == [("size",), ("share",)]


def test_trusted_skips_checks_and_fills_defaults() -> None:
    params = _Params.trusted({"size": 9})
    assert (params.size, params.tags) == (9, ["a"])
    assert params.as_dict() == {"size": 9, "share": 0.5, "mode": "fast", "tags": ["a"], "name": None}


def test_json_schema_carries_bounds_descriptions_and_the_docstring() -> None:
    schema = _Params.json_schema()
    assert schema["description"] == "Parameters of a test stage."
    assert schema["additionalProperties"] is False
    assert schema["properties"]["size"] == {
        "default": 3,
        "description": "How many",
        "minimum": 0,
        "title": "Size",
        "type": "integer",
    }


def test_declaring_and_building_params_does_not_import_pydantic() -> None:
    code = (
        "from headroom.pipeline.params import StageParams, param\n"
        "class P(StageParams):\n"
        "    size: int = param(3, ge=0)\n"
        "P(); P.trusted({'size': 5})\n"
    )
    assert "pydantic" not in modules_loaded_by(code)
