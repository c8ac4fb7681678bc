"""duban — 督办台账自动化: keep the 督查室's Excel ledger, add refresh, letters, mail and a dashboard."""

__version__ = "0.1.0"
