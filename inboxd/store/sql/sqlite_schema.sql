-- inbox_jobs in the embedded store: the job shape of the HTTP design.
-- JSON columns hold JSON text; timestamps are ISO 8601 UTC strings.
CREATE TABLE IF NOT EXISTS inbox_jobs (
    id              TEXT PRIMARY KEY,
    status          TEXT NOT NULL
                    CHECK (status IN ('pending', 'processing', 'completed', 'failed')),
    folder          TEXT NOT NULL,
    total_files     INTEGER NOT NULL DEFAULT 0,
    processed_files INTEGER NOT NULL DEFAULT 0,
    failed_files    INTEGER NOT NULL DEFAULT 0,
    progress        INTEGER NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 100),
    file_data       TEXT NOT NULL DEFAULT '[]',
    result          TEXT,
    error           TEXT,
    attempt         INTEGER NOT NULL DEFAULT 1,
    created_at      TEXT NOT NULL,
    started_at      TEXT,
    updated_at      TEXT NOT NULL,
    finished_at     TEXT
);
CREATE INDEX IF NOT EXISTS inbox_jobs_status_created ON inbox_jobs (status, created_at);
CREATE INDEX IF NOT EXISTS inbox_jobs_created ON inbox_jobs (created_at);

-- Writes waiting for Supabase (schema version 2).  One entry per job: a newer state of the
-- job replaces the waiting one (coalescing progress), keeping the job's place in the queue.
CREATE TABLE IF NOT EXISTS outbox (
    job_id       TEXT PRIMARY KEY,
    seq          INTEGER NOT NULL,      -- delivery order: when the job first queued
    version      INTEGER NOT NULL,      -- bumped by every newer state
    row          TEXT NOT NULL,         -- the JSON row to upsert
    final        INTEGER NOT NULL,      -- completed/failed: delivered without delay
    attempts     INTEGER NOT NULL DEFAULT 0,
    parked       TEXT,                  -- why Supabase refused it for good, if it did
    queued_at    REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS outbox_seq ON outbox (seq);
