"""Generative models: one `Generator` protocol and its backends (llama.cpp, transformers, an
OpenAI-compatible upstream). Support answers and the server use them; LoRA tuning writes them."""
