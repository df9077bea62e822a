# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The configuration files of the genuine OpenStack services (``cloud.GenuineCloud`` writes them).

Pitfalls measured on these machines and why each setting is here are in ``tools/genuine/README.md``.
"""
from __future__ import annotations

PASSWORD = "genuine-secret"
# Policies as 2024.1 deploys them by default would refuse a member's project-scoped calls that the product makes as
# the operator's service account in the tenant's project; the tier runs the services' legacy defaults, as most
# 2024.1 clouds still do (enforce_new_defaults is off in Cinder and Glance too).
POLICY = "[oslo_policy]\nenforce_new_defaults = false\nenforce_scope = false\n"


def _auth(ports: dict, user: str, authtoken: bool = True) -> str:
    keystone = f"http://127.0.0.1:{ports['keystone']}/v3"
    lines = [f"www_authenticate_uri = {keystone}"] if authtoken else []
    lines += [f"auth_url = {keystone}", "auth_type = password", "project_domain_name = Default",
              "user_domain_name = Default", "project_name = service", "region_name = RegionOne",
              f"username = {user}", f"password = {PASSWORD}"]
    if authtoken:
        lines.append("service_token_roles_required = true")
    return "\n".join(lines) + "\n"


def keystone(base: str, db: str) -> str:
    return f"""[DEFAULT]
log_file = {base}/logs/keystone.log
[database]
connection = {db}
[token]
provider = fernet
expiration = 86400
[fernet_tokens]
key_repository = {base}/data/keystone/fernet-keys
[fernet_receipts]
key_repository = {base}/data/keystone/fernet-keys
[credential]
key_repository = {base}/data/keystone/credential-keys
[cache]
# without a cache every token validation costs about a second of CPU here
enabled = true
backend = dogpile.cache.memory
{POLICY}"""


def glance(base: str, db: str, ports: dict) -> str:
    return f"""[DEFAULT]
log_file = {base}/logs/glance-api.log
bind_host = 127.0.0.1
bind_port = {ports['glance']}
enabled_backends = fs:file
worker_self_reference_url = http://127.0.0.1:{ports['glance']}
public_endpoint = http://127.0.0.1:{ports['glance']}
[database]
connection = {db}
[glance_store]
default_backend = fs
[fs]
filesystem_store_datadir = {base}/data/glance/images
[os_glance_staging_store]
filesystem_store_datadir = {base}/data/glance/staging
[os_glance_tasks_store]
filesystem_store_datadir = {base}/data/glance/tasks
[paste_deploy]
flavor = keystone
[keystone_authtoken]
{_auth(ports, 'glance')}[oslo_concurrency]
lock_path = {base}/data/glance/locks
[image_cache]
image_cache_dir = {base}/data/glance/cache
{POLICY}"""


def cinder(base: str, venv: str, db: str, ports: dict, transport: str, zones: tuple[str, ...]) -> str:
    # No rbd_user: the tier's Ceph runs without cephx, and with a user os-brick insists on reading
    # /etc/ceph/ceph.client.<user>.keyring when Cinder attaches a volume to itself (upload to image), a file the
    # tier must not write. One RBD backend per availability zone, on the same pool: a volume service per AZ, as
    # clouds with AZ-local storage run it (backend_availability_zone), so volumes are created in either zone.
    backends = "\n".join(f"""[ceph-{zone}]
volume_driver = cinder.volume.drivers.rbd.RBDDriver
volume_backend_name = ceph-{zone}
backend_availability_zone = {zone}
rbd_pool = volumes
rbd_ceph_conf = {base}/ceph/ceph.conf
rbd_secret_uuid = 5f3a5a2c-6b5e-4f55-9a8e-1d0b6c1e2a11
rbd_flatten_volume_from_snapshot = false
report_discard_supported = true
""" for zone in zones)
    return f"""[DEFAULT]
log_dir = {base}/logs
state_path = {base}/data/cinder
host = genuine
my_ip = 127.0.0.1
transport_url = {transport}
auth_strategy = keystone
enabled_backends = {",".join(f"ceph-{zone}" for zone in zones)}
storage_availability_zone = {zones[0]}
default_availability_zone = {zones[0]}
osapi_volume_listen = 127.0.0.1
osapi_volume_listen_port = {ports['cinder']}
api_paste_config = {base}/etc/cinder/api-paste.ini
resource_filters_file = {base}/etc/cinder/resource_filters.json
rootwrap_config = {base}/etc/cinder/rootwrap.conf
report_interval = 5
periodic_interval = 10
service_down_time = 60
# the tier's modules share the demo project: room beyond Cinder's default 10 volumes
quota_volumes = 200
quota_snapshots = 200
quota_gigabytes = 2000
quota_groups = 50
[database]
connection = {db}
[keystone_authtoken]
{_auth(ports, 'cinder')}[nova]
{_auth(ports, 'nova', authtoken=False)}[service_user]
send_service_user_token = true
{_auth(ports, 'cinder', authtoken=False)}[oslo_concurrency]
lock_path = {base}/data/cinder/locks
[oslo_messaging_rabbit]
heartbeat_timeout_threshold = 0
[coordination]
backend_url = file://{base}/data/cinder/coordination
# Privileged helpers: the tier runs as root, so privsep's daemon starts directly (its default, "sudo cinder-rootwrap
# ... privsep-helper", finds neither the virtualenv's rootwrap through sudo's secure_path nor a config under /etc).
[cinder_sys_admin]
helper_command = {venv}/bin/privsep-helper --config-file {base}/etc/cinder/cinder.conf
[privsep_osbrick]
helper_command = {venv}/bin/privsep-helper --config-file {base}/etc/cinder/cinder.conf
{POLICY}
{backends}"""


def placement(base: str, db: str, ports: dict) -> str:
    return f"""[DEFAULT]
log_file = {base}/logs/placement-api.log
[placement_database]
connection = {db}
[api]
auth_strategy = keystone
[keystone_authtoken]
{_auth(ports, 'placement')}{POLICY}"""


def nova(base: str, venv: str, dbs: dict, ports: dict, transport: str) -> str:
    return f"""[DEFAULT]
log_dir = {base}/logs
state_path = {base}/data/nova
instances_path = {base}/data/nova/instances
my_ip = 127.0.0.1
transport_url = {transport}
compute_driver = storage_backup_genuine.DeviceViewDriver
enabled_apis = osapi_compute
rootwrap_config = {venv}/etc/nova/rootwrap.conf
report_interval = 5
service_down_time = 60
heal_instance_info_cache_interval = -1
# AZs come from host aggregates; an instance asked for none lands in the default one
default_availability_zone = nova
default_schedule_zone = nova
[api]
auth_strategy = keystone
[wsgi]
api_paste_config = {base}/etc/nova/api-paste.ini
[api_database]
connection = {dbs['nova_api']}
[database]
connection = {dbs['nova']}
[keystone_authtoken]
{_auth(ports, 'nova')}[service_user]
send_service_user_token = true
{_auth(ports, 'nova', authtoken=False)}[placement]
{_auth(ports, 'placement', authtoken=False)}[cinder]
os_region_name = RegionOne
# volumes of either zone attach to servers of either zone (real clouds allow it for the backup proxy's sake)
cross_az_attach = true
{_auth(ports, 'cinder', authtoken=False)}[glance]
region_name = RegionOne
[neutron]
{_auth(ports, 'nova', authtoken=False)}[scheduler]
discover_hosts_in_cells_interval = 10
workers = 1
[conductor]
workers = 1
[oslo_concurrency]
lock_path = {base}/data/nova/locks
[oslo_messaging_rabbit]
heartbeat_timeout_threshold = 0
[vnc]
enabled = false
[quota]
instances = 100
cores = 200
ram = 512000
{POLICY}"""


def nova_compute(base: str, host: str) -> str:
    """The second config file of one compute service: its host name (one compute per availability zone)."""
    return f"""[DEFAULT]
host = {host}
log_file = {base}/logs/nova-{host}.log
state_path = {base}/data/nova-{host}
instances_path = {base}/data/nova-{host}/instances
"""


def neutron(base: str, venv: str, db: str, ports: dict, transport: str) -> str:
    return f"""[DEFAULT]
log_file = {base}/logs/neutron-server.log
api_paste_config = {venv}/etc/neutron/api-paste.ini
bind_host = 127.0.0.1
bind_port = {ports['neutron']}
core_plugin = ml2
service_plugins = router
auth_strategy = keystone
transport_url = {transport}
# no agents and no Nova notifications: ports stay as the mechanism driver binds them
notify_nova_on_port_status_changes = false
notify_nova_on_port_data_changes = false
api_workers = 1
rpc_workers = 0
rpc_state_report_workers = 0
dhcp_agent_notification = false
[database]
connection = {db}
[keystone_authtoken]
{_auth(ports, 'neutron')}[nova]
{_auth(ports, 'nova', authtoken=False)}[oslo_concurrency]
lock_path = {base}/data/neutron/locks
[oslo_messaging_rabbit]
heartbeat_timeout_threshold = 0
[ml2]
type_drivers = flat,vxlan
tenant_network_types = vxlan
mechanism_drivers = genuine_bind
extension_drivers = port_security
[ml2_type_flat]
flat_networks = physnet1
[ml2_type_vxlan]
vni_ranges = 1:1000
[securitygroup]
enable_security_group = true
{POLICY}"""


WSGI = {
    "keystone": """import os, sys
sys.argv = sys.argv[:1]
os.environ.setdefault('OS_KEYSTONE_CONFIG_FILES', '{base}/etc/keystone/keystone.conf')
from keystone.server.wsgi import initialize_public_application
application = initialize_public_application()
""",
    "glance": """import os, sys
sys.argv = sys.argv[:1]
os.environ.setdefault('OS_GLANCE_CONFIG_DIR', '{base}/etc/glance')
from glance.common.wsgi_app import init_app
application = init_app()
""",
    "cinder": """import sys
sys.argv = [sys.argv[0], '--config-file', '{base}/etc/cinder/cinder.conf']
from cinder.wsgi.wsgi import initialize_application
application = initialize_application()
""",
    "placement": """import os, sys
sys.argv = sys.argv[:1]
os.environ.setdefault('OS_PLACEMENT_CONFIG_DIR', '{base}/etc/placement')
from placement.wsgi import init_application
application = init_application()
""",
    "nova": """import os, sys
sys.argv = sys.argv[:1]
os.environ.setdefault('OS_NOVA_CONFIG_DIR', '{base}/etc/nova')
from nova.api.openstack.compute.wsgi import init_application
application = init_application()
""",
}
