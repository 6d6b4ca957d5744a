"""The HTTP intake (``inboxd serve``, the ``api`` install extra).

``uploads`` streams a multipart request into a hidden staging folder of the inbox and
publishes it as a folder the daemon takes like any other; ``app`` is the FastAPI app over
the inbox and the job store; ``server`` runs it under uvicorn beside the watcher.
"""
