"""Every error Headroom raises, in one place (the stores' own two live in `headroom.ccr.stores.base`).

Configuration errors (`ConfigurationError`: a pipeline that does not load, an unknown
option, a store URL of no known kind) are raised at the call site even where
compression otherwise fails open, because no input can make them work. Load-time
problems (`PipelineSpecError`) list every problem in a file at once, each with the
path to it. Run-time failures (`StageError`) name the stage id, the registered stage
name and the message index, with the original error as the cause. `InputError` is
raised only in strict mode; otherwise bad input passes through and the reason is
reported on the result.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass


class HeadroomError(Exception):
    """Base class for every error raised by Headroom."""


class ConfigurationError(HeadroomError):
    """The configuration cannot work (a broken pipeline file, a store URL of no known kind).

    Raised from `compress()` whatever `strict` says: failing open would hide it on every call.
    """


class UnknownOptionError(ConfigurationError, TypeError):
    """A keyword `compress()` does not know (no stage declares it; see `headroom.pipeline.options`)."""


@dataclass(frozen=True)
class Problem:
    """One problem found while loading a pipeline: where, and what."""

    path: tuple[str | int, ...]
    message: str

    def render(self) -> str:
        where = " -> ".join(str(part) for part in self.path)
        return f"{where}: {self.message}" if where else self.message


class PipelineSpecError(ConfigurationError):
    """A pipeline file or spec is invalid. Carries every problem found."""

    def __init__(self, source: str, problems: Sequence[Problem]):
        self.source = source
        self.problems = list(problems)
        lines = [f"{source}: {p.render()}" for p in self.problems]
        hint = "hint: `headroom stages` lists every registered stage and its parameters"
        count = len(self.problems)
        head = f"{count} problem{'s' if count != 1 else ''} in pipeline {source}"
        super().__init__("\n".join([head, *lines, hint]))


class UnknownPipelineError(ConfigurationError):
    """A pipeline name or path that resolves to no file."""


class StageError(HeadroomError):
    """A stage failed at run time (raised in strict mode; reported otherwise)."""

    def __init__(self, stage_id: str, stage_name: str, message_index: int | None, error: BaseException):
        self.stage_id = stage_id
        self.stage_name = stage_name
        self.message_index = message_index
        where = f"message {message_index}" if message_index is not None else "the whole run"
        super().__init__(
            f"stage {stage_id!r} ({stage_name}) failed on {where}: {type(error).__name__}: {error}"
        )


class HookError(HeadroomError):
    """A user hook raised. Reported on the result, raised in strict mode."""

    def __init__(self, hook: str, error: BaseException):
        self.hook = hook
        super().__init__(f"hook {hook} failed: {type(error).__name__}: {error}")


class InputError(HeadroomError):
    """The messages are not a valid message list (strict mode only)."""


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """A ' (did you mean "x"?)' suffix, or '' when nothing is close."""
    import difflib

    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f' (did you mean "{close[0]}"?)' if close else ""
