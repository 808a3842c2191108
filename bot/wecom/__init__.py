"""WeCom (企业微信), both ways in: the self-built app behind an encrypted HTTP callback (this
package's modules) and the smart bot over its long connection (``smartbot``), which share how a
card's buttons name their answer and how long text is cut (``render``)."""
