from laotie.core.idempotency import IDEMPOTENCY_KEY_REUSED as KEY_REUSED

__all__ = ["KEY_REUSED", "UnbalancedPosting"]


class UnbalancedPosting(ValueError):
    """A programming error: code tried to book money that does not add up. Never a client's fault."""
