from __future__ import annotations

# code, name, description — the special groups every community tracks (seed 000, DESIGN §2).
DEFAULT_TAGS: list[tuple[str, str, str]] = [
    ("living-alone-elderly", "独居老人", "60岁以上独自居住"),
    ("empty-nest-elderly", "空巢老人", "子女不在身边的老人"),
    ("oldest-old", "高龄老人", "80岁以上"),
    ("disabled", "残疾人", "持有残疾人证"),
    ("low-income", "困难户/低保", "低保、特困、低收入家庭"),
    ("left-behind-child", "留守儿童", "父母外出务工的未成年人"),
    ("veteran", "退役军人", ""),
    ("community-correction", "矫正对象", "社区矫正人员"),
    ("childbearing-age-woman", "育龄妇女", "15-49岁女性"),
    ("pregnant", "孕产妇", ""),
]
