"""Stand-in secrets for benchmarks and unit tests that must not depend on sops.

`DemoSecrets` derives each value from its name and a fixed, public seed, valid for its
format (a WireGuard private key is a real X25519 key).  They protect nothing; the
command line always uses the encrypted store.
"""

from __future__ import annotations

import hashlib
import hmac

from schoolnet.secrets.generate import shape
from schoolnet.secrets.names import kind_of

DEMO_SEED = b"schoolnet public demo seed -- NOT A SECRET -- benchmarks and unit tests only"


class DemoSecrets:
    """Deterministic stand-ins, shaped by the secret's name."""

    def load(self) -> None:
        return None

    def get(self, name: str) -> str:
        digest = hmac.new(DEMO_SEED, name.encode(), hashlib.sha256).digest()
        return shape(kind_of(name), digest)
