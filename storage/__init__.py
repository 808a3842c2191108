"""SQLite persistence for onboarding cases: schema, migrations and the one store object."""

from storage.case_store import (
    AnswerRecord,
    CaseRecord,
    CaseStore,
    FileRecord,
    HistoryRecord,
    StoreTransaction,
    StoreUnusable,
)

__all__ = [
    "AnswerRecord",
    "CaseRecord",
    "CaseStore",
    "FileRecord",
    "HistoryRecord",
    "StoreTransaction",
    "StoreUnusable",
]
