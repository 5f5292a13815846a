"""The import file's columns: what a community already keeps, one row per resident."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from gridgov.core.sheets import csv_row, set_text, xlsx_row
from gridgov.people.models import PoliticalStatus, Relation, ResidenceStatus
from gridgov.places.models import ResidenceKind
from gridgov.transfer.models import ImportKind


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    help: str
    example: str
    width: int = 12
    text: bool = False  # Excel must keep it as text (ID numbers lose digits as numbers)
    choices: tuple[str, ...] = ()


COLUMNS: tuple[Column, ...] = (
    Column(
        "grid", "网格", "所属网格名称；导入到社区或更高层级时必填，导入到网格或更低层级时可不填", "第一网格"
    ),
    Column("estate", "小区", "小区、苑或街巷名称；没有小区的可不填", "聚江苑", 14),
    Column("building", "楼栋", "楼栋名称；不存在时自动创建", "1栋", 10),
    Column("unit", "单元", "单元名称；没有单元的可不填", "1单元", 10),
    Column("room", "房号", "房号，例如 101；同一楼栋（单元）内同一房号为同一户", "101", 8, text=True),
    Column(
        "residence_kind",
        "居住类型",
        "户的居住类型，不填为自住",
        "自住",
        10,
        choices=tuple(ResidenceKind.labels),
    ),
    Column("name", "姓名", "居民姓名，必填", "张建国", 10),
    Column("gender", "性别", "男或女；填写身份证号时可不填（由身份证号推出）", "男", 6, choices=("男", "女")),
    Column(
        "id_number",
        "身份证号",
        "18位身份证号；用于识别同一居民，重复导入时按身份证号更新而不会重复登记",
        "430102195001010018",
        22,
        text=True,
    ),
    Column("phone", "手机号", "11位手机号或带区号的座机", "13812345678", 14, text=True),
    Column("ethnicity", "民族", "不填为汉族", "汉族", 8),
    Column(
        "relation",
        "与户主关系",
        "户主、配偶、子女、父母、孙子女、祖父母、兄弟姐妹、租户、其他；不填时每户第一人为户主，其余为其他",
        "户主",
        12,
        choices=tuple(Relation.labels),
    ),
    Column(
        "residence_status",
        "户籍状态",
        "户籍、常住或流动；不填为户籍",
        "户籍",
        10,
        choices=tuple(ResidenceStatus.labels),
    ),
    Column(
        "political_status",
        "政治面貌",
        "群众、中共党员、预备党员、共青团员、民主党派；不填为群众",
        "中共党员",
        12,
        choices=tuple(PoliticalStatus.labels),
    ),
    Column("employment", "工作单位", "工作单位或职业", "退休", 18),
    Column("tags", "标签", "人群标签，多个用顿号“、”分隔，例如 独居老人、高龄老人", "独居老人、高龄老人", 20),
    Column(
        "moved_in", "迁入日期", "迁入本户的日期，格式 2020-05-01；不填为导入当天", "2010-05-01", 12, text=True
    ),
    Column("notes", "备注", "其他说明", "", 20),
)
BY_KEY = {column.key: column for column in COLUMNS}
BUILDING_KEYS = ("grid", "estate", "building", "unit", "room", "residence_kind", "notes")

REQUIRED: dict[str, tuple[str, ...]] = {
    ImportKind.RESIDENTS: ("building", "room", "name", "id_number"),
    ImportKind.BUILDINGS: ("building",),
}

# Other spellings found in real community spreadsheets.
ALIASES: dict[str, str] = {
    "所属网格": "grid",
    "网格名称": "grid",
    "小区名称": "estate",
    "苑": "estate",
    "小区/苑": "estate",
    "小区(苑)": "estate",
    "小区（苑）": "estate",
    "街巷": "estate",
    "楼号": "building",
    "楼栋号": "building",
    "栋": "building",
    "单元号": "unit",
    "房间号": "room",
    "门牌号": "room",
    "房屋类型": "residence_kind",
    "居住性质": "residence_kind",
    "居民姓名": "name",
    "身份证": "id_number",
    "身份证号码": "id_number",
    "公民身份号码": "id_number",
    "证件号码": "id_number",
    "联系电话": "phone",
    "电话": "phone",
    "手机": "phone",
    "手机号码": "phone",
    "联系方式": "phone",
    "与户主的关系": "relation",
    "户籍类型": "residence_status",
    "人口类型": "residence_status",
    "工作单位/职业": "employment",
    "职业": "employment",
    "人群标签": "tags",
    "特殊人群": "tags",
    "重点人群": "tags",
    "入住日期": "moved_in",
}


def header_key(header: object) -> str | None:
    text = "".join(str(header or "").split()).replace("*", "")
    for column in COLUMNS:
        if text == column.header:
            return column.key
    return ALIASES.get(text)


def columns_for(kind: str) -> tuple[Column, ...]:
    if kind == ImportKind.BUILDINGS:
        return tuple(BY_KEY[key] for key in BUILDING_KEYS)
    return COLUMNS


def required_headers(kind: str) -> list[str]:
    return [BY_KEY[key].header for key in REQUIRED[kind]]


def template_xlsx(kind: str) -> bytes:
    """The downloadable template: the data sheet first (what gets imported), then 填写说明."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    columns = columns_for(kind)
    required = set(REQUIRED[kind])
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "居民信息" if kind == ImportKind.RESIDENTS else "楼栋和户"
    bold = Font(bold=True)
    must = PatternFill("solid", fgColor="FDE68A")
    for index, column in enumerate(columns, start=1):
        cell = set_text(sheet.cell(row=1, column=index), column.header)
        cell.font = bold
        if column.key in required:
            cell.fill = must
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = column.width
        if column.text:
            # Format the whole column as text before anyone types: an ID number typed into a
            # number cell becomes 4.30102E+17 and its last digits are gone for good.
            sheet.column_dimensions[letter].number_format = "@"
        if column.choices:
            validation = DataValidation(
                type="list", formula1='"' + ",".join(column.choices) + '"', allow_blank=True
            )
            validation.error = f"{column.header}只能是：{'、'.join(column.choices)}"
            validation.errorTitle = "取值无效"
            sheet.add_data_validation(validation)
            validation.add(f"{letter}2:{letter}20000")
    sheet.freeze_panes = "A2"

    guide = workbook.create_sheet("填写说明")
    guide.append(xlsx_row(guide, ["列名", "是否必填", "填写说明", "示例"]))
    for cell in guide[1]:
        cell.font = bold
    for column in columns:
        guide.append(
            xlsx_row(
                guide,
                [column.header, "必填" if column.key in required else "选填", column.help, column.example],
            )
        )
    guide.append([])
    notes = [
        "1. 每行一位居民；同一户的多位居民各占一行，楼栋、单元、房号填写相同即为同一户。",
        "2. 只导入第一个工作表（本说明页不会被导入）；请不要修改表头，黄色底色的列为必填。",
        "3. 上传时选择“导入到”的地点（社区、网格、小区或楼栋），表中的网格、小区、楼栋、单元都在该地点之下查找，不存在的会自动创建。",
        "4. 导入前会逐行检查，列出每一个有问题的行、列和原因；您可以选择全部不导入，或只导入正确的行。",
        "5. 同一文件重复导入不会重复登记：居民按身份证号识别（没有身份证号的按户和姓名识别），户按楼栋、单元和房号识别；只有内容变化时才会更新。",
        "6. 身份证号、手机号、房号列请保持“文本”格式，否则Excel会把身份证号末尾几位变成0。",
        "7. 也可以上传CSV文件（UTF-8或GBK编码均可），列名与本表相同。",
    ]
    for line in notes:
        guide.append(xlsx_row(guide, [line]))
    guide.column_dimensions["A"].width = 14
    guide.column_dimensions["B"].width = 10
    guide.column_dimensions["C"].width = 70
    guide.column_dimensions["D"].width = 22
    for row in guide.iter_rows(min_row=2):
        row[2].alignment = Alignment(wrap_text=True, vertical="top")

    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def template_csv(kind: str) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerow(csv_row(column.header for column in columns_for(kind)))
    # The BOM makes Excel open the file as UTF-8 instead of the system code page.
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
