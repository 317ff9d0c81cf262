"""The demo organisation: 4 regions, 40 service sites (or more, numbered, for benchmarks), 2-3 teams per site,
advisors and ticket agents.

Site codes, names and regions are fixed; team counts and people's names come from the seed. A database that
already holds the demo organisation (region code ``NORTH``) is reused, so calling the builder twice adds data
to the same sites instead of creating a second set.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
from sqlalchemy import select
from sqlalchemy.engine import Connection

from cxdash.bulk import bulk_insert, next_id, reset_sequences
from cxdash.demo.structure import WEAK_SITES
from cxdash.schema import person, region, site, team

REGIONS = [
    ("NORTH", "North", "华北", "華北"),
    ("EAST", "East", "华东", "華東"),
    ("SOUTH", "South", "华南", "華南"),
    ("WEST", "West", "华西", "華西"),
]
_KINDS = [("Service Centre", "服务中心"), ("Auto Service", "汽车服务站"), ("Motors", "汽车服务店")]
# (city en, district en, city zh, district zh), ten per region in REGIONS order.
_PLACES = [
    ("Beijing", "Chaoyang", "北京", "朝阳"), ("Beijing", "Haidian", "北京", "海淀"),
    ("Beijing", "Fengtai", "北京", "丰台"), ("Tianjin", "Hexi", "天津", "河西"),
    ("Tianjin", "Binhai", "天津", "滨海"), ("Shijiazhuang", "Yuhua", "石家庄", "裕华"),
    ("Taiyuan", "Xiaodian", "太原", "小店"), ("Hohhot", "Saihan", "呼和浩特", "赛罕"),
    ("Shenyang", "Hunnan", "沈阳", "浑南"), ("Dalian", "Ganjingzi", "大连", "甘井子"),
    ("Shanghai", "Pudong", "上海", "浦东"), ("Shanghai", "Minhang", "上海", "闵行"),
    ("Shanghai", "Jiading", "上海", "嘉定"), ("Hangzhou", "Xihu", "杭州", "西湖"),
    ("Ningbo", "Yinzhou", "宁波", "鄞州"), ("Nanjing", "Jianye", "南京", "建邺"),
    ("Suzhou", "Industrial Park", "苏州", "工业园区"), ("Hefei", "Shushan", "合肥", "蜀山"),
    ("Jinan", "Lixia", "济南", "历下"), ("Qingdao", "Laoshan", "青岛", "崂山"),
    ("Guangzhou", "Tianhe", "广州", "天河"), ("Guangzhou", "Baiyun", "广州", "白云"),
    ("Shenzhen", "Nanshan", "深圳", "南山"), ("Shenzhen", "Longgang", "深圳", "龙岗"),
    ("Dongguan", "Nancheng", "东莞", "南城"), ("Foshan", "Shunde", "佛山", "顺德"),
    ("Xiamen", "Siming", "厦门", "思明"), ("Fuzhou", "Gulou", "福州", "鼓楼"),
    ("Nanning", "Qingxiu", "南宁", "青秀"), ("Haikou", "Longhua", "海口", "龙华"),
    ("Chengdu", "Wuhou", "成都", "武侯"), ("Chengdu", "Gaoxin", "成都", "高新"),
    ("Chongqing", "Yubei", "重庆", "渝北"), ("Chongqing", "Jiulongpo", "重庆", "九龙坡"),
    ("Xi'an", "Yanta", "西安", "雁塔"), ("Kunming", "Guandu", "昆明", "官渡"),
    ("Guiyang", "Guanshanhu", "贵阳", "观山湖"), ("Lanzhou", "Chengguan", "兰州", "城关"),
    ("Yinchuan", "Jinfeng", "银川", "金凤"), ("Urumqi", "Shayibake", "乌鲁木齐", "沙依巴克"),
]
# Traditional forms of the place and kind names above (the same words in traditional characters).
_HANT = {
    "朝阳": "朝陽", "丰台": "豐臺", "滨海": "濱海", "石家庄": "石家莊", "裕华": "裕華", "赛罕": "賽罕", "沈阳": "瀋陽",
    "浑南": "渾南", "大连": "大連", "浦东": "浦東", "闵行": "閔行", "宁波": "寧波", "建邺": "建鄴", "苏州": "蘇州",
    "工业园区": "工業園區", "济南": "濟南", "历下": "歷下", "青岛": "青島", "崂山": "嶗山", "广州": "廣州", "白云": "白雲",
    "龙岗": "龍崗", "东莞": "東莞", "顺德": "順德", "厦门": "廈門", "鼓楼": "鼓樓", "南宁": "南寧", "龙华": "龍華",
    "重庆": "重慶", "九龙坡": "九龍坡", "贵阳": "貴陽", "观山湖": "觀山湖", "兰州": "蘭州", "城关": "城關", "银川": "銀川",
    "金凤": "金鳳", "乌鲁木齐": "烏魯木齊", "服务中心": "服務中心", "汽车服务站": "汽車服務站", "汽车服务店": "汽車服務店",
}


def _hant(word: str) -> str:
    return _HANT.get(word, word)


class DemoSite(NamedTuple):
    """A demo site: code, names (the old combined one and one per language), city and region code."""

    code: str
    name: str
    city: str
    region: str
    name_en: str
    name_zh_hans: str
    name_zh_hant: str


def _site(i: int, code: str, branch: str = "") -> DemoSite:
    c, d, cz, dz = _PLACES[i % len(_PLACES)]
    en, zh = _KINDS[i % 3]
    name_en = f"{c} {d} {en}{' ' + branch if branch else ''}"
    hans, hant = f"{cz}{dz}{zh}{branch}", f"{_hant(cz)}{_hant(dz)}{_hant(zh)}{branch}"
    return DemoSite(code, f"{name_en} {hans}", c, REGIONS[(i % len(_PLACES)) // 10][0], name_en, hans, hant)


SITES = [_site(i, f"S{i + 1:02d}") for i in range(len(_PLACES))]
DEFAULT_SITES = len(SITES)
TEAM_NAMES = [("Service Team A", "服务一组", "服務一組"), ("Service Team B", "服务二组", "服務二組"),
              ("Service Team C", "服务三组", "服務三組")]


def site_list(n: int = DEFAULT_SITES) -> list[DemoSite]:
    """The ``n`` demo sites: the 40 named ones, then numbered branches in the same districts (S041, S042, ...; a
    brand with 1,000 sites for the benchmark), spread over the regions alike.

    Raises:
        ValueError: fewer than one site.
    """
    if n < 1:
        raise ValueError("the demo needs at least one site")
    extra = [_site(i, f"S{i + 1:03d}", str(i // len(_PLACES) + 1)) for i in range(len(SITES), n)]
    return (SITES + extra)[:n]


_SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程魏苏吕丁")
_GIVEN = list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍鹏辉建文晨宇浩然思雨欣怡俊峰海燕志红佳琪子涵博雅婷")


@dataclass
class Org:
    """The organisation as arrays indexed by position (ids are the database ids)."""

    region_ids: np.ndarray
    site_ids: np.ndarray
    site_region: np.ndarray  # region id per site
    site_weight: np.ndarray  # share of the brand's volume per site
    site_weak: np.ndarray  # bool per site
    team_ids: np.ndarray
    team_site: np.ndarray  # site position per team
    advisor_ids: np.ndarray
    advisor_team: np.ndarray  # team position per advisor
    advisor_weak: np.ndarray  # bool per advisor
    agent_ids: np.ndarray
    agent_team: np.ndarray
    names: dict[int, str]  # person id -> name (owners and inspectors reuse them)


def _unique_names(rng: np.random.Generator, n: int) -> list[str]:
    seen: set[str] = set()
    out: list[str] = []
    while len(out) < n:
        k = 1 + int(rng.random() < 0.6)
        name = str(rng.choice(_SURNAMES)) + "".join(rng.choice(_GIVEN, size=k).tolist())
        if name not in seen:
            seen.add(name)
            out.append(name)
    return out


def ensure_organisation(conn: Connection, rng: np.random.Generator, sites: int = DEFAULT_SITES) -> Org:
    """Create the demo organisation with ``sites`` sites (or reuse it when present) and return it as arrays."""
    listed = site_list(sites)
    if conn.execute(select(region.c.id).where(region.c.code == REGIONS[0][0])).first() is None:
        _create(conn, rng, listed)
    return _load(conn, rng, listed)


def _create(conn: Connection, rng: np.random.Generator, sites: list[DemoSite]) -> None:
    rid0, sid0, tid0, pid0 = (next_id(conn, t) for t in (region, site, team, person))
    bulk_insert(conn, region, ["id", "code", "name_en", "name_zh_hans", "name_zh_hant"],
                [(rid0 + i, *r) for i, r in enumerate(REGIONS)])
    region_of = {code: rid0 + i for i, (code, *_rest) in enumerate(REGIONS)}
    bulk_insert(conn, site, ["id", "code", "name", "city", "region_id", "name_en", "name_zh_hans", "name_zh_hant"],
                [(sid0 + i, s.code, s.name, s.city, region_of[s.region], s.name_en, s.name_zh_hans, s.name_zh_hant)
                 for i, s in enumerate(sites)])
    teams: list[tuple[int, int, str, str, str, str, str]] = []
    people: list[list[Any]] = []
    n_people = 0
    for i in range(len(sites)):
        for k in range(int(rng.integers(2, 4))):
            tid = tid0 + len(teams)
            en, hans, hant = TEAM_NAMES[k]
            teams.append((tid, sid0 + i, f"T{k + 1}", f"{en} {hans}", en, hans, hant))
            for role, count in (("advisor", int(rng.integers(3, 6))), ("agent", int(rng.integers(1, 3)))):
                for _ in range(count):
                    people.append([pid0 + n_people, tid, role])
                    n_people += 1
    names = _unique_names(rng, len(people))
    bulk_insert(conn, team, ["id", "site_id", "code", "name", "name_en", "name_zh_hans", "name_zh_hant"], teams)
    # People's names are Chinese and the same in both scripts here; the English name is the pinyin a real
    # brand would hold, which the demo does not invent: English pages fall back to the Chinese name.
    bulk_insert(conn, person, ["id", "team_id", "role", "code", "name", "name_zh_hans", "name_zh_hant"],
                [(pid, tid, role, f"P{pid:05d}", names[j], names[j], names[j]) for j, (pid, tid, role) in enumerate(people)])
    reset_sequences(conn, [region, site, team, person])


def _load(conn: Connection, rng: np.random.Generator, listed: list[DemoSite]) -> Org:
    codes = [s.code for s in listed]
    regs = conn.execute(select(region.c.id).where(region.c.code.in_([r[0] for r in REGIONS])).order_by(region.c.id))
    srows = {r.code: r for r in conn.execute(select(site.c.id, site.c.code, site.c.region_id).where(site.c.code.in_(codes)))}
    sites = [srows[c] for c in codes if c in srows]
    site_pos = {s.id: i for i, s in enumerate(sites)}
    trows = [t for t in conn.execute(select(team.c.id, team.c.site_id).order_by(team.c.id)) if t.site_id in site_pos]
    team_pos = {t.id: i for i, t in enumerate(trows)}
    prows = [p for p in conn.execute(select(person.c.id, person.c.team_id, person.c.role, person.c.name)
                                     .order_by(person.c.id)) if p.team_id in team_pos]
    advisors = [p for p in prows if p.role == "advisor"]
    agents = [p for p in prows if p.role == "agent"]
    site_weak = np.array([s.code in WEAK_SITES for s in sites])
    weight = rng.lognormal(0.0, 0.35, len(sites))
    weight[site_weak] = np.maximum(weight[site_weak], np.median(weight))  # weak sites need enough responses
    return Org(
        region_ids=np.array([r.id for r in regs]),
        site_ids=np.array([s.id for s in sites]),
        site_region=np.array([s.region_id for s in sites]),
        site_weight=weight / weight.sum(),
        site_weak=site_weak,
        team_ids=np.array([t.id for t in trows]),
        team_site=np.array([site_pos[t.site_id] for t in trows]),
        advisor_ids=np.array([p.id for p in advisors]),
        advisor_team=np.array([team_pos[p.team_id] for p in advisors]),
        advisor_weak=_weak_advisors(advisors, trows, sites, team_pos),
        agent_ids=np.array([p.id for p in agents]),
        agent_team=np.array([team_pos[p.team_id] for p in agents]),
        names={int(p.id): p.name for p in prows},
    )


def _weak_advisors(advisors: list, trows: list, sites: list, team_pos: dict) -> np.ndarray:
    """The first advisor of each weak site's first team; the first weak site also its second team's first."""
    site_code = {s.id: s.code for s in sites}
    weak = np.zeros(len(advisors), dtype=bool)
    first_in_team: set[int] = set()
    team_rank: dict[int, int] = {}
    for t in trows:
        team_rank[t.id] = sum(1 for u in trows if u.site_id == t.site_id and u.id < t.id)
    for i, p in enumerate(advisors):
        if p.team_id in first_in_team:
            continue
        first_in_team.add(p.team_id)
        t = trows[team_pos[p.team_id]]
        code = site_code[t.site_id]
        if code in WEAK_SITES and (team_rank[t.id] == 0 or (code == WEAK_SITES[0] and team_rank[t.id] == 1)):
            weak[i] = True
    return weak


def pick_child(rng: np.random.Generator, child_parent: np.ndarray, parents: np.ndarray) -> np.ndarray:
    """For each value in ``parents`` pick a random child position whose parent it is (e.g. a team of a site).

    Raises:
        ValueError: a parent has no child.
    """
    n_parents = int(max(child_parent.max(initial=0), parents.max(initial=0))) + 1
    order = np.argsort(child_parent, kind="stable")
    count = np.bincount(child_parent, minlength=n_parents)
    if len(parents) and (count[parents] == 0).any():
        raise ValueError("an organisation unit has no members to pick from")
    offset = np.concatenate([[0], np.cumsum(count)[:-1]])
    pick = np.floor(rng.random(len(parents)) * count[parents]).astype(np.int64)
    return order[offset[parents] + pick]
