"""The header row of an imported CSV file checked against the columns an import reads."""

from __future__ import annotations

from collections.abc import Sequence


def header_problems(header: Sequence[str], *, columns: Sequence[str], required: Sequence[str],
                    optional: str) -> str:
    """What is wrong with ``header`` (names compared trimmed and in lower case), as one sentence that ends
    with the expected header; "" when nothing is. ``optional`` says which columns may be left out."""
    names = [h.strip().lower() for h in header]
    missing = [c for c in required if c not in names]
    unknown = [h for h, n in zip(header, names, strict=True) if n and n not in columns]
    repeated = sorted({n for n in names if n and names.count(n) > 1})
    parts = []
    for label, found in (("missing", missing), ("unknown", [repr(u) for u in unknown]), ("repeated", repeated)):
        if found:
            parts.append(f"{label} column{'s' if len(found) > 1 else ''}: {', '.join(found)}")
    if not parts:
        return ""
    return f"the header is wrong ({'; '.join(parts)}); expected the columns {','.join(columns)} ({optional})"
