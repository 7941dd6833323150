"""Which export a file is, what each of its columns means, and what each data row becomes.

Four kinds of import: survey responses, support tickets, usage analytics and touchpoints (a
touchpoint log, or Outlook's calendar export). Feedback and usage records are stored by insights;
touchpoint records by the store the touchpoints app registers (`insights.services.import_sinks`).

Works on rows of strings as `insights.tabular.iter_rows` yields them (`(line, cells)`, header rows
included) and returns `insights.records` dataclasses. Plain Python, no ORM, so it is testable
without a database and fast on large files: `RowNormalizer` picks a parser per column once, in
`__init__`, and keeps no per-row regex work beyond a few precompiled patterns.

Decisions a caller should know:
- A row shorter than the header is padded with empty cells only when every missing cell is in an
  ignored column (nothing mapped is lost); a longer row is cut only when the extra cells are empty
  (a trailing delimiter). Any other difference in cell count rejects the row.
- A row whose cells are all empty yields no record and no rejection (spreadsheet tail rows).
- Qualtrics preview, test and spam responses are rejected whatever the mapping says, from the
  `Status` column.
- Slash dates (`03/04/2024`) are read month first, as the US tools write them, unless the sampled
  rows show a day above 12 in first place; the order never changes mid-file.
- Columns the mapping leaves out are ignored.
- Touchpoint rows take their kind from the kind column or a keyword in the subject ("Acme
  ride-along"), else are rejected; their duration from a duration column, or end minus start;
  observations one per line with an optional severity prefix ("[high] …", "high: …"); several
  people or accounts in one cell, separated by ";" or ",". Details in `touchpoints`.

The package, from the ground up: `roles` (roles, kinds, formats, `DetectedFormat`,
`mapping_errors`) ← `vocabulary` (header synonyms, score labels) ← `columns` (column keys, role
proposals) ← `surveys`, `helpdesks`, `generic`, `touchpoints` (one reader per format) ←
`detection` (`detect_format`); `values`, `touchpoint_values` (cell parsers) ← `touchpoints`
(`TouchpointRows`) ← `normalize` (`RowNormalizer`, which hands touchpoint rows to `TouchpointRows`).
"""

from insights.formats.detection import detect_format
from insights.formats.normalize import RowNormalizer
from insights.formats.roles import (
    FORMATS,
    OVERRIDES,
    Column,
    DetectedFormat,
    FormatError,
    Role,
    mapping_errors,
)
from insights.formats.vocabulary import feature_name

__all__ = [
    "FORMATS",
    "OVERRIDES",
    "Column",
    "DetectedFormat",
    "FormatError",
    "Role",
    "RowNormalizer",
    "detect_format",
    "feature_name",
    "mapping_errors",
]
