from crmproject.training.charts import completion_heatmap, course_completion_figure, department_completion_figure
from crmproject.training.completion import Completion, CompletionCell, DepartmentCompletion


def test_department_bars_against_the_target_line():
    rows = [DepartmentCompletion(1, "Sales <HQ>", Completion(enrolled=10, completed=9, excluded=1)),
            DepartmentCompletion(2, "Service", Completion(enrolled=4, completed=1, excluded=0)),
            DepartmentCompletion(3, "Finance", Completion(enrolled=2, completed=0, excluded=2)),
            DepartmentCompletion(None, None, Completion(enrolled=1, completed=1, excluded=0))]
    bars, target = department_completion_figure(rows, target=100)["data"]
    assert bars["x"] == ["Sales &lt;HQ&gt;", "Service", "Finance", "No department"]
    assert bars["y"] == [100.0, 25.0, None, 100.0]
    assert bars["marker"]["color"][:3] == ["#2e8b57", "#c0392b", "#9aa5b1"]
    assert "9 of 9 completed (1 waived or not applicable)" in bars["customdata"][0]
    assert (target["type"], target["mode"], target["y"], target["name"]) == ("scatter", "lines", [100] * 4, "Target 100%")


def test_department_bars_without_a_target_have_no_line():
    fig = department_completion_figure([DepartmentCompletion(1, "Sales", Completion(2, 1, 0))], target=None)
    assert [t["type"] for t in fig["data"]] == ["bar"] and fig["data"][0]["y"] == [50.0]
    assert fig["layout"]["showlegend"] is False


def test_heatmap_of_departments_against_courses():
    cells = [CompletionCell(2, "Service", 10, "SFA-101", Completion(4, 1, 0)),
             CompletionCell(1, "Sales", 10, "SFA-101", Completion(3, 3, 0)),
             CompletionCell(1, "Sales", 11, "DQ-100", Completion(5, 1, 1)),
             CompletionCell(None, None, 11, "DQ-100", Completion(1, 0, 1))]
    (heat,) = completion_heatmap(cells)["data"]
    assert heat["type"] == "heatmap" and (heat["zmin"], heat["zmax"]) == (0, 100)
    assert heat["x"] == ["DQ-100", "SFA-101"]
    assert heat["y"] == ["Sales", "Service", "No department"]
    assert heat["z"] == [[25.0, 100.0], [None, 25.0], [None, None]]
    assert heat["customdata"][1][0] == "nobody enrolled" and heat["text"][0][1] == "100%"


def test_one_departments_courses_with_targets_on_the_mandatory_ones():
    cells = [CompletionCell(1, "Sales", 10, "SFA-101", Completion(4, 4, 0)), CompletionCell(1, "Sales", 11, "MA-201", Completion(4, 1, 0))]
    bars, targets = course_completion_figure(cells, {10})["data"]
    assert bars["x"] == ["MA-201", "SFA-101"] and bars["y"] == [25.0, 100.0]
    assert bars["marker"]["color"] == ["#3b6ea8", "#2e8b57"]  # no target: plain blue; at its target: green
    assert targets["y"] == [None, 100.0] and targets["mode"] == "markers"


def test_withdrawals_have_their_own_bar_and_hover():
    rows = [DepartmentCompletion(1, "Sales", Completion(enrolled=10, completed=4, excluded=1, withdrawn=3)),
            DepartmentCompletion(2, "Service", Completion(enrolled=4, completed=2, excluded=0))]
    bars, withdrawn, target = department_completion_figure(rows, target=100)["data"]
    assert bars["y"] == [66.7, 50.0]  # 4 of 6: the 3 withdrawn and the 1 waived are out of the denominator
    assert "4 of 6 completed (3 withdrawn, 1 waived or not applicable)" in bars["customdata"][0]
    assert (withdrawn["type"], withdrawn["name"], withdrawn["y"]) == ("bar", "Withdrawn", [33.3, 0.0])
    assert withdrawn["marker"]["color"] not in (*bars["marker"]["color"], target["line"]["color"])
    assert target["name"] == "Target 100%"
    # nobody withdrew: the chart is unchanged, one bar per department
    assert [t["name"] for t in department_completion_figure(rows[1:], target=100)["data"]] == ["Completed", "Target 100%"]
