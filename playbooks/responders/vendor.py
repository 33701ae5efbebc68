"""``huawei`` and ``h3c``: skeletons of adapters for the perimeter firewalls common on the extranet.

NOT VERIFIED AGAINST A REAL DEVICE. These adapters only plan: with ``dry_run`` (the default)
``block`` returns the exact CLI lines or request it would send, and with ``dry_run = false``
every call raises :class:`ResponderError`. The command syntax follows the vendors' public
command references; the RESTCONF resource and NETCONF wrapping are assumptions to be checked
against the device's own YANG/NETCONF schema. Whoever has a device can make one live: send the
plan over SSH (``system-view`` … ``return``) or HTTPS, read the result back, and add a test.

Huawei USG (USG6000/6000E series), ``protocol = "ssh"``:
    A single address becomes a blacklist entry, which the USG drops before policy::

        system-view
        firewall blacklist enable
        firewall blacklist item source-ip 198.51.100.7
        return

    lifted with ``undo firewall blacklist item source-ip 198.51.100.7``. The blacklist takes
    single addresses only, so a prefix becomes an entry of the address set ``address_set``
    (``address 198.51.100.0 mask 24``; IPv6 ``address 2001:db8:: 64``), which must be referenced
    by a deny rule the operator configures once, e.g.
    ``security-policy`` / ``rule name shaowang-block`` / ``source-address address-set <address_set>``
    / ``action deny``.

Huawei USG, ``protocol = "restconf"``:
    One RFC 8040 PATCH (merge) per block on the address set
    ``/restconf/data/huawei-address-set:address-set/addr-object=<address_set>`` with the element
    ``{"address-ipv4": "198.51.100.0/24"}`` (``address-ipv6`` for IPv6); unblocking DELETEs that
    element. Module, path and leaf names are modelled on Huawei's ``huawei-<feature>`` YANG naming
    and are the first thing to check against ``/restconf/data/ietf-yang-library:modules-state``.

H3C SecPath (Comware 7), ``protocol = "ssh"``:
    The address goes into the address object group ``address_set`` (IPv6: ``<address_set>-v6``),
    which is put on the blacklist, and the global blacklist is enabled::

        system-view
        object-group ip address shaowang-block
         network host address 198.51.100.7
         quit
        blacklist object-group shaowang-block
        blacklist global enable
        return

    A prefix is ``network subnet 198.51.100.0 255.255.255.0`` (IPv6 ``network subnet 2001:db8:: 64``);
    unblocking is ``undo network …`` in the same group.

H3C SecPath, ``protocol = "netconf"``:
    The same configuration lines inside Comware's NETCONF ``<CLI><Configuration>`` operation
    (NETCONF over SSH, port 830), sent as one ``<rpc>``.

Secrets: the password is never part of a plan, a handle or an error.
"""

from __future__ import annotations

import json
from abc import abstractmethod
from typing import Any, Generic, Literal, TypeVar
from urllib.parse import quote
from xml.sax.saxutils import escape

from pydantic import Field, SecretStr, ValidationError

from playbooks.responders.base import (
    BlockRequest,
    IPNetwork,
    ResponderBase,
    ResponderConfig,
    ResponderError,
    canonical_address,
)

__all__ = ["H3CConfig", "H3CResponder", "HuaweiConfig", "HuaweiResponder", "VendorConfig", "VendorResponder"]

HOST_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9.:_-]{0,252}$"
ADDRESS_SET_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,30}$"
DEFAULT_PORTS = {"ssh": 22, "restconf": 443, "netconf": 830}
HUAWEI_ADDRESS_SET_RESOURCE = "huawei-address-set:address-set/addr-object"  # assumed; see module doc
NETCONF_BASE = "urn:ietf:params:xml:ns:netconf:base:1.0"


class VendorConfig(ResponderConfig):
    """Settings shared by the vendor adapters: where the device is and how to log in."""

    host: str = Field(pattern=HOST_PATTERN, description="management address or name of the firewall")
    port: int | None = Field(
        default=None, ge=1, le=65535, description="default: 22 ssh, 443 restconf, 830 netconf"
    )
    username: str = Field(min_length=1)
    password: SecretStr
    address_set: str = Field(
        pattern=ADDRESS_SET_PATTERN, description="the device's address set / object group for blocked sources"
    )
    verify_tls: bool = Field(default=True, description="check the device's certificate (restconf)")
    timeout_s: float = Field(default=10.0, gt=0)
    protocol: str

    @property
    def effective_port(self) -> int:
        """The configured port, or the protocol's usual one."""
        return self.port if self.port is not None else DEFAULT_PORTS[self.protocol]


class HuaweiConfig(VendorConfig):
    """A Huawei USG: blacklist over SSH, or its address set over RESTCONF."""

    kind: Literal["huawei"] = "huawei"
    protocol: Literal["restconf", "ssh"] = "ssh"


class H3CConfig(VendorConfig):
    """An H3C SecPath: an address object group on the blacklist, over SSH or NETCONF."""

    kind: Literal["h3c"] = "h3c"
    protocol: Literal["netconf", "ssh"] = "ssh"


VendorConfigT = TypeVar("VendorConfigT", bound=VendorConfig)


class VendorResponder(ResponderBase[VendorConfigT], Generic[VendorConfigT]):
    """A planning-only adapter: ``dry_run`` returns the plan, anything live raises."""

    vendor: str = ""

    def block(self, request: BlockRequest) -> dict[str, Any]:
        """The plan for blocking ``request.address`` (``dry_run``); live, a :class:`ResponderError`."""
        if not self.dry_run:
            raise self.skeleton()
        return {"dry_run": True, **self.target(), "address": request.address, **self.plan_block(request)}

    def unblock(self, handle: dict[str, Any]) -> None:
        """Nothing to lift after a planned block; a live handle is a :class:`ResponderError`."""
        if handle.get("dry_run"):
            return
        raise self.skeleton()

    def blocked(self) -> list[str]:
        """Nothing is blocked by a dry run; live, a :class:`ResponderError`."""
        if not self.dry_run:
            raise self.skeleton()
        return []

    def unblock_plan(self, address: str) -> dict[str, Any]:
        """What lifting ``address`` would send, for an operator doing it by hand."""
        try:
            request = BlockRequest(address=address)
        except ValidationError as exc:
            raise self.error(f"not an address or prefix: {address!r}") from exc
        return {**self.target(), "address": request.address, **self.plan_unblock(request)}

    def target(self) -> dict[str, Any]:
        """Which device, and how."""
        config = self.config
        return {
            "vendor": self.vendor,
            "protocol": config.protocol,
            "host": config.host,
            "port": config.effective_port,
        }

    @abstractmethod
    def plan_block(self, request: BlockRequest) -> dict[str, Any]:
        """``{"commands": [...]}`` (and ``"requests"`` for HTTP) that would block ``request``."""

    @abstractmethod
    def plan_unblock(self, request: BlockRequest) -> dict[str, Any]:
        """Like :meth:`plan_block`, lifting the block."""

    def skeleton(self) -> ResponderError:
        """The refusal of every live call."""
        return self.error(
            f"the {self.vendor} adapter is a skeleton: not verified against a device; "
            "run with dry_run = true (it returns the exact plan) or contribute a verified "
            "implementation in playbooks/responders/vendor.py"
        )


class HuaweiResponder(VendorResponder[HuaweiConfig]):
    """Huawei USG: ``firewall blacklist item source-ip`` over SSH, the address set over RESTCONF."""

    config_model = HuaweiConfig
    vendor = "Huawei USG"

    def plan_block(self, request: BlockRequest) -> dict[str, Any]:
        if self.config.protocol == "restconf":
            return self._restconf("PATCH", request)
        network = request.network
        if network.prefixlen == network.max_prefixlen:
            lines = ["firewall blacklist enable", f"firewall blacklist item source-ip {request.address}"]
        else:
            lines = [
                f"ip address-set {self.config.address_set} type object",
                f" {_huawei_entry(network)}",
                " quit",
            ]
        return {"commands": ["system-view", *lines, "return"]}

    def plan_unblock(self, request: BlockRequest) -> dict[str, Any]:
        if self.config.protocol == "restconf":
            return self._restconf("DELETE", request)
        network = request.network
        if network.prefixlen == network.max_prefixlen:
            lines = [f"undo firewall blacklist item source-ip {request.address}"]
        else:
            lines = [
                f"ip address-set {self.config.address_set} type object",
                f" undo {_huawei_entry(network)}",
                " quit",
            ]
        return {"commands": ["system-view", *lines, "return"]}

    def _restconf(self, method: Literal["PATCH", "DELETE"], request: BlockRequest) -> dict[str, Any]:
        config = self.config
        name = config.address_set
        host = f"[{config.host}]" if ":" in config.host else config.host
        base = f"https://{host}:{config.effective_port}/restconf/data/{HUAWEI_ADDRESS_SET_RESOURCE}={quote(name)}"
        leaf = "address-ipv4" if request.version == 4 else "address-ipv6"
        prefix = str(request.network)  # always with its length: the leaf is a prefix
        if method == "DELETE":
            url = f"{base}/elements={quote(prefix, safe='')}"
            http: dict[str, Any] = {"method": method, "url": url}
            line = f"DELETE {url}"
        else:
            body = {"huawei-address-set:addr-object": [{"name": name, "elements": [{leaf: prefix}]}]}
            http = {"method": method, "url": base, "body": body}
            line = f"PATCH {base} {json.dumps(body, ensure_ascii=False, sort_keys=True)}"
        return {"commands": [line], "requests": [http]}


class H3CResponder(VendorResponder[H3CConfig]):
    """H3C SecPath: an address object group on the blacklist, over SSH or NETCONF."""

    config_model = H3CConfig
    vendor = "H3C SecPath"

    def plan_block(self, request: BlockRequest) -> dict[str, Any]:
        group = self._group(request.version)
        family = "ip" if request.version == 4 else "ipv6"
        lines = [
            f"object-group {family} address {group}",
            f" {_h3c_entry(request.network)}",
            " quit",
            f"blacklist object-group {group}",
            "blacklist global enable",
        ]
        return self._wrap(lines, "shaowang-block")

    def plan_unblock(self, request: BlockRequest) -> dict[str, Any]:
        family = "ip" if request.version == 4 else "ipv6"
        lines = [
            f"object-group {family} address {self._group(request.version)}",
            f" undo {_h3c_entry(request.network)}",
            " quit",
        ]
        return self._wrap(lines, "shaowang-unblock")

    def _group(self, version: int) -> str:
        return self.config.address_set if version == 4 else f"{self.config.address_set}-v6"

    def _wrap(self, lines: list[str], message_id: str) -> dict[str, Any]:
        if self.config.protocol == "ssh":
            return {"commands": ["system-view", *lines, "return"]}
        rpc = (
            f'<rpc message-id="{message_id}" xmlns="{NETCONF_BASE}">'
            f"<CLI><Configuration>{escape(chr(10).join(lines))}</Configuration></CLI>"
            "</rpc>"
        )
        return {"commands": [rpc]}


def _huawei_entry(network: IPNetwork) -> str:
    if network.version == 4:
        return f"address {network.network_address} mask {network.prefixlen}"
    return f"address {network.network_address} {network.prefixlen}"


def _h3c_entry(network: IPNetwork) -> str:
    if network.prefixlen == network.max_prefixlen:
        return f"network host address {canonical_address(network)}"
    if network.version == 4:
        return f"network subnet {network.network_address} {network.netmask}"
    return f"network subnet {network.network_address} {network.prefixlen}"
