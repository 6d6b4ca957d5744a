"""Store fixtures: one real local Supabase stack per test session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.supabase_stack import LocalSupabase, find_missing


@pytest.fixture(scope="session")
def supabase_stack() -> Iterator[LocalSupabase]:
    """PostgreSQL + PostgREST + nginx on loopback, started once, stopped at session end."""
    missing = find_missing()
    if missing is not None:
        # Not a skip: `make test` installs the stack, so an absent binary is a broken setup.
        pytest.fail(f"local Supabase stack unavailable: {missing}", pytrace=False)
    stack = LocalSupabase()
    stack.start()
    yield stack
    stack.stop()


@pytest.fixture
def clean_supabase(supabase_stack: LocalSupabase) -> LocalSupabase:
    """The session's stack with an empty ``inbox_jobs`` table."""
    supabase_stack.reset()
    return supabase_stack
