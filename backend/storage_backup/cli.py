# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""``storage-backup``: the operator's command line. Works with no OpenStack and no catalog, like restic.

    storage-backup repo init DIR [--encrypt --password-file F]
    storage-backup image backup --repo DIR --name NAME PATH
    storage-backup image restore --repo DIR ID TARGET
    storage-backup repo list|stats|check [--read-data]|prune|delete ID --repo DIR
    storage-backup proxy-key create|show|rotate|retire [--key-file F]     (a worker's own key, on its host)
    storage-backup repo repair [--source IMAGE_OR_DEVICE ...] --repo DIR
    storage-backup vault-worker --config FILE [--once]                    (on the vault's side)
    storage-backup health --worker NODE_OR_QUEUE [--timeout S]            (exit 0 healthy, 1 not; one line)
    storage-backup health --vault VAULT_ID                                (on a control host: reads the catalog)
    storage-backup proxy-vm create --az AZ [--az AZ ...] --flavor F --network N --image I [--key-name K]
                                                                          (on a control host: a proxy VM per AZ)

Passwords come from ``--password-file`` or ``STORAGE_BACKUP_PASSWORD`` (or ``STORAGE_BACKUP_PASSWORD_FILE``).
A user error prints one line saying what to do and exits with 2; ``repo check`` exits with 1 when it finds damage,
``repo repair`` when data stays lost.

Each group of commands (``repo``, ``image``) is one ``(name, help, add_commands)`` in ``COMMAND_GROUPS``, where
``add_commands(subparsers, common)`` adds its subcommands, each with ``set_defaults(handler=function)``.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable

EXIT_OK = 0
EXIT_DAMAGE = 1
EXIT_USAGE = 2


class UserError(Exception):
    """A mistake in the request: shown as one line, exit code 2."""


# -- formatting ---------------------------------------------------------------------------------------------------

def human_bytes(count: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(count) < 1024 or unit == "TiB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.2f} {unit}"
        count /= 1024
    return f"{count:.2f} TiB"


def human_rate(count: float, seconds: float) -> str:
    return f"{count / seconds / 1e6:.0f} MB/s" if seconds > 0 else "-"


def _print_json(data) -> None:
    json.dump(data, sys.stdout, indent=2, sort_keys=True, default=str)
    sys.stdout.write("\n")


# -- passwords and opening ----------------------------------------------------------------------------------------

def password_from(args) -> bytes | None:
    from storage_backup.repository import read_password_file

    path = getattr(args, "password_file", None) or os.environ.get("STORAGE_BACKUP_PASSWORD_FILE")
    if path:
        try:
            return read_password_file(path)
        except OSError as error:
            raise UserError(f"cannot read the password file {path}: {error.strerror}") from None
    value = os.environ.get("STORAGE_BACKUP_PASSWORD")
    return value.encode() if value else None


def open_repository(args):
    from storage_backup.repository import Repository

    if not args.repo:
        raise UserError("say which repository: --repo DIR (or set STORAGE_BACKUP_REPOSITORY)")
    return Repository.open(args.repo, password_from(args))


def _progress_printer(args, label: str) -> Callable | None:
    if not getattr(args, "progress", False) and not (sys.stderr.isatty() and not getattr(args, "json", False)):
        return None
    started = time.monotonic()

    def show(done: int, stored: int, total: int) -> None:
        elapsed = max(time.monotonic() - started, 1e-6)
        percent = 100.0 * done / total if total else 100.0
        sys.stderr.write(f"\r{label}: {percent:5.1f}%  {human_bytes(done)} of {human_bytes(total)}  "
                         f"{human_bytes(stored)} {'stored' if label == 'backup' else 'written'}  "
                         f"{human_rate(done, elapsed)}   ")
        if done >= total:
            sys.stderr.write("\n")
        sys.stderr.flush()
    return show


# -- repo commands --------------------------------------------------------------------------------------------------

def cmd_repo_init(args) -> int:
    from storage_backup.repository import Repository

    password = password_from(args) if (args.encrypt or args.password_file) else None
    if args.encrypt and not password:
        raise UserError("--encrypt needs a password: give --password-file FILE or set STORAGE_BACKUP_PASSWORD")
    block_size = _parse_size(args.block_size) if args.block_size else None
    pack_size = _parse_size(args.pack_size) if args.pack_size else None
    if pack_size is not None and not 64 * 1024 <= pack_size <= 1024 ** 3:
        raise UserError("--pack-size must be between 64K and 1G")
    repository = Repository.init(args.directory, password, encryption=bool(password), block_size=block_size,
                                 pack_size=pack_size)
    config = repository.config
    if args.json:
        _print_json({"id": config.id, "location": repository.location, "encryption": config.encryption,
                     "format_version": config.version, "block_size": config.block_size})
    else:
        print(f"created repository {config.id} at {repository.location}")
        print(f"  format version {config.version}, encryption {config.encryption}, block size "
              f"{human_bytes(config.block_size)}")
        if password:
            print("  keep the password safe: without it the backups cannot be read")
    return EXIT_OK


def cmd_repo_list(args) -> int:
    repository = open_repository(args)
    labels = {"name": args.name} if args.name else None
    unreadable: list[tuple[str, str]] = []
    points = repository.list_restore_points(labels, unreadable=unreadable)
    # One document that cannot be read is named (on stderr, so --json stays a list) and the others still listed.
    for restore_point_id, reason in unreadable:
        print(f"warning: restore point {restore_point_id} cannot be read and is not listed: {reason}; run "
              f"'storage-backup repo check'", file=sys.stderr)
    if args.json:
        _print_json([point.to_dict() for point in points])
        return EXIT_OK
    if not points:
        print("no restore points")
        return EXIT_OK
    print(f"{'ID':32}  {'CREATED (UTC)':19}  {'NAME':20}  {'VOLUMES':>7}  {'SIZE':>11}  {'STORED NEW':>11}  LOCKED")
    for point in points:
        size = sum(volume.size for volume in point.volumes)
        stored = sum(int(volume.stats.get("bytes_stored", 0)) for volume in point.volumes)
        name = point.labels.get("name") or point.labels.get("instance_id") or ""
        locked = point.lock_until if point.locked() else ""
        print(f"{point.id:32}  {point.created[:19].replace('T', ' '):19}  {name[:20]:20}  {len(point.volumes):>7}  "
              f"{human_bytes(size):>11}  {human_bytes(stored):>11}  {locked}")
    return EXIT_OK


def cmd_repo_stats(args) -> int:
    repository = open_repository(args)
    stats = repository.stats()
    if args.json:
        _print_json(stats.to_dict())
        return EXIT_OK
    print(f"repository {repository.config.id} at {stats.location}")
    print(f"  format version {stats.format_version}, encryption {stats.encryption}, block size "
          f"{human_bytes(stats.block_size)}")
    print(f"  restore points   {stats.restore_points} ({stats.volumes} volumes, {human_bytes(stats.logical_bytes)} "
          f"logical, of which {human_bytes(stats.zero_bytes)} zero)")
    print(f"  unique chunks    {stats.unique_chunks} ({human_bytes(stats.unique_raw_bytes)} raw, "
          f"{human_bytes(stats.stored_chunk_bytes)} stored)")
    print(f"  packs            {stats.packs} ({human_bytes(stats.pack_bytes)}), index objects {stats.index_objects}")
    print(f"  deduplication    {stats.deduplication_ratio:.2f}x   compression {stats.compression_ratio:.2f}x")
    if stats.unreadable_restore_points:
        print(f"  {stats.unreadable_restore_points} restore point(s) cannot be read: run 'storage-backup repo check'")
    return EXIT_OK


def _print_verdict_json(report) -> int:
    """A check's or a repair's report as JSON with its ``ok``; the exit status says whether damage remains."""
    _print_json({**report.__dict__, "ok": report.ok})
    return EXIT_OK if report.ok else EXIT_DAMAGE


def cmd_repo_check(args) -> int:
    repository = open_repository(args)
    started = time.monotonic()
    report = repository.check(read_data=args.read_data,
                              progress=None if args.json else (lambda message: print(f"  {message}")))
    elapsed = time.monotonic() - started
    if args.json:
        return _print_verdict_json(report)
    for warning in report.warnings:
        print(f"warning: {warning}")
    for error in report.errors:
        print(f"error: {error}")
    if report.suppressed_errors:
        print(f"... and {report.suppressed_errors} more errors")
    if report.affected_restore_points:
        # Every one, however many errors were cut above: each is a backup that will not restore whole.
        print(f"{len(report.affected_restore_points)} restore point(s) cannot be fully restored:")
        for restore_point_id, chunks in sorted(report.affected_restore_points.items()):
            print(f"  {restore_point_id}  ({len(chunks)} missing or damaged chunk(s))")
        print("the next backup of the same data stores those chunks again; 'storage-backup repo repair --source "
              "IMAGE' stores them again from an image or device holding that data")
    what = "structure and data" if args.read_data else "structure (add --read-data to verify every chunk)"
    if report.ok:
        print(f"no errors found: {what} of {report.restore_points} restore points, {report.chunks} chunks, "
              f"{report.packs} packs checked in {elapsed:.1f} s")
        return EXIT_OK
    print(f"{len(report.errors) + report.suppressed_errors} error(s) found; the restore points named above "
          f"cannot be fully restored")
    return EXIT_DAMAGE


def cmd_repo_prune(args) -> int:
    repository = open_repository(args)
    report = repository.prune()
    if args.json:
        _print_json(report.__dict__)
        return EXIT_OK
    print(f"prune: {report.restore_points} restore points keep {report.chunks_used} chunks; removed "
          f"{report.chunks_removed} chunks, deleted {report.packs_deleted} packs ({report.orphan_packs} left by "
          f"interrupted backups), repacked {report.packs_repacked}, freed {human_bytes(report.bytes_freed)}; "
          f"{report.temporary_files} temporary files and {report.stale_locks} stale locks removed")
    for unreadable in report.unreadable_restore_points:
        print(f"warning: restore point {unreadable}; no data was deleted while it cannot be read")
    return EXIT_OK


def cmd_repo_repair(args) -> int:
    for source in args.source or []:
        if not os.path.exists(source):
            raise UserError(f"--source {source} does not exist: give an image file or block device")
    repository = open_repository(args)
    report = repository.repair(args.source or [], progress=None if args.json else (lambda m: print(f"  {m}")))
    if args.json:
        return _print_verdict_json(report)
    for unreadable in report.unreadable_restore_points:
        print(f"warning: restore point {unreadable}")
    if not report.bad_chunks and not report.lost_restore_points:
        print("nothing to repair: no restore point needs a missing or damaged chunk (run 'storage-backup repo check "
              "--read-data' first to find damage)")
        return EXIT_OK if report.ok else EXIT_DAMAGE
    print(f"repair: {report.bad_chunks} missing or damaged chunk(s); {len(report.restored_chunks)} stored again, "
          f"{len(report.lost_chunks)} lost")
    for source in report.sources:
        print(f"  {source['source']}: read {human_bytes(source['bytes_read'])}, supplied {source['chunks_supplied']} "
              f"chunk(s)")
    for restore_point_id, what in sorted(report.lost_restore_points.items()):
        print(f"lost: restore point {restore_point_id}: {'; '.join(what)}")
    if report.ok:
        print("every restore point is whole again")
        return EXIT_OK
    return EXIT_DAMAGE


def cmd_repo_delete(args) -> int:
    repository = open_repository(args)
    for restore_point_id in args.ids:
        repository.delete_restore_point(restore_point_id)
        print(f"deleted restore point {restore_point_id}; 'storage-backup repo prune' frees its data")
    return EXIT_OK


# -- image commands -------------------------------------------------------------------------------------------------

def cmd_image_backup(args) -> int:
    from storage_backup.repository import Consistency

    repository = open_repository(args)
    labels = {"name": args.name, "kind": "image", "source": os.path.abspath(args.path)}
    for label in args.label or []:
        key, sep, value = label.partition("=")
        if not sep or not key:
            raise UserError(f"--label takes KEY=VALUE, not {label!r}")
        labels[key] = value
    previous = None if args.full else repository.latest_restore_point({"name": args.name}, volume_key="image")
    started = time.monotonic()
    with repository.start_restore_point(labels, {"source": os.path.abspath(args.path)},
                                        consistency=Consistency.OFFLINE) as writer:
        entry = writer.backup_volume("image", args.path, strategy="full" if args.full else "incremental",
                                     previous=previous, progress=_progress_printer(args, "backup"))
        restore_point_id = writer.commit()
    elapsed = time.monotonic() - started
    stats = entry.stats
    changed = stats["bytes_total"] - stats["bytes_zero"] - stats["bytes_unchanged"]
    summary = {"id": restore_point_id, "name": args.name, "strategy": entry.strategy, "parent": entry.parent,
               "size": entry.size, "elapsed": round(elapsed, 3), "notes": entry.notes, **stats}
    if args.json:
        _print_json(summary)
        return EXIT_OK
    print(f"restore point {restore_point_id}")
    print(f"  name {args.name}, {entry.strategy}" + (f" against {entry.parent}" if entry.parent else ""))
    for note in entry.notes:
        print(f"  note: {note}")
    print(f"  read      {human_bytes(stats['bytes_read'])} of {human_bytes(entry.size)} in {elapsed:.2f} s "
          f"({human_rate(entry.size, elapsed)})")
    print(f"  zero      {human_bytes(stats['bytes_zero'])}   unchanged {human_bytes(stats['bytes_unchanged'])}   "
          f"changed {human_bytes(changed)}")
    print(f"  stored    {human_bytes(stats['bytes_stored'])} new ({human_bytes(stats['bytes_new'])} of new data, "
          f"{human_bytes(stats['bytes_deduplicated'])} already in the repository)")
    ratio_dedup = changed / stats["bytes_new"] if stats["bytes_new"] else float("inf") if changed else 1.0
    ratio_compress = stats["bytes_new"] / stats["bytes_stored"] if stats["bytes_stored"] else 1.0
    print(f"  dedup {ratio_dedup:.2f}x  compression {ratio_compress:.2f}x")
    return EXIT_OK


def cmd_image_restore(args) -> int:
    repository = open_repository(args)
    restore_point = repository.get_restore_point(args.id)
    volume = restore_point.volume(args.volume)
    if os.path.isfile(args.target) and os.path.getsize(args.target) and not args.force:
        raise UserError(f"{args.target} exists and is not empty: add --force to overwrite it whole, or give a new "
                        f"file name or a block device")
    started = time.monotonic()
    stats = repository.restore_volume(restore_point.id, volume.key, args.target, verify=not args.no_verify,
                                      progress=_progress_printer(args, "restore"))
    elapsed = time.monotonic() - started
    if args.json:
        _print_json({"id": restore_point.id, "volume": volume.key, "target": args.target, "elapsed": round(elapsed, 3),
                     **stats})
        return EXIT_OK
    print(f"restored volume {volume.key!r} of restore point {restore_point.id} to {args.target}")
    print(f"  {human_bytes(volume.size)} in {elapsed:.2f} s ({human_rate(volume.size, elapsed)}); wrote "
          f"{human_bytes(stats['bytes_written'])}, {human_bytes(stats['bytes_zero'])} zero left sparse, "
          f"{stats['chunks_verified']} chunks verified")
    return EXIT_OK


# -- parser ---------------------------------------------------------------------------------------------------------

def _parse_size(text: str) -> int:
    units = {"": 1, "k": 1024, "m": 1024 ** 2, "g": 1024 ** 3, "t": 1024 ** 4}
    value = text.strip().lower().removesuffix("ib").removesuffix("b")
    unit = value[-1] if value and value[-1] in units else ""
    try:
        return int(float(value[:-1] if unit else value) * units[unit])
    except ValueError:
        raise UserError(f"cannot read {text!r} as a size (e.g. 256K, 4M)") from None


def _common() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--password-file", metavar="FILE",
                        help="file holding the repository password (default: $STORAGE_BACKUP_PASSWORD)")
    common.add_argument("--json", action="store_true", help="print machine-readable JSON")
    return common


def _with_repo(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument("--repo", "-r", metavar="DIR", default=os.environ.get("STORAGE_BACKUP_REPOSITORY"),
                        help="repository location (default: $STORAGE_BACKUP_REPOSITORY)")
    return parser


def add_repo_commands(subparsers, common) -> None:
    init = subparsers.add_parser("init", parents=[common], help="create a repository")
    init.add_argument("directory", metavar="DIR")
    init.add_argument("--encrypt", action="store_true", help="encrypt with AES-256-GCM (needs a password)")
    init.add_argument("--block-size", metavar="SIZE", help="block size for new volumes (default 256K)")
    init.add_argument("--pack-size", metavar="SIZE", help="target size of pack objects (default 16M)")
    init.set_defaults(handler=cmd_repo_init)

    listing = _with_repo(subparsers.add_parser("list", parents=[common], help="list restore points"))
    listing.add_argument("--name", help="only restore points of this name")
    listing.set_defaults(handler=cmd_repo_list)

    stats = _with_repo(subparsers.add_parser("stats", parents=[common], help="sizes, deduplication, compression"))
    stats.set_defaults(handler=cmd_repo_stats)

    check = _with_repo(subparsers.add_parser("check", parents=[common], help="verify the repository"))
    check.add_argument("--read-data", action="store_true", help="also read and verify every chunk")
    check.set_defaults(handler=cmd_repo_check)

    prune = _with_repo(subparsers.add_parser("prune", parents=[common],
                                             help="remove data no restore point uses (exclusive lock)"))
    prune.set_defaults(handler=cmd_repo_prune)

    repair = _with_repo(subparsers.add_parser(
        "repair", parents=[common], help="store again damaged chunks a source supplies; mark what is lost"))
    repair.add_argument("--source", action="append", metavar="IMAGE_OR_DEVICE",
                        help="an image file or block device holding data that was backed up (repeatable)")
    repair.set_defaults(handler=cmd_repo_repair)

    delete = _with_repo(subparsers.add_parser("delete", parents=[common], help="delete restore points"))
    delete.add_argument("ids", nargs="+", metavar="ID")
    delete.set_defaults(handler=cmd_repo_delete)


def add_image_commands(subparsers, common) -> None:
    backup = _with_repo(subparsers.add_parser("backup", parents=[common],
                                              help="back up an image file or block device"))
    backup.add_argument("--name", required=True, help="name of the series; incremental against its last backup")
    backup.add_argument("--full", action="store_true", help="do not compare with the last backup of NAME")
    backup.add_argument("--label", action="append", metavar="KEY=VALUE", help="extra label (repeatable)")
    backup.add_argument("--progress", action="store_true", help="show progress on stderr")
    backup.add_argument("path", metavar="PATH")
    backup.set_defaults(handler=cmd_image_backup)

    restore = _with_repo(subparsers.add_parser("restore", parents=[common],
                                               help="restore to an image file or block device"))
    restore.add_argument("id", metavar="ID", help="restore point id (or a unique prefix)")
    restore.add_argument("target", metavar="TARGET", help="file (created sparse if missing) or block device")
    restore.add_argument("--volume", help="which volume, when the restore point holds several")
    restore.add_argument("--no-verify", action="store_true", help="skip the keyed-hash check of each chunk")
    restore.add_argument("--force", action="store_true", help="overwrite an existing non-empty image file")
    restore.add_argument("--progress", action="store_true", help="show progress on stderr")
    restore.set_defaults(handler=cmd_image_restore)


def cmd_proxy_key(args) -> int:
    """The worker's key pair (``storage_backup.proxy.worker_key``): never the private key, only what to enrol."""
    from storage_backup.contract import key_id
    from storage_backup.proxy import worker_key

    path = args.key_file or worker_key.key_file()
    if args.command == "create":
        key, created = worker_key.create(path)
        print(f"{'created' if created else 'already there'}: {path}", file=sys.stderr)
    elif args.command == "rotate":
        worker_key.rotate(path)
        print(f"new key added in front of {path}; enrol it, then revoke the old one and run retire", file=sys.stderr)
    elif args.command == "retire":
        removed = worker_key.retire(path)
        print(f"removed {', '.join(removed) or 'nothing'} from {path}", file=sys.stderr)
    keys = worker_key.public_keys(path)
    if not keys:
        raise UserError(f"no key in {path}: run storage-backup proxy-key create")
    if args.json:
        _print_json([{"key_id": key_id(key), "public_key": key} for key in keys])
    else:
        for key in keys:
            print(f"{key}  {key_id(key)}")
    return EXIT_OK


def add_proxy_key_commands(subparsers, common) -> None:
    helps = {"create": "make this worker's key pair (0600) unless it has one; print its public key",
             "show": "print the public keys an administrator enrols (newest first)",
             "rotate": "add a new key in front (both open tasks until the old one is retired)",
             "retire": "keep only the newest key (after the old one was revoked)"}
    for name, help_text in helps.items():
        command = subparsers.add_parser(name, parents=[common], help=help_text)
        command.add_argument("--key-file", metavar="FILE",
                             help="the worker's key file (default: $STORAGE_BACKUP_PROXY_KEY_FILE or "
                                  "/var/lib/storage-backup/proxy.key)")
        command.set_defaults(handler=cmd_proxy_key)


def cmd_proxy_vm_create(args) -> int:
    """A proxy VM in each ``--az`` through Nova, as the service account (``storage_backup.proxy_vm``)."""
    from importlib import metadata

    from storage_backup import proxy_vm

    try:
        account = proxy_vm.service_account(dict(os.environ))
        broker_url = args.broker_url or os.environ.get("STORAGE_BACKUP_BROKER_URL", "")
        if not broker_url:
            raise proxy_vm.ProxyVmError("--broker-url not given and STORAGE_BACKUP_BROKER_URL not set")
        ca_pem = None
        if args.ca_file:
            with open(args.ca_file, encoding="utf-8") as handle:
                ca_pem = handle.read()
        package = args.package or f"storage-backup=={metadata.version('storage-backup')}"

        def user_data_for(zone: str) -> str:
            return proxy_vm.render_user_data(zone, broker_url, account, package, ca_pem)

        if args.user_data_only:
            for zone in args.az:
                sys.stdout.write(user_data_for(zone))
            return EXIT_OK
        created = proxy_vm.create(_service_connection(account), args.az, args.flavor, args.network, args.image,
                                  args.key_name, user_data_for, name_prefix=args.name_prefix,
                                  wait=not args.no_wait)
    except proxy_vm.ProxyVmError as error:
        raise UserError(str(error)) from None
    if args.json:
        _print_json([vm.to_dict() for vm in created])
    else:
        for vm in created:
            addresses = ", ".join(a["addr"] for net in vm.addresses.values() for a in net) or "-"
            print(f"{vm.zone}: {vm.name} {vm.server_id} {vm.status} {addresses}")
        print("Enrol each proxy's key once it has booted: openstack console log show SERVER | grep "
              "STORAGE_BACKUP_PROXY_KEY, then python -m django proxy_keys enrol NAME --queue proxy.AZ "
              "--public-key KEY", file=sys.stderr)
    return EXIT_OK


def _service_connection(account: dict[str, str]):
    import openstack

    return openstack.connect(auth_url=account["STORAGE_BACKUP_AUTH_URL"],
                             username=account["STORAGE_BACKUP_USERNAME"],
                             password=account["STORAGE_BACKUP_PASSWORD"],
                             project_name=account.get("STORAGE_BACKUP_PROJECT", "service"),
                             user_domain_id=account.get("STORAGE_BACKUP_USER_DOMAIN", "default"),
                             project_domain_id=account.get("STORAGE_BACKUP_PROJECT_DOMAIN", "default"),
                             region_name=account.get("STORAGE_BACKUP_REGION") or None)


def add_proxy_vm_commands(subparsers, common) -> None:
    create = subparsers.add_parser("create", parents=[common],
                                   help="boot a proxy VM in each --az that installs and starts its worker")
    create.add_argument("--az", action="append", required=True, metavar="AZ",
                        help="availability zone (repeat for several)")
    create.add_argument("--flavor", required=True, help="flavor name or ID (2 vCPUs, 2 GiB RAM will do)")
    create.add_argument("--network", required=True, help="network name or ID that reaches Redis and the APIs")
    create.add_argument("--image", required=True, help="an Ubuntu or Debian cloud image (name or ID)")
    create.add_argument("--key-name", help="a key pair of the service account, for SSH to the VM")
    create.add_argument("--broker-url", help="default: $STORAGE_BACKUP_BROKER_URL")
    create.add_argument("--ca-file", help="the CA of a rediss:// broker, written into the VM")
    create.add_argument("--package", help="what pip installs in the VM (default: this storage-backup's version)")
    create.add_argument("--name-prefix", default="storage-backup-proxy", help="servers are named PREFIX-AZ")
    create.add_argument("--no-wait", action="store_true", help="do not wait for the servers to be ACTIVE")
    create.add_argument("--user-data-only", action="store_true", help="print the user-data, boot nothing")
    create.set_defaults(handler=cmd_proxy_vm_create)


#: The command groups: ``(name, help, add_commands)``; a new group is one more entry.
COMMAND_GROUPS: list[tuple[str, str, Callable]] = [
    ("repo", "create, inspect, verify and prune repositories", add_repo_commands),
    ("image", "back up and restore image files and block devices", add_image_commands),
    ("proxy-key", "this worker's key pair, which opens the secrets of its tasks", add_proxy_key_commands),
    ("proxy-vm", "proxy VMs that set themselves up (cloud-init), one per availability zone", add_proxy_vm_commands),
]


def cmd_vault_worker(args) -> int:
    """The vault worker (``storage_backup.vault``): one round with ``--once`` (its report as JSON), else for ever."""
    import logging

    from storage_backup.vault.client import VaultApiError
    from storage_backup.vault.config import VaultConfigError, load
    from storage_backup.vault.worker import VaultWorker

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        worker = VaultWorker(load(args.config))
        if not args.once:
            worker.run_forever()
            return EXIT_OK
        report = worker.run_once()
    except (VaultConfigError, VaultApiError) as error:
        raise UserError(str(error)) from None
    _print_json(report.to_dict())
    return EXIT_DAMAGE if report.failed else EXIT_OK


def cmd_health(args) -> int:
    """One line and exit 0 when the worker answers, 1 when it does not (for systemd, Kubernetes or a person)."""
    if args.vault:
        return _vault_health(args.vault)
    from storage_backup.worker_health import check

    broker = os.environ.get("STORAGE_BACKUP_BROKER_URL")
    if not broker:
        raise UserError("STORAGE_BACKUP_BROKER_URL is not set: point it at the backup service's Redis, as the "
                        "workers' own environment does (/etc/storage-backup/worker.env)")
    if args.timeout <= 0:
        raise UserError("--timeout: must be a positive number of seconds")
    health = check(args.worker, broker, args.timeout)
    print(health.line())
    return EXIT_OK if health.healthy else EXIT_DAMAGE


def _vault_health(vault_id: str) -> int:
    """The vault worker is never reached from here (it pulls): its health is when the catalog last saw it."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "storage_backup.settings")
    try:
        import django

        django.setup()
        from storage_backup.services import vault_health

        health = vault_health.check(vault_id)
    except Exception as error:  # the catalog is unreachable or not configured here: not healthy, say why
        print(f"unhealthy: the catalog cannot be read ({type(error).__name__}: {str(error)[:200]}); run this on a "
              "control host with the control plane's environment")
        return EXIT_DAMAGE
    if health is None:
        raise UserError(f"no vault destination {vault_id} in the catalog (storage-backup vault destinations are "
                        "listed by GET /v1/destinations with vault: true)")
    print(health.line())
    return EXIT_OK if health.healthy else EXIT_DAMAGE


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="storage-backup", description="Storage backup: operator command line.")
    names = [g[0] for g in COMMAND_GROUPS] + ["vault-worker", "health"]
    groups = parser.add_subparsers(dest="group", metavar="{" + ",".join(names) + "}")
    common = _common()
    for name, help_text, add_commands in COMMAND_GROUPS:
        group = groups.add_parser(name, help=help_text)
        group.set_defaults(group_parser=group)
        add_commands(group.add_subparsers(dest="command", metavar="COMMAND"), common)
    vault = groups.add_parser("vault-worker", help="copy restore points into the air-gapped vault (on its side)")
    vault.add_argument("--config", required=True, metavar="FILE", help="the vault worker's config file (INI)")
    vault.add_argument("--once", action="store_true", help="one round: ask for work, grant, copy, report; print it")
    vault.set_defaults(handler=cmd_vault_worker)
    health = groups.add_parser("health", help="whether a worker answers (exit 0) or not (exit 1)")
    which = health.add_mutually_exclusive_group(required=True)
    which.add_argument("--worker", metavar="NODE_OR_QUEUE",
                       help="a worker's node name (proxy-nova@host) or a queue one must consume (proxy.nova, data)")
    which.add_argument("--vault", metavar="VAULT_ID",
                       help="a vault destination's id: whether its vault worker asked for work within "
                            "STORAGE_BACKUP_VAULT_SILENT_AFTER (read from the catalog, on a control host)")
    health.add_argument("--timeout", type=float, metavar="S",
                        default=float(os.environ.get("STORAGE_BACKUP_HEALTH_TIMEOUT", "5")),
                        help="seconds to wait for the broker and the worker (STORAGE_BACKUP_HEALTH_TIMEOUT, 5)")
    health.set_defaults(handler=cmd_health)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        (getattr(args, "group_parser", None) or parser).print_help(sys.stderr)
        return EXIT_USAGE
    from storage_backup.repository import RepositoryError

    try:
        return handler(args)
    except (UserError, RepositoryError) as error:
        print(f"storage-backup: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as error:
        where = f" ({error.filename})" if error.filename else ""
        print(f"storage-backup: error: {error.strerror or error}{where}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("storage-backup: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
