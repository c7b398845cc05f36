"""Store URLs: the one redaction function, and reading a URL's own parameters.

`redact(url)` is what every message, log line, repr and exception shows of a store URL:
the user and password become `***` (`redis://***@cache:6379/0`), and so does the value of
any query parameter whose name says it holds a secret (`?password=***`). `scrub(text, url)`
also takes the URL's secrets out of a driver's own error text. Neither ever raises.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from headroom.pipeline.errors import did_you_mean

MASK = "***"
# A query parameter whose name holds one of these carries a secret (password=, auth_token=, ...).
_SECRET_NAMES = ("pass", "pwd", "secret", "token", "auth", "key", "credential")
_SECRET_PARAM = re.compile(r"([?&;](?:[^=&;#]*(?:" + "|".join(_SECRET_NAMES) + r")[^=&;#]*)=)([^&;#]*)", re.I)
# The shortest secret `scrub` replaces in free text: shorter ones would mangle ordinary words.
_MIN_SCRUBBED = 4


def redact(url: Any) -> str:
    """The URL with its credentials masked: everything between `://` and the last `@`, and the value
    of every query parameter named like a secret. Over-masks an odd URL rather than leaking it."""
    text = str(url)
    scheme_end = text.find("://")
    if scheme_end >= 0:
        start = scheme_end + 3
        at = text.rfind("@", start)
        if at >= 0:
            text = text[:start] + MASK + text[at:]
    return _SECRET_PARAM.sub(lambda match: match.group(1) + MASK, text)


def secrets_in(url: str) -> list[str]:
    """The credentials a URL carries (user, password, secret-named query values), longest first."""
    found: list[str] = []
    scheme_end = url.find("://")
    if scheme_end >= 0:
        userinfo = url[scheme_end + 3 : max(url.rfind("@"), scheme_end + 3)]
        for part in (userinfo, *userinfo.split(":", 1)):
            found.extend((part, unquote(part)))
    for match in _SECRET_PARAM.finditer(url):
        found.extend((match.group(2), unquote(match.group(2))))
    return sorted({secret for secret in found if len(secret) >= _MIN_SCRUBBED}, key=len, reverse=True)


def scrub(text: str, url: str) -> str:
    """`text` (a driver's error message, say) with the URL itself redacted and its secrets masked."""
    cleaned = text.replace(url, redact(url)) if url else text
    for secret in secrets_in(url):
        cleaned = cleaned.replace(secret, MASK)
    return cleaned


def query_params(
    url: str, own: Mapping[str, Callable[[str], Any]], *, others_allowed: bool
) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """A URL's own parameters, converted (`own`: name -> converter), and the rest in order.

    Raises ValueError naming the parameter for a value that does not convert, and for a
    parameter that is not one of `own` when `others_allowed` is false.
    """
    params: dict[str, Any] = {}
    rest: list[tuple[str, str]] = []
    for key, value in parse_qsl(urlsplit(url).query, keep_blank_values=True):
        convert = own.get(key)
        if convert is None:
            if not others_allowed:
                raise ValueError(
                    f"unknown parameter {key!r}{did_you_mean(key, own)}; parameters: {', '.join(sorted(own))}"
                )
            rest.append((key, value))
            continue
        try:
            params[key] = convert(value)
        except ValueError as error:
            raise ValueError(f"{key}={value!r} {error}") from error
    return params, rest


def number(kind: type[int] | type[float], *, minimum: float, above: bool = False) -> Callable[[str], Any]:
    """A converter for a numeric parameter: ValueError "is not a valid int", "must be positive", ..."""

    def convert(value: str) -> Any:
        try:
            converted = kind(value)
        except ValueError:
            raise ValueError(f"is not a valid {kind.__name__}") from None
        if converted < minimum or (above and converted == minimum):
            bound = "positive" if above and minimum == 0 else f"at least {minimum:g}"
            raise ValueError(f"must be {bound}")
        return converted

    convert.__name__ = kind.__name__
    return convert
