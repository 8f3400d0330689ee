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
