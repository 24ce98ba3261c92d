"""Training loops and their parts: learning-rate schedules, batching, the in-batch-negatives
loss, and the routing classifier's fine-tuning loop."""
