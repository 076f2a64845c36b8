"""Adoption shapes from known weekly series: the rules stated on the page give the verdict a reader expects."""

import random
from datetime import date, timedelta

import pytest

from crmproject.adoption.shapes import Shape, ShapeRules, classify

GO_LIVE = date(2026, 1, 5)  # a Monday
RULES = ShapeRules()  # 8 weeks, 40%, 15 points for 4 weeks


def weekly(values, start=GO_LIVE):
    return [(start + timedelta(weeks=n), v) for n, v in enumerate(values)]


def verdict(values, *, go_live=GO_LIVE, today=None, rules=RULES):
    series = weekly(values)
    today = today or series[-1][0] + timedelta(days=3)
    return classify(series, go_live=go_live, today=today, rules=rules)


def rise_and_hold(weeks=30, level=80.0):
    return [min(level, 10 + n * 10) for n in range(weeks)]


def rise_and_fall(weeks=30):
    peak_at = 6
    return [min(85.0, 15 + n * 14) if n <= peak_at else max(30.0, 85 - (n - peak_at) * 4) for n in range(weeks)]


def test_a_flat_low_series_is_no_effect():
    v = verdict([12.0] * 20)
    assert v.shape == Shape.NO_EFFECT
    assert (v.peak, v.latest, v.weeks_live) == (12.0, 12.0, 20)
    assert "below the 40%" in v.explanation(RULES)


def test_rise_and_hold_is_lasting_success():
    v = verdict(rise_and_hold())
    assert v.shape == Shape.LASTING
    assert (v.peak, v.latest) == (80.0, 80.0)
    assert not v.warning


def test_rise_and_fall_is_fading_with_the_figures_behind_it():
    v = verdict(rise_and_fall())
    assert v.shape == Shape.FADING and v.warning
    assert v.peak == 85.0 and v.peak_week == GO_LIVE + timedelta(weeks=5)  # first week at the peak
    assert v.latest == 30.0 and v.drop == 55.0
    assert v.weeks_below >= RULES.fade_weeks
    assert "55 points lower" in v.explanation(RULES)


@pytest.mark.parametrize("seed", range(5))
def test_noise_does_not_change_the_verdicts(seed):
    rng = random.Random(seed)
    noisy = lambda values: [max(0.0, v + rng.uniform(-5, 5)) for v in values]  # noqa: E731
    assert verdict(noisy(rise_and_hold())).shape == Shape.LASTING
    assert verdict(noisy(rise_and_fall())).shape == Shape.FADING
    assert verdict(noisy([12.0] * 20)).shape == Shape.NO_EFFECT


def test_a_short_dip_is_not_fading_but_a_sustained_one_is():
    dip = rise_and_hold(20) + [55.0, 55.0, 80.0, 80.0]  # two weeks 25 points down, then back
    assert verdict(dip).shape == Shape.LASTING
    assert verdict(rise_and_hold(20) + [60.0] * 3).shape == Shape.LASTING  # 3 of the 4 weeks the rule needs
    assert verdict(rise_and_hold(20) + [60.0] * 4).shape == Shape.FADING


def test_too_early_before_enough_weeks_or_before_the_go_live():
    assert verdict(rise_and_hold(7)).shape == Shape.TOO_EARLY
    assert verdict(rise_and_hold(8)).shape == Shape.LASTING
    not_live = verdict([50.0] * 10, go_live=date(2027, 1, 1), today=date(2026, 6, 1))
    assert (not_live.shape, not_live.weeks_live) == (Shape.TOO_EARLY, 0)
    assert verdict([], go_live=None, today=date(2026, 6, 1)).shape == Shape.TOO_EARLY


def test_weeks_before_the_go_live_and_gaps_do_not_count():
    # a pilot's figures before the go-live week are ignored; missing weeks (None) are not drops
    series = weekly([90.0, 90.0], start=GO_LIVE - timedelta(weeks=2)) + weekly([None, 20.0, None] * 4)
    v = classify(series, go_live=GO_LIVE, today=GO_LIVE + timedelta(weeks=12), rules=RULES)
    assert (v.shape, v.weeks_live, v.peak) == (Shape.TOO_EARLY, 4, 20.0)


def test_the_plan_thresholds_change_the_verdict():
    values = rise_and_hold(12, level=35.0)
    assert verdict(values).shape == Shape.NO_EFFECT
    assert verdict(values, rules=ShapeRules(effect_level=30)).shape == Shape.LASTING
    falling = rise_and_hold(20) + [70.0] * 6  # 10 points down
    assert verdict(falling).shape == Shape.LASTING
    assert verdict(falling, rules=ShapeRules(fade_points=8)).shape == Shape.FADING


def test_rules_refuse_meaningless_thresholds_and_state_themselves():
    assert set(ShapeRules(min_weeks=0, effect_level=0, fade_points=120, fade_weeks=0).problems()) == {
        "min_weeks", "effect_level", "fade_points", "fade_weeks"}
    assert ShapeRules().problems() == {}
    stated = " ".join(ShapeRules(fade_points=12.5).stated())
    assert "12.5 points below the peak" in stated and "40%" in stated


def test_the_explanation_names_the_go_live_of_a_department_not_live_yet():
    v = classify([], go_live=date(2027, 3, 1), today=date(2026, 6, 1), rules=RULES)
    assert not v.live and "2027-03-01" in v.explanation(RULES)
    assert "no go-live" in classify([], go_live=None, today=date(2026, 6, 1), rules=RULES).explanation(RULES)
