"""The private server: OpenAI-compatible embeddings and chat, recommendations and support, with
per-key scopes, rate limits, usage and cost, and a hash-chained, PII-redacted audit log.

`app.create_app` builds the FastAPI app; `run.serve` runs it under uvicorn (`inhouse serve`).
"""
