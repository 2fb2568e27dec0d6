"""Error handling in a route file, as Camel 4 writes it: ``errorHandler`` (one of
``deadLetterChannel``, ``defaultErrorHandler``, ``noErrorHandler``), ``onException``
and ``redeliveryPolicy``, times in milliseconds (or with units) as Camel counts them.

Exception classes are named by their Python path (``builtins.TimeoutError``,
``payments.domain.store.StoreUnavailable``), or by the Java names Camel's examples use
for the common ones (``java.lang.Exception``, ``java.io.IOException`` …)."""

from __future__ import annotations

import importlib
from typing import Literal, Self

from pydantic import Field, model_validator

from endpoints.redelivery_policy import NO_REDELIVERY, RedeliveryPolicy
from routes.definition import ErrorHandler, OnException
from routes.eips.throttler import ThrottlerRejected
from routes.expressions import ref
from routes.steps import StepDefinition
from routes.yaml.expressions import Inline, predicate_flag
from routes.yaml.spec import RawSteps, Seconds, Spec

# Java exceptions of Camel's examples, as the Python ones that mean the same.
JAVA_EXCEPTIONS: dict[str, type[BaseException]] = {
    "java.lang.Throwable": Exception,
    "java.lang.Exception": Exception,
    "java.lang.RuntimeException": Exception,
    "java.lang.IllegalArgumentException": ValueError,
    "java.lang.IllegalStateException": RuntimeError,
    "java.lang.NumberFormatException": ValueError,
    "java.lang.ArithmeticException": ArithmeticError,
    "java.lang.NullPointerException": AttributeError,
    "java.lang.UnsupportedOperationException": NotImplementedError,
    "java.io.IOException": OSError,
    "java.io.FileNotFoundException": FileNotFoundError,
    "java.net.SocketException": ConnectionError,
    "java.net.ConnectException": ConnectionRefusedError,
    "java.net.SocketTimeoutException": TimeoutError,
    "java.util.concurrent.TimeoutException": TimeoutError,
    "org.apache.camel.processor.ThrottlerRejectedExecutionException": ThrottlerRejected,
}
CamelLevel = Literal["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "OFF"]


def exception_type(name: str) -> type[BaseException]:
    """The exception class ``name`` means; ValueError naming what is wrong."""
    if name in JAVA_EXCEPTIONS:
        return JAVA_EXCEPTIONS[name]
    module_name, _, attribute = name.rpartition(".")
    try:
        found = getattr(importlib.import_module(module_name or "builtins"), attribute)
    except (ImportError, AttributeError, ValueError):
        known = ", ".join(sorted(JAVA_EXCEPTIONS)[:4])
        raise ValueError(
            f"no exception class {name!r}: give its Python path (builtins.ValueError, "
            f"mypackage.errors.MyError) or a Java name Camel's examples use ({known} …)"
        ) from None
    if not (isinstance(found, type) and issubclass(found, BaseException)):
        raise ValueError(f"{name!r} is not an exception class")
    return found


class RedeliveryPolicySpec(Spec):
    maximum_redeliveries: int = Field(default=0, ge=-1)
    redelivery_delay: Seconds = 1.0
    use_exponential_back_off: bool = False
    back_off_multiplier: float = Field(default=2.0, ge=1)
    maximum_redelivery_delay: Seconds = 60.0
    use_collision_avoidance: bool = False
    collision_avoidance_factor: float = Field(default=0.15, ge=0, le=1)
    jitter: bool = False  # the engine's own: each delay drawn from [0, computed]

    def build(self) -> RedeliveryPolicy:
        return RedeliveryPolicy(
            self.maximum_redeliveries,
            self.redelivery_delay,
            use_exponential_backoff=self.use_exponential_back_off,
            backoff_multiplier=self.back_off_multiplier,
            maximum_redelivery_delay=self.maximum_redelivery_delay,
            use_collision_avoidance=self.use_collision_avoidance,
            collision_avoidance_factor=self.collision_avoidance_factor,
            jitter=self.jitter,
        )


class ExhaustedRedeliverySpec(RedeliveryPolicySpec):
    """An onException's policy: also the level its exhausted failures are logged at,
    and whether one it handles is logged too (Camel's logHandled, default false)."""

    retries_exhausted_log_level: CamelLevel = "WARN"
    log_handled: bool = False


class OnExceptionSpec(Spec):
    exception: list[str] = Field(min_length=1)
    handled: bool | Inline = False
    continued: bool | Inline = False
    on_when: Inline | None = None
    redelivery_policy: ExhaustedRedeliverySpec | None = None
    use_original_message: bool = False
    use_original_body: bool = False
    steps: RawSteps = None

    def build(self, steps: list[StepDefinition]) -> OnException:
        policy = self.redelivery_policy or ExhaustedRedeliverySpec()
        level = policy.retries_exhausted_log_level
        return OnException(
            [exception_type(name) for name in self.exception],
            policy.build() if self.redelivery_policy else NO_REDELIVERY,
            predicate_flag(self.handled),
            predicate_flag(self.continued),
            steps,
            "WARNING" if level == "WARN" else level,
            self.on_when.build() if self.on_when is not None else None,
            self.use_original_message,
            self.use_original_body,
            policy.log_handled,
        )


class DeadLetterChannelSpec(Spec):
    dead_letter_uri: str
    use_original_message: bool = False
    use_original_body: bool = False
    dead_letter_handle_new_exception: bool = True
    on_prepare_failure_ref: str | None = None
    redelivery_policy: RedeliveryPolicySpec | None = None


class DefaultErrorHandlerSpec(Spec):
    redelivery_policy: RedeliveryPolicySpec | None = None


class NoErrorHandlerSpec(Spec):
    pass


class ErrorHandlerSpec(Spec):
    dead_letter_channel: DeadLetterChannelSpec | None = None
    default_error_handler: DefaultErrorHandlerSpec | None = None
    no_error_handler: NoErrorHandlerSpec | None = None

    @model_validator(mode="after")
    def _one_handler(self) -> Self:
        if len(self.model_fields_set) != 1:
            raise ValueError(
                "needs exactly one of deadLetterChannel, defaultErrorHandler, noErrorHandler"
            )
        return self

    def build(self) -> ErrorHandler:
        dlc = self.dead_letter_channel
        if dlc is not None:
            policy = dlc.redelivery_policy.build() if dlc.redelivery_policy else NO_REDELIVERY
            return ErrorHandler(
                policy,
                dlc.dead_letter_uri,
                dlc.use_original_message,
                ref(dlc.on_prepare_failure_ref) if dlc.on_prepare_failure_ref else None,
                dlc.dead_letter_handle_new_exception,
                dlc.use_original_body,
            )
        default = self.default_error_handler
        if default is not None and default.redelivery_policy is not None:
            return ErrorHandler(default.redelivery_policy.build())
        return ErrorHandler()
