"""Run options: the keywords `compress()` takes besides its own, declared in one place.

A stage reads an option with `state.option(name)`, and only a declared name can be read,
so this table is the whole list of what a caller may pass: `compress()` refuses any other
keyword with a TypeError ("did you mean"), checks each value where it is passed, and the
memo and session keys cover exactly these options. A stage from another package
declares its own with `declare_option(...)` when its module is imported.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from headroom.pipeline.errors import UnknownOptionError, did_you_mean


@dataclass(frozen=True)
class RunOption:
    """One option: its name, what it does, and the check that turns a passed value into the one used
    (raising TypeError or ValueError with a message naming the option)."""

    name: str
    description: str
    check: Callable[[Any], Any]


_DECLARED: dict[str, RunOption] = {}


def declare_option(
    name: str, description: str, check: Callable[[Any], Any] = lambda value: value
) -> RunOption:
    """Declare an option stages may read; declaring the same name twice keeps the first."""
    return _DECLARED.setdefault(name, RunOption(name, description, check))


def declared() -> Mapping[str, RunOption]:
    return dict(_DECLARED)


def is_declared(name: str) -> bool:
    return name in _DECLARED


def _positive_int(name: str) -> Callable[[Any], int]:
    def check(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"{name} must be a whole number of tokens, not {type(value).__name__}")
        if value <= 0:
            raise ValueError(f"{name} must be positive, not {value}")
        return value

    return check


def _share(name: str) -> Callable[[Any], float]:
    def check(value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise TypeError(f"{name} must be a number, not {type(value).__name__}")
        if not 0 < value <= 1:
            raise ValueError(f"{name} must be in (0, 1], not {value}")
        return float(value)

    return check


SESSION = declare_option(
    "session", "Names the conversation (by default recognised from its first texts)", str
)
MAX_TOKENS = declare_option(
    "max_tokens", "An overall token budget for the request's text", _positive_int("max_tokens")
)
TARGET_RATIO = declare_option(
    "target_ratio", "Keep about this share of each compressible block", _share("target_ratio")
)


def checked(options: Mapping[str, Any], keywords: Iterable[str] = ()) -> dict[str, Any]:
    """The options as stages read them: each value checked, None left out (None means "the default").

    Raises UnknownOptionError (a TypeError) for a name no stage declares, with "did you mean"
    among the declared options and the entry point's own `keywords`.
    """
    result: dict[str, Any] = {}
    for name, value in options.items():
        option = _DECLARED.get(name)
        if option is None:
            choices = [*keywords, *_DECLARED]
            raise UnknownOptionError(
                f"compress() got an unexpected keyword argument {name!r}{did_you_mean(name, choices)}; "
                f"options: {', '.join(sorted(_DECLARED))}"
            )
        if value is not None:
            result[name] = option.check(value)
    return result


__all__ = ["MAX_TOKENS", "SESSION", "TARGET_RATIO", "RunOption", "checked", "declare_option", "declared"]
