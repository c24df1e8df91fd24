"""Is a key name sensitive? `DB_PASSWORD`, `apiKey`, `client_secret` are; `secretKeyRef`, `existingSecret`,
`PASSWORD_MIN_LENGTH`, `tokenPath`, `checksum/secret`, `passwordKey` (the key that holds it) are not.

The last word of the name decides, as in English: a `passwordFile` is a file, a `dbPassword` a password.
"""

from __future__ import annotations

import re
from enum import Enum
from functools import lru_cache


class Sensitivity(Enum):
    NONE = 0
    MAYBE = 1  # secret when the value looks random: `secret`, `auth`, `credentials`, `tlsSecret`
    SURE = 2  # any literal value is a secret: `password`, `token`, `apiKey`, `client_secret`


_WORDS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")
# Fused lowercase compounds split before the last-word test: "dbpassword", "apikey", "secretkeyref".
_FUSED = ("password", "passwd", "passphrase", "secret", "token", "key", "ref", "name", "file", "path",
          "credentials", "credential")
_NOT_SECRET_HEADS = frozenset("""
    ref refs reference name names file files path paths dir directory mount volume id ids length len min
    max count size limit limits enabled enable disabled required policy policies ttl expiry expiration
    expires expire lifetime age seconds minutes hours days duration timeout interval period rotation
    version url uri endpoint endpoints host hosts port header headers field fields selector provider
    providers store kind type format pattern regex env var variable prefix suffix label labels audience
    audiences issuer algorithm alg hash hashed checksum digest mode hint description template source user
    username login email owner annotation annotations strength complexity generator schema rules rule
    encoding charset location locations namespace ns resource scope scopes subject mapping map keys
    annotation lookup configured exists present set secrets tokens passwords usage usages claim claims
    mtime ctime time timestamp date updated created modified rotated changed
    """.split())
_NOT_SECRET_WORDS = frozenset("""
    existing use create generate require requires allow skip min max checksum hash sha digest public pub
    fingerprint reset forgot rotate expire enable enabled disable length publishable csrf xsrf
    """.split())
_PASSWORD_HEADS = frozenset({"password", "passwd", "pwd", "passphrase", "pass", "pw"})
_SURE_KEY_QUALIFIERS = frozenset("""
    api secret private signing sign encryption encrypt decryption master license client ssh hmac shared
    session cookie jwt webhook root admin account storage subscription service app application deploy
    """.split())
_REFERENCE_KEY_QUALIFIERS = frozenset({"password", "passwd", "pwd", "token", "username", "user", "cert", "site",
                                       "remote", "certificate", "ca", "public", "pub"})
_SURE_SECRET_QUALIFIERS = frozenset("""
    client app application jwt cookie session webhook shared signing hmac api consumer master admin root
    oauth encryption bootstrap cluster join registration access
    """.split())
_SURE_HEADS = frozenset({"token", "authorization", "bearer", "apikey", "privatekey", "secretkey",
                         "clientsecret", "accesstoken", "authtoken", "sas"})
_MAYBE_HEADS = frozenset({"secret", "key", "credential", "credentials", "creds", "auth", "dsn",
                          "connectionstring", "conn", "cred", "accesskey"})


def words(name: str) -> list[str]:
    found = [w.lower() for w in _WORDS.findall(name)]
    for _ in range(3):
        if not found:
            break
        last = found[-1]
        cut = next((f for f in _FUSED if last != f and last.endswith(f)), None)
        if cut is None:
            break
        found[-1:] = [last[: -len(cut)], cut]
    return found


@lru_cache(maxsize=8192)
def classify(name: str) -> Sensitivity:
    parts = words(name)
    if not parts:
        return Sensitivity.NONE
    head, before = parts[-1], parts[-2] if len(parts) > 1 else ""
    if head in _NOT_SECRET_HEADS or any(w in _NOT_SECRET_WORDS for w in parts):
        return Sensitivity.NONE
    if head in _PASSWORD_HEADS or head in _SURE_HEADS:
        return Sensitivity.SURE
    if head == "key":
        return _key(before)
    if head == "secret":
        return Sensitivity.SURE if before in _SURE_SECRET_QUALIFIERS else Sensitivity.MAYBE
    if head in _MAYBE_HEADS or any(w in _PASSWORD_HEADS or w in ("secret", "token") for w in parts):
        return Sensitivity.MAYBE
    return Sensitivity.NONE


def names_a_key(name: str) -> bool:
    """`clusterSecretKey`, `tokenSecretKey`, `adminPasswordSecretKey`: which key of a Secret holds the
    value (a chart's lookup setting), when a qualifier comes before `secret key`. A bare `secretKey`
    (MinIO, S3) is the secret itself."""
    parts = words(name)
    return len(parts) >= 3 and parts[-2:] == ["secret", "key"]


def _key(before: str) -> Sensitivity:
    if before in _REFERENCE_KEY_QUALIFIERS:
        return Sensitivity.NONE  # passwordKey: the name of the key that holds the password
    if before in _SURE_KEY_QUALIFIERS:
        return Sensitivity.SURE
    return Sensitivity.MAYBE
