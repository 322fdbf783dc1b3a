"""The PIM command rules and engine schedule (moved to :mod:`accelsmith.core.latency.pim`, the
one place the manifest, the cost model and the bench read; re-exported here for existing
imports)."""

from ...core.latency.pim import OPS, RULES, Cmd, Timer, engine_commands, engine_schedule

__all__ = ["OPS", "RULES", "Cmd", "Timer", "engine_commands", "engine_schedule"]
