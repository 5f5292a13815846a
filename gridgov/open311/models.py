"""What an Open311 client sent beyond the case itself (GeoReport v2 request fields)."""

from __future__ import annotations

from django.db import models


class Open311Request(models.Model):
    case = models.OneToOneField("cases.Case", on_delete=models.CASCADE, related_name="open311")
    # A picture the client already hosts; shown back as the request's media_url.
    media_url = models.URLField("图片地址", max_length=500, blank=True)
    account_id = models.CharField("客户端账号", max_length=100, blank=True)
    device_id = models.CharField("设备标识", max_length=100, blank=True)
    # Personal data: kept encrypted, never returned by GET requests.
    email_enc = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "Open311请求"
        verbose_name_plural = "Open311请求"

    def __str__(self) -> str:
        return f"Open311 {self.case_id}"
