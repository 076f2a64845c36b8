"""Seed plans: YAML plan templates in seed_plans/, validated on load.

A template describes a plan relative to its start: phases and go-lives are
day offsets, so a plan can be made from it for any start date. Every field is
checked when the file is read, and a bad file fails with a message that names
the file and the field (for example ``pilot.yaml: phases[2].duration_days:
must be a whole number of days >= 1``).

Every human text (names, summary, vision, goals, exit criteria, notes, KPI
descriptions, gate notes) is either one string, English only, or a mapping of
the interface's languages to the text in each, English required::

    name:
      en: Pilot review
      ru: Оценка пилота
      zh_Hans: 试点评审
      fa: بازبینی پایلوت

A plan made from a template takes the texts of the language it is made in
(the creator's), English where the template has none in that language. A KPI's
unit is a symbol or code (``%``, ``EUR``) the same in every language when it is
one string, and a mapping when it is a word (``hours``). A gate names its phase
or wave by its English name.

Format (all offsets in days from the plan's start)::

    name: Pilot, then waves         # required
    summary: one line for the list   # required
    vision: text                      # optional
    horizon_years: 3                  # optional, 1-10
    duration_days: 720                # required: length of the plan
    phases:                           # required, at least one
      - name: Pilot                   # unique within the template
        start_day: 0
        duration_days: 90
        goal: text
        exit_criteria: text
    waves:                            # optional
      - name: Pilot
        kind: pilot | wave | enterprise
        go_live_day: 120
        modules: [SFA]                # module codes; unknown codes are created
        departments: [SALES]          # department codes; missing ones are skipped
        notes: text
    kpis:                             # optional: quantified goals, baseline on the plan's start
      - name: Active users / licensed seats
        goal_family: adoption         # prospects, efficiency, satisfaction, adoption, data_quality,
                                      # value, retention, loyalty, cost_to_serve
        direction: higher             # or lower
        unit: "%"
        baseline: 0
        target: 80
        target_day: 240               # target date, as a day offset
        frequency: monthly            # weekly, monthly, quarterly
        description: text
    gates:                            # optional: judged on the plan's figures (crmproject.gates.criteria)
      - phase: Pilot review           # the phase whose end it judges (its English name), or
        # wave: Wave 2                # the wave whose go-live it judges
        name: Pilot proven            # optional, default "Gate: <phase or wave>" in the plan's language
        notes: text                   # optional
        criteria:                     # at least one
          - kind: training            # training, adoption, kpis_on_path, critical_tasks, reports_in,
                                      # team_seats, hypercare, maturity, risks, readiness
            threshold: 90             # optional: the kind's default
            blocking: true            # optional, default true: not met means no-go
            note: text                # optional
            # blocks: [processes]     # a maturity criterion's building blocks (default: every block with a target)
    maturity_targets: {all: 3}        # optional: building block (or all) -> level 0-6
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar, cast

import yaml

from crmproject.auth.models import User
from crmproject.departments.services import get_department_by_code
from crmproject.errors import NotFound, ValidationFailed
from crmproject.forms import LATEST
from crmproject.extensions import db
from crmproject.i18n import DEFAULT_LOCALE, LANGUAGES, _
from crmproject.paths import seed_plans_dir
from crmproject.plans import services
from crmproject.plans.models import Plan, WaveKind
from crmproject.plans.seed_texts import (
    GATE_NAME, NAME_LENGTH, UNIT_LENGTH, TemplateError, Text, default_gate_name, in_language, plan_language, read_text,
    unique_name,
)


# What features above plans add to a plan made from a template (the gates feature: its gates), registered by
# them with `made_from_template`, so this module need not import upwards.
_FROM_TEMPLATE: list[Callable[[Plan, PlanTemplate], object]] = []
_Extension = TypeVar("_Extension", bound=Callable[[Plan, "PlanTemplate"], object])


def made_from_template(extension: _Extension) -> _Extension:
    """Decorate a function to run on every plan made from a template, after its phases and waves: the features
    above the plans add their part so (the KPIs, the gates, the maturity targets). It gets the template
    `localized` to the plan's language."""
    if extension not in _FROM_TEMPLATE:
        _FROM_TEMPLATE.append(extension)
    return extension


@dataclass(frozen=True)
class PhaseTemplate:
    name: str
    start_day: int
    duration_days: int
    goal: str = ""
    exit_criteria: str = ""


@dataclass(frozen=True)
class WaveTemplate:
    name: str
    kind: WaveKind
    go_live_day: int
    modules: tuple[str, ...] = ()
    departments: tuple[str, ...] = ()
    notes: str = ""


# the goal families a template's KPI may name: crmproject.kpis.models.GoalFamily's values (a test keeps them equal;
# the plans sit below the KPIs, so they cannot read them there)
KPI_GOAL_FAMILIES = ("prospects", "efficiency", "satisfaction", "adoption", "data_quality", "value", "retention",
                     "loyalty", "cost_to_serve")


@dataclass(frozen=True)
class KpiTemplate:
    name: str
    goal_family: str
    direction: str
    baseline: Decimal
    target: Decimal
    target_day: int
    unit: str = ""
    frequency: str = "monthly"
    description: str = ""


@dataclass(frozen=True)
class CriterionTemplate:
    kind: str
    threshold: Decimal | None = None
    blocking: bool = True
    blocks: tuple[str, ...] = ()  # a maturity criterion's building blocks; empty: every block with a target
    note: str = ""


@dataclass(frozen=True)
class GateTemplate:
    name: str
    phase: str | None  # the phase's name, English in a template as read, the plan's language in a localized one
    wave: str | None
    criteria: tuple[CriterionTemplate, ...]
    notes: str = ""
    named: bool = True  # False: the name is the default, "Gate: <phase or wave>"


@dataclass(frozen=True)
class PlanTemplate:
    key: str
    name: str
    summary: str
    duration_days: int
    phases: tuple[PhaseTemplate, ...]
    waves: tuple[WaveTemplate, ...] = ()
    kpis: tuple[KpiTemplate, ...] = ()
    gates: tuple[GateTemplate, ...] = ()
    vision: str = ""
    horizon_years: int = 3
    maturity_targets: dict[str, int] = field(default_factory=dict)  # building block -> level 0-6
    extra: dict[str, Any] = field(default_factory=dict)
    language: str | None = None  # None: as read, every text a Text; else `localized` to this language

    def texts(self) -> Iterator[tuple[str, str]]:
        """Every human text with its path in the file (`phases[2].goal`)."""
        yield from (("name", self.name), ("summary", self.summary), ("vision", self.vision))
        for i, p in enumerate(self.phases):
            yield from ((f"phases[{i}].{k}", v) for k, v in (("name", p.name), ("goal", p.goal),
                                                              ("exit_criteria", p.exit_criteria)))
        for i, w in enumerate(self.waves):
            yield from ((f"waves[{i}].{k}", v) for k, v in (("name", w.name), ("notes", w.notes)))
        for i, k in enumerate(self.kpis):
            yield from ((f"kpis[{i}].{f}", v) for f, v in (("name", k.name), ("unit", k.unit),
                                                           ("description", k.description)))
        for i, g in enumerate(self.gates):
            if g.named:  # a default name is the catalogue's, in every language
                yield f"gates[{i}].name", g.name
            yield f"gates[{i}].notes", g.notes
            yield from ((f"gates[{i}].criteria[{j}].note", c.note) for j, c in enumerate(g.criteria))

    def missing_translations(self) -> list[str]:
        """The texts a language lacks, as `phases[2].goal.ru` (none: the template speaks every language); an
        optional text left empty lacks nothing."""
        return [f"{path}.{language}" for path, text in self.texts() if text
                for language in LANGUAGES if language not in getattr(text, "translations", {DEFAULT_LOCALE: text})]

    @property
    def languages(self) -> tuple[str, ...]:
        """The languages the template gives every text in."""
        missing = {path.rsplit(".", 1)[1] for path in self.missing_translations()}
        return tuple(language for language in LANGUAGES if language not in missing)

    def localized(self, language: str) -> PlanTemplate:
        """This template with every text in `language` (English where it has none), plain strings; its gates name
        their phases and waves by those names, as the plan made from it will."""
        language = plan_language(language)
        if self.language is not None:
            if self.language != language:
                raise ValueError(f"the template is already in {self.language}, not {language}")
            return self

        def t(text: str) -> str:
            return in_language(text, language)

        phases = {p.name: t(p.name) for p in self.phases}
        waves = {w.name: t(w.name) for w in self.waves}
        gates = []
        for g in self.gates:
            phase, wave = phases.get(g.phase) if g.phase else None, waves.get(g.wave) if g.wave else None
            gates.append(replace(
                g, phase=phase, wave=wave, notes=t(g.notes),
                name=t(g.name) if g.named else default_gate_name(phase or wave or "", language),
                criteria=tuple(replace(c, note=t(c.note)) for c in g.criteria),
            ))
        return replace(
            self, language=language, name=t(self.name), summary=t(self.summary), vision=t(self.vision),
            phases=tuple(replace(p, name=t(p.name), goal=t(p.goal), exit_criteria=t(p.exit_criteria))
                         for p in self.phases),
            waves=tuple(replace(w, name=t(w.name), notes=t(w.notes)) for w in self.waves),
            kpis=tuple(replace(k, name=t(k.name), unit=t(k.unit), description=t(k.description)) for k in self.kpis),
            gates=tuple(gates),
        )


class _Reader:
    """Typed access to a mapping that names the file and path in every error."""

    def __init__(self, filename: str, data: Any, path: str, allowed: set[str]):
        self.filename, self.path = filename, path
        if not isinstance(data, dict):
            raise TemplateError(filename, path, "must be a mapping of fields")
        unknown = sorted(set(map(str, data)) - allowed)
        if unknown:
            raise TemplateError(filename, self._at(unknown[0]), f"unknown field (allowed: {', '.join(sorted(allowed))})")
        self.data = data

    def _at(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def word(self, key: str, *, default: str = "") -> str:
        """A value that is not a human text (a kind, a phase's English name), one string."""
        value = self.data.get(key)
        if value is None:
            return default
        if not isinstance(value, str) or not value.strip():
            raise TemplateError(self.filename, self._at(key), "must be non-empty text")
        return value.strip()

    def text(self, key: str, *, required: bool = False, max_length: int | None = None, symbol: bool = False) -> Text:
        return read_text(self.filename, self._at(key), self.data.get(key), required=required, max_length=max_length,
                         symbol=symbol)

    def integer(self, key: str, *, minimum: int, maximum: int | None = None, required: bool = False, default: int = 0) -> int:
        value = self.data.get(key)
        if value is None:
            if required:
                raise TemplateError(self.filename, self._at(key), "is required")
            return default
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum or (maximum is not None and value > maximum):
            bound = f">= {minimum}" if maximum is None else f"from {minimum} to {maximum}"
            raise TemplateError(self.filename, self._at(key), f"must be a whole number {bound}, not {value!r}")
        return value

    def number(self, key: str) -> Decimal:
        value = self.data.get(key)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise TemplateError(self.filename, self._at(key), f"must be a number, not {value!r}")
        return Decimal(str(value))

    def choice(self, key: str, allowed: tuple[str, ...], *, default: str) -> str:
        value = self.data.get(key, default)
        if value not in allowed:
            raise TemplateError(self.filename, self._at(key), f"must be one of {', '.join(allowed)}, not {value!r}")
        return value

    def codes(self, key: str) -> tuple[str, ...]:
        value = self.data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise TemplateError(self.filename, self._at(key), "must be a list of codes")
        return tuple(v.strip().upper() for v in value)

    def items(self, key: str, *, required: bool = False) -> list[tuple[str, Any]]:
        value = self.data.get(key)
        if value is None:
            if required:
                raise TemplateError(self.filename, self._at(key), "is required")
            return []
        if not isinstance(value, list) or (required and not value):
            raise TemplateError(self.filename, self._at(key), "must be a non-empty list" if required else "must be a list")
        return [(f"{self._at(key)}[{i}]", item) for i, item in enumerate(value)]


TOP_FIELDS = {"name", "summary", "vision", "horizon_years", "duration_days", "phases", "waves", "kpis", "gates",
              "maturity_targets"}
GATE_FIELDS = {"phase", "wave", "name", "notes", "criteria"}
CRITERION_FIELDS = {"kind", "threshold", "blocking", "blocks", "note"}
# the kinds of crmproject.gates.criteria (which imports plans: the gates feature sits above this one), and the
# highest threshold of each: a percentage, or a count of tasks
CRITERION_KINDS = {"training": 100, "adoption": 100, "kpis_on_path": 100, "critical_tasks": 10_000, "reports_in": 100,
                   "team_seats": 100, "hypercare": 100, "maturity": 100, "risks": 25, "readiness": 5}
# the building blocks of crmproject.maturity.blocks.Block (above this feature too), as seed plans name them
MATURITY_BLOCKS = ("vision", "strategy", "experience", "collaboration", "processes", "information", "technology",
                   "metrics")
KPI_FIELDS = {"name", "goal_family", "direction", "unit", "baseline", "target", "target_day", "frequency", "description"}
PHASE_FIELDS = {"name", "start_day", "duration_days", "goal", "exit_criteria"}
WAVE_FIELDS = {"name", "kind", "go_live_day", "modules", "departments", "notes"}


def parse_template(filename: str, text: str) -> PlanTemplate:
    """Validate one template's YAML text; raise TemplateError naming the field."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise TemplateError(filename, where, f"is not valid YAML ({getattr(exc, 'problem', exc)})") from None
    top = _Reader(filename, data, "", TOP_FIELDS)
    duration = top.integer("duration_days", minimum=1, required=True)

    phases = _phases(filename, top, duration)
    waves = _waves(filename, top, duration)
    kpis = _kpis(filename, top, duration)
    gates = _gates(filename, top, phases, waves)
    return PlanTemplate(
        maturity_targets=_maturity_targets(filename, top),
        key=Path(filename).stem,
        name=top.text("name", required=True, max_length=NAME_LENGTH),
        summary=top.text("summary", required=True),
        vision=top.text("vision"),
        horizon_years=top.integer("horizon_years", minimum=1, maximum=10, default=3),
        duration_days=duration,
        phases=tuple(phases),
        waves=tuple(waves),
        kpis=tuple(kpis),
        gates=gates,
    )


def _phases(filename: str, top: _Reader, duration: int) -> list[PhaseTemplate]:
    """The phases, each within the plan's duration, their names unique."""
    phases: list[PhaseTemplate] = []
    for path, item in top.items("phases", required=True):
        r = _Reader(filename, item, path, PHASE_FIELDS)
        phase = PhaseTemplate(
            name=r.text("name", required=True, max_length=NAME_LENGTH),
            start_day=r.integer("start_day", minimum=0, required=True),
            duration_days=r.integer("duration_days", minimum=1, required=True),
            goal=r.text("goal"),
            exit_criteria=r.text("exit_criteria"),
        )
        unique_name(filename, f"{path}.name", cast(Text, phase.name), [p.name for p in phases], "phase")  # as read: a Text
        if phase.start_day + phase.duration_days > duration:
            raise TemplateError(
                filename, f"{path}.duration_days",
                f"the phase ends on day {phase.start_day + phase.duration_days}, after the plan's duration_days {duration}",
            )
        phases.append(phase)
    return phases


def _waves(filename: str, top: _Reader, duration: int) -> list[WaveTemplate]:
    """The waves, their go-lives within the plan, each department in one wave only."""
    waves: list[WaveTemplate] = []
    seen_departments: dict[str, str] = {}
    for path, item in top.items("waves"):
        r = _Reader(filename, item, path, WAVE_FIELDS)
        kind_text = r.word("kind", default="wave")
        try:
            kind = WaveKind(kind_text)
        except ValueError:
            raise TemplateError(filename, f"{path}.kind", f"must be one of pilot, wave, enterprise, not {kind_text!r}") from None
        wave = WaveTemplate(
            name=r.text("name", required=True, max_length=NAME_LENGTH),
            kind=kind,
            go_live_day=r.integer("go_live_day", minimum=0, maximum=duration - 1, required=True),
            modules=r.codes("modules"),
            departments=r.codes("departments"),
            notes=r.text("notes"),
        )
        unique_name(filename, f"{path}.name", cast(Text, wave.name), [w.name for w in waves], "wave")  # as read: a Text
        for code in wave.departments:
            if code in seen_departments:
                raise TemplateError(filename, f"{path}.departments", f"{code} is already in the wave {seen_departments[code]!r}")
            seen_departments[code] = wave.name
        waves.append(wave)
    return waves


def _kpis(filename: str, top: _Reader, duration: int) -> list[KpiTemplate]:
    """The KPIs, each target on the side of its baseline its direction wants."""
    kpis: list[KpiTemplate] = []
    for path, item in top.items("kpis"):
        r = _Reader(filename, item, path, KPI_FIELDS)
        kpi = KpiTemplate(
            name=r.text("name", required=True, max_length=NAME_LENGTH),
            goal_family=r.choice("goal_family", KPI_GOAL_FAMILIES, default="adoption"),
            direction=r.choice("direction", ("higher", "lower"), default="higher"),
            baseline=r.number("baseline"), target=r.number("target"),
            target_day=r.integer("target_day", minimum=1, maximum=duration - 1, required=True),
            unit=r.text("unit", max_length=UNIT_LENGTH, symbol=True),
            frequency=r.choice("frequency", ("weekly", "monthly", "quarterly"), default="monthly"),
            description=r.text("description"),
        )
        if (kpi.direction == "higher") != (kpi.target > kpi.baseline):
            raise TemplateError(filename, f"{path}.target", f"must be {'above' if kpi.direction == 'higher' else 'below'} the baseline")
        unique_name(filename, f"{path}.name", cast(Text, kpi.name), [k.name for k in kpis], "KPI")  # as read: a Text
        kpis.append(kpi)
    return kpis


def _gates(filename: str, top: _Reader, phases: list[PhaseTemplate], waves: list[WaveTemplate]) -> tuple[GateTemplate, ...]:
    gates: list[GateTemplate] = []
    phase_names = {p.name.lower(): p.name for p in phases}
    wave_names = {w.name.lower(): w.name for w in waves}
    for path, item in top.items("gates"):
        r = _Reader(filename, item, path, GATE_FIELDS)
        phase, wave = r.word("phase") or None, r.word("wave") or None
        if (phase is None) == (wave is None):
            raise TemplateError(filename, path, "needs exactly one of phase or wave")
        if phase is not None and phase.lower() not in phase_names:
            raise TemplateError(filename, f"{path}.phase", f"names no phase of this template: {phase!r}")
        if wave is not None and wave.lower() not in wave_names:
            raise TemplateError(filename, f"{path}.wave", f"names no wave of this template: {wave!r}")
        phase = phase_names[phase.lower()] if phase else None
        wave = wave_names[wave.lower()] if wave else None
        if any(g.phase == phase and g.wave == wave for g in gates):
            raise TemplateError(filename, path, f"{phase or wave!r} already has a gate")
        criteria: list[CriterionTemplate] = []
        for cpath, citem in r.items("criteria", required=True):
            c = _Reader(filename, citem, cpath, CRITERION_FIELDS)
            kind = c.choice("kind", tuple(CRITERION_KINDS), default="")
            threshold = c.number("threshold") if c.data.get("threshold") is not None else None
            if threshold is not None and not 0 <= threshold <= CRITERION_KINDS[kind]:
                raise TemplateError(filename, f"{cpath}.threshold", f"must be from 0 to {CRITERION_KINDS[kind]}, not {threshold}")
            blocking = c.data.get("blocking", True)
            if not isinstance(blocking, bool):
                raise TemplateError(filename, f"{cpath}.blocking", f"must be true or false, not {blocking!r}")
            blocks = c.data.get("blocks", [])
            if not isinstance(blocks, list) or any(b not in MATURITY_BLOCKS for b in blocks):
                raise TemplateError(filename, f"{cpath}.blocks", f"must be a list of {', '.join(MATURITY_BLOCKS)}")
            if blocks and kind != "maturity":
                raise TemplateError(filename, f"{cpath}.blocks", "belongs only to a maturity criterion")
            criteria.append(CriterionTemplate(kind, threshold, blocking, tuple(blocks), c.text("note")))
        name = r.text("name", max_length=NAME_LENGTH)
        default = Text(GATE_NAME.message % {"name": phase or wave})
        gates.append(GateTemplate(name or default, phase, wave, tuple(criteria), notes=r.text("notes"),
                                  named=bool(name)))
    return tuple(gates)


def _maturity_targets(filename: str, top: _Reader) -> dict[str, int]:
    """`maturity_targets: {all: 3}` or per block (`vision: 4`); a block named overrides `all`."""
    data = top.data.get("maturity_targets") or {}
    if not isinstance(data, dict):
        raise TemplateError(filename, "maturity_targets", "must map building blocks (or all) to levels")
    for key, level in data.items():
        if key != "all" and key not in MATURITY_BLOCKS:
            raise TemplateError(filename, f"maturity_targets.{key}", f"must be all or one of {', '.join(MATURITY_BLOCKS)}")
        if isinstance(level, bool) or not isinstance(level, int) or not 0 <= level <= 6:
            raise TemplateError(filename, f"maturity_targets.{key}", f"must be a level from 0 to 6, not {level!r}")
    return {b: level for b in MATURITY_BLOCKS if (level := data.get(b, data.get("all"))) is not None}


def load_template_file(path: Path) -> PlanTemplate:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise TemplateError(path.name, "", "is not UTF-8 text") from None
    return parse_template(path.name, text)


def load_templates(directory: Path | None = None) -> list[PlanTemplate]:
    """Every template in seed_plans/, sorted by name. A bad file raises TemplateError."""
    directory = directory or seed_plans_dir()
    templates = [load_template_file(p) for p in sorted(directory.glob("*.y*ml"))]
    return sorted(templates, key=lambda t: t.name)


def get_template(key: str, directory: Path | None = None) -> PlanTemplate:
    for template in load_templates(directory):
        if template.key == key:
            return template
    raise NotFound(_("There is no plan template named %(key)s.", key=key))


def create_plan_from_template(
    template: PlanTemplate, *, start: date, name: str | None = None, created_by: User | None = None,
    language: str = DEFAULT_LOCALE,
) -> Plan:
    """Make a plan from a template with every date shifted to `start` and every text in `language` (the
    creator's: "en", "ru", "zh_Hans" or "zh", "fa"; English where the template has no text in it).

    Waves take the departments the template names by code where such a
    department exists; module codes the database lacks are created.
    """
    template = template.localized(language)
    name = (name or "").strip() or template.name
    if start + timedelta(days=template.duration_days) > LATEST:
        raise ValidationFailed(_("A plan starting on %(start)s would end after %(last)s.", start=start.isoformat(),
                                 last=LATEST.isoformat()), field="start_date")
    plan = services.create_plan(
        name=name, start=start, end=start + timedelta(days=template.duration_days - 1),
        vision=template.vision, horizon_years=template.horizon_years, created_by=created_by, template_key=template.key,
    )
    for p in template.phases:
        phase_start = start + timedelta(days=p.start_day)
        services.add_phase(
            plan, name=p.name, start=phase_start, end=phase_start + timedelta(days=p.duration_days - 1),
            goal=p.goal, exit_criteria=p.exit_criteria,
        )
    services.ensure_standard_modules()
    for w in template.waves:
        modules = [services.get_module_by_code(c) or services.create_module(code=c, name=c) for c in w.modules]
        departments = [d for d in (get_department_by_code(c) for c in w.departments) if d is not None]
        services.add_wave(
            plan, name=w.name, kind=w.kind, go_live=start + timedelta(days=w.go_live_day),
            modules=modules, departments=departments, notes=w.notes,
        )
    db.session.flush()
    for extension in _FROM_TEMPLATE:
        extension(plan, template)  # localized: its gates name the plan's phases and waves
    return plan

