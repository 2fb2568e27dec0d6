"""The token bucket and the per-client limiter, on a clock the test moves (no sleeps)."""

from __future__ import annotations

import pytest

from payments.api.clients import RateLimit
from payments.api.rate_limit import RateLimiter, TokenBucket


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_full_bucket_lets_a_burst_through_then_refuses_with_the_wait() -> None:
    clock = FakeClock()
    bucket = TokenBucket(RateLimit(per_second=2, burst=3), clock)

    assert [bucket.take() for _ in range(3)] == [0.0, 0.0, 0.0]
    assert bucket.take() == pytest.approx(0.5)  # one token comes every half second
    assert bucket.take() == pytest.approx(0.5)  # a refused request takes nothing
    clock.now += 0.25
    assert bucket.take() == pytest.approx(0.25)
    clock.now += 0.25
    assert bucket.take() == 0.0
    assert bucket.take() == pytest.approx(0.5)


def test_an_idle_bucket_refills_up_to_its_burst_only() -> None:
    clock = FakeClock()
    bucket = TokenBucket(RateLimit(per_second=10, burst=2), clock)
    bucket.take()
    bucket.take()

    clock.now += 3600
    assert [bucket.take() for _ in range(3)] == [0.0, 0.0, pytest.approx(0.1)]


def test_a_clock_going_back_adds_no_tokens() -> None:
    clock = FakeClock()
    bucket = TokenBucket(RateLimit(per_second=1, burst=1), clock)
    bucket.take()
    clock.now -= 50

    assert bucket.take() == pytest.approx(1.0)


def test_each_client_has_its_own_bucket_and_limit() -> None:
    clock = FakeClock()
    limiter = RateLimiter(
        RateLimit(per_second=1, burst=1), {"big": RateLimit(per_second=100, burst=5)}, clock
    )

    assert limiter.take("shop-a") == 0.0
    assert limiter.take("shop-a") == pytest.approx(1.0)
    assert limiter.take("shop-b") == 0.0  # shop-a's requests cost shop-b nothing
    assert [limiter.take("big") for _ in range(5)] == [0.0] * 5
    assert limiter.take("big") == pytest.approx(0.01)
    assert limiter.limit_of("big") == RateLimit(per_second=100, burst=5)
    assert limiter.limit_of("shop-a") == RateLimit(per_second=1, burst=1)


def test_new_limits_restart_only_the_buckets_whose_limit_changed() -> None:
    clock = FakeClock()
    slow, fast = RateLimit(per_second=1, burst=1), RateLimit(per_second=10, burst=2)
    limiter = RateLimiter(slow, {"kept": slow, "raised": slow}, clock)
    for client in ("kept", "raised", "shop-a"):
        assert limiter.take(client) == 0.0

    limiter.set_limits({"kept": slow, "raised": fast})

    assert limiter.take("kept") == pytest.approx(1.0)  # its bucket stays empty
    assert limiter.take("shop-a") == pytest.approx(1.0)  # the default's too
    assert [limiter.take("raised") for _ in range(2)] == [0.0, 0.0]
    assert limiter.limit_of("raised") == fast
