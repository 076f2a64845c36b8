"""Comments with @mentions on tasks, status reports, KPIs and gate decisions."""
