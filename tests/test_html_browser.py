"""The HTML report in a real browser: headless Chromium renders the S3 page, the SVG charts are
in the DOM, and the totals it shows are the totals of the JSON output."""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
from io import StringIO
from pathlib import Path

import pytest

from govscore import cli

ROOT = Path(__file__).resolve().parents[1]
S3 = ROOT / "schemes" / "s3-chengdu.yaml"
S3_FACTS = ROOT / "examples" / "s3-chengdu.facts.yaml"
CANDIDATES = ("/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome",
              "google-chrome-stable")


def chromium() -> str | None:
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


def test_chromium_renders_the_s3_report(tmp_path):
    browser = chromium()
    if browser is None:
        pytest.skip("no Chromium binary found (looked for " + ", ".join(CANDIDATES) + "); CI "
                    "installs the 'chromium' package with apt-get")
    page, data = tmp_path / "report.html", tmp_path / "report.json"
    for target in (page, data):
        code = cli.run(["score", str(S3), str(S3_FACTS), "-o", str(target)], StringIO(),
                       StringIO())
        assert code == 0
    profile = tmp_path / "profile"
    command = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
               "--no-first-run", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", f"--user-data-dir={profile}",
               "--dump-dom", page.as_uri()]
    try:
        done = subprocess.run(command, capture_output=True, timeout=120, check=False)
    except subprocess.TimeoutExpired:
        pytest.fail("Chromium did not finish within 120 s")
    dom = done.stdout.decode("utf-8")
    assert done.returncode == 0, done.stderr.decode("utf-8", "replace")[-2000:]
    # the browser parsed and rendered the document (the DOM comes back serialised)
    assert "<body>" in dom
    assert "县政务服务考核细则 篇3" in dom
    assert dom.count("<svg") == 3
    assert dom.count('class="bar') == 20
    expected = {r["unit"]: r["total"]
                for r in json.loads(data.read_text(encoding="utf-8"))["results"]}
    cells = re.findall(r'<td class="num total" data-unit="([^"]+)" data-total="[^"]+">([^<]+)</td>',
                       dom)
    shown = {html.unescape(unit): total for unit, total in cells}
    assert shown == expected
    bars = dict(re.findall(r'<g data-unit="([^"]+)" data-total="([^"]+)"', dom))
    assert bars == expected


def _browser_or_skip() -> str:
    browser = chromium()
    if browser is None:
        pytest.skip("no Chromium binary found (looked for " + ", ".join(CANDIDATES) + "); CI "
                    "installs the 'chromium' package with apt-get")
    return browser


def print_to_pdf(browser: str, page: Path, pdf: Path, profile: Path) -> None:
    command = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
               "--no-first-run", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", f"--user-data-dir={profile}",
               "--no-pdf-header-footer", f"--print-to-pdf={pdf}", page.as_uri()]
    try:
        done = subprocess.run(command, capture_output=True, timeout=180, check=False)
    except subprocess.TimeoutExpired:
        pytest.fail("Chromium did not print within 180 s")
    assert done.returncode == 0, done.stderr.decode("utf-8", "replace")[-2000:]
    assert pdf.exists(), done.stderr.decode("utf-8", "replace")[-2000:]


def _squeeze(text: str) -> str:
    """PDF text without the line breaks and spaces the layout put in, and with the CJK
    compatibility radicals some fonts' text maps carry (⽅ for 方) read as the characters."""
    import unicodedata

    return "".join(unicodedata.normalize("NFKC", text).translate(_RADICALS).split())


# CJK radicals (U+2Exx) a font's text map may give for a character; NFKC does not map them
_RADICALS = str.maketrans("⻚⻘⻅⻔⻓⻜⻢⻛⻉⻋⻝⻩⻬⻄⻤⻈⻆⻰⻮⻦⻥⻨⻳",
                          "页青见门长飞马风贝车食黄齐西鬼讠角龙齿鸟鱼麦龟")


def test_the_s3_report_prints_on_a4_with_a_sheet_per_unit(tmp_path):
    pypdf = pytest.importorskip("pypdf", reason="pypdf (in the dev extra) reads the PDF")
    browser = _browser_or_skip()
    page, data, pdf = tmp_path / "report.html", tmp_path / "report.json", tmp_path / "report.pdf"
    for target in (page, data):
        assert cli.run(["score", str(S3), str(S3_FACTS), "-o", str(target)], StringIO(),
                       StringIO()) == 0
    print_to_pdf(browser, page, pdf, tmp_path / "profile")
    reader = pypdf.PdfReader(pdf)
    pages = [_squeeze(p.extract_text()) for p in reader.pages]
    box = reader.pages[0].mediabox
    # A4 is 210 × 297 mm = 595 × 842 points
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)
    record = json.loads(data.read_text(encoding="utf-8"))
    results = {r["unit"]: r["total"] for r in record["results"]}
    # the three rankings (page 1 with the title, then one page each), one page or more per
    # unit's sheet, the rejected units and the record
    assert len(pages) >= 3 + len(results) + 1
    # every page is headed by the scheme, its version and the reproducibility hashes
    head = _squeeze(f"{record['record']['scheme_id']} 版本 {record['record']['scheme_version']}")
    for number, text in enumerate(pages, start=1):
        assert head in text, number
        assert record["record"]["facts_sha256"][:12] in text, number
        assert f"第{number}页/共{len(pages)}页" in text, number
    # rankings: each scope's on its own page
    assert "第一圈(中心城区)" in pages[0]
    assert "第二圈(近郊区)(6个单位)" in pages[1]
    assert "第三圈(远郊区)(8个单位)" in pages[2]
    # each unit's sheet starts a page: its name and total at the top, its sum on the sheet,
    # and a place for the signatures
    starts = {}
    margins = [_squeeze(t) for t in (
        "县政务服务考核细则 篇3", f"{record['record']['scheme_id']} 版本 "
        f"{record['record']['scheme_version']}")]
    for number, text in enumerate(pages):
        # the page without its margins (header, hashes, page number), wherever the PDF's text
        # order puts them
        body = re.sub(r"复核:方案sha256[0-9a-f]+·事实sha256[0-9a-f]+·govscore[0-9a-z.+]*", "",
                      text.replace(f"第{number + 1}页/共{len(pages)}页", ""))
        for margin in margins:
            body = body.replace(margin, "", 1)
        for unit, total in results.items():
            if body.startswith(_squeeze(f"{unit} 总分 {total}")):
                starts[unit] = number
    assert set(starts) == set(results)
    for unit, number in starts.items():
        following = "".join(pages[number:number + 2])
        assert f"={results[unit]}" in following.split("排名")[0], unit  # 总分 = … = total
        assert "考核小组成员签字" in following, unit
