-- wrk script: POST one multipart body (built by http_load.py) to /classify-documents-async.
-- wrk -s benchmarks/http_post.lua URL  with BODY_FILE and BOUNDARY in the environment.
local f = assert(io.open(os.getenv("BODY_FILE"), "rb"))
wrk.method = "POST"
wrk.path = "/classify-documents-async"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "multipart/form-data; boundary=" .. os.getenv("BOUNDARY")
