"""templates/_macros/text.html: values kept whole on one line, and everything escaped."""

from flask import render_template_string

UNBROKEN = ('{% from "_macros/text.html" import unbroken %}'
            '{{ unbroken(_("%(department)s: %(start)s to %(end)s"), free={"department": name}, start=start, end=end) }}')
KEEP_DATES = '{% from "_macros/text.html" import keep_dates %}{{ keep_dates(text) }}'


def test_unbroken_keeps_the_dates_whole_lets_the_name_wrap_and_escapes_all(app):
    with app.test_request_context():
        html = render_template_string(UNBROKEN, name="R&D <Lab>", start="2026-01-01", end="<2026-01-31>")
    assert html == ('R&amp;D &lt;Lab&gt;: <span class="nowrap">2026-01-01</span> to '
                    '<span class="nowrap">&lt;2026-01-31&gt;</span>')


def test_keep_dates_wraps_only_the_dates_of_a_text_and_escapes_it(app):
    with app.test_request_context():
        html = render_template_string(KEEP_DATES, text="Peak 80% in the week of 2026-08-24, now <30%.")
        empty = render_template_string(KEEP_DATES, text=None)
    assert html == 'Peak 80% in the week of <span class="nowrap">2026-08-24,</span> now &lt;30%.'
    assert empty == ""
