"""``zhonganwangmai.apt``: 中安网脉 APT detection sensor alerts (tab-separated, tag ``apt``)."""

from collectors.parsers.zhonganwangmai_apt.parser import ZhonganAptParser

__all__ = ["ZhonganAptParser"]
