"""``accelsmith workloads`` (placeholder module filled in by the workloads work)."""
