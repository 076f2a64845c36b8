"""Gartner's CRM maturity model (seed 002): the 0-6 levels and the eight building blocks with their sub-areas,
and what each level means for each block, as the assessment form shows it."""

from __future__ import annotations

from dataclasses import dataclass

from crmproject.enums import LabelledEnum
from crmproject.i18n import lazy_gettext as _l

LOWEST, HIGHEST = 0, 6
PASSING = 3  # "practising": the basic capabilities are in use


class Block(LabelledEnum):
    VISION = "vision", _l("Vision")
    STRATEGY = "strategy", _l("Strategy")
    EXPERIENCE = "experience", _l("Valued customer experience")
    COLLABORATION = "collaboration", _l("Organisational collaboration")
    PROCESSES = "processes", _l("Processes")
    INFORMATION = "information", _l("Information")
    TECHNOLOGY = "technology", _l("Technology")
    METRICS = "metrics", _l("Metrics")


# the levels as Gartner names and defines them
LEVELS: dict[int, tuple] = {
    0: (_l("None"), _l("No CRM action has been taken.")),
    1: (_l("Aware"), _l("Very few customer-centric capabilities, but intends to use CRM.")),
    2: (_l("Developing"), _l("A few scattered customer-centric capabilities.")),
    3: (_l("Practising"), _l("Uses the basic customer-centric capabilities.")),
    4: (_l("Optimising"), _l("Differentiates with customer-centric capabilities and has built them into daily work.")),
    5: (_l("Leading"), _l("Differentiates through customer-marketing capabilities and redefines them.")),
    6: (_l("Maximum"), _l("The highest level possible.")),
}


def level_name(level: int | None) -> str:
    return "" if level is None else str(LEVELS[level][0])


def level_label(level: int | None) -> str:
    """"3 practising": the number and its name, as the pages and exports write a level."""
    return "" if level is None else f"{level} {str(LEVELS[level][0]).lower()}"


@dataclass(frozen=True)
class BlockInfo:
    block: Block
    number: int
    sub_areas: tuple
    # what levels 1 to 5 look like for this block (0 and 6 mean the same everywhere)
    looks_like: tuple

    def meaning(self, level: int) -> str:
        if 1 <= level <= 5:
            return str(self.looks_like[level - 1])
        return str(LEVELS[level][1])


BLOCKS: tuple[BlockInfo, ...] = (
    BlockInfo(Block.VISION, 1, (_l("leadership"), _l("market position"), _l("value proposition")), (
        _l("Leaders talk about customers, but no CRM vision is written down."),
        _l("Some managers have a customer vision for their own unit; it is not shared or tied to a value proposition."),
        _l("A CRM vision and value proposition are written, signed by the sponsor and known to the project."),
        _l("Leaders use the vision to decide; the value proposition sets the company apart in its market."),
        _l("The vision redefines the market position; leaders are cited by others for it."),
    )),
    BlockInfo(Block.STRATEGY, 2, (_l("objectives"), _l("segments"), _l("effective interaction")), (
        _l("The wish to segment customers exists; objectives are not set."),
        _l("Some units segment customers their own way; objectives are vague or only final."),
        _l("Quantified objectives per stage; segments defined and the valuable customers named; an interaction plan per segment."),
        _l("Segments and objectives steer budgets and channels; interaction is tuned per segment and measured."),
        _l("The strategy redefines segments and interaction ahead of competitors."),
    )),
    BlockInfo(Block.EXPERIENCE, 3, (_l("understanding requirements"), _l("monitoring expectations"),
                                    _l("satisfaction versus competition"), _l("acting on feedback"),
                                    _l("customer communication")), (
        _l("Complaints are handled as they come; nobody gathers requirements."),
        _l("Some surveys and feedback exist in places; little is acted on."),
        _l("Requirements and expectations are gathered regularly, satisfaction is measured, every feedback category has an owner."),
        _l("Satisfaction is measured against competitors and acted on in daily work; communication is consistent across channels."),
        _l("The customer experience is a differentiator that customers name."),
    )),
    BlockInfo(Block.COLLABORATION, 4, (_l("culture and structure"), _l("customer understanding"),
                                       _l("people's skills and competencies"), _l("incentives and compensation"),
                                       _l("internal communication"), _l("partners and suppliers")), (
        _l("Departments work in silos; customer data is personal property."),
        _l("A few units share customer information; incentives ignore customers."),
        _l("Marketing, sales and service share one customer view; staff are trained; incentives include customer metrics."),
        _l("A customer-centred culture: roles, incentives and communication are built around customers, partners included."),
        _l("Collaboration with partners and suppliers redefines how customers are served."),
    )),
    BlockInfo(Block.PROCESSES, 5, (_l("customer life cycle"), _l("knowledge management")), (
        _l("Processes are undefined; each person works their own way."),
        _l("Some processes are written down, not aligned between departments, and not redesigned for CRM."),
        _l("The customer life cycle processes are documented, owned and redesigned before the system is configured."),
        _l("Processes are measured and improved continuously; knowledge is shared and kept current."),
        _l("Processes are a differentiator and are redefined from customer insight."),
    )),
    BlockInfo(Block.INFORMATION, 6, (_l("data"), _l("analysis"), _l("market research")), (
        _l("Customer data is scattered and inaccurate."),
        _l("Several customer lists with duplicates; analysis is occasional and manual."),
        _l("One customer database with defined formats and entry rules, de-duplicated; regular analysis."),
        _l("Analysis and market research feed decisions; data accuracy is part of performance reviews."),
        _l("Analytical CRM predicts customer behaviour and shapes offers."),
    )),
    BlockInfo(Block.TECHNOLOGY, 7, (_l("applications"), _l("IT architecture")), (
        _l("No CRM application; spreadsheets and e-mail."),
        _l("CRM applications in a few units, not integrated."),
        _l("The key modules (SFA, MA, CSS) are live and give staff the customer data they need."),
        _l("CRM is integrated with ERP and the data warehouse; the architecture is planned and reviewed."),
        _l("Technology enables new customer capabilities ahead of the market."),
    )),
    BlockInfo(Block.METRICS, 8, (_l("value"), _l("retention"), _l("satisfaction"), _l("loyalty"), _l("cost to serve")), (
        _l("No customer metrics are measured."),
        _l("A few metrics in places, without baselines."),
        _l("Value, retention, satisfaction, loyalty and cost to serve have baselines and targets."),
        _l("Metrics drive decisions and incentives; the cost of every channel is measured."),
        _l("Metrics redefine what the company counts as success."),
    )),
)

BLOCK_INFO: dict[Block, BlockInfo] = {b.block: b for b in BLOCKS}
