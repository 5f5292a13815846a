from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models

from gridgov.core.masking import mask_phone


class User(AbstractUser):
    display_name = models.CharField("姓名", max_length=50, blank=True)
    phone_enc = models.TextField(blank=True)
    phone_hash = models.CharField(max_length=64, null=True, blank=True, unique=True)
    phone_last4 = models.CharField(max_length=4, blank=True)
    resident = models.OneToOneField(
        "people.Resident",
        verbose_name="对应居民",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="user",
    )
    organisation = models.ForeignKey(
        "orgs.Organisation",
        verbose_name="所属单位",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="staff",
    )

    class Meta:
        verbose_name = "用户"
        verbose_name_plural = "用户"

    def __str__(self) -> str:
        return self.display_name or self.username

    @property
    def phone_masked(self) -> str:
        return mask_phone(self.phone_last4)


class Role(models.Model):
    code = models.SlugField("代码", max_length=40, unique=True)
    name = models.CharField("名称", max_length=40, unique=True)
    capabilities = models.JSONField("权限", default=list, blank=True)
    description = models.CharField("说明", max_length=200, blank=True)
    sort_order = models.PositiveSmallIntegerField(default=100)

    class Meta:
        verbose_name = "角色"
        verbose_name_plural = "角色"
        ordering = ["sort_order", "id"]

    def __str__(self) -> str:
        return self.name


class RoleAssignment(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="assignments")
    role = models.ForeignKey(Role, on_delete=models.PROTECT, related_name="assignments")
    place = models.ForeignKey("places.Place", on_delete=models.PROTECT, related_name="role_assignments")
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    granted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "角色分配"
        verbose_name_plural = "角色分配"
        constraints = [models.UniqueConstraint(fields=["user", "role", "place"], name="assignment_unique")]

    def __str__(self) -> str:
        return f"{self.role}@{self.place}"


class ApiToken(models.Model):
    """Bearer token for the JSON API; only its hash is stored, the key is shown once."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField("名称", max_length=60)
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    # Not a column: the plain key, on the instance only in the answer that creates the token.
    key: str

    class Meta:
        verbose_name = "API令牌"
        verbose_name_plural = "API令牌"

    def __str__(self) -> str:
        return f"{self.name}（{self.prefix}…）"


class LoginGuard(models.Model):
    """Failed password logins, counted in the database so every process and every login path
    (the login page, the admin's) counts together.

    Key "pair:…" is one account (or one unknown login name) from one client address: reaching
    its limit blocks that pair only, so a stranger elsewhere cannot lock the real user out.
    Key "ip:…" is one client address over all names: it stops password spraying.
    Keys are keyed hashes, so the table lists neither login names nor addresses.
    """

    key = models.CharField(max_length=80, unique=True)
    failures = models.PositiveIntegerField(default=0)
    window_start = models.DateTimeField()
    locked_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "登录失败计数"
        verbose_name_plural = "登录失败计数"
        indexes = [models.Index(fields=["window_start"], name="login_guard_window")]

    def __str__(self) -> str:
        return f"{self.key[:12]}…: {self.failures}"
