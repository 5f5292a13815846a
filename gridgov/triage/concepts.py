"""Concept groups: danger to life and property recognised by meaning, not by one exact phrase.

A resident in trouble does not write "起火"; they write "烟从窗户里往外冒", "配电箱一股烧焦的胶皮味",
"刘奶奶从早上到现在都冇开门". The administrators' phrase rules catch a phrase in one word order
only, so urgency is decided here first, by concept groups (fire and smoke, gas, electricity, water
bursting, people trapped, injury and illness, violence and crime, falling and collapsing things,
missing or unreachable people, open holes) combined with cues of *now* and of *people at risk*,
matched in any word order within a window, with negation, resolution and hypotheticals lowering it.

A pattern is a few slots, each a set of alternative words; it matches when one word of every slot
occurs within `window` characters of the others, in any order ("冒烟", "烟往外冒", "有烟冒出来").
Its weight says how bad the thing is on its own:

- 3 acute: an emergency by itself (着火, 被困在电梯里, 抽搐, 井盖不见了) unless negated or past;
- 2 danger: urgent with any cue of now, distress or people at risk (打架 + 有人, 烧焦味 + 滋滋响);
- 1 hazard: urgent only with both a cue of now and people at risk.

The same machinery carries the subcategory lexicon (电梯故障, 楼道堆物 …) and, through each concept's
home category, a hint for the category; the category cues (`CUES`: the management's own conduct,
dirt wherever it lies, building on shared ground, praise …) give such hints and nothing else. Everything here is plain data compiled once per process;
matching one report costs a few hundred `str.find` calls in C.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import pairwise, product

# How much each kind of cue adds to or takes from a hit's weight; a hit urgent at >= URGENT_AT.
URGENT_AT = 3
NOW_BONUS = 1
PEOPLE_BONUS = 1
PAST_PENALTY = 2
HYPOTHETICAL_PENALTY = 2
REGISTER_PENALTY = 1
# Negators must sit right before a hit ("没有冒烟", "不是着火"): a few characters, no punctuation.
NEGATION_REACH = 3
HYPOTHETICAL_REACH = 8
PAST_REACH = 14
# Combinations of occurrences tried per pattern: bounds the cost of a wall of repeated words.
MAX_COMBINATIONS = 64

_PUNCTUATION = re.compile(r"[，。！？!?；;、,.…~～\n]")


@dataclass(frozen=True)
class Pattern:
    slots: tuple[tuple[str, ...], ...]
    weight: int
    window: int
    slot_sets: tuple[frozenset[str], ...] = field(default=(), compare=False, repr=False)

    def __post_init__(self) -> None:
        # Sets for the quick rejection of a pattern none of whose first words occur.
        object.__setattr__(self, "slot_sets", tuple(frozenset(slot) for slot in self.slots))

    @property
    def label(self) -> str:
        return " + ".join(slot[0] for slot in self.slots)


@dataclass(frozen=True)
class Concept:
    code: str
    name: str  # what staff read: 火情, 燃气泄漏 …
    category: str  # the category such a report usually belongs to
    patterns: tuple[Pattern, ...]
    subcategory: str | None = None
    # Words that explain the danger words away (烧纸 makes smoke, 偏瘫 is not a stroke now).
    excuses: tuple[str, ...] = ()
    # Resolution cues that count for this concept; None = all of RESOLVED.
    resolutions: tuple[str, ...] | None = None


def _patterns(specs: Iterable[str], *, window: int = 10) -> tuple[Pattern, ...]:
    """Parse "烟|烟雾 + 冒|往外 :3 @8" into a Pattern: slots split on +, alternatives on |,
    the weight after the colon, an optional window after @."""
    out = []
    for spec in specs:
        body, _, tail = spec.partition(":")
        weight_text, _, window_text = tail.strip().partition("@")
        slots = tuple(
            tuple(word.strip() for word in slot.split("|") if word.strip())
            for slot in body.split("+")
            if slot.strip()
        )
        out.append(Pattern(slots, int(weight_text or 1), int(window_text) if window_text else window))
    return tuple(out)


# Danger concepts. Words are the normalized form (NFKC, lower case, no spaces); homophones and
# typos residents really type (着伙, 煤汽, 触点) sit beside the proper words.
DANGER: tuple[Concept, ...] = (
    Concept(
        "fire",
        "火情",
        "safety",
        _patterns(
            [
                "着火|起火|失火|火灾|着伙|失伙|火警|烧起来|烧着了|点着了|燃起来|火烧|大火|火势 :3",
                "火 + 窜|蹿|苗|蛮大|很大|好大|越来越大|在烧 :3 @6",
                "在烧|还在烧|烧得|烧了好几 :2 @4",
                "烟 + 冒|往外|窜|蹿|浓|呛|黑|全是|好大|很大|看不清|滚滚|飘|往上|往下 :3 @8",
                "冒烟|冒姻|浓烟|黑烟|烟雾 :3",
                "烧焦|焦糊|糊味|焦味|胶皮味|烧塑料|焦臭|橡胶 :1",
                "烧焦|焦糊|糊味|焦味|胶皮味|烧塑料|橡胶 + 浓|很大|好大|呛|重|冲 :2 @8",
                "烧焦|焦糊|糊味|焦味|胶皮味|烧塑料 + 配电|电箱|电表|电线|插座|线路|电缆|箱子|电瓶|电机 :2 @14",
                "烫|滋滋|噼里啪啦|噼啪|火星|冒火 + 配电|电箱|电表|电线|插座|线路|电缆|箱子 :2 @12",
                "锁|堵|出不去|下不去|走不了 + 烟|火 :2 @14",
            ]
        ),
        excuses=(
            "焚烧",
            "烧垃圾",
            "烧树叶",
            "烧落叶",
            "烧纸",
            "烧香",
            "烧烤",
            "熏腊肉",
            "鞭炮",
            "烟花",
            "拜佛",
            "抽烟",
            "烟民",
            "吸烟",
            "烧荒",
            "演习",
            "演练",
        ),
    ),
    Concept(
        "fire-spread",
        "火势蔓延",
        "safety",
        _patterns(
            [
                "火星|火苗|火 + 飞到|溅到|引燃|点燃|烧到|窜到|燎到 :3 @8",
                "草|树|车子|车|衣服|被子|窗帘|纸箱|杂物 + 也着了|着了|烧着了|燃起来了 :3 @6",
                # A cigarette end or a spark dropped into something that now smokes or burns (the fire
                # concept's excuse 抽烟 must not explain that away).
                "烟头|烟蒂|火星|蚊香 + 丢进|扔进|掉进|丢到|扔到|掉到|掉在|引燃|点燃 + 冒烟|冒火|着了|火苗|烧起来|在烧 :3 @24",
            ]
        ),
    ),
    Concept(
        "gas",
        "燃气泄漏",
        "safety",
        _patterns(
            [
                "煤气|燃气|天然气|液化气|煤汽|燃汽|沼气 + 味|漏|泄|嘶|喷|冲|臭|闻到 :3 @8",
                "煤气|燃气|天然气|液化气|煤汽|燃汽 + 嘶嘶|漏|裂|断 :3 @24",
                "漏气|嘶嘶 :2",
                # A pipe broken open by digging or a blow: the gas is escaping whatever the smell.
                "燃气管|煤气管|天然气管|气管|燃气管道 + 挖破|挖断|破了|被挖|撞断|撞破|冒气|往外冒 :3 @12",
                "冒气|往外冒气|呲呲|嗤嗤 + 燃气|煤气|天然气|臭|味 :2 @12",
            ]
        ),
    ),
    Concept(
        "electric",
        "触电漏电",
        "safety",
        _patterns(
            [
                "触电|触点|漏电|电到人|被电 :3",
                "电线|电缆|线路|电表箱|电箱 + 断|火花|冒火|泡水|滴水 :2 @10",
                "火花|冒火花|打火花 :1",
            ]
        ),
    ),
    Concept(
        "water",
        "爆管进水",
        "facility",
        _patterns(
            [
                "爆管|水管爆|管爆|管道破裂|水管破裂 :2",
                "水管|管子|管道|主水管|消防管 + 爆 :2 @6",
                "水管|管子|管道 + 破了|裂了 :1 @6",
                "水 + 冲|灌|漫|涌|淹|涨|瀑布|哗哗|喷 :1 @8",
                "淹了|淹到|进水了|倒灌|水漫 :2",
                "半腰|齐腰|齐胸 + 水|淹 :3 @8",
                # Water reaching electrics: flooding and live current together.
                "水 + 配电室|配电房|配电箱|电箱|电表箱|变压器 + 灌|漫|淹|进|流 :3 @16",
                # Water still rising somewhere people or their things are.
                "水|积水 + 还在涨|越涨越|越来越深|越来越高|漫进|漫上来|要泡|灌进 :2 @12",
            ]
        ),
    ),
    Concept(
        "trapped",
        "被困",
        "facility",
        _patterns(
            [
                "困人|被困|困住|困在|困了 :2",
                "关在|关着 :1",
                "电梯|电悌 + 困|关在|关着|出不去|打不开|救命|拍门 :3 @16",
                "电梯|电悌 + 卡|停|不动|坏 + 里面有人|里面还有人|没出来|冇出来|有人|在喊 :3 @20",
                "电梯|电悌 + 往下掉|掉了|坠|夹住 :3 @10",
                "卡在 + 里面|有人 :2 @14",
                # An open shaft: the doors open on nothing, the car is elsewhere.
                "轿厢 + 不在|没在|冇在|不见|没有|冇得 :3 @10",
                "电梯井|井道 + 敞开|开着|露着|没门|冇门|没有门|小孩|掉下去 :3 @16",
            ]
        ),
        subcategory="lift",
    ),
    Concept(
        "medical",
        "伤病急症",
        "welfare",
        _patterns(
            [
                "晕倒|昏倒|昏迷|不省人事|叫不醒|没有呼吸|冇得呼吸|没呼吸|口吐白沫|抽搐|抽筋|翻白眼|眼睛往上翻 :3",
                "喘不上气|喘不过气|呼吸困难|心脏病发|胸口痛|胸口疼|胸口好痛 :3",
                "半边身子 + 动不了|麻|不能动 :3 @6",
                "中风|说话不清 :2",
                "流血|出血|血流|头破|好多血|一地血|浑身是伤 :2",
                "受伤|伤到|摔倒|摔了|跌倒 :1",
                "夹人|夹住|夹到|轧到|压到 + 手|脚|人|小孩|孩子|婆婆|老人|头 :2 @10",
                "躺在地上|倒在地上|倒地|倒在路边 :2",
                "一动不动|叫不应|叫他也不应|叫她也不应|没反应|冇反应 + 躺|倒|地上 :3 @12",
                "摔倒|摔了|跌倒|倒在 + 起不来|爬不起来|不能动|动不了|出血|流血|不醒|叫不应 :3 @12",
                "高烧|发高烧|烧到四十|四十度|40度|39度 :1",
                "羊水破|要生了|早产 :3",
                "吃了 + 药|农药|老鼠药 + 不晓得|昏|多少 :2 @14",
                "喝了|吃了|喝下|吞了|误服|误食 + 农药|老鼠药|百草枯|敌敌畏|安眠药|消毒水|洗洁精|药水 :3 @8",
                "中毒|食物中毒|一氧化碳 :2",
                "制氧机|呼吸机|透析|吸氧 + 停|断|用不了|没电|冇电|撑 :3 @20",
                "120|救护车|急救 :1",
            ]
        ),
        excuses=("偏瘫", "瘫痪在床", "瘫在床", "出院", "半身不遂", "中风后", "后遗症"),
    ),
    Concept(
        "poisoning",
        "集体中毒",
        # Many people ill after one meal: food safety, whose parent is 市容秩序 (market supervision).
        "order",
        _patterns(
            [
                "全家|一家人|好几个人|多人|一家四口|全家都|一家人都 + 上吐下泻|中毒|拉肚子 :3 @8",
                # Many people ill together after eating: a canteen, a kindergarten, a banquet.
                "好多小孩|好几个小孩|几个小孩|好多孩子|好多人|好几个人|很多人|一群人|学生|一桌人 + 呕吐|吐了|在吐|"
                "上吐下泻|拉肚子|发烧|送医院|送医 :3 @20",
            ]
        ),
        subcategory="food-safety",
        resolutions=("没事了", "冇事了", "已处理", "解决了"),
    ),
    Concept(
        "chemical",
        "有毒污染",
        "sanitation",
        _patterns(["化学品|化学|农药|不明液体|有毒 + 倒|排|冒泡|变色|变红|死鱼|翻白|刺鼻 :2 @24"]),
    ),
    Concept(
        "violence",
        "暴力犯罪",
        "safety",
        _patterns(
            [
                "刀|斧头|棍子|棍|砖头|拿了酒瓶|拿着酒瓶|拿酒瓶 + 追|砍|打|威胁|血|伤|砸|捅 :3 @16",
                "持刀|拿刀|拿着刀|菜刀|斧头|砍人|砍死|捅人 :2",
                "抄起|拿起|操起|举起|举着|抡起 + 棍子|棍|刀|板凳|凳子|砖头|酒瓶|铁锹|扳手 :3 @8",
                "推推搡搡|推搡|扭打|揪打|掐架 :2",
                "拉车门|试车门|一辆一辆|挨个拉|撬车|砸车窗 + 还在|正在|现在|半夜|有人 :3 @24",
                "打架|打起来|斗殴|打人|打老婆|打得很|家暴|砸门|砸车|动手 :2",
                "抢劫|抢了|抢包|抢手机|被抢|抢走 :2",
                "撬|拧门|拉门把手|门把手|尝试开门|试门|翻进|翻窗 + 正在|还在|现在|一家一家|挨家|逐户|在楼 :3 @14",
                "贼|小偷|窃贼 + 还在|里面|正在|翻进|冇出来|没出来|在楼 :3 @24",
                "进贼|进了小偷 :2",
                "威胁|要杀|砍死你|弄死 :2",
                "跟踪|一直跟着|跟着我 + 不走|还在|楼下 :2 @16",
            ]
        ),
    ),
    Concept(
        "falling",
        "坠物坍塌",
        "safety",
        _patterns(
            [
                "扔下来|丢下来|掉下来|砸下来|抛下来|砸碎|砸在|砸到|砸中 + 差点|差一点|就差|脚边|前面|身边|人|小孩|老人 :2 @16",
                "砸伤|砸到人|砸中人|压到人|压住|埋了 :3",
                "掉下来|砸下来|掉下|砸在 + 离人|离我|离行人|一米远|几米远|擦身 :3 @20",
                "松了|松动|裂开 + 在晃|晃|要掉 :2 @8",
                "塌了|倒塌|坍塌|塌下来|塌陷|垮了|倒了一半 :2",
                "看着要倒|随时要掉|随时会掉|随时要倒|快要倒|要掉下来|快掉下来 :2",
                "摇摇欲坠|晃来晃去 :1",
                "电线杆|电杆|大树|树|广告牌|招牌|围墙|墙 + 歪|要倒|倒了|断了 :2 @8",
                "摇摇晃晃|摇摇欲坠|晃来晃去|晃得厉害|晃|要倒|要掉|快掉|吊着 + 行人|路人|很多人|好多人|人来人往|有人|小孩|等车|在走|幼儿园|学校|下面就是 :2 @24",
                "塔吊|脚手架|吊臂|吊车 + 晃|倒|塌|歪 :2 @8",
                "溜车|滑下来|吹倒|刮倒 :1",
            ]
        ),
    ),
    Concept(
        "missing",
        "走失失联",
        "welfare",
        _patterns(
            [
                "找不到妈妈|找不到家|人不见了 :3",
                "走丢|走失 :2",
                "说不清|讲不清|说不出 + 家在哪|住哪|家在哪里|住在哪 :3 @12",
                "没回家|没回来|冇回来|冇回家|不见了|关机 + 到现在|下午|晚上|天黑|小孩|孩子|老人|妈|爸 :2 @16",
                "冇开门|没开门|不开门|没出门|冇出门|没看到|冇看到|没见|冇见 + 早上|一天|两天|好几天|今天|昨天|到现在|平时 :2 @16",
                "敲门 + 冇人|没人|不应|冇反应|没反应|不开|无应答 :2 @10",
                # Someone inside who no longer answers.
                "喊|叫|敲门|拍门|打电话 + 不应|冇应|没应|冇动静|没动静|没反应|冇反应 :2 @12",
                "冇动静|没动静|没了动静|冇得动静 + 反锁|独居|一个人住|早上|老人|娭毑|嗲嗲|阿姨|奶奶|爷爷 :2 @20",
                "电话|手机 + 冇人接|没人接|无人接听|打不通|断了 :1 @10",
                "喊救命|在喊|在屋里喊|呼救 :2",
                "楼顶边|要跳|想跳|跳楼|轻生|想不开|栏杆外 :3",
                # Someone saying they mean to end their life, and cannot be reached or is alone.
                "不想活|活着没意思|活着没有意思|活不下去|寻死|自杀|割腕 + 打不通|联系不上|冇人接|没人接|一个人住|独居|"
                "刀片|遗书|告别|安眠药|找不到|门牌号 :3 @30",
                "不想活了|活着没意思|活不下去了|想自杀|要自杀|寻死|割腕 :2",
                "掉到水里|掉进水|落水|溺水|掉河里 :3",
            ]
        ),
    ),
    Concept(
        "hole",
        "井盖坑洞",
        "facility",
        _patterns(
            [
                "井盖|窨井盖|下水井盖|井该 + 不见|没了|冇得了|冇了|被偷|丢了|丢失|缺失|掀|露着|没有了|压碎|陷下去|塌 :3 @10",
                "洞|坑 + 黑咕隆咚|黑漆漆|好深|米深|掉下去|栽进|大洞|大坑 :2 @10",
            ]
        ),
    ),
    Concept(
        "distress",
        "呼救",
        "other",
        _patterns(["救命|快来人|快打119|打119|打110|快报警|出人命 :2"]),
    ),
)

# Words that contain a concept word without meaning it (抽烟 is not smoke from a fire).
MASKS: dict[str, tuple[str, ...]] = {
    "烟": (
        "抽烟",
        "烟头",
        "烟感",
        "油烟",
        "烟花",
        "香烟",
        "烟民",
        "烟酒",
        "吸烟",
        "烟灰",
        "烟囱",
        "烟草",
        "烟雾报警",
        "防烟",
        "烟熏",
        "烟味",
        "烟火",
    ),
    "烟雾": ("烟雾报警",),
    "火": (
        "火车",
        "火锅",
        "火腿",
        "发火",
        "火气",
        "上火",
        "火爆",
        "火柴",
        "打火机",
        "烟火",
        "防火",
        "火险",
        "熄火",
        "火燎",
        "灭火",
    ),
    "火灾": ("火灾险", "火灾隐患"),
    "着火": ("打不着火", "点不着火"),
    "关着": ("关着门", "门关着"),
    "在烧": ("在烧纸", "在烧垃圾", "在烧香", "在烧烤"),
    "走丢": ("狗走丢", "猫走丢", "走丢的", "防走丢"),
    "走失": ("防走失", "狗走失", "猫走失"),
    "不见了": ("看不见了",),
    # A card reader or an app that does not respond is not a person who does not.
    "没反应": (
        "刷卡没反应",
        "点了没反应",
        "按了没反应",
        "按键没反应",
        "按钮没反应",
        "点击没反应",
        "扫码没反应",
    ),
    "冇反应": ("刷卡冇反应", "点了冇反应", "按了冇反应", "按钮冇反应", "扫码冇反应"),
    # Not seeing a notice is not not seeing a person.
    "冇看到": ("冇看到通知", "冇看到公告", "冇看到告示", "冇看到消息"),
    "没看到": ("没看到通知", "没看到公告", "没看到告示", "没看到消息"),
    "刀": ("刀子嘴",),
    "棍": ("棍子捅",),
    "棍子": ("棍子捅",),
    "困了": ("困了就",),
    # Out of date but not food: fire equipment, medicine, papers.
    "过期": (
        "灭火器过期",
        "灭火气过期",
        "药过期",
        "药品过期",
        "过期药",
        "过期的药",
        "证过期",
        "卡过期",
        "过期作废",
    ),
    "尿": ("尿毒症", "糖尿病", "尿不湿", "尿布", "尿酸"),
    "痰": ("化痰", "痰多"),
}

# Cues. `NOW`: it is happening; `DISTRESS`: someone asks for help now; `PEOPLE`: someone is at risk.
NOW: tuple[str, ...] = (
    "正在",
    "刚才",
    "刚刚",
    "现在",
    "马上",
    "还在",
    "一直在",
    "此刻",
    "这会儿",
    "越来越",
    "仍在",
    "到现在",
    "从早上",
    "今天一天",
    "已经困",
    "分钟了",
    "个小时了",
    "半小时",
    "天黑了",
    "晚上看不到",
    "随时",
    "突然",
    "一直",
    "至今",
    "刚闻到",
    "刚看到",
    "刚发现",
    "刚回来",
    "快冇电",
    "快没电",
)
DISTRESS: tuple[str, ...] = (
    "救命",
    "快来",
    "快点",
    "赶紧",
    "赶快",
    "急急",
    "好急",
    "很急",
    "急死",
    "情况紧急",
    "119",
    "120",
    "110",
    "救护车",
    "吓死",
    "!!",
    "在哭",
    "哭喊",
    "不敢出去",
    "出不去",
    "下不去",
    "不晓得怎么办",
    "怎么办啊",
)
PEOPLE: tuple[str, ...] = (
    "有人",
    "人在",
    "里面",
    "老人",
    "老爷爷",
    "爷爷",
    "奶奶",
    "娭毑",
    "爹爹",
    "婆婆",
    "小孩",
    "孩子",
    "儿童",
    "学生",
    "孕妇",
    "一个人",
    "独居",
    "行人",
    "路人",
    "好多人",
    "很多人",
    "人来人往",
    "人多",
    "下面",
    "旁边有",
    "幼儿园",
    "头顶",
    "两个人",
    "瘫",
    "残疾",
    "我妈",
    "我爸",
    "老伴",
    "女儿",
    "儿子",
)
NEGATORS: tuple[str, ...] = ("没有", "冇得", "没", "冇", "不是", "并不", "无", "未", "不")
RESOLVED: tuple[str, ...] = (
    "灭了",
    "扑灭",
    "救出来",
    "救出",
    "修好",
    "盖好",
    "找到了",
    "送回来",
    "回来了",
    "没事了",
    "冇事了",
    "现在没事",
    "现在冇事",
    "现在好了",
    "已处理",
    "已经处理",
    "解决了",
    "送医院了",
    "送到医院",
    "已经送",
    "没有味道了",
    "冇味道了",
    "没有冒烟了",
    "没有烟了",
    "不冒了",
    "劝开了",
    "冇声音了",
    "没声音了",
    "又能动了",
    "围起来了",
    "没人受伤",
    "冇人受伤",
    "没有人受伤",
    "无人受伤",
    "去医院看了",
    "没骨折",
    "冇骨折",
    "没大碍",
    "冇大碍",
    "已经好了",
    "好多了",
    "搬出来了",
    "烧过",
    "烧坏",
    "熏黑",
    "烧毁",
    "以后",
)
PAST: tuple[str, ...] = (
    "上次",
    "上回",
    "去年",
    "以前",
    "之前",
    "前几天",
    "前天",
    "昨天",
    "昨晚",
    "上个月",
    "上礼拜",
    "上周",
    "曾经",
    "起过",
    "过一次",
    "那次",
)
HYPOTHETICAL_BEFORE: tuple[str, ...] = (
    "万一",
    "怕",
    "担心",
    "要是",
    "如果",
    "会不会",
    "容易",
    "以防",
    "防止",
    "预防",
    "迟早",
    "一旦",
    "假如",
    "免得",
    "小心",
    "不要等",
    "避免",
    "防范",
)
HYPOTHETICAL_AFTER: tuple[str, ...] = ("怎么办", "隐患", "的话", "风险", "演习", "演练", "怎么预防")
REGISTER: tuple[str, ...] = (
    "建议",
    "请问",
    "想问",
    "咨询",
    "希望",
    "能不能装",
    "能否",
    "表扬",
    "谢谢",
    "感谢",
)


# Subcategories: (code, name, parent category, patterns). A subcategory is suggested only when its
# parent is the suggested category, and only when one of its patterns matches: None when unsure.
SUBCATEGORY_SPECS: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    (
        "lift",
        "电梯故障",
        "facility",
        (
            "电梯|电悌|轿厢|梯 + 坏|停|困|卡|故障|维修|关|门|按钮|按扭|响|抖|晃|掉|灯|年检|维保|运行|冇得用|不能用|修 :2 @12",
        ),
    ),
    ("streetlight", "路灯", "facility", ("路灯|路等|灯杆 :2",)),
    ("outage", "停水停电", "facility", ("停水|停电|冇得水|没水|没电|冇电|来水|来电|跳闸|水压|电压 :2",)),
    (
        "leak",
        "漏水",
        "facility",
        ("漏水|渗水|滴水|水管 + 漏|破|爆|冒|滴|渗 :2 @8", "漏水|渗水|爆管|水管爆|漏雨 :2"),
    ),
    (
        "garbage",
        "垃圾清运",
        "sanitation",
        ("垃圾|拉圾|垃极 + 收|清运|运走|拖走|满|溢|冇人清|没人清|桶|站|房|车 :2 @10",),
    ),
    (
        "corridor-clutter",
        "楼道堆物",
        "sanitation",
        ("楼道|楼梯|楼到|通道|平台|楼梯间 + 堆|放|摆|杂物|纸箱|纸壳|家具|东西 :2 @12",),
    ),
    ("theft", "盗窃", "safety", ("偷|盗|小偷|被拿走|撬|贼 :2",)),
    # Food safety is market supervision's (市容秩序 covers market order and food safety). "过期" alone
    # is not food: a fire extinguisher or a medicine out of date went to the market office once.
    (
        "food-safety",
        "食品安全",
        "order",
        (
            "变质|健康证|检疫|地沟油|三无|拉肚子|吃出|上吐下泻|食品|后厨|发臭的肉|是臭的|反复炸 :2",
            "过期 + 牛奶|奶|面包|零食|饮料|食物|吃的|肉|蛋糕|月饼|罐头|辣条|饼干|酸奶|调料|鸡蛋|米|油|菜|"
            "超市|货架|小卖部|商店|卖 :2 @8",
        ),
    ),
    (
        "falling-objects",
        "高空抛物",
        "safety",
        ("高空抛物|往下扔|往下丢|往下泼|扔下来|丢下来|楼上扔|楼上丢|楼上往下 :2",),
    ),
    (
        "street-vending",
        "占道经营",
        "order",
        ("摆摊|摊贩|小摊|地摊|流动摊|占道经营|店外经营|出店经营|摊子|水果车|卖菜|烧烤摊|夜宵摊 :2",),
    ),
    (
        "illegal-parking",
        "违章停车",
        "order",
        (
            "乱停|违停|违章停车|违张停车|僵尸车|停满|占车位|共享单车|电单车|锥桶 :2",
            "车 + 停在|堵在|停到 + 通道|人行道|盲道|门口|路边|绿化|坡道|站台 :2 @12",
        ),
    ),
    (
        "noise",
        "噪音扰民",
        "dispute",
        (
            "噪音|躁音|噪声|扰民|吵死|太吵|吵得|好吵|很吵|吵闹|吵醒|吵人|又在吵|咚咚|蹦迪|跺脚|拖椅子|拖凳子|电钻|卡拉ok|音响|狗叫|鹦鹉|练琴|打麻将|麻将|嗡嗡|大喊大叫|声音好大|声音大 :2",
            "睡不着|睡不好 :1",
        ),
    ),
)
SUBCATEGORY_NAMES: dict[str, str] = {code: name for code, name, _parent, _specs in SUBCATEGORY_SPECS}
SUBCATEGORY_PARENTS: dict[str, str] = {code: parent for code, _name, parent, _specs in SUBCATEGORY_SPECS}
SUBCATEGORIES: tuple[Concept, ...] = tuple(
    Concept(code, name, parent, _patterns(specs, window=12), subcategory=code)
    for code, name, parent, specs in SUBCATEGORY_SPECS
)


# Category cues: what a report is about, for the pairs of categories residents' words blur. They
# never make a report urgent; through `Assessment.category_hints` each votes for its category like a
# danger concept's home category does. The distinctions are about ownership and place, not topics:
# fire equipment that is broken (a hydrant, an exit sign) is a repair (设施维修), not 治安消防; the
# management company's own conduct (not repairing, not coming, charging) is 物业服务; dirt left
# somewhere is 环境卫生 even in a lift or on a street; building on or taking over shared outdoor
# ground is 市容秩序; praise, thanks and questions about this service itself are 其他; asking for
# something new rather than a repair is 意见建议. Each was kept only if 5-fold cross-validation on the
# development data (seven shuffles) scored lower without it; a general "broken fixture" cue and a
# "fight between neighbours" cue did not pass.
CUE_SPECS: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    (
        "broken-fixture",
        "安全设施损坏",
        "facility",
        (
            "消防栓|消火栓|消防管|水带|指示牌|标识牌|应急灯|插座 + 坏|碎了|掉了|脱落|漏水|在漏|缺失|"
            "烧坏|失灵|不亮|断了|裂了|不见了 :2 @8",
        ),
    ),
    (
        "management-conduct",
        "物业作为",
        "property",
        (
            "物业|物管|管家|管理处|开发商 + 没修|不修|冇修|不管|冇人管|没人管|不理|不来|冇来|没来|响应慢|推给|"
            "推脱|拖着|不开|不作为|不处理|态度|辞退|约谈|要业主|业主自己|出钱|收了|涨价|不退 :3 @14",
            "报修|报了修|报修单 + 没人来|冇人来|没来|冇来|处理中|没人管|冇人管|两个月|几个月|好几次|几次 :3 @14",
        ),
    ),
    (
        "filth",
        "污物",
        "sanitation",
        (
            "尿|屎|粪|便便|呕吐物|吐痰|痰|内脏|泔水|油渍|泥巴|泥浆|死老鼠|蛆|苍蝇 :2",
            "没人清|冇人清|没人扫|冇人扫|没人拉走|冇人拉走|没人打扫|冇人打扫|没人冲|冇人冲|没人捡|冇人捡 :2",
        ),
    ),
    (
        "encroachment",
        "侵占违建",
        "order",
        (
            "改成|圈起来|圈了|挖了|浇了水泥|搭了|盖了|拆了|砌了|铺了|开了个门面|开门面|开店 + 花坛|绿地|绿化带|空地|"
            "健身|人行道|围墙|草坪|停车位|门面|楼顶|天台|窗户|院子|两层 :2 @12",
            "违规|私自|擅自|违章 + 盖|搭|建|改|开|加 :2 @6",
        ),
    ),
    (
        "proposal",
        "提议新增",
        "suggestion",
        (
            "能不能|能否|可不可以|可以考虑|最好|我有个想法|希望 + 改成|换成|加个|装个|建个|搞个|办个|开个|设个|"
            "增设|划一块|请个|多组织|多搞|多办 :2 @12",
        ),
    ),
    (
        "praise",
        "表扬感谢",
        "other",
        (
            "办得很好|办得好|做得好|做得很好|很满意|非常满意|服务很好|很热心|负责任|帮了大忙|很及时|辛苦了 :2",
            "谢谢|感谢 + 帮我|帮忙|帮了|送到|解决了|处理了|上门 :2 @14",
        ),
    ),
    (
        "about-service",
        "询问本平台",
        "other",
        (
            "这里|这个|咯个|你们 + 可以反映|能反映|能不能反映|怎么用|怎么操作|是干嘛|干什么的|是做什么|换号|"
            "打不通|是真人|机器人 :2 @10",
        ),
    ),
)
CUES: tuple[Concept, ...] = tuple(
    Concept(code, name, category, _patterns(specs, window=10)) for code, name, category, specs in CUE_SPECS
)


@dataclass(frozen=True)
class Hit:
    """One pattern of one concept found in a report."""

    concept: Concept
    pattern: Pattern
    words: tuple[str, ...]  # the words that matched, one per slot, in text order
    starts: tuple[int, ...]  # where each of `words` starts
    end: int
    negated: str = ""  # the negator, resolution, past, hypothetical or excuse that lowered it
    score: int = 0  # weight after cues; urgent at >= URGENT_AT
    erased: bool = False  # lowered to nothing: negated ("没有冒烟"), resolved ("已经灭了") or explained away

    @property
    def start(self) -> int:
        return self.starts[0]

    @property
    def label(self) -> str:
        """How staff read it: "火情：冒 + 烟"."""
        return f"{self.concept.name}：{' + '.join(self.words)}"


@dataclass(frozen=True)
class Assessment:
    """What the concept groups make of a report."""

    hits: tuple[Hit, ...]  # the best danger hit of each concept, best first
    now: tuple[str, ...]
    distress: tuple[str, ...]
    people: tuple[str, ...]
    register: tuple[str, ...]
    subcategory_hits: tuple[Hit, ...]
    top_score: int = 0
    urgent: bool = False
    deciding: Hit | None = None
    negations: tuple[str, ...] = ()
    corroborated: bool = False  # a second, independent danger pattern matched too
    cue_hits: tuple[Hit, ...] = ()  # the category cues found (CUES), one per cue

    def deciding_label(self) -> str:
        """The concept, its words and the cues that made it urgent: "火情：冒 + 烟 + 正在"."""
        hit = self.deciding
        if hit is None:
            return ""
        cues = []
        if self.now or self.distress:
            cues.append((self.now or self.distress)[0])
        if self.people:
            cues.append(self.people[0])
        # A cue already inside a matched word ("现在" in "到现在") says nothing new.
        cues = [cue for cue in cues if not any(cue in word or word in cue for word in hit.words)]
        return " + ".join([hit.label, *cues])

    def category_hints(self) -> dict[str, float]:
        """Home categories of the concepts hit (not lowered by a cue) and of the category cues, by
        their weight."""
        hints: dict[str, float] = {}
        for hit in self.hits:
            if hit.erased or hit.concept.category == "other":
                continue
            code = hit.concept.category
            hints[code] = max(hints.get(code, 0.0), float(hit.pattern.weight))
        for hit in self.cue_hits:
            code = hit.concept.category
            hints[code] = max(hints.get(code, 0.0), float(hit.pattern.weight))
        return hints


class _Automaton:
    """An Aho–Corasick automaton over every word of the lexicon: one pass over a report finds all
    occurrences of all words (overlapping ones too: 烟 inside 冒烟), where a `str.find` per word cost
    several hundred calls per report."""

    def __init__(self, words: Iterable[str]) -> None:
        goto: list[dict[str, int]] = [{}]
        output: list[list[str]] = [[]]
        for word in sorted(set(words)):
            state = 0
            for char in word:
                following = goto[state].get(char)
                if following is None:
                    goto.append({})
                    output.append([])
                    following = goto[state][char] = len(goto) - 1
                state = following
            output[state].append(word)
        fail = [0] * len(goto)
        queue = list(goto[0].values())
        for state in queue:  # breadth first: a state's fail link is set before its children's
            for char, child in goto[state].items():
                queue.append(child)
                link = fail[state]
                while link and char not in goto[link]:
                    link = fail[link]
                fail[child] = goto[link].get(char, 0) if goto[link].get(char, 0) != child else 0
                output[child] = output[child] + output[fail[child]]
        self._goto = goto
        self._fail = fail
        self._output = output

    def scan(self, text: str) -> dict[str, list[int]]:
        """word -> start positions, for every lexicon word in `text`."""
        goto, fail, output = self._goto, self._fail, self._output
        found: dict[str, list[int]] = {}
        state = 0
        for end, char in enumerate(text, 1):
            while state and char not in goto[state]:
                state = fail[state]
            state = goto[state].get(char, 0)
            for word in output[state]:
                found.setdefault(word, []).append(end - len(word))
        return found


class _Index:
    """Where each word of the lexicon occurs in one normalized report, masks applied."""

    def __init__(self, text: str) -> None:
        self.text = text
        found = _automaton().scan(text)
        for word, masks in MASKS.items():
            positions = found.get(word)
            if not positions:
                continue
            covered = [(m, m + len(mask)) for mask in masks for m in found.get(mask, ())]
            if covered:
                kept = [p for p in positions if not any(s <= p and p + len(word) <= e for s, e in covered)]
                if kept:
                    found[word] = kept
                else:
                    del found[word]
        self.found = found
        self.words = frozenset(found)

    def find(self, word: str) -> list[int]:
        return self.found.get(word, [])

    def present(self, words: Sequence[str]) -> tuple[str, ...]:
        found = self.found
        return tuple(word for word in words if word in found)


_AUTOMATON: _Automaton | None = None


def _lexicon() -> set[str]:
    words: set[str] = set()
    for concept in (*DANGER, *SUBCATEGORIES, *CUES):
        for pattern in concept.patterns:
            for slot in pattern.slots:
                words.update(slot)
        words.update(concept.excuses)
    for masked, masks in MASKS.items():
        words.add(masked)
        words.update(masks)
    words.update(NOW + DISTRESS + PEOPLE + REGISTER)
    return words


def _automaton() -> _Automaton:
    global _AUTOMATON
    if _AUTOMATON is None:
        # Built once per process (a few milliseconds); a race builds it twice, harmlessly.
        _AUTOMATON = _Automaton(_lexicon())
    return _AUTOMATON


def _match(index: _Index, pattern: Pattern) -> tuple[tuple[str, ...], tuple[int, ...], int] | None:
    """The tightest occurrence of the pattern's slots within its window, or None."""
    present = index.words
    for slot_set in pattern.slot_sets:
        if present.isdisjoint(slot_set):
            return None
    per_slot: list[list[tuple[int, int, str]]] = []
    found = index.found
    for slot in pattern.slots:
        per_slot.append(
            [(pos, pos + len(word), word) for word in slot if word in present for pos in found[word]]
        )
    if len(per_slot) == 1:
        start, end, word = min(per_slot[0])
        return (word,), (start,), end
    best: tuple[tuple[int, int], tuple[tuple[int, int, str], ...]] | None = None
    for tried, combination in enumerate(product(*per_slot)):
        if tried >= MAX_COMBINATIONS:
            break
        ordered = sorted(combination)
        # Two slots may not share characters ("烟" inside "冒烟" is not also the "冒烟" slot).
        if any(a[1] > b[0] for a, b in pairwise(ordered)):
            continue
        span = ordered[-1][1] - ordered[0][0]
        matched = sum(item[1] - item[0] for item in ordered)
        gaps = span - matched
        if gaps > pattern.window:
            continue
        # Tightest first; on a tie the longer words ("电梯 + 坏" rather than "梯 + 坏").
        if best is None or (gaps, -matched) < best[0]:
            best = ((gaps, -matched), tuple(ordered))
    if best is None:
        return None
    items = best[1]
    return tuple(item[2] for item in items), tuple(item[0] for item in items), max(item[1] for item in items)


def _clause_before(text: str, start: int, reach: int) -> str:
    """The `reach` characters before `start`, cut at the last sentence break."""
    before = text[max(0, start - reach) : start]
    cut = max((m.end() for m in _PUNCTUATION.finditer(before)), default=0)
    return before[cut:]


def _negator(text: str, start: int) -> str:
    before = _clause_before(text, start, NEGATION_REACH)
    for word in NEGATORS:
        if before.endswith(word) or (len(word) > 1 and word in before):
            return word
    return ""


def _all_hits(index: _Index, concepts: Iterable[Concept]) -> list[Hit]:
    """Every matching pattern of every concept."""
    hits = []
    for concept in concepts:
        for pattern in concept.patterns:
            found = _match(index, pattern)
            if found is not None:
                words, starts, end = found
                hits.append(Hit(concept, pattern, words, starts, end))
    return hits


def _best_per_concept(hits: Iterable[Hit]) -> list[Hit]:
    best: dict[str, Hit] = {}
    for hit in hits:
        current = best.get(hit.concept.code)
        if current is None or (hit.score, hit.pattern.weight) > (current.score, current.pattern.weight):
            best[hit.concept.code] = hit
    return list(best.values())


def _lowered(hit: Hit, index: _Index, register: tuple[str, ...], now: bool) -> tuple[int, str]:
    """How much the cues around `hit` take from it, and the cue that says why."""
    text = index.text
    if any(_negator(text, start) for start in hit.starts[:1]):
        return hit.pattern.weight, _negator(text, hit.start)
    resolutions = RESOLVED if hit.concept.resolutions is None else hit.concept.resolutions
    after = text[hit.start :]
    resolved = next((word for word in resolutions if word in after), "")
    if resolved:
        return hit.pattern.weight, resolved
    penalty, reason = 0, ""
    excuse = next((word for word in hit.concept.excuses if index.find(word)), "")
    if excuse:
        penalty, reason = penalty + HYPOTHETICAL_PENALTY, excuse
    hypothetical = ""
    for start in (hit.start, hit.starts[-1]):
        before = _clause_before(text, start, HYPOTHETICAL_REACH)
        hypothetical = hypothetical or next((word for word in HYPOTHETICAL_BEFORE if word in before), "")
    if not hypothetical:
        following = text[hit.end : hit.end + 8]
        hypothetical = next((word for word in HYPOTHETICAL_AFTER if word in following), "")
    if hypothetical:
        penalty, reason = penalty + HYPOTHETICAL_PENALTY, reason or hypothetical
    past = next((word for word in PAST if word in _clause_before(text, hit.start, PAST_REACH)), "")
    if past and not now:
        penalty, reason = penalty + PAST_PENALTY, reason or past
    if register:
        penalty, reason = penalty + REGISTER_PENALTY, reason or register[0]
    return penalty, reason


def assess(norm: str) -> Assessment:
    """The concept groups, cues and urgency of a normalized report."""
    index = _Index(norm)
    now = index.present(NOW)
    distress = index.present(DISTRESS)
    people = index.present(PEOPLE)
    register = index.present(REGISTER)
    bonus = (NOW_BONUS if now or distress else 0) + (PEOPLE_BONUS if people else 0)
    scored: list[Hit] = []
    negations: list[str] = []
    for hit in _all_hits(index, DANGER):
        penalty, reason = _lowered(hit, index, register, bool(now))
        # Cues of now and of people at risk cannot revive a hit its own negation or resolution erased.
        score = 0 if penalty >= hit.pattern.weight else hit.pattern.weight + bonus - penalty
        if reason:
            negations.append(f"{hit.concept.name}：{reason}")
        scored.append(
            Hit(
                hit.concept,
                hit.pattern,
                hit.words,
                hit.starts,
                hit.end,
                negated=reason,
                score=max(score, 0),
                erased=bool(reason) and penalty >= hit.pattern.weight,
            )
        )
    # Two independent signs of danger (a fight and blood, a burst pipe and wet meters) are worse
    # than either: the best hit gains a point when another pattern, not lowered, matched too.
    best = sorted(_best_per_concept(scored), key=lambda hit: (-hit.score, -hit.pattern.weight, hit.start))
    top = best[0] if best else None
    corroborated = top is not None and any(
        not hit.negated and hit.pattern.weight >= 2 and (hit.end <= top.start or hit.start >= top.end)
        for hit in scored
    )
    top_score = (top.score + (1 if corroborated and not top.negated else 0)) if top is not None else 0
    urgent = top is not None and top_score >= URGENT_AT
    return Assessment(
        hits=tuple(best),
        now=now,
        distress=distress,
        people=people,
        register=register,
        subcategory_hits=tuple(_best_per_concept(_all_hits(index, SUBCATEGORIES))),
        top_score=top_score,
        urgent=urgent,
        deciding=top if urgent else None,
        negations=tuple(dict.fromkeys(negations)),
        corroborated=corroborated,
        cue_hits=tuple(_best_per_concept(_all_hits(index, CUES))),
    )


def subcategory_for(assessment: Assessment, category: str) -> tuple[str | None, str]:
    """The subcategory of `category` the report names and the words that name it, or (None, "")."""
    candidates = [hit for hit in assessment.subcategory_hits if hit.concept.category == category]
    # A danger concept with a subcategory (trapped in a lift) names it too.
    for hit in assessment.hits:
        if hit.concept.subcategory and hit.concept.category == category and not hit.erased:
            candidates.append(hit)
    if not candidates:
        return None, ""
    best = max(candidates, key=lambda hit: (hit.pattern.weight, -hit.start))
    code = best.concept.subcategory
    return code, f"{SUBCATEGORY_NAMES.get(code or '', best.concept.name)}：{' + '.join(best.words)}"
