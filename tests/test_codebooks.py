"""Study bundles with flat, one-level, two-level and any-depth codebooks; linear naming."""

from __future__ import annotations

import pytest

from themegraph.errors import InputError
from themegraph.loaders.study import StudyReader, read_study


def bundle(tmp_path, codebook: str, extracts: str | None = None):
    (tmp_path / "study.yaml").write_text("id: shapes\ntitle: Codebook shapes\n", encoding="utf-8")
    (tmp_path / "codebook.csv").write_text(codebook, encoding="utf-8")
    if extracts:
        (tmp_path / "extracts.csv").write_text(extracts, encoding="utf-8")
    return tmp_path


def themes(batch):
    return {row["name"]: row["level"] for row in batch.nodes.get("Theme", {}).values()}


def rels(batch, type_):
    return sorted((r["src"].rsplit("/", 1)[-1], r["dst"].rsplit("/", 1)[-1])
                  for key, rows in batch.rels.items() if key[0] == type_ for r in rows)


def test_a_codes_only_codebook_makes_codes_and_no_theme(tmp_path):
    batch = read_study(bundle(tmp_path, "code,description\nTrust,Believing the therapist\nFear,\n"))
    assert sorted(r["name"] for r in batch.nodes["Code"].values()) == ["Fear", "Trust"]
    assert batch.nodes["Code"]["shapes/code/trust"]["description"] == "Believing the therapist"
    assert "Theme" not in batch.nodes and rels(batch, "IN_THEME") == []


def test_one_level_codebook_puts_codes_under_final_themes(tmp_path):
    batch = read_study(bundle(tmp_path, "code,theme\nTrust,Alliance\nFear,Alliance\nRules,\n"))
    assert themes(batch) == {"Alliance": "final"}
    assert rels(batch, "IN_THEME") == [("fear", "alliance"), ("trust", "alliance")]
    assert "shapes/code/rules" in batch.nodes["Code"]  # a code with no theme is kept, not given one


def test_a_final_theme_can_be_its_own_only_level(tmp_path):
    batch = read_study(bundle(tmp_path, "code,emerging_theme,final_theme\n"
                                        "Trust,Bond,Alliance\nRules,Structure,Structure\n"))
    assert themes(batch) == {"Alliance": "final", "Bond": "emerging", "Structure": "final"}
    assert rels(batch, "IN_THEME") == [("rules", "structure"), ("trust", "bond")]
    assert rels(batch, "SUBTHEME_OF") == [("bond", "alliance")]


def test_theme_path_gives_any_depth(tmp_path):
    batch = read_study(bundle(
        tmp_path,
        "code,theme_path\nTrust,Alliance > Bond > Early trust\nFear,Alliance > Bond\nRules,Structure\n",
        "id,themes,codes,text\nE1,Early trust,,I trusted her quickly\nE2,,Fear,I was scared\n",
    ))
    assert themes(batch) == {"Alliance": "final", "Bond": "emerging", "Early trust": "level-3", "Structure": "final"}
    assert rels(batch, "SUBTHEME_OF") == [("bond", "alliance"), ("early-trust", "bond")]
    assert rels(batch, "IN_THEME") == [("fear", "bond"), ("rules", "structure"), ("trust", "early-trust")]
    assert rels(batch, "ILLUSTRATES") == [("e1", "early-trust")]
    assert rels(batch, "CODED_AS") == [("e2", "fear")]


@pytest.mark.parametrize("codebook, problem", [
    ("code,theme_path\nTrust,Alliance > > Bond\n", "codebook.csv:2: theme_path 'Alliance > > Bond' has an empty step"),
    ("code,theme_path\nTrust,Alliance > alliance\n", "codebook.csv:2: theme_path 'Alliance > alliance' names a theme twice"),
    ("code,theme_path\nTrust,A > Bond\nFear,B > Bond\n", "codebook.csv:3: emerging theme 'Bond' is under two themes (also at codebook.csv:2)"),
    ("code,theme_path\nTrust,A > Bond\nFear,Bond\n", "codebook.csv:3: 'Bond' is used both as a emerging and as a final theme"),
    ("code,emerging_theme\nTrust,Bond\n", "codebook.csv:1: missing column(s) final_theme (found: code, emerging_theme); "
                                          "a one-level codebook names its column 'theme'"),
    ("code,theme\n,Alliance\n", "codebook.csv:2: empty code"),
])
def test_codebook_problems_name_file_and_line(tmp_path, codebook, problem):
    with pytest.raises(InputError) as err:
        read_study(bundle(tmp_path, codebook))
    assert err.value.problems[-1].endswith(problem)


def test_naming_colliding_codes_is_linear(tmp_path):
    """Names that slug alike ('Code', 'Code.', 'Code..' ...) each cost one id try, not one per earlier name."""
    n = 3000
    rows = "".join(f"Code{'.' * i},Theme\n" for i in range(n))
    reader = StudyReader(bundle(tmp_path, "code,theme\n" + rows))
    reader.read_study()
    reader.read_codebook()
    assert not reader.problems
    ids = list(reader.batch.nodes["Code"])
    assert ids[:3] == ["shapes/code/code", "shapes/code/code-2", "shapes/code/code-3"] and len(set(ids)) == n
    assert reader.codes.unique.tries == n  # quadratic naming rebuilt a set of all n ids for each name
