"""通报 records (《国家网络安全事件报告管理办法》) with their deadline clock, and inbound notices."""
