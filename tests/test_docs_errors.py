"""docs/reference/errors.md has one heading per error code, in the catalogue's order."""

from __future__ import annotations

import re
from pathlib import Path

from govscore.errors import CODES

ERRORS = Path(__file__).resolve().parents[1] / "docs" / "reference" / "errors.md"
_HEADING = re.compile(r"^## (GS\d{3})\s*$", re.MULTILINE)


def _sections() -> dict[str, str]:
    text = ERRORS.read_text(encoding="utf-8")
    parts = _HEADING.split(text)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def test_headings_match_codes() -> None:
    """The `## GSnnn` headings are exactly the keys of CODES, in the same order."""
    headings = _HEADING.findall(ERRORS.read_text(encoding="utf-8"))
    missing = [c for c in CODES if c not in headings]
    extra = [h for h in headings if h not in CODES]
    assert headings == list(CODES), (
        f"docs/reference/errors.md headings differ from govscore.errors.CODES: "
        f"missing {missing}, not in CODES {extra} (order must match too)")


def test_every_code_is_explained_in_both_languages() -> None:
    """Each section gives the catalogue's meaning and a Chinese and an English explanation."""
    for code, section in _sections().items():
        assert f"**{CODES[code]} ·" in section, f"{code}: the meaning line must start with " \
            f"'**{CODES[code]} ·' (the catalogue's text)"
        assert "- 中文：" in section, f"{code}: no Chinese explanation"
        assert "- English:" in section, f"{code}: no English explanation"
