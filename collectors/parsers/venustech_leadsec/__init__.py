"""``venustech.leadsec``: Venustech group 网御 Leadsec (``devid= date= dname= logtype=``)."""

from collectors.parsers.venustech_leadsec.parser import LeadsecParser

__all__ = ["LeadsecParser"]
