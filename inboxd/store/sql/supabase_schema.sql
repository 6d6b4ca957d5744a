-- inbox_jobs on Supabase (PostgreSQL 15): the job shape of the HTTP design.
-- Apply it in the Supabase SQL editor or with psql; it is idempotent, so applying it again
-- after an upgrade is safe. It creates no roles: anon, authenticated and service_role are
-- Supabase's own and already exist.

CREATE TABLE IF NOT EXISTS public.inbox_jobs (
    id              uuid PRIMARY KEY,
    status          text NOT NULL
                    CHECK (status IN ('pending', 'processing', 'completed', 'failed')),
    folder          text NOT NULL,
    total_files     integer NOT NULL DEFAULT 0,
    processed_files integer NOT NULL DEFAULT 0,
    failed_files    integer NOT NULL DEFAULT 0,
    progress        integer NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 100),
    -- jsonb refuses the NUL character (\u0000) anywhere in a value: the store cleans text
    -- taken from documents before it writes, or the whole upsert fails.
    file_data       jsonb NOT NULL DEFAULT '[]'::jsonb,
    result          jsonb,
    error           text,
    attempt         integer NOT NULL DEFAULT 1,
    -- The machine whose daemon wrote the row: several hosts may share one project.
    host            text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    started_at      timestamptz,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    finished_at     timestamptz
);

COMMENT ON TABLE public.inbox_jobs IS
    'inboxd: one row per dropped folder (job); written by the daemon with the service_role key.';

-- `inboxd jobs` lists newest first, optionally by status.
CREATE INDEX IF NOT EXISTS inbox_jobs_status_created
    ON public.inbox_jobs (status, created_at DESC);
CREATE INDEX IF NOT EXISTS inbox_jobs_created
    ON public.inbox_jobs (created_at DESC);

-- Only the daemon's service_role key may read or write jobs: file names, amounts and IBANs
-- must not be readable with the public anon key that a browser may hold. Row level security
-- with no policy at all denies anon and authenticated every row; service_role bypasses RLS.
-- The revoke is a second lock: Supabase's default privileges grant new public tables to anon
-- and authenticated, so without it a later, too broad policy would open the table.
ALTER TABLE public.inbox_jobs ENABLE ROW LEVEL SECURITY;
REVOKE ALL ON public.inbox_jobs FROM anon, authenticated;
GRANT ALL ON public.inbox_jobs TO service_role;
