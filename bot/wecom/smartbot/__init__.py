"""WeCom's smart bot (企业微信智能机器人) over its long connection: single and group chats, no
public URL (``esignbot wecom --bot``; ``docs/wecom-bot-internals.md``)."""
