"""The large demo's data: its functions and regions, names, KPIs, task titles and courses (crmproject.demo.large
builds the organisation from them)."""

from __future__ import annotations

from crmproject.kpis.models import Direction, GoalFamily

# code, name, job role of its people, wave order (lower goes live earlier)
FUNCTIONS: tuple[tuple[str, str, str, int], ...] = (
    ("SALES", "Sales", "Sales representative", 0),
    ("KAM", "Key Accounts", "Key account manager", 1),
    ("TELE", "Telesales", "Telesales agent", 1),
    ("MKT", "Marketing", "Marketing specialist", 1),
    ("ECOM", "E-commerce", "E-commerce manager", 2),
    ("CS", "Customer Service", "Service agent", 2),
    ("SUP", "Technical Support", "Support engineer", 2),
    ("FIELD", "Field Service", "Field engineer", 3),
    ("FIN", "Finance", "Accountant", 4),
    ("LOG", "Logistics", "Logistics planner", 4),
    ("PROD", "Product Management", "Product manager", 3),
    ("IT", "IT", "IT specialist", 4),
)
REGIONS: tuple[tuple[str, str], ...] = (
    ("N", "North"), ("S", "South"), ("E", "East"), ("W", "West"), ("C", "Central"),
    ("K", "Coast"), ("M", "Mountain"), ("P", "Capital"),
)
# the English roster's names (crmproject.demo.language gives the other languages' own)
FIRST_NAMES = ("Anna", "Boris", "Chen", "Daria", "Elena", "Farid", "Galina", "Hassan", "Irina", "Jun", "Karim", "Lena",
               "Mikhail", "Nadia", "Oleg", "Parisa", "Qiang", "Roya", "Sergei", "Tatiana", "Ulan", "Vera", "Wei",
               "Yusuf", "Amir", "Bella", "Dmitri", "Fatemeh", "Hui", "Jonas", "Laila", "Marco", "Nina", "Omid")
LAST_NAMES = ("Ivanova", "Petrov", "Wang", "Rahimi", "Smirnova", "Li", "Kuznetsov", "Hosseini", "Zhang", "Popova",
              "Moradi", "Sokolov", "Liu", "Volkova", "Karimi", "Fedorov", "Zhao", "Novikova", "Becker", "Rossi",
              "Jafari", "Chen", "Morozova", "Schmidt", "Tehrani", "Huang", "Orlova", "Santos")

# The adoption stories, as they appear in the shape classifier.
LASTING, FADING, NO_EFFECT, TOO_EARLY = "lasting", "fading", "no_effect", "too_early"
# Wave 2 departments take these stories in turn; the pilot lasts, the last wave is too early to tell.
WAVE2_STORIES = (FADING, NO_EFFECT, LASTING, LASTING, FADING, LASTING, NO_EFFECT, LASTING)
# units that read the same in every language (the others are words, translated)
SAME_UNITS = {"%", "EUR"}
# The daily adoption KPI (the others of the family are 28-day adoption)
DAILY_ADOPTION_KPI = "Daily active users / licensed seats"
# The last wave went live this many days before today: fewer than the 8 weeks a verdict needs.
LAST_WAVE_LIVE_DAYS = 35

# name, goal family, unit, direction, baseline, target (the texts' goal families and Gartner's metrics)
KPIS: tuple[tuple[str, GoalFamily, str, Direction, str, str], ...] = (
    ("CRM adoption (28-day active users / licensed seats)", GoalFamily.ADOPTION, "%", Direction.HIGHER, "0", "80"),
    (DAILY_ADOPTION_KPI, GoalFamily.ADOPTION, "%", Direction.HIGHER, "0", "60"),
    ("Required-field completeness", GoalFamily.DATA_QUALITY, "%", Direction.HIGHER, "70", "95"),
    ("Duplicate customer records", GoalFamily.DATA_QUALITY, "%", Direction.LOWER, "12", "2"),
    ("Open opportunities recorded in the CRM", GoalFamily.PROSPECTS, "%", Direction.HIGHER, "30", "90"),
    ("Marketing response rate", GoalFamily.PROSPECTS, "%", Direction.HIGHER, "1.5", "3.5"),
    ("New qualified leads per month", GoalFamily.PROSPECTS, "leads", Direction.HIGHER, "120", "200"),
    ("Lead-to-opportunity conversion", GoalFamily.PROSPECTS, "%", Direction.HIGHER, "8", "15"),
    ("Administration time per sales representative", GoalFamily.EFFICIENCY, "h/week", Direction.LOWER, "9", "5"),
    ("Quote turnaround", GoalFamily.EFFICIENCY, "days", Direction.LOWER, "5", "2"),
    ("Cost per service case", GoalFamily.COST_TO_SERVE, "EUR", Direction.LOWER, "28", "20"),
    ("First-contact resolution", GoalFamily.SATISFACTION, "%", Direction.HIGHER, "62", "80"),
    ("Customer satisfaction (CSAT)", GoalFamily.SATISFACTION, "%", Direction.HIGHER, "74", "88"),
    ("Net promoter score", GoalFamily.LOYALTY, "points", Direction.HIGHER, "12", "35"),
    ("Customer retention", GoalFamily.RETENTION, "%", Direction.HIGHER, "82", "90"),
    ("Key accounts lost", GoalFamily.RETENTION, "accounts", Direction.LOWER, "6", "2"),
    ("Revenue per customer", GoalFamily.VALUE, "kEUR", Direction.HIGHER, "14", "18"),
    ("Cross-sell rate", GoalFamily.VALUE, "%", Direction.HIGHER, "9", "15"),
    ("Service cases older than 7 days", GoalFamily.COST_TO_SERVE, "cases", Direction.LOWER, "40", "10"),
    ("Repeat purchase rate", GoalFamily.LOYALTY, "%", Direction.HIGHER, "35", "45"),
)

# category key -> task titles (a department's name is added where the task belongs to one)
TASK_TITLES: dict[str, tuple[str, ...]] = {
    "communication": ("Announce the go-live date", "Publish results on the intranet", "Monthly CRM newsletter",
                      "Town hall questions and answers", "Share the pilot's lessons learned"),
    "process_redesign": ("Map the current process", "Agree the redesigned process", "Define opportunity stages",
                         "Service levels and case categories", "Hand-over of leads from marketing to sales"),
    "training": ("Train the key users", "Schedule user training", "Refresher training after go-live",
                 "Floor walkers in the first go-live week", "Training for new joiners"),
    "data_quality": ("De-duplicate customer records", "Define required fields", "Expert review of imported contacts",
                     "Clean up inactive accounts", "Data entry rules in the team handbook"),
    "integration": ("ERP orders and invoices in the CRM", "E-mail and calendar synchronisation",
                    "Telephony integration", "Single sign-on", "Mobile access for the field"),
    "leadership": ("Sponsor visit to the department", "CRM figures in the weekly team meeting",
                   "Tie CRM data accuracy to performance reviews", "Steering committee review"),
    "resistance": ("Resistance interviews", "Weekly feedback sessions", "Address the top three complaints",
                   "Recognise early adopters"),
}

COURSES = (
    # code, name, module code, audience, mandatory, hours, function codes (None: everyone), description
    ("SFA-101", "SFA essentials", "SFA", "Sales, key accounts, telesales and e-commerce", True, "6",
     ("SALES", "KAM", "TELE", "ECOM"), "Accounts, contacts, opportunities and the pipeline, on the group's own data."),
    ("MA-201", "MA campaigns", "MA", "Marketing and e-commerce", False, "4",
     ("MKT", "ECOM"), "Segments, campaigns and their results in the marketing module."),
    ("CSS-101", "CSS case handling", "CSS", "Customer service, support and field service", True, "5",
     ("CS", "SUP", "FIELD"), "Cases from first contact to closure, service levels and the knowledge base."),
    ("DQ-100", "Data quality rules", None, "Everyone with a CRM seat", True, "1.5",
     None, "Required fields, duplicates and who owns a record: the rules that keep the CRM trustworthy."),
    ("ERP-110", "Orders and invoices from the ERP", "ERPINT", "Finance, logistics, product management and IT", False, "2",
     ("FIN", "LOG", "PROD", "IT"), "Where orders, invoices and deliveries appear on the customer record."),
)
# How much of a department's training is done, by its story: no training, no effect.
TRAINED = {LASTING: 0.9, FADING: 0.7, NO_EFFECT: 0.35, TOO_EARLY: 0.6}
