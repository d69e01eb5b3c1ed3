"""Issue 8 §6: every CSV MOS writes for people escapes cells a spreadsheet would run."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from crm.models import ImportJob
from mos.csv_export import safe_cell, writer


@pytest.mark.parametrize("raw, written", [
    ("=HYPERLINK(\"http://evil\",\"x\")", "'=HYPERLINK(\"http://evil\",\"x\")"),
    ("+SUM(1+1)", "'+SUM(1+1)"), ("@SUM(1)", "'@SUM(1)"), ("-2+3+cmd|' /C calc'!A0",
                                                         "'-2+3+cmd|' /C calc'!A0"),
    ("\tx", "'\tx"), ("\rx", "'\rx"),
    ("-5", "-5"), ("+3.25", "+3.25"), ("Layla", "Layla"), ("a=b", "a=b"), (7, 7), ("", ""),
])
def test_safe_cell(raw, written):
    assert safe_cell(raw) == written


def test_writer_escapes_every_cell():
    buf = io.StringIO()
    writer(buf).writerow(["=1+1", "ok", "-5"])
    assert next(csv.reader(io.StringIO(buf.getvalue()))) == ["'=1+1", "ok", "-5"]


@pytest.mark.django_db
def test_rejected_rows_download_is_escaped(owner_client, workspace, settings, tmp_path,
                                          django_capture_on_commit_callbacks):
    settings.MEDIA_ROOT = tmp_path / "media"
    data = ("External ID,Email,First name,Last name\n"
            "C-1,ok@example.com,Ok,Row\n"
            'C-2,not-an-email,"=HYPERLINK(""http://evil.test"",""Click"")",@SUM(1)\n').encode()
    r = owner_client.post(reverse("imports", kwargs={"slug": workspace.slug}), {
        "kind": "contacts", "layout": "auto",
        "file": SimpleUploadedFile("c.csv", data, "text/csv")})
    assert r.status_code == 302
    job = ImportJob.objects.filter(workspace=workspace).latest("created_at")
    with django_capture_on_commit_callbacks(execute=True):
        owner_client.post(reverse("import_confirm", kwargs={"slug": workspace.slug,
                                                            "import_code": job.code}))
    resp = owner_client.get(reverse("import_errors_csv", kwargs={
        "slug": workspace.slug, "import_code": job.code}))
    text = b"".join(resp.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[1][0] == "3"
    assert "'=HYPERLINK(\"http://evil.test\",\"Click\")" in rows[1]
    assert "'@SUM(1)" in rows[1]
    assert not any(c.startswith(("=", "@")) for row in rows for c in row)
