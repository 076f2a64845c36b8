"""Service and integration accounts: CRM accounts that are not people, kept out of adoption.

Real exports carry the CRM's own automation beside the people: Salesforce's
Automated Process user and integration users, Dynamics' SYSTEM and
application users ("# ..."), HubSpot's scheduled "HubSpot tools" logins,
Zoho's "Zoho CRM" system actions. Counted as use, they make a department
look busy that nobody in it uses the CRM.

The rule is the administrator's (roster.models.ExcludedAccounts, edited on
the usage imports page): patterns on the user name or id (one a line, * for
any text, case and spaces ignored), and whether the vendors' own markers
count. Those markers include API-only accounts: an account the roster does
not know whose every event in an import is an API call (or a sign-in) is an
integration, not a person yet to be added to the roster.

It is applied when an export is imported (events of accounts it names are
stored unmatched and counted in the import's summary; a row the vendor marks
as its own is not stored) and when it changes (events already imported of
accounts it now names are taken off the people they were matched to, and
adoption is recomputed; those it no longer names are matched again).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from sqlalchemy import bindparam, select

from crmproject.adoption.models import UsageEvent
from crmproject.errors import ValidationFailed
from crmproject.extensions import db
from crmproject.i18n import _
from crmproject.roster.models import ExcludedAccounts, username_key

# The administrator's patterns until they change them: names service accounts are commonly given.
DEFAULT_PATTERNS = (
    "integration@*", "api@*", "svc-*", "svc_*", "noreply@*", "no-reply@*", "donotreply@*",
)
# Accounts the CRMs themselves create for their automation (as user names, spaces and case ignored).
VENDOR_NAMES = (
    "automatedprocess", "autoproc@*",  # Salesforce: the Automated Process user (user name autoproc@<org id>)
    "integrationuser", "platformintegrationuser", "salesforceintegrationuser",  # Salesforce integration users
    "system", "integration", "#*",  # Dynamics 365: SYSTEM, INTEGRATION, application users named "# ..."
    "zohocrm", "zohocrmsystem",  # Zoho CRM: actions of the system itself
)
# Salesforce USER_TYPE values of accounts no person signs in with.
VENDOR_USER_TYPES = frozenset({"automatedprocess", "automated process"})
# Login types that are a vendor's own process, not the person (HubSpot: a scheduled report export).
VENDOR_ACTIONS = frozenset({"hubspot tools login"})
# Actions that are calls to the CRM's API, not a person at a screen (Salesforce event log types and the login type
# of Apex API sessions; spaces, "_" and "-" ignored). An account the roster does not know whose every event in an
# import is one of these or a sign-in is an integration user (an API-only account) and is kept out.
API_ACTIONS = frozenset({
    "api", "restapi", "bulkapi", "bulkapi2", "apexsoap", "apexrestapi", "apitotalusage", "apievent", "soapapi",
    "otherapexapi", "apionly",
})
MAX_PATTERNS = 200


def _compile(pattern: str) -> re.Pattern[str]:
    key = username_key(pattern)
    return re.compile(".*".join(re.escape(part) for part in key.split("*")), re.DOTALL)


@dataclass(frozen=True)
class ExclusionRule:
    """The rule in force: patterns (as written) and whether the vendors' markers count."""

    patterns: tuple[str, ...]
    vendor_markers: bool

    def __post_init__(self) -> None:
        names = self.patterns + (VENDOR_NAMES if self.vendor_markers else ())
        object.__setattr__(self, "_compiled", tuple(_compile(p) for p in names if username_key(p)))

    def names(self, *texts: str) -> bool:
        """Whether any of `texts` (a user name, a user id) is an account the rule keeps out."""
        compiled: tuple[re.Pattern[str], ...] = self._compiled  # type: ignore[attr-defined]
        keys = [username_key(text) for text in texts if text]
        return any(pattern.fullmatch(key) for pattern in compiled for key in keys)

    def user_type(self, value: str) -> bool:
        """Whether an export's user type marks a service account (Salesforce AutomatedProcess)."""
        return self.vendor_markers and value.strip().casefold() in VENDOR_USER_TYPES

    def api_call(self, value: str) -> bool:
        """Whether an event's action is a call to the CRM's API (Salesforce RestApi, BulkApi...)."""
        return self.vendor_markers and re.sub(r"[\s_-]+", "", value).casefold() in API_ACTIONS

    def action(self, value: str) -> bool:
        """Whether an event's action marks the vendor's own process (HubSpot tools login)."""
        return self.vendor_markers and " ".join(value.split()).casefold() in VENDOR_ACTIONS


def exclusion_settings() -> ExcludedAccounts:
    """The site's rule, created with the defaults the first time it is asked for (flushed, not committed)."""
    settings = db.session.scalar(select(ExcludedAccounts).order_by(ExcludedAccounts.id).limit(1))
    if settings is None:
        settings = ExcludedAccounts(patterns="\n".join(DEFAULT_PATTERNS), vendor_markers=True)
        db.session.add(settings)
        db.session.flush()
    return settings


def current_rule() -> ExclusionRule:
    """The rule in force, read without writing (the defaults when none was saved)."""
    settings = db.session.scalar(select(ExcludedAccounts).order_by(ExcludedAccounts.id).limit(1))
    if settings is None:
        return ExclusionRule(DEFAULT_PATTERNS, True)
    return ExclusionRule(split_patterns(settings.patterns), settings.vendor_markers)


def split_patterns(text: str) -> tuple[str, ...]:
    """The patterns of a text: one a line, blank lines and lines starting with # (notes) left out."""
    lines = (line.strip() for line in (text or "").splitlines())
    return tuple(dict.fromkeys(line for line in lines if line and not line.startswith("#")))


def save_exclusions(settings: ExcludedAccounts, *, patterns_text: str, vendor_markers: bool) -> int:
    """Save the rule and apply it to the events already imported; returns how many events changed hands.

    Refuses (ValidationFailed on `patterns`, naming the line) a pattern that
    is only * (it would keep everyone out) or more than MAX_PATTERNS.
    Flushes, does not commit.
    """
    patterns = split_patterns(patterns_text)
    for number, pattern in enumerate(patterns, start=1):
        if not username_key(pattern).strip("*"):
            raise ValidationFailed(_("Line %(n)s, '%(pattern)s', would keep every account out: name some letters "
                                     "of the accounts it means.", n=number, pattern=pattern), field="patterns")
    if len(patterns) > MAX_PATTERNS:
        raise ValidationFailed(_("At most %(n)s patterns.", n=MAX_PATTERNS), field="patterns")
    settings.patterns = "\n".join(patterns)
    settings.vendor_markers = vendor_markers
    db.session.flush()
    return apply_exclusions(ExclusionRule(patterns, vendor_markers))


def apply_exclusions(rule: ExclusionRule) -> int:
    """Take the events of accounts the rule keeps out off the people they were matched to, match again those it
    no longer keeps out, and recompute adoption for the days touched. Returns the events changed."""
    from crmproject.adoption.usage_recompute import recompute_span, rematch_unknown_events

    keys = db.session.scalars(select(UsageEvent.username_key).where(UsageEvent.employee_id.is_not(None))
                              .distinct()).all()
    excluded = [key for key in keys if rule.names(key.removeprefix("id:"))]
    detached, first, last = _detach(excluded)
    rematched, rematched_first, rematched_last = rematch_unknown_events(rule)
    if detached or rematched:
        recompute_span(first, last, rematched_first, rematched_last)
    return detached + rematched


def _detach(keys: list[str]) -> tuple[int, date | None, date | None]:
    if not keys:
        return 0, None, None
    events = UsageEvent.__table__
    found = db.session.execute(
        select(events.c.id, events.c.day).where(events.c.username_key.in_(keys), events.c.employee_id.is_not(None))
    ).all()
    if not found:
        return 0, None, None
    db.session.execute(
        events.update().where(events.c.id == bindparam("event_id")).values(employee_id=None, department_id=None),
        [{"event_id": event_id} for event_id, _day in found],
    )
    days = [day for _id, day in found]
    return len(found), min(days), max(days)
