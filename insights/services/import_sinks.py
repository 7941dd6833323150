"""Where the import engine stores records of a kind that lives above insights.

The engine (`insights.services.imports`) stores feedback and usage itself. Other kinds — today
touchpoints — are stored by the app that owns them, which registers a store here when Django
starts (`AppConfig.ready`). This way the ground floor calls up without importing upwards: it knows
the store only by its kind.

A store takes one chunk's records (`insights.records`) and the job's id, and runs inside the
chunk's transaction, so what it writes commits together with the job's checkpoint: a job resumed
after a crash redoes a chunk whose commit was lost, and never one whose commit was kept. It must
therefore be safe to call twice with the same records (the second call stores nothing and counts
duplicates), and must not query per record to resolve people or accounts: a chunk holds up to
`BACKLIGHT_IMPORT_CHUNK_ROWS` rows.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from insights.records import RowRejection


@dataclass(frozen=True)
class SinkResult:
    created: int = 0
    duplicates: int = 0
    rejections: list[RowRejection] = field(default_factory=list)


class ImportSink(Protocol):
    def __call__(self, *, records: Sequence, import_job_id: int) -> SinkResult: ...


_SINKS: dict[str, ImportSink] = {}


def import_sink_register(*, kind: str, store: ImportSink) -> None:
    """Make `store` the one that stores records of `kind` (a later call replaces it)."""
    _SINKS[kind] = store


def import_sink_for(*, kind: str) -> ImportSink | None:
    return _SINKS.get(kind)
