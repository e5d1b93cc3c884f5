"""
A corpus of exceptions raised live, at test time, by real client libraries against real services on
loopback (PostgreSQL, MariaDB, Redis, RabbitMQ on the machine; HTTP, TLS, gRPC, SMTP and scripted
protocol servers started in-process). Each case names the categories that are acceptable for it and
why. ``tests/corpus/test_corpus.py`` and ``benchmarks/bench_classification_accuracy.py`` use it.
"""
