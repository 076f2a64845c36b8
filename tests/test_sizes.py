"""The house's sizes (issue 17): no module over about 600 lines, no function over 60 lines unless it is one of
the few whose reason is written at its top (a hot loop kept whole). Migrations are records, as Alembic wrote them."""

import ast
from pathlib import Path

import crmproject

PACKAGE = Path(crmproject.__file__).parent
MAX_FILE_LINES = 620
MAX_FUNCTION_LINES = 60
# each of these says at its top why it is longer
LONG_FOR_A_REASON = {
    "adoption/usage_staging.py:stage_rows",
    "adoption/usage_recompute.py:recompute_snapshots",
    "spreadsheets/_sheet_xml.py:_exact_measure",
}


def _modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        if "migrations" not in path.relative_to(PACKAGE).parts:
            yield path.relative_to(PACKAGE).as_posix(), path.read_text(encoding="utf-8")


def test_no_module_is_over_about_600_lines():
    assert [(name, text.count("\n")) for name, text in _modules() if text.count("\n") > MAX_FILE_LINES] == []


def test_no_function_is_over_60_lines_without_its_reason():
    long = set()
    for name, text in _modules():
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                assert node.end_lineno is not None
                if node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES:
                    long.add(f"{name}:{node.name}")
    assert long == LONG_FOR_A_REASON
