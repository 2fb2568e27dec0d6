"""Names of the headers and properties the engine itself reads or writes."""

# Set by the error handler on a redelivered exchange, under Camel's names.
REDELIVERED = "CamelRedelivered"
REDELIVERY_COUNTER = "CamelRedeliveryCounter"
REDELIVERY_MAX_COUNTER = "CamelRedeliveryMaxCounter"
# Written on the dead-letter message (the engine's own: a dead-letter Kafka record
# carries them).
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
# ``http.*``) and Camel's own (``Camel*``, in any case: its redeliveries). A consumer
# never takes them from a message from outside and a producer never sends them on
# (Camel's default HeaderFilterStrategy), so no message can pose as another hop or as
# a count of attempts.
LOCAL_PREFIXES = ("kafka.", "http.", "camel")


def is_local(name: str) -> bool:
    """Whether the header ``name`` stays in this process (see ``LOCAL_PREFIXES``)."""
    return name.casefold().startswith(LOCAL_PREFIXES)


# Exchange properties (not headers: they never leave the process). Where Camel names a
# property, it is Camel's name and means what Camel's does.
FAILURE_ROUTE_ID_PROPERTY = "CamelFailureRouteId"  # on a dead letter: the route that failed
EXCEPTION_CAUGHT = "CamelExceptionCaught"  # the error an on_exception, doCatch or DLC handled
DUPLICATE_MESSAGE = "CamelDuplicateMessage"  # True: the idempotent consumer saw the key before
FILTER_MATCHED = "CamelFilterMatched"  # whether the last filter let the exchange in
SPLIT_INDEX = "CamelSplitIndex"  # a split part's place, from 0
SPLIT_SIZE = "CamelSplitSize"  # how many parts the split made
SPLIT_COMPLETE = "CamelSplitComplete"  # True on the last part
LOOP_INDEX = "CamelLoopIndex"  # the round of a loop, from 0
LOOP_SIZE = "CamelLoopSize"  # the rounds a counted loop makes
MULTICAST_INDEX = "CamelMulticastIndex"  # the branch of a multicast or recipient list, from 0
RECIPIENT_LIST_ENDPOINT = "CamelRecipientListEndpoint"  # the URI a recipient copy went to
AGGREGATED_SIZE = "CamelAggregatedSize"  # how many exchanges an aggregated one gathers
AGGREGATED_COMPLETED_BY = "CamelAggregatedCompletedBy"  # size, timeout or predicate
AGGREGATED_CORRELATION_KEY = "CamelAggregatedCorrelationKey"
# True on an exchange sent to an aggregator: complete every open group now (a signal,
# not aggregated itself).
AGGREGATION_COMPLETE_ALL_GROUPS = "CamelAggregationCompleteAllGroups"
# The routes whose dead-letter channel is handling a dead letter (outermost first): a
# route's channel never takes a message it is handling already.
DEAD_LETTER_ROUTES = "dead-letter-routes"
DEAD_LETTERED = "dead-lettered"
