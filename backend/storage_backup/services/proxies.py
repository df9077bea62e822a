# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Proxies as the control plane sees them: recorded from their heartbeats, up or down, with a job cap each."""
from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from storage_backup.catalog.models import Job, JobState, Proxy
from storage_backup.policies import proxies as rules
from storage_backup.services import bus
from storage_backup.services.context import Caller, authorize


def down_after() -> dt.timedelta:
    return dt.timedelta(seconds=settings.CONTROL["proxy_down_after"])


def is_up(proxy: Proxy, now: dt.datetime | None = None) -> bool:
    now = now or timezone.now()
    if proxy.last_heartbeat is not None and now - proxy.last_heartbeat <= down_after():
        return True
    return busy(proxy)


def busy(proxy: Proxy) -> bool:
    """A proxy whose every worker process runs a job takes no ping until one ends (hours, for a large volume):
    the liveness keys of the jobs it runs (docs/TASKS.md) say whether it is alive meanwhile."""
    running = Job.objects.filter(proxy_hostname=proxy.hostname, state=JobState.RUNNING).values_list("id", flat=True)
    try:
        return any(bus.job_alive(job_id) for job_id in running)
    except Exception:  # Redis away: the heartbeat alone decides
        return False


def up_in(availability_zone: str) -> list[Proxy]:
    now = timezone.now()
    return [proxy for proxy in Proxy.objects.filter(availability_zone=availability_zone) if is_up(proxy, now)]


def capacity(availability_zone: str) -> int:
    return sum(proxy.max_jobs for proxy in up_in(availability_zone))


def waiting_reason(availability_zone: str) -> str:
    """Why a job for this AZ cannot go out now, in words an operator acts on; empty when a proxy is up."""
    if up_in(availability_zone):
        return ""
    known = Proxy.objects.filter(availability_zone=availability_zone).order_by("-last_heartbeat").first()
    if known is None:
        return (f"No proxy has answered in availability zone {availability_zone}; start the proxy worker there "
                f"(queue proxy.{availability_zone}).")
    seen = known.last_heartbeat.isoformat() if known.last_heartbeat else "never"
    return (f"The proxy of availability zone {availability_zone} ({known.hostname}) is down: last heartbeat {seen}. "
            "The job waits until it answers again.")


def record_heartbeat(answer: dict, availability_zone: str) -> Proxy:
    """Store a ``proxy.ping`` answer (docs/TASKS.md)."""
    # The Celery node name tells apart two proxies on one host (the demo runs one per AZ on this machine).
    hostname = answer.get("worker") or answer.get("hostname") or f"proxy-{availability_zone}"
    proxy, _ = Proxy.objects.get_or_create(hostname=hostname, defaults={
        "availability_zone": answer.get("az") or availability_zone, "max_jobs": settings.CONTROL["proxy_max_jobs"]})
    proxy.availability_zone = answer.get("az") or availability_zone
    proxy.server_id = answer.get("proxy_server_id") or ""
    proxy.version = str(answer.get("version") or "")
    proxy.device_root_ok = bool(answer.get("device_root_ok"))
    proxy.last_heartbeat = timezone.now()
    proxy.save()
    return proxy


def _job_count(**match) -> Coalesce:
    """The number of jobs matching ``match`` (which may refer to the proxy row through ``OuterRef``), as one
    grouped subquery of the proxies' own query."""
    counted = (Job.objects.filter(**match).order_by().values(*match.keys()).annotate(count=Count("id"))
               .values("count"))
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def list_proxies(caller: Caller) -> QuerySet:
    """Every proxy, each with ``running_jobs`` (the jobs it runs) and ``queue_depth`` (the jobs queued for its
    availability zone, which any proxy of the zone may take), counted by the database in the same query."""
    authorize(caller, rules.LIST)
    return Proxy.objects.annotate(
        running_jobs=_job_count(proxy_hostname=OuterRef("hostname"), state=JobState.RUNNING),
        queue_depth=_job_count(availability_zone=OuterRef("availability_zone"), state=JobState.QUEUED))


def known_zones() -> list[str]:
    """Availability zones to ping: configured ones, those of known proxies and of protected instances."""
    from storage_backup.catalog.models import ProtectedInstance

    zones = set(settings.CONTROL["availability_zones"])
    zones |= set(Proxy.objects.values_list("availability_zone", flat=True))
    zones |= set(ProtectedInstance.objects.exclude(availability_zone="").values_list("availability_zone",
                                                                                       flat=True))
    return sorted(zone for zone in zones if zone)
