from datetime import date
from decimal import Decimal as D

import pytest

from crmproject.kpis.attainment import PathPoint, Rag, attainment, expected_value, progress, target_path

JAN, JUL, DEC = date(2026, 1, 1), date(2026, 7, 1), date(2026, 12, 31)


def test_progress_is_right_for_both_directions():
    assert progress(D(20), D(80), D(50)) == 50  # adoption up from 20% to 80%, now 50%
    assert progress(D(100), D(80), D(90)) == 50  # cost to serve down from 100 to 80, now 90
    assert progress(D(100), D(80), D(110)) == -50  # the wrong way
    assert progress(D(100), D(80), D(70)) == 150  # beyond the target


def test_expected_value_is_linear_and_clamped():
    path = target_path(PathPoint(JAN, D(0)), PathPoint(date(2026, 1, 11), D(100)))
    assert expected_value(path, date(2025, 12, 1)) == 0
    assert expected_value(path, date(2026, 1, 6)) == 50
    assert expected_value(path, date(2027, 1, 1)) == 100


def test_intermediate_targets_bend_the_path():
    # a pilot that should reach 60 by July, then the rest slowly to 80 by December
    path = target_path(PathPoint(JAN, D(0)), PathPoint(DEC, D(80)), [PathPoint(JUL, D(60))])
    assert expected_value(path, JUL) == 60
    assert expected_value(path, date(2026, 4, 1)) == D(60) * 90 / 181
    linear = target_path(PathPoint(JAN, D(0)), PathPoint(DEC, D(80)))
    assert expected_value(path, date(2026, 4, 1)) > expected_value(linear, date(2026, 4, 1))


@pytest.mark.parametrize(("actual", "status"), [(D(55), Rag.GREEN), (D(40), Rag.GREEN), (D(35), Rag.AMBER), (D(29), Rag.RED)])
def test_red_amber_green_against_the_expected_progress(actual, status):
    path = target_path(PathPoint(JAN, D(0)), PathPoint(date(2026, 1, 11), D(100)))
    result = attainment(path, actual, date(2026, 1, 6))  # 50 expected: 80% of it is 40, 60% is 30
    assert result.status == status and result.expected == 50


def test_lower_is_better_kpi_status():
    path = target_path(PathPoint(JAN, D(10)), PathPoint(date(2026, 1, 11), D(2)))  # duplicates 10% -> 2%
    assert attainment(path, D(6), date(2026, 1, 6)).status == Rag.GREEN  # halfway, as expected
    assert attainment(path, D(8), date(2026, 1, 6)).status == Rag.RED  # only a quarter of the way
    assert attainment(path, D(12), JAN).status == Rag.RED  # nothing expected yet, but worse than the baseline


def test_thresholds_per_kpi():
    path = target_path(PathPoint(JAN, D(0)), PathPoint(date(2026, 1, 11), D(100)))
    strict = attainment(path, D(45), date(2026, 1, 6), red_threshold=D(95), amber_threshold=D(99))
    assert strict.status == Rag.RED and strict.performance == 90


def test_a_planned_dip_after_go_live_is_green_when_on_its_path():
    path = target_path(PathPoint(JAN, D(100)), PathPoint(DEC, D(120)), [PathPoint(date(2026, 4, 1), D(90))])
    assert attainment(path, D(90), date(2026, 4, 1)).status == Rag.GREEN  # exactly on the dip
    assert attainment(path, D(80), date(2026, 4, 1)).status == Rag.RED  # below it
