-- name: enqueue
INSERT INTO outbox (job_id, seq, version, row, final, queued_at)
VALUES (:job_id, (SELECT COALESCE(MAX(seq), 0) + 1 FROM outbox), 1, :row, :final, :now)
ON CONFLICT (job_id) DO UPDATE SET
    version = outbox.version + 1, row = excluded.row, final = excluded.final,
    attempts = 0, parked = NULL;

-- name: waiting
SELECT job_id, version, row, final, attempts FROM outbox
WHERE parked IS NULL ORDER BY seq LIMIT :limit;

-- name: delivered
DELETE FROM outbox WHERE job_id = :job_id AND version = :version;

-- name: failed_attempt
UPDATE outbox SET attempts = attempts + 1 WHERE job_id = :job_id AND version = :version;

-- name: park
UPDATE outbox SET parked = :reason WHERE job_id = :job_id AND version = :version;

-- name: counts
SELECT COUNT(*) FILTER (WHERE parked IS NULL) AS waiting,
       COUNT(*) FILTER (WHERE parked IS NOT NULL) AS parked
FROM outbox;

-- name: unpark
UPDATE outbox SET parked = NULL, attempts = 0 WHERE parked IS NOT NULL;
