"""Findings from Tencent's emails: matched to a case, proposed, confirmed or dismissed by a
person."""
