"""Mirrored traffic: pcap/pcapng files and captured packets → flows, DNS, HTTP and TLS events.

``pcapfile`` reads capture files, ``dissect`` decodes link, network and transport headers,
``flows`` keeps the flow table (with Community IDs), ``dns``/``http``/``tls`` read the
application messages. All pure: bytes in, events out; errors are counted, never raised.
"""
