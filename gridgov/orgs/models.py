from __future__ import annotations

from django.conf import settings
from django.db import models

from gridgov.core.masking import mask_phone


class OrgKind(models.TextChoices):
    DEPARTMENT = "department", "部门"
    PROPERTY = "property", "物业公司"
    UNIT = "unit", "驻区单位/企业"
    MERCHANT = "merchant", "爱心商户"
    SOCIAL = "social", "社会组织"
    PARTY = "party", "党组织"
    TEAM = "team", "志愿服务队"


# Kinds that always handle cases; units and social organisations only with handles_cases.
CASE_HANDLING_KINDS = (OrgKind.DEPARTMENT, OrgKind.PROPERTY)
CASE_HANDLING_OPT_IN_KINDS = (OrgKind.UNIT, OrgKind.SOCIAL)


class PartyLevel(models.TextChoices):
    COMMITTEE = "committee", "党委"
    GENERAL_BRANCH = "general_branch", "党总支"
    BRANCH = "branch", "党支部"
    GROUP = "group", "党小组"


# A party organisation may only sit under a higher level (党委 > 党总支 > 党支部 > 党小组).
PARTY_LEVEL_RANK = {
    PartyLevel.COMMITTEE: 0,
    PartyLevel.GENERAL_BRANCH: 1,
    PartyLevel.BRANCH: 2,
    PartyLevel.GROUP: 3,
}


class Organisation(models.Model):
    kind = models.CharField("类型", max_length=16, choices=OrgKind.choices)
    name = models.CharField("名称", max_length=100)
    # The place the organisation is registered under: what scopes it (a street department
    # sits on the street, a grid's volunteer team on the grid).
    place = models.ForeignKey(
        "places.Place", verbose_name="所属地点", on_delete=models.PROTECT, related_name="organisations"
    )
    # Places it serves: estates a property company manages, places a party branch covers.
    places = models.ManyToManyField(
        "places.Place", verbose_name="服务范围", blank=True, related_name="served_by"
    )
    parent = models.ForeignKey(
        "self",
        verbose_name="上级组织",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    party_level = models.CharField("党组织层级", max_length=16, choices=PartyLevel.choices, blank=True)
    leader = models.ForeignKey(
        "people.Resident",
        verbose_name="负责人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    contact_name = models.CharField("联系人", max_length=50, blank=True)
    # The contact's number is personal data like a resident's phone (a merchant's is their own
    # mobile): encrypted, shown masked, in full only through the audited reveal.
    contact_phone_enc = models.TextField("联系电话（加密）", blank=True)
    contact_phone_last4 = models.CharField("联系电话后四位", max_length=4, blank=True)
    address = models.CharField("地址", max_length=200, blank=True)
    description = models.TextField("简介", blank=True)
    is_active = models.BooleanField("有效", default=True)
    # Departments and property companies always take cases; another unit (a commercial
    # operator, a health station) only when this is set, so a school or an opera troupe is
    # never offered as a handler.
    handles_cases = models.BooleanField("承办事件", default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Not a column: set by orgs.api for the detail answer.
    api_members: list[OrgMember]

    class Meta:
        verbose_name = "组织"
        verbose_name_plural = "组织"
        ordering = ["kind", "id"]
        constraints = [models.UniqueConstraint(fields=["kind", "place", "name"], name="org_unique_name")]

    def __str__(self) -> str:
        return self.name

    @property
    def contact_phone_masked(self) -> str:
        return mask_phone(self.contact_phone_last4)


class OrgMember(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="members")
    resident = models.ForeignKey(
        "people.Resident", null=True, blank=True, on_delete=models.PROTECT, related_name="org_memberships"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="org_memberships",
    )
    role = models.CharField("职务", max_length=40, blank=True, default="成员")
    joined_on = models.DateField("加入日期", null=True, blank=True)
    left_on = models.DateField("退出日期", null=True, blank=True)

    class Meta:
        verbose_name = "组织成员"
        verbose_name_plural = "组织成员"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(resident__isnull=False) | models.Q(user__isnull=False),
                name="orgmember_has_person",
            )
        ]

    def __str__(self) -> str:
        return f"{self.resident or self.user}（{self.role}）"
