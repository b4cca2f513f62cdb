# Sinks: formatters (byte-exact), aggregation, queue bounds, log rotation, and an
# end-to-end run against a real rsyslog on 127.0.0.1 (skipped without rsyslogd).
pc_add_test(NAME test_format SOURCES sinks/test_format.c LIBS pc_format)
pc_add_test(NAME test_aggregate SOURCES sinks/test_aggregate.c LIBS pc_sinks)
pc_add_test(NAME test_sinks SOURCES sinks/test_sinks.c LIBS pc_sinks)
