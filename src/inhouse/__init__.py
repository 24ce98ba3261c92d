"""inhouse: run open-weight AI models in your own house, customised on your own data."""

__version__ = "0.1.0"
