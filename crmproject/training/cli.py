"""`crmproject import training FILE`: training records, one row per person and course or a grid, from one sheet or
several, all or nothing."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import click
from flask.cli import with_appcontext

from crmproject.cli_params import date_option, encoding_option
from crmproject.i18n import _

MAX_PRINTED_ERRORS = 50


def _course_map(_ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> dict[str, str]:
    """--course "HEADER=CODE", repeatable, as {header: code}."""
    mapping: dict[str, str] = {}
    for value in values:
        header, sep, code = value.partition("=")
        if not sep or not header.strip() or not code.strip():
            raise click.BadParameter(_("%(value)s is not HEADER=CODE (for example \"CRM Basics=SFA-101\").", value=value),
                                     param=param)
        mapping[header.strip()] = code.strip()
    return mapping


@click.command("training")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, readable=True))
@click.option("--sheet", "sheets", multiple=True, metavar="NAME",
              help="A sheet to import; give it once per sheet (default: the first sheet with training records).")
@click.option("--all-sheets", is_flag=True, help="Import every sheet with training records, as one import.")
@click.option("--dry-run", is_flag=True, help="Check and report; save nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.option("--create-courses", is_flag=True, help="Create the courses the file names that do not exist yet.")
@click.option("--create-employees", is_flag=True,
              help="Create the people the file names that do not exist yet (without a department).")
@click.option("--course", "course_map", multiple=True, callback=_course_map, metavar="HEADER=CODE",
              help="Read a grid column (or a course the file names) as an existing course, by its code or name; repeatable.")
@click.option("--start-date", callback=date_option, default=None, metavar="YYYY-MM-DD",
              help="The course start that day offsets (-159, 12) count from, as in the OULAD data set.")
@click.option("--date-order", type=click.Choice(["auto", "day-first", "month-first"]), default="auto", show_default=True,
              help="How to read text dates like 05/03/2026.")
@encoding_option
@with_appcontext
def import_training(file: str, sheets: tuple[str, ...], all_sheets: bool, dry_run: bool, as_json: bool, create_courses: bool,
                    create_employees: bool, course_map: dict[str, str], start_date: date | None, date_order: str,
                    encoding: str | None) -> None:
    """Import training records (who did which course, with status, date and score) from xlsx, ods or csv.

    One row per person and course, or a grid of people against courses with
    statuses, dates or scores in the cells; the shape is detected per sheet.
    Nothing is saved unless every row of every chosen sheet is valid.
    """
    from crmproject.extensions import db
    from crmproject.training import importer

    if sheets and all_sheets:
        raise click.UsageError(_("Give either --sheet or --all-sheets, not both."))
    path = Path(file)
    options = importer.ImportOptions(
        sheets=sheets, all_sheets=all_sheets, create_courses=create_courses, create_employees=create_employees,
        course_map=course_map, start_date=start_date, day_first={"auto": None, "day-first": True, "month-first": False}[date_order],
    )
    try:
        result = importer.analyse(importer.load_workbook(path.read_bytes(), path.name, encoding=encoding), options)
    except importer.ImportRefused as exc:
        if as_json:
            click.echo(json.dumps({"file": path.name, "refused": str(exc), "enrolments_added": 0}, indent=2, ensure_ascii=False))
        raise click.ClickException(str(exc)) from None
    counts = None
    if not result.issues and not dry_run:
        counts = importer.save(result)
        db.session.commit()
    else:
        db.session.rollback()
    if as_json:
        click.echo(json.dumps(result.summary(counts), indent=2, ensure_ascii=False))
    else:
        _report(path.name, result, counts, dry_run)
    if result.issues:
        raise click.ClickException(_("Nothing was imported: %(n)s rows have errors.", n=len({(i.sheet, i.row) for i in result.issues})))


def _report(filename: str, result, counts, dry_run: bool) -> None:
    """The text summary: each sheet read, why courses are unknown, the errors and warnings, what was saved."""
    from crmproject.training.importer import MAX_REPORTED_ISSUES

    for sheet in result.sheets:
        shape = _("one row per person and course") if sheet.shape == "records" else _("a grid of people against courses")
        click.echo(_("%(file)s, sheet %(sheet)s: %(shape)s, header on row %(row)s, %(rows)s rows read, %(valid)s records valid.",
                     file=filename, sheet=sheet.sheet, shape=shape, row=sheet.header_row, rows=sheet.rows_read,
                     valid=sum(1 for r in result.records if r.sheet == sheet.sheet)))
        if sheet.unknown_courses:
            click.echo(_("Sheet %(sheet)s, header row %(row)s: %(n)s course columns name no course: %(columns)s. Create these "
                         "courses (on the Training page, or with --create-courses), or map each column to an existing course "
                         "with --course \"HEADER=CODE\".", sheet=sheet.sheet, row=sheet.header_row, n=len(sheet.unknown_courses),
                         columns=sheet.unknown_text()))
    if len(result.sheets) > 1:
        click.echo(_("%(n)s sheets: %(rows)s rows read, %(valid)s records valid.", n=len(result.sheets), rows=result.rows_read,
                     valid=len(result.records)))
    for issue in result.issues[:MAX_PRINTED_ERRORS]:
        click.echo(_("error: %(issue)s", issue=issue))
    if len(result.issues) > MAX_PRINTED_ERRORS:
        click.echo(_("... and %(n)s more errors (--json lists the first %(max)s).", n=len(result.issues) - MAX_PRINTED_ERRORS,
                     max=MAX_REPORTED_ISSUES))
    for issue in result.warnings[:MAX_PRINTED_ERRORS]:
        click.echo(_("warning: %(issue)s", issue=issue))
    if result.completed_without_date and not result.issues:
        click.echo(_("%(n)s completed records have no date and are recorded as completed today.", n=result.completed_without_date))
    if counts is not None:
        click.echo(_("Saved: %(added)s enrolments added, %(changed)s changed, %(unchanged)s unchanged; "
                     "%(courses)s courses and %(people)s employees created.",
                     added=counts.added, changed=counts.changed, unchanged=counts.unchanged,
                     courses=counts.courses_created, people=counts.employees_created))
    elif dry_run and not result.issues:
        click.echo(_("Dry run: nothing was saved (%(courses)s courses and %(people)s employees would be created).",
                     courses=len(result.new_courses), people=len(result.new_employees)))


def register(import_group: click.Group) -> None:
    """Add the training commands to `crmproject import`."""
    import_group.add_command(import_training)
