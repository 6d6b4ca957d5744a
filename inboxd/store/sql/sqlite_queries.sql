-- name: upsert
INSERT INTO inbox_jobs (id, status, folder, total_files, processed_files, failed_files,
                        progress, file_data, result, error, attempt, created_at,
                        started_at, updated_at, finished_at)
VALUES (:id, :status, :folder, :total_files, :processed_files, :failed_files,
        :progress, :file_data, :result, :error, :attempt, :created_at,
        :started_at, :updated_at, :finished_at)
ON CONFLICT (id) DO UPDATE SET
    status = excluded.status, folder = excluded.folder,
    total_files = excluded.total_files, processed_files = excluded.processed_files,
    failed_files = excluded.failed_files, attempt = excluded.attempt,
    progress = excluded.progress, file_data = excluded.file_data, result = excluded.result,
    error = excluded.error, started_at = excluded.started_at,
    updated_at = excluded.updated_at, finished_at = excluded.finished_at;

-- name: get
SELECT * FROM inbox_jobs WHERE id = :id;

-- name: list_all
SELECT * FROM inbox_jobs ORDER BY created_at DESC, id LIMIT :limit;

-- name: list_by_status
SELECT * FROM inbox_jobs WHERE status = :status ORDER BY created_at DESC, id LIMIT :limit;
