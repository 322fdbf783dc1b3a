"""Fast tier: the PIM channel on Amaranth's simulator against the golden and schedule models."""

import numpy as np
import pytest

from accelsmith.core.families.pim import PimParams
from accelsmith.core.latency.pim import RULES, Cmd, Timer
from accelsmith.sim.benches.pim_io import (
    cmd_word,
    plan_gemv,
    random_program,
    result_word,
    rule_probes,
    state_probes,
)

from .pim_harness import run, run_gemv

# distinct small values so that each rule can be the only one binding
FAST = dict(
    timing="custom",
    t_rcd=4,
    t_rp=5,
    t_ras=9,
    t_ccd=3,
    t_rrd=2,
    t_faw=25,
    t_rtp=4,
    t_wr=6,
    t_rfc=7,
    t_refi=120,
    t_cl=2,
)


def _random_operands(p, rng, out_dim, in_dim, scale=1.0):
    if p.precision == "int8":
        return rng.integers(-128, 128, (out_dim, in_dim)), rng.integers(-128, 128, in_dim)
    w = (rng.standard_normal((out_dim, in_dim)) * scale).astype(np.float32)
    x = (rng.standard_normal(in_dim) * scale).astype(np.float32)
    if p.precision == "fp16":
        return w.astype(np.float16).view(np.uint16), x.astype(np.float16).view(np.uint16)
    return (w.view(np.uint32) >> 16).astype(np.uint16), (x.view(np.uint32) >> 16).astype(np.uint16)


def _check_gemv(p, w, x):
    plan = plan_gemv(p, w, x, Timer(p), 0)
    tr = run_gemv(p, plan)
    assert tr.refused == {}
    assert tr.start_at == plan.start_cycle
    got = [(t, c) for t, c in tr.issued if t > plan.start_cycle]
    assert got == plan.schedule["commands"]
    macs = [(t, d, last) for t, d, mac, last in tr.rdata if mac]
    assert [d for _, d, _ in macs] == [result_word(p, w_) for w_ in plan.expected]
    rdmac_t = [t for t, c in plan.schedule["commands"] if c.op == "RD_MAC"]
    assert [t for t, _, _ in macs] == [t + p.t_cl for t in rdmac_t]
    assert tr.done == [plan.schedule["done"]]
    return plan


GEMV_CASES = [
    # precision, banks, lanes, rows, row_bytes, out_dim, in_dim
    ("int8", 3, 4, 10, 12, 7, 29),  # 3 bursts/row, partial burst, 7 rows over 3 banks
    ("fp16", 2, 4, 8, 16, 3, 11),  # 2 bursts/row, two segments, last segment partial
    ("bf16", 2, 4, 6, 24, 4, 9),  # 3 bursts/row, one partial segment, non-power-of-2 rows
    ("int8", 2, 4, 1, 8, 2, 7),  # one row per bank (the bank's memory is two rows deep)
]


@pytest.mark.parametrize("case", GEMV_CASES, ids=lambda c: f"{c[0]}-b{c[1]}-l{c[2]}")
def test_gemv_results_and_schedule_exact(case):
    prec, banks, lanes, rows, row_bytes, out_dim, in_dim = case
    p = PimParams(precision=prec, banks=banks, lanes=lanes, rows=rows, row_bytes=row_bytes, **FAST)
    w, x = _random_operands(p, np.random.default_rng(3), out_dim, in_dim)
    _check_gemv(p, w, x)


def test_gemv_with_refresh_stalls():
    p = PimParams(precision="int8", banks=2, lanes=4, rows=16, row_bytes=8, **FAST)
    w, x = _random_operands(p, np.random.default_rng(4), 12, 16)
    plan = _check_gemv(p, w, x)
    assert plan.schedule["refreshes"] >= 1  # the job crossed tREFI and refreshed in place
    assert any(c.op == "REF" for _, c in plan.host)


def _run_probe(p, probe):
    host = {}
    tm = Timer(p)
    for t, c, op, code in probe.steps:
        host[t] = cmd_word(p, c, None if op < 0 else op)
        model_cmd = Cmd("BAD", c.ab, c.bank, c.row, c.col) if op >= 0 else c
        assert tm.code(model_cmd, t) == code, (probe.name, t, c)  # the probe itself is right
        if code == 0:
            tm.issue(c, t)
    tr = run(p, host, cycles=max(host) + 2)
    for t, c, _, code in probe.steps:
        assert tr.refused.get(t, 0) == code, (probe.name, t, c, tr.refused)
    executed = {t for t, _ in tr.issued}
    assert executed == {t for t, _, _, code in probe.steps if code == 0}, probe.name


RULE_PARAMS = PimParams(precision="int8", banks=5, lanes=4, rows=6, row_bytes=12, **FAST)


def test_every_rule_is_probed():
    probes, skipped = rule_probes(RULE_PARAMS)
    named = {pr.name.split(":")[0] for pr in probes}
    assert named == {
        "tRCD",
        "tRP",
        "tRAS",
        "tCCD",
        "tRRD",
        "tFAW",
        "tRTP",
        "tWR",
        "tRFC",
        "tREFI",
    }, skipped
    assert skipped == []


@pytest.mark.parametrize("i", range(len(rule_probes(RULE_PARAMS)[0])))
def test_rule_one_cycle_early_is_refused(i):
    probe = rule_probes(RULE_PARAMS)[0][i]
    _run_probe(RULE_PARAMS, probe)


@pytest.mark.parametrize("probe", state_probes(RULE_PARAMS), ids=lambda pr: pr.name)
def test_illegal_state_and_address_refused(probe):
    _run_probe(RULE_PARAMS, probe)


def test_host_refused_while_engine_busy():
    p = PimParams(precision="int8", banks=2, lanes=4, rows=4, row_bytes=8, **FAST)
    w, x = _random_operands(p, np.random.default_rng(5), 2, 8)
    plan = plan_gemv(p, w, x, Timer(p), 0)
    host = {t: cmd_word(p, c) for t, c in plan.host}
    busy_t = plan.start_cycle + 3
    host[busy_t] = cmd_word(p, Cmd("RD_MAC"))
    tr = run(p, host, start=(plan.start_cycle, plan.job), xin=plan.xin, cycles=plan.end_cycle + 2)
    assert tr.refused == {busy_t: RULES["BUSY"]}
    assert [(t, c) for t, c in tr.issued if t > plan.start_cycle] == plan.schedule["commands"]


@pytest.mark.parametrize(
    "prec, banks, lanes, rows, row_bytes",
    [("int8", 3, 4, 5, 12), ("fp16", 2, 2, 4, 8), ("bf16", 2, 2, 3, 12), ("int8", 2, 4, 1, 8)],
)
def test_random_commands_match_checker_and_memory_model(prec, banks, lanes, rows, row_bytes):
    """Random host traffic near each command's earliest cycle: every verdict (executed or
    the rule code) and every RD / RD_MAC word on its cycle, against Timer and the model."""
    p = PimParams(precision=prec, banks=banks, lanes=lanes, rows=rows, row_bytes=row_bytes, **FAST)
    prog = random_program(p, np.random.default_rng(11), 400)
    codes = [code for *_, code in prog.steps]
    assert codes.count(0) > 150 and len(set(codes)) >= 8  # both verdicts, many rules
    host = {t: cmd_word(p, c, None if op < 0 else op) for t, c, op, _ in prog.steps}
    tr = run(p, host, cycles=max(host) + p.t_cl + 2)
    assert tr.refused == {t: code for t, _, _, code in prog.steps if code}
    assert [t for t, _ in tr.issued] == [t for t, *_, code in prog.steps if code == 0]
    assert [(t, d, mac) for t, d, mac, _ in tr.rdata] == prog.rdata
