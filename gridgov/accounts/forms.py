from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm


class LoginForm(AuthenticationForm):
    username = forms.CharField(label="用户名或手机号", max_length=150)
    password = forms.CharField(label="密码", strip=False, widget=forms.PasswordInput)

    error_messages = {
        "invalid_login": "用户名/手机号或密码错误",
        "inactive": "该账号已停用",
        "locked": "密码错误次数过多，账号已锁定，请%(minutes)s分钟后再试",
    }

    def clean(self):
        try:
            return super().clean()
        except forms.ValidationError:
            if getattr(self.request, "gridgov_locked_user", None) is not None:
                from django.conf import settings

                raise forms.ValidationError(
                    self.error_messages["locked"],
                    code="locked",
                    params={"minutes": settings.GRIDGOV_LOGIN_LOCK_MINUTES},
                ) from None
            raise
