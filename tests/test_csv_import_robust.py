"""Issue 8 §6: CSV uploads detect legacy encodings (charset-normalizer) and report an
unterminated quote instead of silently merging rows."""

import pytest

from crm.importing import jobs as imports
from crm.importing.formats import ImportFileError


def _read(tmp_path, data: bytes, kind="contacts"):
    path = tmp_path / "c.csv"
    path.write_bytes(data)
    with open(path, "rb") as f:
        shape = imports.inspect_file(f, kind=kind)
        return shape, list(imports.iter_records(f, shape))


def test_shift_jis_file_imports_as_japanese(tmp_path):
    text = ("Email,Name,Company\r\n"
            "taro@example.jp,山田太郎,株式会社テスト\r\n"
            "hanako@example.jp,佐藤花子,東京商事株式会社\r\n")
    shape, rows = _read(tmp_path, text.encode("shift_jis"))
    assert shape.encoding in ("cp932", "shift_jis", "shift_jis_2004", "shift_jisx0213")
    assert rows == [(2, ["taro@example.jp", "山田太郎", "株式会社テスト"]),
                    (3, ["hanako@example.jp", "佐藤花子", "東京商事株式会社"])]


def test_windows_arabic_file_imports_as_arabic(tmp_path):
    text = ("Email,Name,City\r\n"
            "layla@example.com,ليلى حداد,دبي\r\n"
            "omar@example.com,عمر صالح,الرياض\r\n"
            "nour@example.com,نور الهدى,القاهرة\r\n")
    _shape, rows = _read(tmp_path, text.encode("cp1256"))
    assert [r[1][1:] for r in rows] == [["ليلى حداد", "دبي"], ["عمر صالح", "الرياض"],
                                        ["نور الهدى", "القاهرة"]]


def test_unterminated_quote_is_reported_not_merged(tmp_path):
    text = ("Email,Name,Company\n"
            "a@example.com,Ada,Acme\n"
            'b@example.com,"Bob,Bobco\n'
            "c@example.com,Cy,Cyco\n")
    with pytest.raises(ImportFileError, match="Line 3 has a quote"):
        _read(tmp_path, text.encode())


def test_a_quoted_cell_with_a_line_break_is_still_fine(tmp_path):
    text = 'Email,Name,Company\na@example.com,"Ada\nLovelace",Acme\n'
    _shape, rows = _read(tmp_path, text.encode())
    assert rows == [(2, ["a@example.com", "Ada\nLovelace", "Acme"])]


@pytest.mark.parametrize("text", ["Email,Name,City\nj@x.es,José,Zürich\nf@x.fr,François,Besançon\n"
                                  "r@x.de,Renée,Köln\n",
                                  "Email,Name\nx@y.dk,Søren Ærø\nq@w.es,Ñoño Peña\n"])
def test_western_windows_files_stay_windows_1252(tmp_path, text):
    shape, rows = _read(tmp_path, text.encode("cp1252"))
    assert shape.encoding == "cp1252"
    assert [r[1][1] for r in rows] == [line.split(",")[1] for line in text.splitlines()[1:]]
