"""Prometheus metrics, on a registry owned by each app (tests build many apps)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.messages_in = Counter("bot_messages_in", "Customer messages stored",
                                   ["channel"], registry=self.registry)
        self.messages_out = Counter("bot_messages_out", "Messages delivered by the outbox",
                                    ["kind"], registry=self.registry)
        self.failures = Counter("bot_delivery_failures", "Delivery attempts that failed",
                                ["kind", "reason"], registry=self.registry)
        self.outbox_depth = Gauge("bot_outbox_depth", "Jobs waiting or running",
                                  registry=self.registry)
        self.outbox_failed = Gauge("bot_outbox_failed", "Jobs failed for good",
                                   registry=self.registry)
        self.outbox_age = Gauge("bot_outbox_oldest_age_seconds", "Age of the oldest queued job",
                                registry=self.registry)
        self.latency = Histogram(
            "bot_delivery_latency_seconds", "From enqueue to delivered", ["kind"],
            buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
            registry=self.registry)
