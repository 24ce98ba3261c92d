"""The thin FastAPI routers, one module per endpoint family; the services do the work."""
