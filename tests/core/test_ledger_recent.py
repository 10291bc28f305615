"""The lookup's "copied … ago" notes come from the newest rows only: :func:`recent_sources` finds the same
distinct source images, newest first, that a read of the whole history would, and stops reading once it has them."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from imstui.core.ledger import Ledger
from imstui.core.ledger.window import recent_sources
from imstui.ui.picks import ledger_recent_picks, recent_picks

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)

rows_strategy = st.lists(
    st.tuples(st.sampled_from(["alice", "bob"]), st.integers(0, 12), st.integers(0, 400)), min_size=0, max_size=40
)


def _fill(ledger: Ledger, rows: list[tuple[str, int, int]]) -> None:
    for profile, source, minutes in rows:
        ledger.record_intent(
            profile=profile,
            region="ap-southeast-1",
            project_id="p",
            source_image_id=f"src-{source:02d}",
            source_image_name=f"image {source}",
            name=f"copy-of-{source}",
            submitted_at=NOW - timedelta(minutes=minutes),
        )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=rows_strategy, limit=st.integers(1, 15), chunk=st.integers(1, 7))
def test_the_newest_rows_give_what_the_whole_history_gives(
    tmp_path: Path, rows: list[tuple[str, int, int]], limit: int, chunk: int
) -> None:
    path = tmp_path / f"l-{abs(hash((tuple(rows), limit, chunk)))}.sqlite3"
    with Ledger(path) as ledger:
        _fill(ledger, rows)
        whole = recent_picks(ledger.list("alice"), NOW, limit=limit)
        found = recent_sources(ledger, "alice", limit, chunk=chunk)
        assert recent_picks(found, NOW, limit=limit) == whole
        assert ledger_recent_picks(ledger, "alice", NOW, limit=limit) == whole
        assert all(r.profile == "alice" for r in found)


def test_it_stops_reading_once_it_has_enough(tmp_path: Path) -> None:
    """Five hundred copies of one image, then three others copied more recently: the three and that one, having
    read one chunk; a history with fewer sources than asked is read back at most ``scan`` rows."""
    with Ledger(tmp_path / "jobs.sqlite3") as ledger:
        _fill(ledger, [("alice", 0, 1000 + i) for i in range(500)])
        _fill(ledger, [("alice", s, s) for s in (1, 2, 3)])
        statements: list[str] = []
        real = ledger._read

        def counting(sql: str, params: object) -> object:
            statements.append(sql)
            return real(sql, params)  # type: ignore[arg-type]

        ledger._read = counting  # type: ignore[method-assign,assignment]
        found = recent_sources(ledger, "alice", 4, chunk=50)
        assert [r.source_image_id for r in found] == ["src-01", "src-02", "src-03", "src-00"]
        assert len(statements) == 1
        statements.clear()
        assert [r.source_image_id for r in recent_sources(ledger, "alice", 10, chunk=50, scan=200)] == [
            "src-01",
            "src-02",
            "src-03",
            "src-00",
        ]
        assert len(statements) == 4  # 200 rows in chunks of 50, not the 503 of the history
