from __future__ import annotations

from pathlib import Path

from cmp import yamlio
from cmp.secrets import files


def test_split_counts_documents_as_libyaml_does():
    for text in ["a: 1\n", "a: 1\n---\n", "---\na: 1\n", "# c\n---\na: 1\n---\nb: 2\n", "---\n# c\n---\nb: 2\n", ""]:
        assert len(files.split(text)) == len(yamlio.load_all(text, "t")), text
    assert files.split("# c\n---\na: 1\n---\nb: 2\n") == [("a: 1", 3), ("b: 2", 5)]


def test_repo_files_reads_yaml_parses_data_and_keeps_templates_as_text(tmp_path: Path):
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "config.yaml").write_text("password: hunter22\n")
    (tmp_path / "charts" / "web" / "templates").mkdir(parents=True)
    (tmp_path / "charts" / "web" / "values.yaml").write_text("a: 1\n---\nb: 2\n")
    (tmp_path / "charts" / "web" / "templates" / "cm.yaml").write_text("data: {{ .Values.x }}\n  bad: [\n")
    (tmp_path / "big.yml").write_text("x: " + "y" * 100 + "\n")
    (tmp_path / "notes.txt").write_text("password: hunter22\n")
    found = {f.path: f for f in files.repo_files(tmp_path, 64)}
    assert sorted(found) == ["big.yml", "charts/web/templates/cm.yaml", "charts/web/values.yaml"]
    assert found["big.yml"].too_large
    assert not found["charts/web/templates/cm.yaml"].parsed
    assert [(d.data, d.first_line) for d in found["charts/web/values.yaml"].documents] == [({"a": 1}, 1), ({"b": 2}, 3)]
