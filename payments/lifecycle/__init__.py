"""The processors the payment routes run, one class per service: ``Ingestion`` (the
ingestion service: a request becomes a stored order, moved on to EXECUTING with its
execution command) and ``Execution`` (the processor service: a command is paid once and
its order ended, its event owed until published). Transport-free: the routes
(the files of ``config/routes/``, which name these methods as beans) carry the
exchanges; what they keep on an exchange is named in ``keys``."""
