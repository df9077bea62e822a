"""The embedded cloud: a stand-in OpenStack (Keystone, Nova, Cinder, Glance, Neutron) over real HTTP.

Run it with ``python -m backend.sandbox --port P --state-dir DIR [--seed demo]``. See ``server.py`` for the URL
layout, ``state.py`` for persistence and status transitions, ``blockdev.py`` for where the bytes live.
"""
