# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The Prometheus metrics of the whole product, computed from the catalog and Redis when they are scraped.

Nothing is counted inside an API process: every figure is a query of what all processes share (the catalog, the
broker's lists, the proxies' heartbeats), so any API process answers a scrape with the same values and a restart
loses nothing. Each part costs a bounded number of indexed or grouped queries (no per-job or per-restore-point
Python loop); a part that fails (Redis away) leaves its metrics out and says so in ``storage_backup_metrics_part_ok``
rather than failing the whole scrape.

No metric carries a project, an instance or a name a tenant chose: destinations and proxies are labelled by id and
host, which only administrators see elsewhere.
"""
from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterator

import redis
from django.conf import settings
from django.db.models import Count, DurationField, ExpressionWrapper, F, Max, OuterRef, Q, Subquery, Sum
from django.utils import timezone
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector

from storage_backup.catalog.models import (
    Destination,
    Job,
    JobState,
    JobType,
    Policy,
    ProtectedInstance,
    Proxy,
    RestorePoint,
)
from storage_backup.contract import CEPH_QUEUE, CONTROL_QUEUE, DATA_QUEUE, VAULT_QUEUE, proxy_queue
from storage_backup.services import lock_maintenance, proxies, schedule, vault_health

LOG = logging.getLogger(__name__)
PREFIX = "storage_backup"
ENDED_STATES = (JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED)
#: Seconds: a verify takes seconds, a first full backup of a large volume hours.
DURATION_BUCKETS = (10, 30, 60, 120, 300, 600, 1800, 3600, 7200, 14400, 43200, 86400)
#: kombu's Redis transport keeps a queue's messages of priority step N (1-9) in ``<queue>\x06\x16<N>``.
PRIORITY_STEPS = range(1, 10)
PRIORITY_SEPARATOR = "\x06\x16"
#: Fires of a schedule looked at to find its interval (the largest gap among them: a weekday-only schedule's
#: weekend counts).
RPO_FIRES = 8


def rpo_factor() -> float:
    return float(settings.METRICS["rpo_factor"])


class CatalogCollector(Collector):
    """A ``prometheus_client`` collector that asks the catalog and Redis at each ``collect``."""

    def __init__(self, now: Callable[[], dt.datetime] = timezone.now) -> None:
        self.now = now

    def collect(self) -> Iterator[Metric]:
        now = self.now()
        part_ok = GaugeMetricFamily(f"{PREFIX}_metrics_part_ok", "Whether a part of the metrics could be computed "
                                    "at this scrape (0: its source is unreachable; see the API log).",
                                    labels=["part"])
        parts = (("jobs", self._jobs), ("restore_points", self._restore_points), ("queues", self._queues),
                 ("proxies", lambda: self._proxies(now)), ("lock_maintenance", lambda: self._lock_maintenance(now)),
                 ("vanished", self._vanished), ("rpo", lambda: self._rpo(now)), ("vault", lambda: self._vault(now)))
        for name, part in parts:
            try:
                metrics = list(part())
            except Exception:  # one source down must not hide what the others know
                LOG.exception("metrics: the %s part failed", name)
                part_ok.add_metric([name], 0)
                continue
            part_ok.add_metric([name], 1)
            yield from metrics
        yield part_ok

    # -- jobs ---------------------------------------------------------------------------------------------------

    def _jobs(self) -> Iterator[Metric]:
        by_state = GaugeMetricFamily(f"{PREFIX}_jobs", "Jobs in the catalog by type and state (queued and running "
                                     "now; succeeded, failed and cancelled so far).", labels=["type", "state"])
        for row in Job.objects.order_by().values("type", "state").annotate(count=Count("id")):
            by_state.add_metric([row["type"], row["state"]], row["count"])
        yield by_state
        duration = ExpressionWrapper(F("finished_at") - F("started_at"), output_field=DurationField())
        buckets = {f"le_{bound}": Count("id", filter=Q(duration__lte=dt.timedelta(seconds=bound)))
                   for bound in DURATION_BUCKETS}
        rows = (Job.objects.order_by().filter(state__in=ENDED_STATES, started_at__isnull=False,
                                              finished_at__isnull=False)
                .annotate(duration=duration).values("type")
                .annotate(count=Count("id"), total=Sum("duration"), **buckets))
        histogram = HistogramMetricFamily(f"{PREFIX}_job_duration_seconds", "How long ended jobs ran, from start "
                                          "to end, by type.", labels=["type"])
        for row in rows:
            cumulative = [(str(float(bound)), row[f"le_{bound}"]) for bound in DURATION_BUCKETS]
            histogram.add_metric([row["type"]], [*cumulative, ("+Inf", row["count"])],
                                 sum_value=_seconds(row["total"]))
        yield histogram
        # Kept on the jobs, which stay when retention deletes their restore points: counters that only grow.
        totals = Job.objects.filter(state=JobState.SUCCEEDED, type=JobType.BACKUP).aggregate(
            read=Sum("bytes_read"), stored=Sum("bytes_stored"))
        yield CounterMetricFamily(f"{PREFIX}_backup_read_bytes", "Bytes succeeded backups read from their volumes.",
                                  value=totals["read"] or 0)
        yield CounterMetricFamily(f"{PREFIX}_backup_stored_bytes", "Bytes succeeded backups stored (new, "
                                  "compressed) in their destinations.", value=totals["stored"] or 0)

    # -- restore points: bytes read and stored --------------------------------------------------------------------

    def _restore_points(self) -> Iterator[Metric]:
        count = GaugeMetricFamily(f"{PREFIX}_restore_points", "Restore points in the catalog by destination.",
                                  labels=["destination"])
        read = GaugeMetricFamily(f"{PREFIX}_restore_points_read_bytes", "Bytes the backups of the restore points "
                                 "now in the catalog read from their volumes, by destination.", labels=["destination"])
        stored = GaugeMetricFamily(f"{PREFIX}_restore_points_stored_bytes", "Bytes the backups of the restore "
                                   "points now in the catalog stored (new, compressed), by destination.",
                                   labels=["destination"])
        rows = (RestorePoint.objects.order_by().values("destination_id")
                .annotate(count=Count("id"), read=Sum("bytes_read"), stored=Sum("bytes_stored")))
        for row in rows:
            label = [row["destination_id"]]
            count.add_metric(label, row["count"])
            read.add_metric(label, row["read"] or 0)
            stored.add_metric(label, row["stored"] or 0)
        yield from (count, read, stored)

    # -- locked restore points gone from their repository (services/vanished.py) --------------------------------

    def _vanished(self) -> Iterator[Metric]:
        vanished = GaugeMetricFamily(f"{PREFIX}_vanished_restore_points", "Restore points locked in the catalog "
                                     "whose documents were removed from their repository (a broken WORM promise; "
                                     "the admin overview's attention.vanished_restore_points), by destination.",
                                     labels=["destination"])
        for row in (RestorePoint.objects.order_by().filter(missing_since__isnull=False).values("destination_id")
                    .annotate(count=Count("id"))):
            vanished.add_metric([row["destination_id"] or ""], row["count"])
        checked = GaugeMetricFamily(f"{PREFIX}_vanished_check_last_success_timestamp_seconds", "When the periodic "
                                    "check of a destination's locked restore points last ended having looked at "
                                    "them all (Unix time; STORAGE_BACKUP_VANISHED_CHECK_INTERVAL).",
                                    labels=["destination"])
        # A check that found vanished ones fails its job but did look: it counts as a check made.
        looked = Q(state=JobState.SUCCEEDED) | Q(state=JobState.FAILED, result__has_key="missing_locked")
        for row in (Job.objects.order_by().filter(looked, type=JobType.VANISHED_CHECK, finished_at__isnull=False)
                    .values("destination_id").annotate(last=Max("finished_at"))):
            if row["destination_id"]:
                checked.add_metric([row["destination_id"]], row["last"].timestamp())
        yield from (vanished, checked)

    # -- the broker's queues ------------------------------------------------------------------------------------

    def _queues(self) -> Iterator[Metric]:
        queues = [CONTROL_QUEUE, DATA_QUEUE, CEPH_QUEUE, VAULT_QUEUE,
                  *(proxy_queue(zone) for zone in proxies.known_zones())]
        timeout = settings.METRICS["redis_timeout"]
        client = redis.Redis.from_url(settings.BROKER_URL, socket_timeout=timeout, socket_connect_timeout=timeout)
        try:
            pipeline = client.pipeline(transaction=False)
            for queue in queues:
                pipeline.llen(queue)
                for step in PRIORITY_STEPS:
                    pipeline.llen(f"{queue}{PRIORITY_SEPARATOR}{step}")
            lengths = pipeline.execute()
        finally:
            client.close()
        depth = GaugeMetricFamily(f"{PREFIX}_queue_messages", "Task messages waiting in a Celery queue (not yet "
                                  "taken by a worker).", labels=["queue"])
        per_queue = 1 + len(PRIORITY_STEPS)
        for index, queue in enumerate(queues):
            depth.add_metric([queue], sum(lengths[index * per_queue:(index + 1) * per_queue]))
        yield depth
        waiting = GaugeMetricFamily(f"{PREFIX}_jobs_waiting", "Jobs recorded but not yet sent to a worker (the "
                                    "catalog's queue), by queue.", labels=["queue"])
        for row in (Job.objects.order_by().filter(state=JobState.QUEUED, submitted_at__isnull=True)
                    .values("queue").annotate(count=Count("id"))):
            waiting.add_metric([row["queue"]], row["count"])
        yield waiting

    # -- proxies ------------------------------------------------------------------------------------------------

    def _proxies(self, now: dt.datetime) -> Iterator[Metric]:
        up = GaugeMetricFamily(f"{PREFIX}_proxy_up", "Whether a proxy answers its heartbeat (or is busy with live "
                               "jobs): 1 up, 0 down.", labels=["availability_zone", "proxy"])
        heartbeat = GaugeMetricFamily(f"{PREFIX}_proxy_last_heartbeat_timestamp_seconds", "When the proxy last "
                                      "answered its heartbeat (Unix time).", labels=["availability_zone", "proxy"])
        zones = dict.fromkeys(proxies.known_zones(), 0)
        for proxy in Proxy.objects.all():
            alive = proxies.is_up(proxy, now)
            labels = [proxy.availability_zone, proxy.hostname]
            up.add_metric(labels, 1 if alive else 0)
            if proxy.last_heartbeat is not None:
                heartbeat.add_metric(labels, proxy.last_heartbeat.timestamp())
            zones[proxy.availability_zone] = zones.get(proxy.availability_zone, 0) + (1 if alive else 0)
        per_zone = GaugeMetricFamily(f"{PREFIX}_availability_zone_proxies_up", "Proxies up per availability zone "
                                     "(0: the zone's backups and restores wait).", labels=["availability_zone"])
        for zone, count in sorted(zones.items()):
            per_zone.add_metric([zone], count)
        yield from (up, heartbeat, per_zone)

    # -- lock maintenance ---------------------------------------------------------------------------------------

    def _lock_maintenance(self, now: dt.datetime) -> Iterator[Metric]:
        alerting = GaugeMetricFamily(f"{PREFIX}_lock_maintenance_alert", "1 for an S3 destination with Object Lock "
                                     "whose last lock maintenance pass failed (problem failed), none succeeded for 1.5 "
                                     "intervals (overdue), or whose lock_days is under twice the interval now in "
                                     "force (margin): the admin overview's attention.lock_maintenance.",
                                     labels=["destination", "problem"])
        success = GaugeMetricFamily(f"{PREFIX}_lock_maintenance_last_success_timestamp_seconds", "When the "
                                    "destination's last lock maintenance pass succeeded (Unix time).",
                                    labels=["destination"])
        failures = GaugeMetricFamily(f"{PREFIX}_lock_maintenance_failing_destinations", "S3 destinations with "
                                     "Object Lock whose lock maintenance needs an operator.")
        failing = 0
        for destination in Destination.objects.filter(type="s3"):
            if lock_maintenance.lock_settings(destination) is None:
                continue
            if destination.lock_maintained_at is not None:
                success.add_metric([destination.id], destination.lock_maintained_at.timestamp())
            found = lock_maintenance.alerts(destination, now)
            failing += bool(found)
            for entry in found:  # a destination may fail (or be overdue) and be under the margin at once
                alerting.add_metric([destination.id, entry["problem"]], 1)
        failures.add_metric([], failing)
        yield from (alerting, success, failures)

    # -- the vault workers (services/vault_health.py) -------------------------------------------------------------

    def _vault(self, now: dt.datetime) -> Iterator[Metric]:
        seen = GaugeMetricFamily(f"{PREFIX}_vault_worker_last_seen_timestamp_seconds", "When the vault's worker last "
                                 "asked for work or reported a copy (Unix time; absent: never).", labels=["vault"])
        waiting = GaugeMetricFamily(f"{PREFIX}_vault_copies_pending", "Restore points waiting for their copy into "
                                    "the vault (queued, being copied, or failed).", labels=["vault"])
        lag = GaugeMetricFamily(f"{PREFIX}_vault_copy_lag_seconds", "Age of the oldest restore point waiting for its "
                                "copy into the vault (0: none waits).", labels=["vault"])
        alert = GaugeMetricFamily(f"{PREFIX}_vault_alert", "1 for a vault whose worker is silent (problem silent: "
                                  "STORAGE_BACKUP_VAULT_SILENT_AFTER) or whose oldest waiting copy is past "
                                  "STORAGE_BACKUP_VAULT_COPY_LAG_ALERT (problem lagging): the admin overview's "
                                  "attention.vaults.", labels=["vault", "problem"])
        for state in vault_health.states():
            label = [state.vault_id]  # the id alone: a vault's name may be a project's choice
            if state.last_seen is not None:
                seen.add_metric(label, state.last_seen.timestamp())
            waiting.add_metric(label, state.waiting)
            lag.add_metric(label, max((now - state.oldest_waiting).total_seconds(), 0.0)
                           if state.oldest_waiting else 0.0)
            for entry in vault_health.alerts(state, now):
                alert.add_metric([state.vault_id, entry["problem"]], 1)
        yield from (seen, waiting, lag, alert)

    # -- restore points past their RPO --------------------------------------------------------------------------

    def _rpo(self, now: dt.datetime) -> Iterator[Metric]:
        limits = {policy.id: limit for policy in Policy.objects.filter(enabled=True).exclude(schedule="")
                  if (limit := rpo_limit(policy, now)) is not None}
        newest = (RestorePoint.objects.filter(instance_id=OuterRef("instance_id"), missing_since__isnull=True)
                  .order_by("-created_at").values("created_at")[:1])
        rows = (ProtectedInstance.objects.order_by().filter(policy_id__in=list(limits))
                .annotate(newest=Subquery(newest)).values_list("policy_id", "created_at", "newest"))
        past = scheduled = 0
        for policy_id, assigned_at, newest_at in rows:
            scheduled += 1
            # An instance never backed up counts from its assignment: it gets one interval × factor to make one.
            if now - (newest_at or assigned_at) > limits[policy_id]:
                past += 1
        yield GaugeMetricFamily(f"{PREFIX}_protected_instances_scheduled", "Protected instances whose policy is "
                                "enabled and scheduled (those the RPO metric looks at).", value=scheduled)
        yield GaugeMetricFamily(f"{PREFIX}_instances_past_rpo", "Scheduled protected instances whose newest restore "
                                "point is older than their policy's interval × STORAGE_BACKUP_METRICS_RPO_FACTOR.",
                                value=past)


def rpo_limit(policy: Policy, now: dt.datetime) -> dt.timedelta | None:
    """How old an instance's newest restore point may grow under ``policy``: its schedule's largest gap between two
    fires (window included) × the factor; None when the schedule runs fewer than twice a year or cannot run."""
    try:
        fires = schedule.next_fires(policy.schedule, policy.timezone, now, policy.window_start, policy.window_end,
                                    count=RPO_FIRES)
    except Exception:  # a schedule that cannot run has its own alert (schedule_error); no RPO to miss
        return None
    if len(fires) < 2:
        return None
    interval = max(later - earlier for earlier, later in zip(fires, fires[1:], strict=False))
    return interval * rpo_factor()


def _seconds(value) -> float:
    if value is None:
        return 0.0
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    return float(value) / 1e6  # some backends hand a duration sum back as microseconds
