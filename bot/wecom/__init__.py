"""WeCom (企业微信): the callback endpoint, its encrypted messages, the API client, replies as
text and cards."""
