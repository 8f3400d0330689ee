"""Every rule kind of the language has one home in govscore.rules, with every hook."""

from __future__ import annotations

import typing

import pytest

from govscore import rules
from govscore.language import model
from govscore.rules.base import RuleKind

MODEL_KINDS = {typing.get_args(cls.model_fields["kind"].annotation)[0]: cls
               for cls in typing.get_args(typing.get_args(model.Rule)[0])}

# hooks every kind must define itself (the base class only says what they are)
REQUIRED = ("check", "raw", "cells", "strategy", "describe")


def test_every_kind_of_the_models_is_registered_once():
    assert set(MODEL_KINDS) == set(rules.KINDS)
    for kind, cls in MODEL_KINDS.items():
        assert rules.KINDS[kind].rule_model is cls
        assert rules.KINDS[kind].kind == kind


@pytest.mark.parametrize("kind", sorted(MODEL_KINDS))
def test_every_kind_defines_every_required_hook(kind):
    impl = type(rules.KINDS[kind])
    for hook in REQUIRED:
        assert getattr(impl, hook) is not getattr(RuleKind, hook), f"{kind} lacks {hook}"


def test_population_kinds_are_the_ones_that_score_a_scope():
    assert {"relative_to_best", "rank_points"} == rules.POPULATION_KINDS
    for kind in rules.POPULATION_KINDS:
        assert hasattr(rules.KINDS[kind], "scores")


def test_a_kind_that_can_be_not_applicable_names_a_policy_key_of_its_model():
    for kind, impl in rules.KINDS.items():
        if impl.na_policy is not None:
            assert impl.na_policy in MODEL_KINDS[kind].model_fields


def test_every_kind_has_a_title_in_both_languages():
    for kind, impl in rules.KINDS.items():
        assert impl.titles.zh, kind
        assert impl.titles.en, kind
        assert all("\u4e00" <= ch <= "\u9fff" for ch in impl.titles.zh), kind
