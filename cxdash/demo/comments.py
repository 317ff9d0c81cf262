"""Demo comments: short texts in Chinese (most) or English tied to the touchpoint a customer felt most.

A disappointed customer writes about the touchpoint with the most negative gap in their response, a delighted
one about the most positive, a customer with a high-effort contact about the effort. Templates have several
wordings plus optional openings and endings, so the themes surface on the comments page without the texts
looking copy-pasted.
"""

from __future__ import annotations

import numpy as np

ZH, EN = "zh-Hans", "en"
SHARE_EN = 0.18
# Probability of writing a comment by tier: disappointed, basic, delighted, no tier.
COMMENT_RATE = np.array([0.5, 0.2, 0.35, 0.25])

NEGATIVE: dict[str, list[tuple[str, str]]] = {
    "CON02": [
        ("费用比预估高，没有提前说明", "The bill was higher than quoted and nobody told me beforehand"),
        ("结算费用和取车时间都没讲清楚", "Cost and pick-up time were never made clear"),
        ("报价不透明，最后多收了钱", "The quote was not transparent and I paid more in the end"),
        ("付款方式没有提前确认，很麻烦", "Payment options were not confirmed upfront, very inconvenient"),
    ],
    "RES03": [
        ("取车通知太晚，等了很久", "Waited far too long to be told the car was ready"),
        ("车早就修好了却没人通知我取车", "The car was ready long before anyone called me to collect it"),
        ("一直没接到取车电话，只好自己打过去问", "Never got the call to collect, I had to ring them myself"),
    ],
    "HND02": [
        ("结账排队太久", "The checkout queue took far too long"),
        ("收银台只有一个人，结账等了半小时", "Only one cashier, waited half an hour to pay"),
        ("结账慢，服务态度也冷淡", "Checkout was slow and the staff were cold"),
    ],
    "VAL01": [
        ("没有说明做了哪些维修", "Nobody explained what work was done"),
        ("维修内容解释得不清楚", "The explanation of the repair was unclear"),
    ],
    "CON04": [("休息区太吵，没有人招呼", "The waiting area was noisy and nobody looked after us")],
    "REC03": [("进店后没人引导，不知道去哪里", "No one guided me when I arrived, I did not know where to go")],
    "CON05": [("派工太慢，车停了半天没人动", "Dispatch was slow, the car sat there for hours")],
}
POSITIVE: dict[str, list[tuple[str, str]]] = {
    "REC01": [
        ("保安很热情", "The guard at the gate was very welcoming"),
        ("门口保安主动指引停车，很贴心", "The guard showed me where to park, very thoughtful"),
    ],
    "HND03": [
        ("交车时的告别很真诚", "The farewell was lovely"),
        ("交车仪式很用心，感觉被重视", "The hand-over felt personal, I felt valued"),
    ],
    "VAL01": [("顾问把维修情况讲得很清楚", "The advisor explained the work clearly")],
    "VAL02": [("保养提醒讲得很细致", "The service reminders were explained in detail")],
    "CON01": [("维修项目确认得很仔细", "They went through the repair items carefully")],
}
GENERIC_NEGATIVE = [
    ("整体体验一般，效率有待提高", "Overall experience was mediocre, they need to be more efficient"),
    ("等待时间太长", "The wait was too long"),
]
GENERIC_POSITIVE = [
    ("服务很好，下次还来", "Great service, I will come back"),
    ("顾问很专业，非常满意", "The advisor was professional, very satisfied"),
]
NEUTRAL = [("还可以", "It was fine"), ("正常保养，没什么问题", "Routine service, no problems"), ("一般", "Average")]
EFFORT = [
    ("打了好几次电话才解决", "Had to call several times before it was sorted"),
    ("被转了好几个人，每次都要重新说一遍", "Was passed between several people and had to repeat my story each time"),
]
_OPEN = {ZH: ["", "", "说实话，", "这次", "总体还行，但是"], EN: ["", "", "Honestly, ", "This time: ", "Overall OK, but "]}
_CLOSE = {ZH: ["", "。", "，希望改进。", "！"], EN: ["", ".", ". Please fix this.", "!"]}
_CLOSE_POS = {ZH: ["", "。", "，点赞！"], EN: ["", ".", ". Thank you!"]}


def _pick(rng: np.random.Generator, options: list[str], n: int) -> np.ndarray:
    return np.array(options, dtype=object)[rng.integers(0, len(options), n)]


def _bodies(rng: np.random.Generator, codes: np.ndarray, lang: np.ndarray, table: dict, generic: list) -> np.ndarray:
    """One template per row: the touchpoint's own wordings where it has some, else a generic one."""
    out = np.empty(len(codes), dtype=object)
    for code in np.unique(codes):
        rows = np.flatnonzero(codes == code)
        options = table.get(str(code), generic)
        chosen = rng.integers(0, len(options), len(rows))
        out[rows] = [options[c][0 if lg == ZH else 1] for c, lg in zip(chosen.tolist(), lang[rows].tolist(), strict=True)]
    return out


def make_comments(
    rng: np.random.Generator,
    tier: np.ndarray,
    worst_code: np.ndarray,
    best_code: np.ndarray,
    high_effort: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(comment, comment_lang)`` object arrays (None where no comment) for responses.

    Args:
        tier: 0 disappointed, 1 basic, 2 delighted, -1 no tier.
        worst_code / best_code: touchpoint code with the most negative / positive gap in each response.
        high_effort: the response reports a high-effort contact.
    """
    n = len(tier)
    t = np.where(tier < 0, 3, tier)
    writes = rng.random(n) < COMMENT_RATE[t] + 0.1 * high_effort
    idx = np.flatnonzero(writes)
    comment = np.full(n, None, dtype=object)
    lang = np.full(n, None, dtype=object)
    if len(idx) == 0:
        return comment, lang
    lg = np.where(rng.random(len(idx)) < SHARE_EN, EN, ZH).astype(object)
    kind = np.where(t[idx] == 0, 0, np.where(t[idx] == 2, 2, 1))
    kind = np.where(high_effort[idx] & (kind != 2) & (rng.random(len(idx)) < 0.5), 3, kind)
    body = np.empty(len(idx), dtype=object)
    neg, pos = kind == 0, kind == 2
    body[neg] = _bodies(rng, worst_code[idx][neg], lg[neg], NEGATIVE, GENERIC_NEGATIVE)
    body[pos] = _bodies(rng, best_code[idx][pos], lg[pos], POSITIVE, GENERIC_POSITIVE)
    for k, options in ((1, NEUTRAL), (3, EFFORT)):
        sel = kind == k
        body[sel] = _bodies(rng, np.full(int(sel.sum()), ""), lg[sel], {}, options)
    for code in (ZH, EN):
        sel = lg == code
        m = int(sel.sum())
        opening = np.where(neg[sel] | (kind[sel] == 3), _pick(rng, _OPEN[code], m), "")
        closing = np.where(pos[sel], _pick(rng, _CLOSE_POS[code], m), _pick(rng, _CLOSE[code], m))
        body[sel] = opening.astype(object) + body[sel] + closing.astype(object)
    comment[idx] = body
    lang[idx] = lg
    return comment, lang
