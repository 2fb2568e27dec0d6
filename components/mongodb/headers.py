"""Names of the headers the ``mongodb:`` producer writes."""

# update: 1 when the filter matched (and the document was updated), 0 when it was stale.
MATCHED_COUNT = "mongodb.matchedCount"
