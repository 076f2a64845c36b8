"""The demo plan's CRM maturity: the organisation assessed at the start (level 2, developing, as BMC and
Williams-Sonoma were) and again a year in, the pilot and wave 2 departments before their go-lives, two
enterprise departments already re-assessed and four still to do before the enterprise gate, which judges
processes, information and technology."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from crmproject.auth.models import User
from crmproject.demo.language import DemoTexts
from crmproject.departments.models import Department
from crmproject.extensions import db
from crmproject.gates.models import CriterionKind
from crmproject.gates.services import add_criterion, list_gates
from crmproject.maturity import services
from crmproject.maturity.blocks import Block
from crmproject.maturity.models import MaturityAssessment
from crmproject.plans.models import Plan, WaveKind

ORDER = list(Block)
# scope (None: the organisation), days after the plan's start (negative: days before today), title, assessors,
# agreed levels in block order, each assessor's offsets from the agreed level, notes per block
ASSESSMENTS: tuple[tuple, ...] = (
    (None, 10, "Baseline assessment", ("Paula Project-Manager", "Eric Executive", "Anna Berg (partner)"),
     (2, 2, 1, 2, 1, 1, 2, 1), ((0, 0, 0, 0, 0, -1, 0, 0), (1, 0, 1, 0, 0, 0, 1, 0), (0, -1, 0, 0, 0, 0, 0, 0)),
     {Block.PROCESSES: "Processes are written down in Sales only, and differ between branches.",
      Block.INFORMATION: "Three customer lists, 18% duplicates in the main one.",
      Block.METRICS: "Only revenue is measured; no retention or cost to serve."}),
    ("SALES", 120, "Sales before the pilot go-live", ("Paula Project-Manager", "Olga Petrova"),
     (2, 3, 2, 2, 2, 2, 2, 2), ((0, 0, 0, 0, 0, 0, 0, 0), (1, 0, 0, 1, 0, 0, 1, 0)), {}),
    ("SALES", 400, "Sales a year after the pilot", ("Paula Project-Manager", "Olga Petrova"),
     (3, 3, 3, 3, 3, 3, 4, 3), ((0, 0, 0, 0, 0, 0, 0, 0), (0, 1, 0, 0, 0, 0, 0, 0)),
     {Block.TECHNOLOGY: "SFA and MA live and integrated with the ERP order view."}),
    ("MKT", 270, "Marketing before wave 2", ("Paula Project-Manager", "Chen Wei"),
     (2, 2, 2, 2, 2, 1, 2, 2), ((0, 0, 0, 0, 0, 0, 0, 0), (0, 0, 1, 0, 0, 0, 0, 0)), {}),
    ("KAM", 275, "Key Accounts before wave 2", ("Paula Project-Manager", "Daniel Fischer"),
     (3, 3, 2, 2, 2, 2, 2, 2), ((0, 0, 0, 0, 0, 0, 0, 0), (0, 0, 0, 1, 0, 0, 0, 0)), {}),
    (None, 380, "A year in", ("Paula Project-Manager", "Eric Executive", "Anna Berg (partner)"),
     (3, 3, 2, 2, 2, 2, 3, 2), ((0, 0, 0, 0, 0, 0, 0, 0), (0, 0, 1, 0, 1, 0, 0, 0), (0, 0, 0, -1, 0, 0, 0, 0)),
     {Block.INFORMATION: "One customer database, duplicates at 6%: not yet the 2% of level 3.",
      Block.COLLABORATION: "Sales and marketing share accounts; service is not yet in the CRM."}),
    ("FIELD", -20, "Field Service before the enterprise gate", ("Paula Project-Manager", "Tom Becker"),
     (2, 2, 2, 2, 3, 2, 3, 2), ((0, 0, 0, 0, 0, 0, 0, 0), (0, 0, 0, 0, 0, 1, 0, 0)),
     {Block.INFORMATION: "Service history still in the field engineers' own spreadsheets."}),
    ("IT", -12, "IT before the enterprise gate", ("Paula Project-Manager", "Nikolai Orlov"),
     (3, 3, 2, 3, 3, 3, 3, 3), ((0, 0, 0, 0, 0, 0, 0, 0), (0, 0, 0, 0, 0, 0, 1, 0)), {}),
)


def load_demo_maturity(plan: Plan, *, today: date, texts: DemoTexts) -> None:
    """Targets, assessments and a maturity criterion at the enterprise gate, once."""
    if db.session.scalar(select(MaturityAssessment.id).where(MaturityAssessment.plan_id == plan.id).limit(1)):
        return
    services.set_targets(plan, {b: 4 if b == Block.TECHNOLOGY else 3 for b in Block})
    codes = {d.code: d for d in db.session.scalars(select(Department))}
    pm = db.session.scalar(select(User).where(User.email == "pm@example.com"))
    for code, day, title, assessors, agreed, offsets, notes in ASSESSMENTS:
        on = plan.start_date + timedelta(days=day) if day >= 0 else today + timedelta(days=day)
        if on > today or (code is not None and code not in codes):
            continue
        assessment = services.create_assessment(plan, services.AssessmentValues(
            department=codes[code] if code else None, assessed_on=on, assessors=[texts(a) for a in assessors],
            title=texts(title)),
            today=today, created_by=pm)
        services.save_ratings(assessment, services.Ratings(
            by_assessor={(a.id, block): max(0, min(6, agreed[i] + offsets[n][i]))
                         for n, a in enumerate(assessment.assessors) for i, block in enumerate(ORDER)},
            agreed=dict(zip(ORDER, agreed, strict=False)), notes={b: texts(notes.get(b, "")) for b in ORDER}))
    enterprise = next((g for g in list_gates(plan) if g.wave is not None and g.wave.kind == WaveKind.ENTERPRISE), None)
    if enterprise is not None and all(c.kind != CriterionKind.MATURITY for c in enterprise.criteria):
        add_criterion(enterprise, kind=CriterionKind.MATURITY, threshold=None, blocking=False,
                      blocks=[Block.PROCESSES.value, Block.INFORMATION.value, Block.TECHNOLOGY.value])
