"""The API's clients and operators, from the YAML file ``API_CLIENTS_FILE`` names.

A key is a long random token (``secrets.token_urlsafe``, 256 bits), so the file keeps
only its SHA-256 digest, as services that issue API tokens do: the file reveals no
key, and a presented key is found by its digest. ``new_client`` makes a key and the
entry to paste; the key is shown once and stored nowhere.

```yaml
clients:
  - id: shop-a
    keySha256: 5e8848…   # sha256 of the key, 64 hex digits
    rateLimit: {perSecond: 20, burst: 40}   # optional: the settings' default otherwise
  - id: shop-b           # while rotating its key: the new and the old digest
    keySha256: [7c4a8d…, 2fd4e1…]
operators:             # who may use the console and /metrics
  - id: ops
    keySha256: 9f86d0…
```
"""

from __future__ import annotations

import hashlib
import secrets
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Self

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel

# Letters, digits, ".", "_", "-": a client id is logged and scopes idempotency keys as
# "<id>:<key>", so it holds no colon.
ClientId = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
KeyDigest = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]


class InvalidClientsFile(ValueError):
    """The clients file cannot be used; the message names the file, key and reason."""


class _Entry(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True
    )


class RateLimit(_Entry):
    per_second: float = Field(gt=0)
    burst: int = Field(ge=1)


class Operator(_Entry):
    id: ClientId
    # One digest, or several while a key is rotated: each of those keys authenticates.
    key_sha256: tuple[KeyDigest, ...] = Field(min_length=1)

    @field_validator("key_sha256", mode="before")
    @classmethod
    def _one_or_more(cls, value: object) -> object:
        return [value] if isinstance(value, str) else value


class Client(Operator):
    rate_limit: RateLimit | None = None


class ClientsFile(_Entry):
    clients: list[Client] = []
    operators: list[Operator] = []

    @model_validator(mode="after")
    def _unique(self) -> Self:
        for section in ("clients", "operators"):
            ids = [entry.id for entry in getattr(self, section)]
            if repeated := sorted({name for name in ids if ids.count(name) > 1}):
                raise ValueError(f"{section}: ids used twice: {', '.join(repeated)}")
        digests = [key for entry in (*self.clients, *self.operators) for key in entry.key_sha256]
        if len(set(digests)) < len(digests):
            raise ValueError("a keySha256 is used twice: each client and operator has its own key")
        return self


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@dataclass(frozen=True)
class Registry:
    """Clients and operators by the digest of their key."""

    clients: dict[str, Client]
    operators: dict[str, Operator]

    @classmethod
    def of(cls, file: ClientsFile) -> Registry:
        return cls(
            {key: client for client in file.clients for key in client.key_sha256},
            {key: operator for operator in file.operators for key in operator.key_sha256},
        )

    def client(self, key: str) -> Client | None:
        return self.clients.get(digest(key))

    def rate_limits(self) -> dict[str, RateLimit]:
        """The clients' own limits, by client id."""
        return {c.id: c.rate_limit for c in self.clients.values() if c.rate_limit is not None}

    def operator(self, key: str) -> Operator | None:
        return self.operators.get(digest(key))


def load_clients(path: Path) -> Registry:
    """The registry of the file; InvalidClientsFile names the file, key and reason."""
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise InvalidClientsFile(f"{path}: cannot read it: {error.strerror or error}") from None
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        raise InvalidClientsFile(f"{path}: not YAML: {error}") from None
    try:
        return Registry.of(ClientsFile.model_validate(document or {}))
    except ValidationError as error:
        reasons = [
            f"{path}: {'.'.join(map(str, item['loc'])) or '(top level)'}: {item['msg']}"
            for item in error.errors(include_url=False, include_input=False)
        ]
        raise InvalidClientsFile("\n".join(reasons)) from None


def print_new_client(client_id: str, *, operator: bool = False) -> int:
    """``python app.py create-client <id>``: the key once, then the entry to paste."""
    try:
        key, entry = new_client(client_id, operator=operator)
    except ValidationError:
        print(
            f"create-client: {client_id!r} is no client id: 1 to 64 letters, digits, '.', '_' "
            "or '-', starting with a letter or digit",
            file=sys.stderr,
        )
        return 2
    section = "operators" if operator else "clients"
    print(f"API key of {client_id} (shown only now; give it to the {section[:-1]}):\n  {key}\n")
    print(f'Paste under "{section}:" in the file API_CLIENTS_FILE names (it holds no key):')
    print(textwrap.indent(entry, "  "), end="")
    return 0


def new_client(client_id: str, *, operator: bool = False) -> tuple[str, str]:
    """A new random key and the YAML entry (its digest, never the key) to paste under
    ``clients:`` (or ``operators:``)."""
    key = secrets.token_urlsafe(32)
    entry = {"id": client_id, "keySha256": digest(key)}
    (Operator if operator else Client).model_validate(entry)  # a bad id raises here
    return key, yaml.safe_dump([entry], sort_keys=False)
