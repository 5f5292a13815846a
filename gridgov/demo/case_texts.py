"""Words for the demo's cases: what residents report, what handlers answer, why cases were
rejected, escalated, called in or supervised.

Report texts for the top categories come from the triage evaluation set
(`gridgov/triage/data/eval_reports.jsonl`, written as residents write); the subcategories the
demo adds (lifts, theft, street vending, food safety) have their own below. `{b}` is the
building (聚江苑3栋), `{u}` the unit (2单元), `{e}` the estate, `{f}` a floor.

Texts, categories and answers go together per subcategory: a subcategory's deck holds only texts
`about` it, and a case's answer is picked for the category the case ended up in (`result_for`
with the case's own code), so 市场监管's answers only ever close food-safety cases.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path

import gridgov.triage

# code → (normal texts, urgent texts)
OWN_REPORTS: dict[str, tuple[list[str], list[str]]] = {
    "lift": (
        [
            "{b}{u}电梯又坏了，家里老人上下楼很困难，请物业尽快维修",
            "{b}电梯运行时异响很大，晃得厉害，大家都不敢坐",
            "{b}{u}电梯按钮失灵，按了好几次都不亮，门也关不严",
            "{b}电梯门关到一半又弹开，反复好几次，吓人",
            "{b}{u}电梯里的灯不亮，通风扇也坏了，闷得很",
            "{b}{u}电梯停在负一楼不上来，等了半个小时",
            "{b}电梯年检合格证过期两个月了还没换，物业说在办",
            "{b}电梯经常停在两层中间才开门，差一截台阶，老人容易绊倒",
            "{b}{u}电梯这个月坏了三次了，每次修好没几天又停",
        ],
        [
            "{b}{u}电梯卡在{f}楼不动了，里面关着人，打物业电话没人接！",
            "{b}电梯突然往下掉了一截，里面有老人和小孩，人被困住了",
            "刚才停电，{b}电梯里有人没出来，在里面喊救命",
        ],
    ),
    "theft": (
        [
            "{b}楼下停的电动车昨晚被偷了，车棚的监控好像是坏的",
            "{b}{u}有人家里被撬门入室盗窃，丢了现金和首饰，已报警，希望加强巡逻",
            "{e}地下车库好几辆车的车窗被砸，车里的东西被拿走了",
            "最近{e}连续有快递被人从门口拿走，怀疑是同一个人",
            "{b}楼道里的电动车电瓶被人偷了，这个月已经第三次了",
            "晚上有陌生人在{e}挨家挨户拉门把手，很吓人",
            "{b}一楼住户晾在外面的衣服和鞋子经常被人拿走",
        ],
        [
            "{b}{u}有人正在撬邻居家的门，现在人还在楼道里！",
        ],
    ),
    "street-vending": (
        [
            "{e}东门外每天傍晚有人摆摊卖菜，把人行道全占了",
            "{e}门口的烧烤摊晚上一直营业到凌晨，油烟大还占道",
            "{e}南门路口有流动水果车，堵得车都进不来",
            "早上六点多{e}门口就有人占道卖早餐，垃圾扔了一地",
            "商业街的店铺把货摆到人行道上，轮椅推不过去",
            "{e}门口路边有人占道洗车，污水流得满地都是",
            "{e}北门外的夜宵摊把桌椅摆到了马路上，车辆只能绕行",
        ],
        [],
    ),
    "food-safety": (
        [
            "{e}门口那家小吃店后厨很脏，吃了以后拉肚子",
            "商业街超市在卖过期的牛奶，生产日期好像被改过",
            "商业街那家卤味店没有健康证就在卖熟食",
            "{e}门口早餐摊炸油条的油看着发黑，怀疑是反复用的油",
            "{e}附近小饭馆的食材就放在地上，苍蝇乱飞",
            "菜市场有一家卖的猪肉没有检疫章",
            "{e}门口奶茶店用的水果都烂了还在用",
        ],
        [
            "在{e}门口的快餐店吃了盒饭，一家四口都上吐下泻，已经去医院了",
        ],
    ),
}

# Keywords that send a triage text to one of the demo's subcategories instead of its parent.
SUBCATEGORY_WORDS: dict[str, tuple[str, ...]] = {
    "lift": ("电梯",),
    "theft": ("偷", "盗", "撬"),
    "street-vending": ("摆摊", "占道", "摊贩", "流动摊"),
    # Food words only: "过期" alone also catches an expired fire extinguisher, which is not food.
    "food-safety": (
        "食品",
        "变质",
        "地沟油",
        "健康证",
        "拉肚子",
        "上吐下泻",
        "后厨",
        "食材",
        "检疫",
        "过期食品",
        "过期的牛奶",
        "反复用的油",
        "烂了还在用",
    ),
}
# Words that keep a text out of a subcategory whatever else it says: an expired extinguisher or
# a lift's overdue inspection is a fire-safety or lift case, never one for 市场监管.
SUBCATEGORY_NOT: dict[str, tuple[str, ...]] = {
    "food-safety": ("灭火器", "消防", "电梯", "年检", "燃气", "煤气"),
}

# Food safety is market order (市容秩序, with street vending), handled by 市场监管所: under 治安消防
# an expired fire extinguisher ("过期") was taken for food and closed by 市场监管 (issue 9, defect 9).
SUBCATEGORY_PARENTS: dict[str, str] = {
    "lift": "facility",
    "theft": "safety",
    "street-vending": "order",
    "food-safety": "order",
}


def about(code: str, text: str) -> bool:
    """Whether a report text is about the demo subcategory `code`: one of its words, none of the
    words that keep a text out of it."""
    return any(word in text for word in SUBCATEGORY_WORDS.get(code, ())) and not any(
        word in text for word in SUBCATEGORY_NOT.get(code, ())
    )


# What the handler answers: the subcategories' own words, else the first topic the report
# mentions, else a plain answer for its category.
RESULTS: dict[str, list[str]] = {
    "lift-urgent": [
        "被困人员已在15分钟内救出，无人受伤；维保单位查明是停电后平层故障，已修复并全面检查。",
        "物业和维保单位接报后20分钟到场，被困人员安全救出；故障部件已更换，电梯经检验后恢复运行。",
    ],
    "lift": [
        "物业已通知电梯维保单位到场检修，更换了门机控制板，电梯已恢复运行。",
        "维保单位更换了曳引钢丝绳和导靴，经试运行正常，异响已消除。",
        "已更换电梯按钮面板和照明灯，维保单位承诺每半月保养一次。",
    ],
    "theft": [
        "派出所已受理并调取周边监控，已加强夜间巡逻；物业已修复车棚监控。",
        "派出所已立案侦查，并在小区开展防盗宣传，提醒居民电动车加装防盗锁。",
        "嫌疑人已被派出所查获，被盗财物已发还失主。",
    ],
    "street-vending": [
        "城管中队已现场劝离占道摊贩，引导其到便民疏导点经营，将持续巡查。",
        "城管中队已对占道经营的店铺下达整改通知书，店外货物已全部收回。",
        "夜宵摊已按要求退回店内经营，城管中队晚间加强巡查。",
    ],
    "food-safety": [
        "市场监管所已现场检查，责令该店停业整改，问题商品已下架销毁并立案调查。",
        "市场监管所已检查该店证照，从业人员已补办健康证，后厨卫生已整改。",
        "市场监管所已抽检样品，并要求商户建立进货查验台账，将不定期复查。",
    ],
    "whistle": [
        "经城管、市场监管等部门联合整治，占道摊位已退回规定区域经营，消防通道已清空并设置禁停标识，将持续巡查。",
        "各部门联合检查后，违规商户已整改到位，油烟净化设施已安装，消防通道保持畅通。",
    ],
}
TOPIC_RESULTS: list[tuple[tuple[str, ...], str]] = [
    (("装修垃圾", "建筑垃圾"), "已找到倾倒的装修队，责令其当天自行清运，绿化带已恢复原样。"),
    (("垃圾",), "已联系保洁公司清运积存垃圾并对周边消杀，今后每天早晚各清运一次。"),
    (("堆", "杂物", "纸箱"), "已清理堆放的杂物，并在单元门口张贴了禁止堆放的提示，网格员每周巡查。"),
    (("下水道", "堵", "污水", "化粪池", "臭"), "已疏通堵塞的管道并清洗路面，物业将每季度检查一次。"),
    (("路灯", "灯不亮", "照明", "灯坏"), "已联系维修人员更换灯具和线路，现已恢复照明。"),
    (("漏水", "渗水", "水管"), "已会同物业查明漏水原因并完成维修，相关住户已签字确认。"),
    (("停水", "水压", "供水", "没水"), "已联系供水所检修加压设备，供水已恢复正常。"),
    (("停电", "跳闸", "电线"), "已联系供电所和物业电工检修线路，供电已恢复。"),
    (("消防通道",), "已清理消防通道内的车辆和杂物，设置了禁停标识，物业每天巡查。"),
    (("充电", "电动车", "飞线"), "已拆除私拉乱接的充电线，并劝导住户到集中充电桩充电。"),
    (("灭火器", "消防栓", "消防"), "已联系物业更换过期灭火器、补齐消防设施，并在楼道张贴了安全提示。"),
    (("井盖", "路面", "地砖", "坑洼"), "已修复破损的路面和井盖，施工期间设置了警示标志。"),
    (("门禁", "单元门"), "已更换损坏的单元门禁，住户门禁卡可正常使用。"),
    (
        ("噪音", "吵", "拖动", "广场舞", "音响", "装修"),
        "网格员上门沟通，当事人同意在规定时间以外不再发出噪音，双方表示接受。",
    ),
    (("狗", "宠物", "猫"), "经调解，养宠住户承诺出门拴绳、及时清理粪便，邻居表示接受。"),
    (("停车", "车位", "挡"), "已联系车主挪车，物业在该处划设了禁停线并加强巡查。"),
    (("树", "绿化", "草坪"), "已安排园林工人修剪树木、清理绿化带。"),
    (("工资", "欠薪"), "已协调劳动保障部门介入，施工方已承诺本月底前结清工资。"),
    (("居住证",), "已电话答复：办理居住证需携带身份证和租房合同到社区服务中心，5个工作日可领取。"),
    (("高龄", "津贴", "养老金"), "已电话答复：高龄津贴由社区代为申报，按月发放，需携带户口本和身份证。"),
    (("医保", "社保"), "已答复：医保缴费可在手机上办理，社区服务中心也可代办。"),
    (("老人", "独居", "行动不便"), "社区已上门走访，为老人申请了居家养老服务，志愿者每周上门两次。"),
    (("低保", "救助", "困难"), "已协助申请临时救助，救助金已发放到位。"),
    (("物业费", "收费", "公示"), "物业已作出书面说明，并承诺在公告栏公示收费和维保费用明细。"),
    (("保安", "门岗"), "物业已调整保安排班，门岗恢复24小时值守，夜间增加一次巡查。"),
]
GENERIC_RESULTS: dict[str, list[str]] = {
    "sanitation": ["已安排保洁人员清理干净，并请物业加强日常保洁巡查。"],
    "facility": ["已联系维修人员到场维修，现已恢复正常使用。"],
    "safety": ["已会同物业排除隐患，并在小区内开展了安全提示。"],
    "dispute": ["网格员和调解员上门调解，双方已达成一致。", "已组织双方当面沟通，问题已协商解决。"],
    "property": ["已督促物业公司整改，物业已上门处理并回复住户。"],
    "order": ["城管中队已现场处置，将持续巡查防止反弹。"],
    "welfare": ["社区已上门了解情况，并按政策提供了帮扶。"],
    "inquiry": ["已电话答复反映人，告知了办理地点、所需材料和办理时限。"],
    "suggestion": [
        "感谢您的建议，社区已记录并转相关单位研究，将在居民议事会上征求意见。",
        "建议已采纳，社区将纳入下季度“微实事”项目，征求居民意见后实施。",
    ],
    "other": ["已转相关单位处理，并电话告知了处理结果。"],
}


def result_for(code: str, text: str, choose) -> str:
    """The answer a handler writes for this report (`choose` picks from a list)."""
    if any(word in text for word in ("夸", "表扬", "感谢")):
        return "感谢您的肯定，已将表扬转达本人，并在社区公示栏通报表扬。"
    if code in RESULTS:
        return choose(RESULTS[code])
    if code not in ("inquiry", "suggestion") or any(w in text for w in ("居住证", "津贴", "医保", "社保")):
        for keywords, result in TOPIC_RESULTS:
            if any(word in text for word in keywords):
                return result
    return choose(GENERIC_RESULTS.get(code) or GENERIC_RESULTS["other"])


REJECT_REASONS = [
    "经核实，该问题属于业主与开发商之间的合同纠纷，建议通过法律途径解决。",
    "该问题近期已答复处理，属于重复反映，请查看之前的答复。",
    "反映地点不在本社区辖区，已告知拨打12345转属地处理。",
    "经网格员现场核实，未发现所反映的情况。",
    "所反映内容属于个人私事，不属于社区受理范围，已电话说明。",
]
RETURN_REASONS = [
    "该楼栋不属于本网格，请重新交办。",
    "需要动用专项维修资金，网格无法处置，请社区协调。",
    "属于物业服务合同范围，请交办物业公司。",
]
ESCALATE_REASONS = [
    "涉及多个部门，网格无法独立处置，请社区协调。",
    "需要业委会和物业共同决定，请社区出面协调。",
    "当事人拒不配合整改，请社区联合执法。",
]
WHISTLE_NOTES = [
    "夜市占道、油烟扰民和消防通道堵塞交织，请各部门到场联合处置。",
    "商铺占道经营并涉嫌无证销售熟食，请城管和市场监管联合检查。",
    "多次反映未解决，请相关部门到场会商处置方案。",
]
CALL_REPORTS: dict[str, list[str]] = {
    "城管": [
        "城管中队已到场，对占道摊位依法劝离，3处违规棚架已拆除。",
        "已到场处置，责令店主收回店外经营，下达了整改通知书。",
    ],
    "市场": [
        "市场监管所已检查2家餐饮店的证照和油烟净化设施，责令1家限期整改。",
        "已现场检查，无证经营的熟食摊已取缔，相关商品已封存。",
    ],
    "消防": ["消防救援站已检查消防通道，督促物业清除堵塞物并设置禁停标识。"],
    "派出所": ["派出所已派民警到场维持秩序，并对当事人进行了警示教育。"],
}
SUPERVISE_NOTES = [
    "群众多次反映，请于本周内办结并回复群众。",
    "请加快处置进度，明天上午报告进展。",
    "该问题已拖延较久，请网格长亲自跟进。",
]
PROGRESS_NOTES = [
    "已到现场查看，正在联系相关人员处理。",
    "已通知物业，预计明天上门维修。",
    "配件已订购，到货后马上更换。",
    "已电话联系反映人，约好明天上午上门。",
    "已找到当事人沟通，对方答应尽快整改。",
]
GOOD_COMMENTS = [
    "处理很及时，谢谢网格员！",
    "满意，问题解决了",
    "",
    "效率很高，点赞",
    "态度很好，谢谢",
    "",
    "辛苦了",
]
FAIR_COMMENTS = ["解决了，就是时间有点长", "基本解决了", ""]
BAD_COMMENTS = [
    "说是处理了，实际上还是老样子",
    "只来看了一眼就说办结了",
    "拖了这么久，问题还在",
]
AFTER_REOPEN_COMMENTS = ["这次真的解决了，谢谢", "重办后好多了", ""]
SPOTS = ["", "", "单元门口", "楼道", "楼下", "地下车库入口", "垃圾站旁", "东门", "南门", "小区广场"]


@lru_cache(maxsize=1)
def triage_reports() -> dict[tuple[str, str], list[str]]:
    """The evaluation set's texts by (category or demo subcategory, urgency)."""
    path = Path(gridgov.triage.__file__).parent / "data" / "eval_reports.jsonl"
    grouped: dict[tuple[str, str], list[str]] = {}
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if not line.strip():
                continue
            row = json.loads(line)
            code = row["category"]
            text = row["text"]
            for sub in SUBCATEGORY_WORDS:
                if SUBCATEGORY_PARENTS[sub] == code and about(sub, text):
                    code = sub
                    break
            grouped.setdefault((code, row["urgency"]), []).append(text)
    return grouped


def reports_for(code: str, urgency: str) -> list[str]:
    own_normal, own_urgent = OWN_REPORTS.get(code, ([], []))
    own = own_urgent if urgency == "urgent" else own_normal
    return own + triage_reports().get((code, urgency), [])


_BUILDING = re.compile(r"\d{1,2}(?:号)?栋")
_UNIT = re.compile(r"\d单元")


def localise(text: str, *, estate: str, building: str, unit: str, floor: int) -> str:
    """Fill the placeholders, and make a triage text's own "12栋" the case's building."""
    text = _BUILDING.sub(building.removeprefix(estate), text)
    text = _UNIT.sub(unit, text)
    return (
        text.replace("{b}", building).replace("{u}", unit).replace("{e}", estate).replace("{f}", str(floor))
    )
