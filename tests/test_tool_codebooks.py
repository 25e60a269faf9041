"""Codebooks exported from MAXQDA, ATLAS.ti and NVivo as CSV or XLSX, read as code paths."""

from pathlib import Path

import pytest
from openpyxl import Workbook

from themegraph.errors import InputError
from themegraph.loaders.tool_codebooks import tool_codebook_rows


def xlsx(path: Path, rows: list[list]) -> Path:
    wb = Workbook()
    for row in rows:
        wb.active.append(row)
    wb.save(path)
    return path


def brief(rows: list[dict]) -> list[tuple]:
    return [(r["code"], r["path"], r["description"]) for r in rows]


def test_maxqda_paths_with_angle_brackets_or_backslashes(tmp_path):
    # Excel in a European locale: byte-order mark, ';' delimiter, CRLF
    text = (
        "Code;Memo\r\n"
        "Codename 1;parent memo\r\n"
        "Codename 1 > Subcode 1.1;Here is a text\r\n"
        "Codename 2\\Subcode 2.1;\r\n"
        "Codename 2\\Subcode 2.1\\Subcode 2.1.1;deep\r\n"
        "Loose code;\r\n"
        "Codename 1 > Subcode 1.1;listed twice\r\n"
    )
    path = tmp_path / "maxqda.csv"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode())
    rows = tool_codebook_rows(path)
    assert brief(rows) == [
        ("Subcode 1.1", ["Codename 1"], "Here is a text"),
        ("Subcode 2.1.1", ["Codename 2", "Subcode 2.1"], "deep"),
        ("Loose code", [], None),
    ]
    assert rows[0]["origin"] == "maxqda.csv:3"


def test_atlas_ti_group_prefixes_and_comments(tmp_path):
    path = xlsx(
        tmp_path / "atlas.xlsx",
        [
            ["Code", "Comment", "Code Groups", "Grounded", "Density"],
            ["Coke::full-fat Coke", "aka regular", "Drinks", 4, 0],
            ["Coke::diet Coke", "non sucré", "Drinks", 2, 1],
            ["Coke", "the breakfast of champions", None, 1, 0],
            ["Feelings :: happiness", None, None, 3, 0],
            ["milk", None, None, 1, 0],
        ],
    )
    assert brief(tool_codebook_rows(path)) == [
        ("full-fat Coke", ["Coke"], "aka regular"),
        ("diet Coke", ["Coke"], "non sucré"),
        ("happiness", ["Feelings"], None),
        ("milk", [], None),
    ]


def test_nvivo_hierarchical_names_drop_the_codes_folder(tmp_path):
    path = tmp_path / "nvivo.csv"
    path.write_text(
        "Name,Description,Files,References,Hierarchical Name\n"
        "Dual role,Caring and controlling,3,7,Codes\\\\Living with rules\\Power and control\\Dual role\n"
        "Being watched,,2,2,Codes\\\\Living with rules\\Power and control\\Being watched\n"
        "Power and control,,4,9,Codes\\\\Living with rules\\Power and control\n"
        "Hope,,1,1,Nodes\\\\Hope\n",
        encoding="utf-8",
    )
    assert brief(tool_codebook_rows(path)) == [
        ("Dual role", ["Living with rules", "Power and control"], "Caring and controlling"),
        ("Being watched", ["Living with rules", "Power and control"], None),
        ("Hope", [], None),
    ]


def test_nvivo_codebook_without_hierarchy_is_a_flat_list(tmp_path):
    path = xlsx(
        tmp_path / "nvivo.xlsx",
        [["Name", "Description", "Files", "References"], ["Dual role", "Caring and controlling", 3, 7], ["Hope", None, 1, 1]],
    )
    assert brief(tool_codebook_rows(path)) == [("Dual role", [], "Caring and controlling"), ("Hope", [], None)]


def test_a_sheet_that_is_no_tool_codebook_is_refused(tmp_path):
    path = tmp_path / "other.csv"
    path.write_text("theme,level\nHope,final\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"other.csv:1: not a tool codebook.*found level, theme"):
        tool_codebook_rows(path)


def test_rows_without_a_code_name_are_reported_with_their_line(tmp_path):
    path = tmp_path / "maxqda.csv"
    path.write_text("Code,Memo\nA > B,fine\n > ,a memo for nothing\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        tool_codebook_rows(path)
    assert caught.value.problems == ["maxqda.csv:3: no code name in column 'code'"]


def test_a_header_without_codes_is_refused(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_text("Code,Memo\n", encoding="utf-8")
    with pytest.raises(InputError, match="no codes"):
        tool_codebook_rows(path)
