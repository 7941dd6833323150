"""The REST API: one class per operation, serializers nested inside it; writes call services.

Reads list feedback and accounts; writes ingest feedback, accounts and usage in batches of up to
`MAX_ITEMS`, all-or-nothing, optionally made idempotent by an Idempotency-Key header
(`insights.services.idempotency`). Where two operations share a URL (GET and POST /api/feedback/),
`MethodRoutedApi` sends each HTTP method to its own class.
"""

from insights.api.customers import CustomerApi
from insights.api.feedback import FeedbackApi
from insights.api.usage import UsageUpsertApi

__all__ = ["CustomerApi", "FeedbackApi", "UsageUpsertApi"]
