"""Every model module, imported once so the metadata (and Alembic) sees every table."""

from crmproject.adoption import models as adoption_models  # noqa: F401
from crmproject.audit import capture as audit_capture  # noqa: F401  (the audit trail; its events record every change)
from crmproject.audit import models as audit_models  # noqa: F401
from crmproject.audit import services as audit_services  # noqa: F401  (it records the logins the auth pages tell of)
from crmproject.api import models as api_models  # noqa: F401
from crmproject.auth import models as auth_models  # noqa: F401
from crmproject import cache as cache_models  # noqa: F401  (the data generation; its events notice writes)
from crmproject.comments import models as comments_models  # noqa: F401
from crmproject.departments import models as departments_models  # noqa: F401
from crmproject.baselines import models as baselines_models  # noqa: F401
from crmproject.business_case import models as business_case_models  # noqa: F401
from crmproject.gates import models as gates_models  # noqa: F401
from crmproject.hypercare import models as hypercare_models  # noqa: F401
from crmproject.impact import models as impact_models  # noqa: F401
from crmproject.steering import models as steering_models  # noqa: F401
from crmproject.kpis import models as kpis_models  # noqa: F401
from crmproject.maturity import models as maturity_models  # noqa: F401
from crmproject.notifications import models as notifications_models  # noqa: F401
from crmproject.plans import models as plans_models  # noqa: F401
from crmproject.pulse import models as pulse_models  # noqa: F401
from crmproject import ratelimit as ratelimit_models  # noqa: F401  (rate limit counters, database://)
from crmproject.reports import models as reports_models  # noqa: F401
from crmproject.risks import models as risks_models  # noqa: F401
from crmproject.roster import models as roster_models  # noqa: F401
from crmproject.tasks import models as tasks_models  # noqa: F401
from crmproject.teams import models as teams_models  # noqa: F401
from crmproject.training import models as training_models  # noqa: F401
