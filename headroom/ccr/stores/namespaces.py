"""Namespaces: one caller's originals, memos and session records, apart from everyone else's,
and every read checked against what was written.

A `ScopedStore` is one namespace of a store. Its keys live under `<namespace>:<key>`, so
a lookup in one namespace never sees another's entries: not an original (`retrieve`,
`answer_retrieve_calls`), not a memo, not a session record. Library users name the
namespace (`compress(..., namespace="tenant-42")`); without one it is `default`. The
integrations (and the proxy) derive it from each caller's credential with
`namespace_for_credential`, which keeps only a hash of it.

Originals live under their full SHA-256 digest (`<namespace>:<64 hex digits>`). A marker
carries only the first 16 digits, so the short hash is kept as a pointer entry
(`<namespace>:<16 digits>` -> `sha256:<digest>`) that a lookup follows. Either form can
be looked up (`retrieve(short)` or `retrieve(digest)`).

Verified reads. A read hashes the text again and answers `corrupt` (never the text) when
its digest is not the key it lives under, or does not start with the short hash it was
asked for. A memo or session record carries a checksum over its namespace, kind, key and
text, checked the same way. So an entry overwritten in SQLite or Redis is reported, not
returned as genuine.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

from headroom import markers
from headroom.ccr.stores.base import Kind, Lookup, Store

DEFAULT_NAMESPACE = "default"
# Callers of the integrations (and the proxy) that send no credential share this namespace.
ANONYMOUS_NAMESPACE = "anonymous"
MAX_NAMESPACE_CHARS = 200
_CREDENTIAL_DOMAIN = b"headroom namespace v1\x00"


def namespace_for_credential(credential: str | None) -> str:
    """The namespace of a caller, from its credential: an API key, or an Authorization header's value.

    `key-` and 32 hex digits of a SHA-256 of the credential (so the credential itself is never
    stored or logged); `Bearer sk-x` and `sk-x` are the same caller. No credential gives
    `anonymous`.
    """
    token = (credential or "").strip()
    scheme, _, rest = token.partition(" ")
    if scheme.lower() == "bearer" and rest.strip():
        token = rest.strip()
    if not token:
        return ANONYMOUS_NAMESPACE
    digest = hashlib.sha256(_CREDENTIAL_DOMAIN + token.encode("utf-8", "surrogatepass")).hexdigest()
    return f"key-{digest[:32]}"


def check_namespace(namespace: Any) -> str:
    """A namespace as given, or TypeError/ValueError: a non-empty text of printable characters."""
    if not isinstance(namespace, str):
        raise TypeError(f"namespace must be a string, not {type(namespace).__name__}")
    if not namespace or len(namespace) > MAX_NAMESPACE_CHARS:
        raise ValueError(f"namespace must be 1 to {MAX_NAMESPACE_CHARS} characters, not {len(namespace)}")
    if not namespace.isprintable():
        raise ValueError(f"namespace {namespace!r} holds a control character")
    return namespace


class ScopedStore:
    """One namespace of a store, with every read verified (see the module docstring).

    The same two calls as a `Store` (`lookup_many`, `put_many`), taking the keys stages use:
    a marker's 16-digit hash for originals, a digest for memos and session records.
    """

    def __init__(self, store: Store, namespace: str = DEFAULT_NAMESPACE):
        self.store = store
        self.namespace = check_namespace(namespace)

    @property
    def url(self) -> str:
        return self.store.url

    def lookup_many(self, kind: Kind, keys: Sequence[str]) -> list[Lookup]:
        if kind == "original":
            return self._lookup_originals(keys)
        found = self.store.lookup_many(kind, [self._stored_key(key) for key in keys])
        return [self._verified(kind, key, lookup) for key, lookup in zip(keys, found, strict=True)]

    def put_many(self, kind: Kind, items: Mapping[str, str]) -> None:
        if kind == "original":
            self.store.put_many(kind, self._original_entries(items))
            return
        self.store.put_many(
            kind, {self._stored_key(key): self._sealed(kind, key, value) for key, value in items.items()}
        )

    def _original_entries(self, items: Mapping[str, str]) -> dict[str, str]:
        """Each text under its full digest, and a pointer to it under the short hash its markers carry."""
        entries: dict[str, str] = {}
        for key, text in items.items():
            digest = markers.content_digest(text)
            entries[self._stored_key(digest)] = text
            if key != digest:
                entries[self._stored_key(key)] = _POINTER + digest
        return entries

    def _lookup_originals(self, keys: Sequence[str]) -> list[Lookup]:
        """Follow each short hash's pointer to the digest the text lives under (a full digest is looked
        up as it is), then check the text against both."""
        answers: list[Lookup | None] = [None] * len(keys)
        digests: dict[int, str] = {}
        short = [(index, key) for index, key in enumerate(keys) if len(key) != _DIGEST_LENGTH]
        pointers = self.store.lookup_many("original", [self._stored_key(key) for _, key in short])
        for (index, _), pointer in zip(short, pointers, strict=True):
            if pointer.value is None:
                answers[index] = pointer
            elif pointer.value.startswith(_POINTER):
                digests[index] = pointer.value[len(_POINTER) :]
            else:
                answers[index] = Lookup("corrupt")
        digests.update((index, key) for index, key in enumerate(keys) if len(key) == _DIGEST_LENGTH)
        wanted = sorted(digests)
        texts = self.store.lookup_many("original", [self._stored_key(digests[index]) for index in wanted])
        for index, found in zip(wanted, texts, strict=True):
            answers[index] = _checked_original(keys[index], digests[index], found)
        return [answer if answer is not None else Lookup("unknown") for answer in answers]

    def lookup(self, key: str, kind: Kind = "original") -> Lookup:
        return self.lookup_many(kind, [key])[0]

    def _stored_key(self, key: str) -> str:
        # Keys are hex digests (no ":"), so the last ":" always ends the namespace.
        return f"{self.namespace}:{key}"

    def _sealed(self, kind: Kind, key: str, value: str) -> str:
        return f"{self._seal(kind, key, value)}\n{value}"

    def _seal(self, kind: Kind, key: str, value: str) -> str:
        text = "\x1f".join((kind, self.namespace, key, value))
        return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]

    def _verified(self, kind: Kind, key: str, lookup: Lookup) -> Lookup:
        if lookup.value is None:
            return lookup
        seal, newline, value = lookup.value.partition("\n")
        genuine = bool(newline) and seal == self._seal(kind, key, value)
        return Lookup("found", value) if genuine else Lookup("corrupt")

    def __repr__(self) -> str:
        return f"ScopedStore({self.store!r}, namespace={self.namespace!r})"


_POINTER = "sha256:"
_DIGEST_LENGTH = 64


def _checked_original(asked: str, digest: str, found: Lookup) -> Lookup:
    """An original as read under `digest`, found only when its text hashes to that digest and the
    digest starts with the hash it was asked for (a forged pointer or text reads as corrupt)."""
    if found.value is None:
        return found
    if markers.content_digest(found.value) != digest or asked not in (digest, markers.short_hash(digest)):
        return Lookup("corrupt")
    return found


def scoped(store: Store | ScopedStore, namespace: str | None = None) -> ScopedStore:
    """The store as a `ScopedStore`: as it is when it already is one, else in `namespace` (or the default)."""
    if isinstance(store, ScopedStore):
        return store
    return ScopedStore(store, namespace if namespace is not None else DEFAULT_NAMESPACE)
