"""``huawei.usg``: Huawei USG / HiSecEngine firewalls (VRP ``%%01MODULE/sev/MNEMONIC``)."""

from collectors.parsers.huawei_usg.parser import HuaweiUsgParser

__all__ = ["HuaweiUsgParser"]
