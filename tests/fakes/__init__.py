"""Local servers that speak the real protocols of Slack, WeCom, Tencent Cloud and mail."""
