# The two commands of the README, and a few more for developers.
#
#   make demo    bootstrap, then run the demo (Redis, embedded cloud, proxy workers, Horizon) until Ctrl-C;
#                `make demo VOLUMES=rbd` keeps the cloud's volumes in a local Ceph instead of sparse files
#   make test    bootstrap, then every test tier through tox, each one's time printed beside its budget
#
# tools/bootstrap.sh installs the missing Debian packages (apt-get) and .venv/ (pip); it is quick when done.
SHELL := /bin/bash
VENV := .venv
TOX := $(VENV)/bin/tox
# The tiers `make test` runs, in order, each a tox environment with its budget in minutes (tox.ini says what each
# holds). A tier taking more than half again its budget fails (tools/run_tiers.py); `make test TIERS=py3:4` runs
# one. ceph:10 is the Ceph tier (tests/ceph, RBD; object storage joins it); charms:2 the charms' state-transition
# tests and their workload build (charms/): 57.5 + 2 = 59.5 minutes in all (unit gets 4 of the 5 it may have, so
# that the two catalog tiers fit).
TIERS ?= pep8:0.5 py3:4 functional:15 functional-postgresql:1.5 functional-mariadb:1.5 faults:8 genuine:12 ceph:10 \
	browser:5 charms:2

.PHONY: bootstrap demo test pep8 py3 functional functional-postgresql functional-mariadb faults browser genuine ceph charms lint \
	messages \
	reliability \
	policy-files clean-demo bench

bootstrap:
	@bash tools/bootstrap.sh

# VOLUMES=rbd: the cloud's volumes in a local Ceph (tools/ceph/start.sh, bluestore on a sparse file in .demo/ceph).
VOLUMES ?= file
demo: bootstrap
	$(VENV)/bin/python tools/demo.py --volumes $(VOLUMES)

test: bootstrap
	@$(VENV)/bin/python tools/run_tiers.py $(TIERS)

pep8 py3 functional functional-postgresql functional-mariadb faults browser charms: bootstrap
	$(TOX) -e $@

# The product against the genuine OpenStack 2024.1 services (tools/genuine/README.md); its first run on a machine
# installs Ceph, RabbitMQ and a cached virtualenv of the services (tools/genuine/install.sh, about 2-6 minutes).
genuine: bootstrap
	$(TOX) -e genuine

# tests/ceph: one Ceph with cephx per run (tools/ceph/start.sh; tools/ceph/install.sh installs its packages first).
ceph: bootstrap
	$(TOX) -e ceph

# The fault matrix, then the README's Reliability table from its results (tools/reliability_table.py).
reliability: bootstrap
	$(TOX) -e faults
	$(VENV)/bin/python tools/reliability_table.py test-artifacts/reliability.json --readme README.md

# The data-path benchmark against borg and restic (installed here for the comparison); figures in bench/RESULTS.md.
# Then S3 on a Ceph RGW of its own against the filesystem destination, raw boto3 as the ceiling (bench/S3_RESULTS.md).
bench:
	@BOOTSTRAP_EXTRA_PACKAGES="borgbackup restic" bash tools/bootstrap.sh
	$(VENV)/bin/python bench/run.py --size 2G --repeat 3 --results test-artifacts/bench-results.md
	$(VENV)/bin/python bench/s3_throughput.py --size-gib 2 --repeat 2 --results test-artifacts/s3-results.md

lint: bootstrap
	$(VENV)/bin/ruff check .

# Translatable strings of the plugin -> locale/django.pot (see locale/README.md).
messages: bootstrap
	$(VENV)/bin/pybabel extract -F locale/babel-django.cfg --no-location --sort-output --project storage-backup-dashboard \
		-k gettext_lazy -k pgettext_lazy:1c,2 -k ngettext_lazy:1,2 -k _ -o locale/django.pot storage_backup_dashboard enabled

# Every policy file from the service's rules (backend/storage_backup/policies/): the service's policy.yaml.sample and
# the Horizon plugin's two files under storage_backup_dashboard/conf/ (tests/functional/policy fails when they are stale).
policy-files: bootstrap
	$(VENV)/bin/python tools/generate_policy_files.py

# The demo's state (cloud, volumes, sessions) lives in .demo/; this starts the next demo from scratch.
clean-demo:
	rm -rf .demo
