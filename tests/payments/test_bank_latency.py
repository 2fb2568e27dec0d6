"""The simulated bank's answer time: constant, or log-normal by its median and 99th
percentile and capped, as a real bank's; drawn from the bank's seeded generator."""

from __future__ import annotations

import random
import statistics

import pytest
from pydantic import ValidationError

from config.settings import InvalidSettings, Settings
from payments.bank import load_bank_settings
from payments.bank.latency import Latency

DRAWS = 20_000


def test_a_constant_latency_draws_nothing_from_the_generator() -> None:
    rng = random.Random(7)
    state = rng.getstate()
    assert Latency(0.05).draw(rng) == 0.05
    assert Latency(0.05, 0.05).draw(rng) == 0.05
    assert rng.getstate() == state  # seeded failure sequences stay as they were


def test_a_log_normal_latency_has_the_median_and_99th_percentile_it_was_given() -> None:
    rng = random.Random(1)
    latency = Latency(0.120, 0.380, cap=2.0)
    draws = sorted(latency.draw(rng) for _ in range(DRAWS))
    assert statistics.median(draws) == pytest.approx(0.120, rel=0.03)
    assert draws[int(DRAWS * 0.99)] == pytest.approx(0.380, rel=0.08)
    assert max(draws) <= 2.0


def test_the_cap_cuts_the_tail() -> None:
    rng = random.Random(2)
    draws = [Latency(0.1, 1.0, cap=0.2).draw(rng) for _ in range(1_000)]
    assert max(draws) == 0.2
    assert min(draws) < 0.1


@pytest.mark.parametrize(
    ("p50", "p99", "cap"),
    [(-0.1, None, None), (0.0, 0.3, None), (0.2, 0.1, None), (0.2, 0.3, 0.1)],
    ids=["negative", "a tail without a median", "p99 below p50", "cap below p50"],
)
def test_a_latency_that_cannot_be_is_refused(
    p50: float, p99: float | None, cap: float | None
) -> None:
    with pytest.raises(ValueError, match="latency"):
        Latency(p50, p99, cap)


def test_the_settings_name_a_p99_below_its_median(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GATEWAY_LATENCY", "0.2")
    monkeypatch.setenv("GATEWAY_LATENCY_P99", "0.1")
    with pytest.raises(InvalidSettings, match=r"GATEWAY_LATENCY_P99: .*at least GATEWAY_LATENCY"):
        load_bank_settings()
    with pytest.raises(ValidationError, match="at least GATEWAY_LATENCY"):
        Settings(gateway_latency=0, gateway_latency_p99=0.3)
    monkeypatch.setenv("GATEWAY_LATENCY_P99", "0.38")
    monkeypatch.setenv("GATEWAY_LATENCY_CAP", "2")
    assert load_bank_settings().bank().latency == Latency(0.2, 0.38, 2.0)
