"""A unit's score as text a reader can check with a pencil: its score sheet (评分表, built in
:mod:`govscore.views.sheet`) — every line with its clause, points, fact, score and the arithmetic
behind it, the total as the sum of the top lines, then the rank, grade and each award decision
with its basis. Chinese, or English on request; ids only when asked for.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from govscore.engine.results import Assessment, UnitResult
from govscore.views.wording import Lang

if TYPE_CHECKING:  # the plan is only passed through: importing it would load the models
    from govscore.engine.plan import Plan

_REJECTED: dict[Lang, str] = {"zh": "{unit}: 未评分 (事实数据有误)",
                              "en": "{unit}: not scored (facts rejected)"}


def explain(subject: Assessment | UnitResult, unit: str | None = None, *,
            lang: Lang = "zh", plan: Plan | None = None, ids: bool = False) -> str:
    """Explain one unit: ``explain(assessment, "锦江区", plan=plan)`` or
    ``explain(unit_result, plan=plan)``; in Chinese, or in English with ``lang="en"``; each
    line's id from the scheme with ``ids=True``.

    The plan gives the sheet the scheme's text: each line's clause, the rule's working ("3 次 ×
    0.5 = 1.50") and the declared decimal places. Without it (a result read back from JSON, no
    scheme at hand) the sheet has the result's own numbers and steps only."""
    from govscore.views import sheet

    if isinstance(subject, UnitResult):
        return sheet.to_text(sheet.build(subject, plan, lang=lang, ids=ids))
    if unit is None:
        msg = "explain(assessment, unit): name the unit"
        raise TypeError(msg)
    if unit not in subject.results:
        rejected = [r for r in subject.rejected if r.unit == unit]
        if rejected:
            return _REJECTED[lang].format(unit=unit) + "\n" + "\n".join(
                f"  {d}" for r in rejected for d in r.diagnostics)
        msg = f"no unit {unit!r} in this assessment"
        raise KeyError(msg)
    return sheet.to_text(sheet.build(subject.results[unit], plan, subject, lang=lang, ids=ids))
