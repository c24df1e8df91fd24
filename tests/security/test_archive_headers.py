"""Issue 12, class 3 (packaged subcharts): Helm reads a `.tgz` subchart with Go's tar, the scan with
Python's, and the two name members differently for some hand-made headers. Each archive below
hides a template that branches on the environment's name: Python reads it under a name that is no
template (so env-conditional never sees it), Go under `sub/templates/evil.yaml` (so Helm renders
it). Helm must render what the scan read (cmp.pipeline.archives.canonical): the hidden template
stays a non-template file, and the same template where both parsers see it is blocked.
"""

from __future__ import annotations

import gzip

import pytest

EVIL = (b'{{- if eq .Values.global.env "prod" }}\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: evil}\n'
        b'{{- end }}\n')
CHART = b"apiVersion: v2\nname: sub\nversion: 0.1.0\n"
OK = b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ok}\n"
POSIX, GNU, V7 = b"ustar\x0000", b"ustar  \x00", b""


def _header(name: bytes, size: int, kind: bytes, magic: bytes = POSIX, prefix: bytes = b"") -> bytes:
    header = bytearray(512)
    header[0:len(name)] = name
    header[100:148] = b"0000644\x000000000\x000000000\x00" + b"%011o\x00" % size + b"00000000000\x00"
    header[148:156] = b" " * 8
    header[156:157] = kind
    header[257:257 + len(magic)] = magic
    header[345:345 + len(prefix)] = prefix
    header[148:156] = b"%06o\x00 " % sum(header)
    return bytes(header)


def _padded(data: bytes) -> bytes:
    return data + b"\x00" * (-len(data) % 512)


def _pax(key: bytes, value: bytes) -> bytes:
    body = b" " + key + b"=" + value + b"\n"
    length = len(body) + 1
    while len(str(length)) + len(body) != length:
        length += 1
    record = str(length).encode() + body
    return _header(b"././@PaxHeader", len(record), b"x") + _padded(record)


def _file(name: bytes, data: bytes, **kw: bytes) -> bytes:
    return _header(name, len(data), b"0", **kw) + _padded(data)


def _gnu_long(name: bytes) -> bytes:
    return _header(b"././@LongLink", len(name) + 1, b"L", magic=GNU) + _padded(name + b"\x00")


HIDDEN = {
    # Python applies the PAX path after the GNU long name; Go lets the long name win
    "pax-path-then-gnu-long-name": _pax(b"path", b"sub/README.md") + _gnu_long(b"sub/templates/evil.yaml")
    + _file(b"x", EVIL),
    # Python renames a member by PAX GNU.sparse.name always; Go only for a 1.0 sparse file
    "pax-gnu-sparse-name": _pax(b"GNU.sparse.name", b"sub/README.md") + _file(b"sub/templates/evil.yaml", EVIL),
    # Python prepends a ustar prefix found in any header; Go only in a POSIX ustar one
    "v7-header-with-a-prefix": _file(b"sub/templates/evil.yaml", EVIL, magic=V7, prefix=b"docs"),
    # a checksum field opening with NUL: 0 to Python (its reading ends there, quietly), valid to Go
    "checksum-only-go-accepts": b"",
}


def _nul_checksum_member() -> bytes:
    header = bytearray(_file(b"sub/templates/evil.yaml", EVIL))
    total = sum(header[:148]) + 8 * 32 + sum(header[156:512])
    header[148:156] = b"\x00" + b"%06o" % total + b" "
    return bytes(header[:512]) + bytes(header[512:])


def _subchart(hidden: str) -> bytes:
    members = _file(b"sub/Chart.yaml", CHART) + _file(b"sub/templates/ok.yaml", OK)
    members += HIDDEN[hidden] if hidden != "checksum-only-go-accepts" else _nul_checksum_member()
    return gzip.compress(members + b"\x00" * 1024)


def _chart(hostile_repo, files):
    return hostile_repo.chart("web", chart_values="global: {env: prod}\n", files=files)


@pytest.mark.parametrize("hidden", sorted(HIDDEN))
def test_a_tar_header_differential_cannot_hide_a_template_from_the_scan(hostile_repo, cli, hidden: str) -> None:
    chart = _chart(hostile_repo, {"charts/sub-0.1.0.tgz": _subchart(hidden)})
    result = cli("render", str(chart), "--env", "prod")
    assert result.code == 0, result.err
    assert '"name": "ok"' in result.out  # the subchart renders
    assert "evil" not in result.out, "Helm rendered a template the scan never read"


def test_the_hidden_template_is_blocked_where_both_parsers_see_it(hostile_repo, cli) -> None:
    chart = _chart(hostile_repo, {"charts/sub/Chart.yaml": CHART, "charts/sub/templates/evil.yaml": EVIL})
    result = cli("render", str(chart), "--env", "prod")
    assert result.code == 1 and result.out == "" and "env-conditional" in result.err, result.err
