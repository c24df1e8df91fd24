from __future__ import annotations

import pytest

from cmp.secrets.locate import line_of

VALUES = """\
# prod values
image:
  tag: "1.4.2"
postgresql:
  auth:
    username: app
    "password": s3cret
env:
  - name: A
    value: b
  - name: DB_PASSWORD
    value: s3cret
list:
- name: first
- value: second
other:
  password: elsewhere
"""


@pytest.mark.parametrize(("path", "line"), [
    pytest.param(("postgresql", "auth", "password"), 7, id="nested-quoted-key"),
    pytest.param(("env", 1, "value"), 12, id="list-item-key"),
    pytest.param(("env", 0, "value"), 10, id="first-item"),
    pytest.param(("list", 1, "value"), 15, id="dash-at-parent-indent"),
    pytest.param(("other", "password"), 17, id="same-key-elsewhere"),
    pytest.param(("missing",), 0, id="unknown"),
])
def test_line_of(path: tuple[str | int, ...], line: int):
    assert line_of(VALUES, path) == line


def test_line_of_offsets_by_the_document_start():
    assert line_of("a:\n  b: 1\n", ("a", "b"), first_line=10) == 11
