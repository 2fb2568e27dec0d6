"""Names of the headers and properties the engine itself reads or writes."""

# Written by the error handler on every redelivery and on the dead-letter message.
REDELIVERED = "x-redelivered"
REDELIVERY_COUNTER = "x-redelivery-counter"
EXCEPTION_TYPE = "x-exception-type"
EXCEPTION_MESSAGE = "x-exception-message"
FAILURE_ROUTE_ID = "x-failure-route-id"
FAILED_AT = "x-failed-at"
ATTEMPTS = "x-attempts"

# One id per business request, kept by every exchange that request leads to (Camel's
# breadcrumb id): read from the X-Correlation-ID of an HTTP request, carried in Kafka
# record headers, set to the exchange id where an exchange starts without one.
CORRELATION_ID = "x-correlation-id"

# The W3C trace context, where tracing carries it from hop to hop.
TRACE_CONTEXT = ("traceparent", "tracestate")

# Written by the idempotent consumer when it drops a duplicate.
DUPLICATE_MESSAGE = "x-duplicate-message"

# Read by the kafka producer (record key) and written by the kafka consumer.
KAFKA_KEY = "kafka.key"
KAFKA_TOPIC = "kafka.topic"
KAFKA_PARTITION = "kafka.partition"
KAFKA_OFFSET = "kafka.offset"

# Read by the http consumer to build its response; written with the request.
HTTP_STATUS = "http.status"
HTTP_METHOD = "http.method"
HTTP_PATH = "http.path"
HTTP_QUERY = "http.query"
HTTP_CONTENT_TYPE = "http.content-type"
# Written by the http consumer: who the server's access check authenticated the request
# as (absent when the server checks no one).
HTTP_PRINCIPAL = "http.principal"

# Headers about an exchange's life in this process: the hop it came by (``kafka.*``,
# ``http.*``) and its redeliveries. A consumer never takes them from a message from
# outside and a producer never sends them on (Camel's HeaderFilterStrategy), so no
# message can pose as another hop or as a count of attempts.
LOCAL_PREFIXES = ("kafka.", "http.")
EXCHANGE_STATE = frozenset({REDELIVERED, REDELIVERY_COUNTER, DUPLICATE_MESSAGE})


def is_local(name: str) -> bool:
    """Whether the header ``name`` stays in this process (see ``LOCAL_PREFIXES``)."""
    return name.startswith(LOCAL_PREFIXES) or name in EXCHANGE_STATE


# Exchange properties (not headers: they never leave the process).
EXCEPTION_CAUGHT = "exception-caught"  # the error an on_exception or dead-letter handled
# The routes whose dead-letter channel is handling a dead letter (outermost first): a
# route's channel never takes a message it is handling already.
DEAD_LETTER_ROUTES = "dead-letter-routes"
DEAD_LETTERED = "dead-lettered"
