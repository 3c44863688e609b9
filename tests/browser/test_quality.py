"""The coordinator opens the quality page in Swedish, changes the period, sees the charts and downloads the
workbook (re-opened with openpyxl)."""

import pytest
from openpyxl import load_workbook

from tests.conftest import PASSWORD
from tests.functional.quality.test_quality import build_unit

pytestmark = pytest.mark.browser


def test_coordinator_reads_quality_in_swedish_and_downloads_the_workbook(
    app, live_server, page, make_user, clock, tmp_path
):
    unit = build_unit(app, make_user, clock)
    page.goto(live_server.url + "/login")
    page.fill("input[name=email]", unit["coordinator"])
    page.fill("input[name=password]", PASSWORD)
    page.click("main button.primary")
    page.click("nav a[href='/quality/']")
    assert "Utfall och kvalitet" in page.locator("h1").inner_text()
    page.fill("input[name=start]", unit["start"].isoformat())
    page.fill("input[name=end]", unit["end"].isoformat())
    page.click("main form button.primary")
    page.wait_for_url("**/quality/?start=*")
    assert page.locator("img.quality-chart").count() >= 5
    meetings = page.locator("#table-meetings tbody tr")
    assert meetings.count() == 2
    with page.expect_download() as download_info:
        page.click("#workbook")
    path = tmp_path / "kvalitet.xlsx"
    download_info.value.save_as(path)
    book = load_workbook(path)
    assert book.worksheets[0].title == "Översikt" and "Möten" in book.sheetnames  # sheets named in Swedish
    assert book["Möten"].max_row == 4  # title, header and the two meetings
