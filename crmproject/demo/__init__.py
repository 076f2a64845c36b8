"""The demo organisation for `crmproject demo`."""
