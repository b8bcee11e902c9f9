"""Recovery codes of two-factor login. The authenticator app's secret is django-otp's TOTPDevice
(django_otp.plugins.otp_totp); a recovery code is ours, because django-otp's static tokens are
stored as typed and these are stored hashed (SHA-256 of a random 50-bit code, like API keys)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy


class RecoveryCode(models.Model):
    """One code of the set shown once at enrolment; each logs in once (`used_at`)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="recovery_codes",
        verbose_name=gettext_lazy("user"),
    )
    code_hash = models.CharField(max_length=64, verbose_name=gettext_lazy("code hash"))
    used_at = models.DateTimeField(null=True, blank=True, verbose_name=gettext_lazy("used at"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=gettext_lazy("created at"))

    class Meta:
        verbose_name = gettext_lazy("recovery code")
        verbose_name_plural = gettext_lazy("recovery codes")
        constraints = [models.UniqueConstraint(fields=["user", "code_hash"], name="recovery_code_once_per_user")]

    def __str__(self) -> str:
        return f"Recovery code of {self.user_id} ({'used' if self.used_at else 'unused'})"
