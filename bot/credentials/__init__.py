"""The SecretId/SecretKey check against Tencent Cloud (STS, CAM, essbasic) and
``esignbot check-credentials``."""
