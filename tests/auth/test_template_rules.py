"""The rules templates read as `can.<name>`: each is declared once, as a role rule (a bool for the current user)
or an object rule (called with the object), and a template never tests an object rule without its object."""

from __future__ import annotations

import re
from pathlib import Path

from crmproject import paths
from crmproject.auth.permissions import OBJECT_RULES, ROLE_RULES

USE = re.compile(r"can\.([a-z_]+)(\s*\()?")
# an object rule read bare only to be bound to a name and called later: {% set read_report = can.read_report %}
BOUND = re.compile(r"{%-?\s*set\s[^%]*can\.[a-z_]+")


def _uses() -> list[tuple[str, str, bool, str]]:
    found = []
    for path in Path(paths.templates_dir()).rglob("*.html"):
        for line in path.read_text(encoding="utf-8").splitlines():
            for match in USE.finditer(line):
                found.append((str(path), match.group(1), bool(match.group(2)), line))
    return found


def test_every_rule_a_template_reads_is_declared_once():
    assert not set(ROLE_RULES) & set(OBJECT_RULES)
    used = {name for _path, name, _called, _line in _uses()}
    assert used, "no template reads a rule: the pattern is wrong"
    assert used <= set(ROLE_RULES) | set(OBJECT_RULES), used - set(ROLE_RULES) - set(OBJECT_RULES)


def test_a_role_rule_is_read_and_an_object_rule_called():
    wrong = [f"{path}: {line.strip()}" for path, name, called, line in _uses()
             if (name in ROLE_RULES and called) or (name in OBJECT_RULES and not called and not BOUND.search(line))]
    assert not wrong, "\n".join(wrong)
