"""The proxy's guard at the door, and the scrubbing of credentials from every log record.

`ProxyGuard(app, token=..., max_body_bytes=...)` is pure ASGI middleware in front of every route
of the proxy. For each HTTP request and websocket handshake it:

- lets a loopback caller in (`is_loopback`); any other caller must present the configured proxy
  token in `x-headroom-proxy-token`, or gets a 401 (a websocket is closed with code 1008). With no
  token configured, only loopback callers get in: `ProxyConfig.check()` refuses a non-loopback bind
  without a token, so a remote caller then means something is forwarding to us unguarded.
- removes `x-headroom-proxy-token` from the headers the app sees, so nothing downstream can log or
  forward it;
- answers 413 for a body over `max_body_bytes`, from `content-length` before reading anything, and
  while the body streams in when there is none (chunked uploads); the app is then stopped.

The caller's address is the ASGI `client`, which uvicorn takes from `X-Forwarded-For` only when the
direct peer is a trusted proxy (127.0.0.1 by default). A reverse proxy on the same host makes every
caller look local: set a token and `--forwarded-allow-ips` there.

Redaction: `install_redaction(secrets)` wraps the process's log record factory, so every record from
every logger, at every level, has its message, arguments, traceback and stack text scrubbed before
any handler sees it; a filter on the handlers present at that time also scrubs `extra=` fields. It
masks `sk-...` keys, `Bearer ...` tokens, the values of credential headers however they are printed
(`x-api-key: ...`, `'authorization': '...'`, `(b'x-api-key', b'...')`, JSON), secret query
parameters, URL passwords, the configured proxy token, and the literal credentials the guard has
seen on requests (the last 256 distinct ones), whatever their format.
`redact_headers(headers)` gives a printable copy of a header list.
"""

from __future__ import annotations

import functools
import hmac
import ipaddress
import json
import logging
import re
import threading
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable, Mapping, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

TOKEN_HEADER = "x-headroom-proxy-token"
DEFAULT_MAX_BODY_BYTES = 32 * 1024 * 1024
MASK = "***"
# Headers whose whole value is a credential (the ones the proxy forwards or reads as one).
CREDENTIAL_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "x-api-key", "api-key", "x-goog-api-key", TOKEN_HEADER}
)
_CREDENTIAL_HEADER_BYTES = frozenset(name.encode() for name in CREDENTIAL_HEADERS)
# Any other header whose name says it carries a secret is masked in `redact_headers` too.
_SECRET_HEADER_NAME = re.compile(r"key|secret|auth|cookie|passw|signature|credential|token", re.I)
_NOT_SECRET_HEADER_PREFIX = "x-headroom-tokens-"  # our token counts, not tokens
# Literal credentials learned from requests: enough for the callers of one proxy, bounded so a
# stream of distinct keys cannot grow memory or the pattern without limit.
_MAX_LEARNED_SECRETS = 256
# A learned value shorter than this is not masked: it would mangle ordinary words in the logs.
_MIN_SECRET_CHARS = 8

log = logging.getLogger(__name__)


# ---------------------------------------------------------------------------------------------------
# Loopback


def is_loopback(host: str | None) -> bool:
    """True for `localhost` and loopback addresses: 127.0.0.0/8, ::1, ::ffff:127.x.x.x (also with
    [brackets] or a %zone). Anything else, including an unparseable or missing host, is False."""
    return bool(host) and isinstance(host, str) and _is_loopback_text(host)


# Callers' addresses repeat, and parsing one costs more than the rest of the guard.
@functools.lru_cache(maxsize=1024)
def _is_loopback_text(host: str) -> bool:
    text = host.strip().lower()
    if text in ("localhost", "localhost."):
        return True
    text = text.removeprefix("[").removesuffix("]").split("%", 1)[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped.is_loopback  # Python < 3.13 says False for a mapped 127.0.0.1
    return address.is_loopback


# ---------------------------------------------------------------------------------------------------
# Redaction of text


_HEADER_NAMES = (
    r"(?:x-api-key|api-key|api_key|apikey|x-goog-api-key|proxy-authorization|authorization"
    r"|x-headroom-proxy-token|set-cookie|cookie)"
)
_SCHEMES = r"(?:bearer|basic|token|digest|aws4-hmac-sha256)"  # authorization schemes before the secret
_HEADER_WORDS = ("key", "auth", "token", "cookie")  # one is in every name above
# (words one of which the lowercased text must hold for the pattern to match at all, pattern,
# replacement): the words are cheap substring tests that spare most text the regular expressions.
# Patterns run in this order; each replacement keeps the surrounding quotes and separators.
_PATTERNS: tuple[tuple[tuple[str, ...], re.Pattern[str], str], ...] = (
    # 'x-api-key': 'v'   "authorization": "v"   (b'x-api-key', b'v')   x-api-key='v'
    (
        _HEADER_WORDS,
        re.compile(rf"(\b{_HEADER_NAMES}['\"]?\s*[:=,]\s*b?)(['\"])(?:(?!\2).)*\2", re.I),
        rf"\1\2{MASK}\2",
    ),
    # x-api-key: v   authorization: Bearer v   (a header dump, a URL-style pair)
    (
        _HEADER_WORDS,
        re.compile(rf"(\b{_HEADER_NAMES}\s*[:=]\s*)(?:{_SCHEMES}[ \t]+)?[^\s'\",;&)}}\]]+", re.I),
        rf"\1{MASK}",
    ),
    (("bearer",), re.compile(r"\b(bearer)\s+[A-Za-z0-9._~+/=\-]{4,}", re.I), rf"\1 {MASK}"),
    (("sk-",), re.compile(r"\bsk-[A-Za-z0-9_\-]{6,}"), f"sk-{MASK}"),
    (("akia", "asia"), re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"), MASK),  # AWS access key ids
    (("aiza",), re.compile(r"\bAIza[0-9A-Za-z_\-]{35}\b"), MASK),  # Google API keys
    (
        ("key", "token", "sig"),
        re.compile(
            r"([?&;](?:key|api[-_]?key|access_token|token|sig|signature|x-amz-signature)=)[^&;#\s'\"]+", re.I
        ),
        rf"\1{MASK}",
    ),
    (  # URL passwords
        ("://",),
        re.compile(r"(\b[a-z][a-z0-9+.\-]*://[^/\s:@'\"]*:)[^/\s@'\"]+@", re.I),
        rf"\1{MASK}@",
    ),
)

_TRIGGER_WORDS = tuple(sorted({word for words, _, _ in _PATTERNS for word in words}))


class _Secrets:
    """The literal secrets to mask: configured ones (kept) and learned ones (the most recent)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._configured: set[str] = set()
        self._learned: OrderedDict[str, None] = OrderedDict()
        self.pattern: re.Pattern[str] | None = None  # swapped whole, so readers need no lock

    def configure(self, secret: str) -> None:
        with self._lock:
            if secret not in self._configured:
                self._configured.add(secret)
                self._rebuild()

    def learn(self, secret: str) -> None:
        if secret in self._learned or secret in self._configured:  # the common case: no lock
            return
        with self._lock:
            self._learned[secret] = None
            while len(self._learned) > _MAX_LEARNED_SECRETS:
                self._learned.popitem(last=False)
            self._rebuild()

    def _rebuild(self) -> None:
        literals = sorted(self._configured | set(self._learned), key=len, reverse=True)
        self.pattern = re.compile("|".join(map(re.escape, literals))) if literals else None


_SECRETS = _Secrets()


def redact_text(text: str) -> str:
    """The text with every credential the module knows how to recognise replaced by `***`."""
    literals = _SECRETS.pattern
    if literals is not None:
        text = literals.sub(MASK, text)
    lowered = text.lower()
    present = {word for word in _TRIGGER_WORDS if word in lowered}
    if present:  # most text holds none: no pattern runs
        for words, pattern, replacement in _PATTERNS:
            if not present.isdisjoint(words):
                text = pattern.sub(replacement, text)
    return text


def remember_secret(value: str) -> None:
    """Mask this literal value in every later log record (a credential seen on a request)."""
    if len(value) >= _MIN_SECRET_CHARS:
        _SECRETS.learn(value)


def redact_headers(headers: Any) -> dict[str, str]:
    """A printable copy of headers (a mapping, Starlette `Headers`, or ASGI pairs of bytes): names
    lowercased, repeated headers joined with `, `, credential values masked (an `authorization`
    value keeps its scheme: `Bearer ***`), every other value scrubbed by `redact_text`."""
    shown: dict[str, str] = {}
    for raw_name, raw_value in _header_pairs(headers):
        name, value = _text(raw_name).lower(), _text(raw_value)
        masked = _masked_header_value(name, value)
        shown[name] = f"{shown[name]}, {masked}" if name in shown else masked
    return shown


def _header_pairs(headers: Any) -> Iterable[tuple[Any, Any]]:
    if headers is None:
        return ()
    if hasattr(headers, "items"):  # a dict, or Starlette `Headers` (whose items() keeps repeats)
        return list(headers.items())
    pairs: Iterable[tuple[Any, Any]] = headers
    return pairs


def _masked_header_value(name: str, value: str) -> str:
    if name in CREDENTIAL_HEADERS or (
        _SECRET_HEADER_NAME.search(name) and not name.startswith(_NOT_SECRET_HEADER_PREFIX)
    ):
        scheme, _, rest = value.partition(" ")
        return f"{scheme} {MASK}" if rest and name.endswith("authorization") else MASK
    return redact_text(value)


def _text(value: Any) -> str:
    return value.decode("latin-1") if isinstance(value, (bytes, bytearray)) else str(value)


# ---------------------------------------------------------------------------------------------------
# Redaction of log records


# Attributes every LogRecord has; anything else on a record came from `extra=`.
_RECORD_ATTRIBUTES = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


def _redact_record(record: logging.LogRecord) -> None:
    """Scrub a record in place: its message (formatted now, so the arguments go), its traceback
    (formatted now; `exc_info` is dropped so no handler formats the raw exception again) and stack."""
    try:
        message = record.getMessage()
    except Exception:  # arguments that do not fit the format: keep both, scrubbed, rather than fail
        message = f"{record.msg!s} {record.args!r}"
    record.msg, record.args = redact_text(message), None
    if record.exc_info:
        record.exc_text = logging.Formatter().formatException(record.exc_info)
        record.exc_info = None
    if record.exc_text:
        record.exc_text = redact_text(record.exc_text)
    if record.stack_info:
        record.stack_info = redact_text(record.stack_info)


def _redact_value(value: Any) -> Any:
    """An `extra=` field scrubbed: strings, and the strings inside dicts, lists and tuples (a
    credential header's value masked whole); anything else is left as it is."""
    if isinstance(value, (str, bytes)):
        return redact_text(_text(value))
    if isinstance(value, Mapping):
        return {
            key: MASK if _text(key).lower() in CREDENTIAL_HEADERS else _redact_value(item)
            for key, item in value.items()
        }
    if isinstance(value, (list, tuple)):
        return [_redact_value(item) for item in value]
    return value


def _withhold(record: logging.LogRecord, error: Exception) -> None:
    """A record that could not be scrubbed is logged without its content rather than as it was."""
    record.msg, record.args = f"[log record withheld: redaction failed ({type(error).__name__})]", None
    record.exc_info, record.exc_text, record.stack_info = None, None, None
    for key in list(vars(record)):
        if key not in _RECORD_ATTRIBUTES:
            setattr(record, key, MASK)


class _RedactingFactory:
    """A log record factory that scrubs each record as it is made, before any handler sees it."""

    def __init__(self, inner: Callable[..., logging.LogRecord]) -> None:
        self.inner = inner

    def __call__(self, *args: Any, **kwargs: Any) -> logging.LogRecord:
        record = self.inner(*args, **kwargs)
        try:
            _redact_record(record)
        except Exception as error:  # a log call must never raise, nor leak
            _withhold(record, error)
        return record


class RedactingFilter(logging.Filter):
    """A handler filter for what the factory cannot reach: fields added with `extra=` (set on the
    record after it is made), and records made by a factory installed over ours."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            _redact_record(record)
            for key, value in list(vars(record).items()):
                if key not in _RECORD_ATTRIBUTES:
                    setattr(record, key, _redact_value(value))
        except Exception as error:  # a log call must never raise, nor leak
            _withhold(record, error)
        return True


_FILTER = RedactingFilter()
_INSTALL_LOCK = threading.Lock()


def install_redaction(secrets: Iterable[str] = ()) -> None:
    """Scrub credentials from every log record in this process from now on, and the given literal
    secrets (the proxy token) wherever they appear. Safe to call again: it adds secrets, never a
    second layer. Raises ValueError for an empty secret (a configuration mistake)."""
    for secret in secrets:
        if not secret:
            raise ValueError("an empty secret cannot be redacted; check the proxy token")
        _SECRETS.configure(secret)
    with _INSTALL_LOCK:
        factory = logging.getLogRecordFactory()
        if not isinstance(factory, _RedactingFactory):
            logging.setLogRecordFactory(_RedactingFactory(factory))
        for handler in _all_handlers():
            if _FILTER not in handler.filters:
                handler.addFilter(_FILTER)


def _all_handlers() -> list[logging.Handler]:
    known = list(logging.Logger.manager.loggerDict.values())  # a copy: other threads add loggers
    loggers = [logging.getLogger()] + [item for item in known if isinstance(item, logging.Logger)]
    return [handler for logger in loggers for handler in logger.handlers]


# ---------------------------------------------------------------------------------------------------
# The guard


class BodyTooLarge(Exception):
    """Raised inside the app when its request body grows past the limit (the 413 is already sent)."""


def error_body(kind: str, message: str) -> bytes:
    """An error both the Anthropic and the OpenAI SDKs read: `{"type": "error", "error": {...}}`."""
    return json.dumps({"type": "error", "error": {"type": kind, "message": message}}).encode()


async def _send_error(send: Send, status: int, kind: str, message: str) -> None:
    body = error_body(kind, message)
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})


class ProxyGuard:
    """ASGI middleware: the token check for non-loopback callers and the request body limit.

    `token=None` admits loopback callers only. `max_body_bytes=None` sets no limit. Constructing a
    guard installs log redaction with the token among the secrets."""

    def __init__(
        self, app: ASGIApp, *, token: str | None = None, max_body_bytes: int | None = DEFAULT_MAX_BODY_BYTES
    ) -> None:
        if token is not None and not token.strip():
            raise ValueError("proxy token is empty; give a real token or none")
        if max_body_bytes is not None and (
            isinstance(max_body_bytes, bool) or not isinstance(max_body_bytes, int) or max_body_bytes < 1
        ):
            raise ValueError(f"max_body_bytes must be a positive integer or None, not {max_body_bytes!r}")
        self.app = app
        self.max_body_bytes = max_body_bytes
        self._token = token.encode() if token else None
        install_redaction([token] if token else [])

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers, presented, lengths = self._read_headers(scope)
        caller = _caller_host(scope)
        if not self._admits(caller, presented):
            log.warning("refused %s from %s: no valid %s", scope["type"], caller or "unknown", TOKEN_HEADER)
            await self._refuse(scope, receive, send)
            return
        scope = {**scope, "headers": headers}
        if scope["type"] == "websocket" or self.max_body_bytes is None:
            await self.app(scope, receive, send)
            return
        await self._limited(scope, receive, send, lengths)

    def _read_headers(self, scope: Scope) -> tuple[list[tuple[bytes, bytes]], bytes | None, list[bytes]]:
        """One pass over the headers: those the app will see (the token removed), the token the
        caller presented, the content-length values; credentials are remembered for redaction."""
        kept: list[tuple[bytes, bytes]] = []
        presented: bytes | None = None
        lengths: list[bytes] = []
        for name, value in scope.get("headers") or ():
            lowered = name.lower()
            if lowered == b"x-headroom-proxy-token":
                presented = value
                continue
            if lowered == b"content-length":
                lengths.append(value)
            elif lowered in _CREDENTIAL_HEADER_BYTES:
                _remember_credential(value)
            kept.append((name, value))
        return kept, presented, lengths

    def _admits(self, caller: str | None, presented: bytes | None) -> bool:
        if is_loopback(caller):
            return True
        if self._token is None or presented is None:
            return False
        return hmac.compare_digest(presented.strip(), self._token)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            await receive()  # the websocket.connect; closing before accepting refuses the handshake
            await send({"type": "websocket.close", "code": 1008, "reason": "proxy token required"})
            return
        message = (
            f"this proxy requires the {TOKEN_HEADER} header from non-loopback callers"
            if self._token
            else "this proxy admits loopback callers only (no proxy token is configured)"
        )
        await _send_error(send, 401, "authentication_error", message)

    async def _limited(self, scope: Scope, receive: Receive, send: Send, lengths: list[bytes]) -> None:
        limit = self.max_body_bytes
        assert limit is not None
        declared = _declared_length(lengths)
        if declared is None:
            await _send_error(send, 400, "invalid_request_error", "invalid content-length header")
            return
        if declared > limit:
            await _send_error(send, 413, "request_too_large", _too_large(limit))
            return
        await _BodyLimit(self.app, limit).run(scope, receive, send)


class _BodyLimit:
    """Runs the app with its body counted as it streams in; past the limit the client gets a 413
    (or, if the app had already started its response, the end of it) and the app gets BodyTooLarge."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app, self.limit = app, limit
        self.received = 0
        self.refused = False
        self.started = False
        self.finished = False

    async def run(self, scope: Scope, receive: Receive, send: Send) -> None:
        self._send = send
        self._receive = receive
        try:
            await self.app(scope, self.receive, self.send)
        except Exception as error:
            if not self.refused:
                raise
            if not isinstance(error, BodyTooLarge):  # the app turned our exception into its own
                log.debug("app raised %s after its body went over the limit", type(error).__name__)

    async def receive(self) -> Message:
        message = await self._receive()
        if message["type"] == "http.request":
            self.received += len(message.get("body", b""))
            if self.received > self.limit:
                await self._refuse()
                raise BodyTooLarge(_too_large(self.limit))
        return message

    async def send(self, message: Message) -> None:
        if self.refused:
            return  # the response went out (413, or the end of one cut short); the app's is dropped
        if message["type"] == "http.response.start":
            self.started = True
        elif message["type"] == "http.response.body" and not message.get("more_body", False):
            self.finished = True
        await self._send(message)

    async def _refuse(self) -> None:
        if self.refused:
            return
        self.refused = True
        log.warning("request body over %d bytes refused", self.limit)
        if not self.started:
            await _send_error(self._send, 413, "request_too_large", _too_large(self.limit))
        elif not self.finished:
            await self._send({"type": "http.response.body", "body": b"", "more_body": False})


def _declared_length(values: list[bytes]) -> int | None:
    """The content-length (0 when absent), or None when a value is not a number or values differ."""
    if not values:
        return 0
    try:
        parsed = {int(value.strip()) for value in values}
    except ValueError:
        return None
    if len(parsed) != 1 or min(parsed) < 0:
        return None
    return parsed.pop()


def _too_large(limit: int) -> str:
    return f"request body is larger than this proxy's limit of {limit} bytes (--max-body-bytes)"


def _caller_host(scope: Scope) -> str | None:
    client = scope.get("client")
    return str(client[0]) if client else None


def _remember_credential(value: bytes) -> None:
    text = value.decode("latin-1").strip()
    scheme, _, rest = text.partition(" ")
    remember_secret(rest.strip() if rest and scheme.lower() in ("bearer", "basic", "token") else text)
