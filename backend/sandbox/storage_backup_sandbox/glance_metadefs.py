# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Glance metadata definitions (metadefs) the sandbox serves: a few of Glance's own ``etc/metadefs`` namespaces.

Horizon's "Update Metadata" dialogs list namespaces per resource type and fail on an empty catalogue, so the
sandbox ships real ones (copied from Glance's repository, Apache-2.0).
"""
# fmt: off
NAMESPACES = [{'namespace': 'OS::Compute::Watchdog',
  'display_name': 'Watchdog Behavior',
  'description': 'Compute drivers may enable watchdog behavior over instances.  See: '
                 'http://docs.openstack.org/admin-guide/compute-flavors.html',
  'visibility': 'public',
  'protected': True,
  'resource_type_associations': [{'name': 'OS::Glance::Image', 'prefix': 'hw_'},
                                 {'name': 'OS::Cinder::Volume', 'prefix': 'hw_', 'properties_target': 'image'},
                                 {'name': 'OS::Nova::Flavor', 'prefix': 'hw:'}],
  'properties': {'watchdog_action': {'title': 'Watchdog Action',
                                     'description': 'For the libvirt driver, you can enable and set the behavior '
                                                    'of a virtual hardware watchdog device for each flavor. '
                                                    'Watchdog devices keep an eye on the guest server, and carry '
                                                    'out the configured action, if the server hangs. The '
                                                    'watchdog uses the i6300esb device (emulating a PCI Intel '
                                                    '6300ESB). If hw_watchdog_action is not specified, the '
                                                    'watchdog is disabled. Watchdog behavior set using a '
                                                    "specific image's properties will override behavior set "
                                                    'using flavors.',
                                     'type': 'string',
                                     'enum': ['disabled', 'reset', 'poweroff', 'pause', 'none']}}},
 {'display_name': 'Common Operating System Properties',
  'namespace': 'OS::OperatingSystem',
  'description': 'Details of the operating system contained within this image as well as common operating system '
                 'properties that can be set on a VM instance created from this image.',
  'protected': True,
  'resource_type_associations': [{'name': 'OS::Glance::Image'},
                                 {'name': 'OS::Cinder::Volume', 'properties_target': 'image'}],
  'properties': {'os_distro': {'title': 'OS Distro',
                               'description': 'The common name of the operating system distribution in lowercase '
                                              '(uses the same data vocabulary as the libosinfo project). Specify '
                                              'only a recognized value for this field. Deprecated values are '
                                              'listed to assist you in searching for the recognized value.',
                               'type': 'string'},
                 'os_version': {'title': 'OS Version',
                                'description': 'Operating system version as specified by the distributor. (for '
                                               "example, '11.10')",
                                'type': 'string'},
                 'os_admin_user': {'title': 'OS Admin User',
                                   'description': 'The name of the user with admin privileges.',
                                   'type': 'string'}}},
 {'namespace': 'OS::Compute::RandomNumberGenerator',
  'display_name': 'Random Number Generator',
  'description': 'If a random-number generator device has been added to the instance through its image '
                 'properties, the device can be enabled and configured.',
  'visibility': 'public',
  'protected': True,
  'resource_type_associations': [{'name': 'OS::Nova::Flavor'}],
  'properties': {'hw_rng:allowed': {'title': 'Random Number Generator Allowed',
                                    'description': '',
                                    'type': 'boolean'},
                 'hw_rng:rate_bytes': {'title': 'Random number generator limits.',
                                       'description': 'Allowed amount of bytes that the guest can read from the '
                                                      "host's entropy per period.",
                                       'type': 'integer'},
                 'hw_rng:rate_period': {'title': 'Random number generator read period.',
                                        'description': 'Duration of the read period in milliseconds.',
                                        'type': 'integer'}}},
 {'namespace': 'OS::Cinder::Volumetype',
  'display_name': 'Cinder Volume Type',
  'description': 'The Cinder volume type configuration option. Volume type assignment provides a mechanism not '
                 'only to provide scheduling to a specific storage back-end, but also can be used to specify '
                 'specific information for a back-end storage device to act upon.',
  'visibility': 'public',
  'protected': True,
  'resource_type_associations': [{'name': 'OS::Glance::Image', 'prefix': 'cinder_'}],
  'properties': {'img_volume_type': {'title': 'Image Volume Type',
                                     'description': 'Specifies the volume type that should be applied during new '
                                                    'volume creation with a image. This value is passed to '
                                                    'Cinder when creating a new volume. Priority of volume type '
                                                    'related parameters are 1.volume_type(via API or CLI), '
                                                    '2.cinder_img_volume_type, 3.default_volume_type(via '
                                                    'cinder.conf). If not specified, volume_type or '
                                                    'default_volume_type will be referred based on their '
                                                    'priority.',
                                     'type': 'string'}}}]

# Glance's etc/metadefs/software-webservers.json (abridged to two of its objects). It is the stock namespace that
# associates with OS::Nova::Server: Horizon's Launch Instance dialog asks for the server's namespaces and fails
# ("max_workers must be greater than zero") when there is none.
NAMESPACES.append({
    'namespace': 'OS::Software::WebServers',
    'display_name': 'Web Servers',
    'description': 'A web server is a computer system that processes requests via HTTP, the basic network protocol '
                   'used to distribute information on the World Wide Web. The most common use of web servers is '
                   'to host websites, but there are other uses such as gaming, data storage, running enterprise '
                   'applications, handling email, FTP, or other web uses. (http://en.wikipedia.org/wiki/Web_server)',
    'visibility': 'public',
    'protected': True,
    'resource_type_associations': [{'name': 'OS::Glance::Image'},
                                   {'name': 'OS::Cinder::Volume', 'properties_target': 'image'},
                                   {'name': 'OS::Nova::Server', 'properties_target': 'metadata'}],
    'objects': [
        {'name': 'Apache HTTP Server',
         'description': 'The Apache HTTP Server, colloquially called Apache, is a Web server application notable '
                        'for playing a key role in the initial growth of the World Wide Web. Apache is developed '
                        'and maintained by an open community of developers under the auspices of the Apache '
                        'Software Foundation. (http://en.wikipedia.org/wiki/Apache_HTTP_Server)',
         'properties': {'sw_webserver_apache_version': {'title': 'Version',
                                                        'description': 'The specific version of Apache.',
                                                        'type': 'string'},
                        'sw_webserver_apache_http_port': {'title': 'HTTP Port',
                                                          'description': 'The configured TCP/IP port on which '
                                                                         'the web server listens for incoming '
                                                                         'HTTP connections.',
                                                          'type': 'integer', 'minimum': 1, 'maximum': 65535,
                                                          'default': 80}}},
        {'name': 'Nginx',
         'description': 'Nginx (pronounced "engine-x") is an open source reverse proxy server for HTTP, HTTPS, '
                        'SMTP, POP3, and IMAP protocols, as well as a load balancer, HTTP cache, and a web server '
                        '(origin server). (http://en.wikipedia.org/wiki/Nginx)',
         'properties': {'sw_webserver_nginx_version': {'title': 'Version',
                                                       'description': 'The specific version of Nginx.',
                                                       'type': 'string'},
                        'sw_webserver_nginx_http_port': {'title': 'HTTP Port',
                                                         'description': 'The configured TCP/IP port on which '
                                                                        'the web server listens for incoming '
                                                                        'HTTP connections.',
                                                         'type': 'integer', 'minimum': 1, 'maximum': 65535,
                                                         'default': 80}}},
    ],
})
