"""The failure factors of CRM implementations that the source texts name (seed 000: Shaw 2002, Kolsky 2004,
Navarro; seed 004: the Chinese textbook's implementation chapter), as the risks every new plan starts with: a
stable key, a title in the texts' words, what it means, the typical mitigations the texts give, a default
likelihood and impact (1-5) and the indicators that may raise it from the plan's figures.

The keys are stored on the plans' risks (Risk.factor): never rename one."""

from __future__ import annotations

from dataclasses import dataclass

from crmproject.i18n import LazyString
from crmproject.i18n import lazy_gettext as _l

# The indicators (crmproject.risks.indicators), by key
SPONSOR_VACANT = "sponsor_vacant"
TASKS_OVERDUE = "tasks_overdue"
DATA_QUALITY_RED = "data_quality_red"
TRAINING_BEHIND = "training_behind"
REPORTS_MISSING = "reports_missing"


@dataclass(frozen=True)
class Factor:
    key: str
    title: LazyString
    description: LazyString
    mitigations: LazyString
    likelihood: int
    impact: int
    indicators: tuple[str, ...] = ()


FACTORS: tuple[Factor, ...] = (
    Factor("not_thought_through", _l("Initiative not thought through"),
           _l("The CRM initiative was not thought through and planned: it is started as a software purchase, "
              "without goals tied to the business strategy or a plan of stages."),
           _l("Write the goals and the stage goals first and tie them to the strategy; plan a 3-5 year vision in "
              "operable stages; start from the department with the most pressing problems."),
           3, 5),
    Factor("scattered_information", _l("Inaccurate or scattered information"),
           _l("Customer information is inaccurate, not available, or kept in different formats and places, so "
              "nobody has one view of the customer."),
           _l("Inventory the customer data sources; agree one customer database without duplicates, with defined "
              "data formats and entry procedures; name an owner for each source."),
           4, 4),
    Factor("processes_undefined", _l("Processes undefined or not aligned"),
           _l("Business processes and workflows are not defined properly, or not aligned with the input the "
              "system needs."),
           _l("Map the sales, marketing and service processes before configuring the system; agree the front- and "
              "back-office rules for working with customers; have the process owners sign them off."),
           3, 4),
    Factor("integration_stalled", _l("Stalled integration"),
           _l("The attempts to integrate the CRM with the systems it needs (ERP, data warehouse, telephony, "
              "e-mail) stall; fewer than 10% of companies had integrated CRM with ERP or the warehouse (IDC)."),
           _l("Plan the integrations as their own workstream with an owner and dates; integrate step by step, the "
              "most needed interface first; test with real data before each go-live."),
           3, 4),
    Factor("architecture_underestimated", _l("Underestimated technical architecture"),
           _l("The requirements on the technical architecture (volumes, performance, interfaces, security) were "
              "underestimated."),
           _l("Have the architecture reviewed by IT and the implementation partner early; load-test before each "
              "go-live; keep a technical support team in the project."),
           2, 4),
    Factor("internal_politics", _l("Internal politics"),
           _l("Internal politics and the established organisational structure make the implementation hard: "
              "units defend their data, processes and power."),
           _l("Give the project a steering committee with the authority to decide; make roles and duties explicit; "
              "settle conflicts at the committee, not in the project team."),
           3, 3),
    Factor("units_not_cooperating", _l("Business units not cooperating"),
           _l("CRM needs the cooperation and participation of every business unit; marketing, sales and service "
              "work apart."),
           _l("Put key users from every unit in the project team; set up the communication between marketing, "
              "sales and service; share the first departments' results with the next ones."),
           3, 4),
    Factor("cost", _l("Cost"),
           _l("The implementation is expensive: too much is paid for software instead of buying technology for a "
              "definite business initiative; costs overrun the budget."),
           _l("Buy for the business initiative, not for features; phase the spending with the stages; follow "
              "planned against actual costs each month."),
           3, 3),
    Factor("technology_as_solution", _l("Technology seen as the solution"),
           _l("Thinking that technology is the solution: technology makes sense only once the business goals are "
              "clearly defined; a system bolted onto faulty processes repeats them."),
           _l("Keep the project's attention on business processes, not on the system; choose the technology after "
              "the problems; avoid chasing technical novelty."),
           3, 4),
    Factor("no_executive_support", _l("No executive support"),
           _l("Leadership does not support the project, often because it does not know what CRM can offer; "
              "returns come late and performance may dip at first."),
           _l("Name an executive sponsor with authority and time; prepare leadership for late returns and an early "
              "dip; report progress to the steering committee regularly."),
           2, 5, (SPONSOR_VACANT,)),
    Factor("no_customer_culture", _l("No customer-centred culture"),
           _l("The organisation's culture has no 'passion for the customer': work is organised around products "
              "and internal targets."),
           _l("Build a culture that accepts change and centres on the customer; make customer measures part of "
              "the departments' and employees' evaluation; publicise success stories."),
           3, 4),
    Factor("unclear_roi", _l("Unclear return on investment"),
           _l("The return on investment is unclear: the field is young and information on its returns is scarce, "
              "so the project's value is questioned."),
           _l("Value the KPIs' improvement in money; follow benefits planned against realised; agree with "
              "leadership when returns are expected."),
           3, 3),
    Factor("no_vision_or_goals", _l("No vision or measurable goals"),
           _l("No clearly defined vision and strategy, and so no measurable business goals for CRM: fuzzy goals, or "
              "a final goal without stage goals, make failure likely."),
           _l("Refine each goal into numbers with a baseline and a target date; set stage goals; have the "
              "departments report against them every period."),
           3, 5, (REPORTS_MISSING,)),
    Factor("poor_resource_allocation", _l("Poor resource allocation"),
           _l("Resources are not allocated properly and there is no sound project methodology; turnover in the "
              "team hurts the project."),
           _l("Agree staffing up front; give every task one owner with individual targets; keep an evaluation and "
              "incentive scheme; follow the departments' status reports."),
           3, 4, (REPORTS_MISSING,)),
    Factor("processes_not_redesigned", _l("Processes not redesigned"),
           _l("Processes are not redefined: as in other technology projects, the business processes must be "
              "redesigned to reach the results, not adapted to the software."),
           _l("Review the marketing, sales and service processes from the customer's side, remove the ineffective "
              "steps and only then configure the system; plan process redesign tasks per department."),
           3, 4),
    Factor("poor_data_quality", _l("Poor data quality"),
           _l("Poor quality of data and information: customer intelligence draws its conclusions from the data, "
              "and the quality of the data entered decides the system's effect."),
           _l("Define when data is entered and which fields are required; tie accuracy to performance reviews; have "
              "a business expert check bought-in or bulk data; validate, de-duplicate and clean in the system."),
           4, 4, (DATA_QUALITY_RED,)),
    Factor("weak_change_management", _l("Weak change management"),
           _l("No or weak change management of behaviour and processes: process changes move people's roles and "
              "meet resistance; untrained staff do not use the system."),
           _l("Run a change-management programme with strong project management and executive commitment; train "
              "everyone before their go-live; communicate each change to those it affects."),
           3, 5, (TASKS_OVERDUE, TRAINING_BEHIND)),
    Factor("no_analytical_crm", _l("No analytical CRM"),
           _l("Little analytical CRM: without the analytical part that draws conclusions about current and "
              "potential customers from the data, there is no overall view of the customer and most of CRM's "
              "benefits are lost."),
           _l("Plan the analytical part (segmentation, customer value, reports to leadership) as a stage of the "
              "rollout; make sure the operational data it needs is captured."),
           2, 3),
)

BY_KEY: dict[str, Factor] = {f.key: f for f in FACTORS}
