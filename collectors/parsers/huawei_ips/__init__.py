"""``huawei.ips``: Huawei USG intrusion prevention (``%%01IPS/4/DETECT``)."""

from collectors.parsers.huawei_ips.parser import HuaweiIpsParser

__all__ = ["HuaweiIpsParser"]
