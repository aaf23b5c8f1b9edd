"""Governance: the rule center, reports, cases, penalties and appeals (issue 12)."""
