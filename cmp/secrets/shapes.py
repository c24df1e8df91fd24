"""What a value looks like: placeholder, public material, path, resource name, or random enough to be a key.

Every check here is about the value alone; `names` judges the key it sits under.
"""

from __future__ import annotations

import math
import re
from collections import Counter

_PLACEHOLDER = re.compile(
    r"""
      \$\{[^}]*\}                 # ${VAR}
    | \$\([A-Za-z_][\w.-]*\)      # $(VAR): Kubernetes env expansion
    | \$[A-Za-z_][\w.:-]*         # $VAR, Argo CD's $secret-name:key references
    | %[A-Za-z_]\w*% | %\(?\w*\)?s
    | <[^<>\n]*>                  # <your-token>, <path:secret/data/app#password>
    | \[\[?[^\[\]\n]*\]\]?        # [REPLACE], [[ .password ]]
    | ref\+[a-z0-9]+://\S*        # vals references
    | ENC\[[A-Z0-9_]+,data:[^\]]*\]  # SOPS ciphertext: decrypted only where the key is
    | (?i:redacted|placeholder|replace[_-]?me|replace[_-]?with[\w-]*|your[_-][\w-]*|todo|tbd|fixme|none|null
         |nil|n/?a|undefined|unset|empty|dummy|masked|hidden|secret|password|token|xxx+)
    | (?:Your|YOUR)[A-Z_]\w*      # YourPingdomApiToken, YOUR_API_KEY
    | x{3,}|X{3,}|\*{3,}|\.{3,}|-{3,}|_{3,}|\#{3,}|•{3,}
    """,
    re.VERBOSE,
)
_FILLER_RUN = re.compile(r"x{4,}|X{4,}|\*{3,}|#{4,}|•{3,}|(?i:redacted|placeholder|fake|insert[_-])|^\{[A-Za-z_]\w*\}?$")
# Eight characters of the alphabet or the digits in order: typed by a person filling a format, not drawn.
_SEQUENCE = re.compile("|".join(
    s[i:i + 8] for s in ("abcdefghijklmnopqrstuvwxyz", "0123456789") for i in range(len(s) - 7)))
# The pieces of a name: `SalesResults-1.2` is Sales, Results, 1, 2 (each alternative is tried once per
# position, so a hostile value costs linear time).
_PIECE = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|[0-9]+|[-_.]")
_TEMPLATED = re.compile(r"\{\{.*\}\}|\$\{\{.*\}\}", re.DOTALL)
_PUBLIC = re.compile(
    r"-----BEGIN (?:CERTIFICATE|TRUSTED CERTIFICATE|X509 CRL|CERTIFICATE REQUEST|NEW CERTIFICATE REQUEST"
    r"|PUBLIC KEY|RSA PUBLIC KEY|SSH2 PUBLIC KEY|PGP PUBLIC KEY BLOCK|PGP SIGNATURE|DH PARAMETERS"
    r"|EC PARAMETERS)-----"
    r"|^(?:ssh-(?:rsa|dss|ed25519)|ecdsa-sha2-nistp\d+|sk-ssh-ed25519@openssh\.com) AAAA",
)
_PRIVATE = re.compile(r"PRIVATE KEY")
_PATH = re.compile(r"(?:/|\./|\.\./|~/|[A-Za-z]:\\)[^\s:*?\"<>|]*")
_K8S_NAME = re.compile(r"[a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?")
_ENV_NAME = re.compile(r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_DIGEST = re.compile(r"(?:sha256|sha384|sha512|sha1|md5):[0-9a-fA-F]{32,128}")
_ARN = re.compile(r"arn:aws[\w-]*:[\w-]+:[\w-]*:\d{0,12}:\S+")
# AWS documents AKIAIOSFODNN7EXAMPLE / wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY; vendors copy the habit.
_DOCUMENTED_EXAMPLE = re.compile(r"EXAMPLE(?:KEY)?$")
_BOOLISH = frozenset({"true", "false", "yes", "no", "on", "off", "enabled", "disabled", "required", "optional"})


def is_placeholder(value: str) -> bool:
    """A stand-in for a value supplied elsewhere (`${VAR}`, `$(VAR)`, `<...>`, templated, masked), or
    a token-shaped filler (`ghp_xxxx...`)."""
    text = value.strip().strip("\"'")
    return is_stand_in(text) or is_filler(text)


def is_stand_in(value: str) -> bool:
    """`${VAR}`, `$(VAR)`, `<...>`, `{{ .x }}`, `***`, `EXAMPLE`: what a Secret's own entry may hold too."""
    text = value.strip().strip("\"'")
    return (not text or bool(_PLACEHOLDER.fullmatch(text)) or bool(_TEMPLATED.search(text))
            or bool(_DOCUMENTED_EXAMPLE.search(text)))


def is_filler(value: str) -> bool:
    """A token-shaped stand-in: a vendor prefix with a masked body (`ghp_xxxx...`, `glc_1111...=`,
    `xoxp-...-####`, `sk-****`, `[Redacted]`, `{SumoAccessKey}`, `interbroker-password-placeholder`: a
    value an init container substitutes, `insert_key_here`, `a-fake-api-key`), half the value one character
    (`aaaaaaaa`), or a long value holding a run such as `12345678` or `klmnopqr`. Short values are words."""
    if len(value) < 8:
        return False
    if _FILLER_RUN.search(value) or (len(value) >= 16 and _SEQUENCE.search(value.lower())):
        return True
    body = [c for c in value if c.isalnum()]
    return len(body) >= 8 and Counter(body).most_common(1)[0][1] * 2 >= len(body)


def is_public_material(value: str) -> bool:
    """Certificates, public keys, CA bundles: meant to be shared. A bundle with a private key is not."""
    return bool(_PUBLIC.search(value)) and not _PRIVATE.search(value)


def is_path(value: str) -> bool:
    return bool(_PATH.fullmatch(value)) and "\n" not in value


def is_identifier(value: str) -> bool:
    """Names things rather than being a secret: resource names, env var names, UUIDs, digests, ARNs."""
    if _UUID.fullmatch(value) or _DIGEST.fullmatch(value) or _ARN.fullmatch(value) or _ENV_NAME.fullmatch(value):
        return True
    if _K8S_NAME.fullmatch(value):
        # A lowercase run of letters and digits with no separator is how hex and base36 tokens look.
        return not (len(value) >= 16 and value.isalnum() and not value.isalpha())
    return False


def is_literal(value: object) -> str | None:
    """The value as a string when it is an actual literal that could be a secret, else None."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        text = str(value)
        return text if len(text) >= 4 else None
    if not isinstance(value, str):
        return None
    text = value.strip()
    if len(text) < 4 or text.lower() in _BOOLISH or is_placeholder(text):
        return None
    if is_public_material(text) or is_path(text) or _ENV_NAME.fullmatch(text):
        return None
    return text


def entropy(value: str) -> float:
    """Shannon entropy in bits per character."""
    counts = Counter(value)
    total = len(value)
    return -sum(n / total * math.log2(n / total) for n in counts.values())


def looks_random(value: object) -> str | None:
    """The value when it is shaped like a generated key or password; for names that are only maybe secret."""
    text = is_literal(value)
    if text is None or not isinstance(value, str) or any(c.isspace() for c in text) or is_identifier(text):
        return None
    if _wordy(text):
        return None
    if len(text) < 8 or (len(text) < 12 and _classes(text) < 4):
        return None
    if any(c.islower() for c in text) + any(c.isupper() for c in text) + any(c.isdigit() for c in text) < 2:
        return None  # one letter case and no digits: words and paths (`prod/webapp/db`), not keys
    return text if entropy(text) >= min(3.0, 0.8 * math.log2(len(text))) else None


def _wordy(text: str) -> bool:
    """Words, short numbers and separators (`SalesResults-1.2`, `DOC_Vector_5_32`): a name, not a key."""
    pieces = _PIECE.findall(text)
    if sum(map(len, pieces)) != len(text):
        return False
    return all(p in "-_." or (p.isdigit() and len(p) <= 3) or (p.isalpha() and len(p) >= 2) for p in pieces)


def _classes(text: str) -> int:
    return (any(c.islower() for c in text) + any(c.isupper() for c in text) + any(c.isdigit() for c in text)
            + any(not c.isalnum() for c in text))
