"""The default self-inspection checklist for the 22 default after-sales touchpoints (docs/data-model.md).

Each item names the pain point customers feel, the standard that prevents it, how and how often the standard is
checked and who is responsible. Texts are in English, Simplified and Traditional Chinese; method, frequency and
role are codes that the UI translates (``improve.method.*``, ``improve.frequency.*``, ``improve.role.*``).
"""

from __future__ import annotations

from typing import NamedTuple

METHODS = ("observation", "mystery_shopper", "record_check", "interview")
FREQUENCIES = ("daily", "weekly", "monthly", "quarterly")
ROLES = (
    "security_guard",
    "reception_host",
    "service_advisor",
    "warranty_clerk",
    "workshop_foreman",
    "lounge_host",
    "service_manager",
    "cashier",
    "customer_relations",
)


class DefaultItem(NamedTuple):
    """One default checklist item; ``pain`` and ``standard`` are (en, zh-Hans, zh-Hant)."""

    code: str
    touchpoint: str
    pain: tuple[str, str, str]
    standard: tuple[str, str, str]
    method: str
    frequency: str
    role: str


DEFAULT_ITEMS: list[DefaultItem] = [
    DefaultItem(
        "CL-REC01-1", "REC01",
        ("Customer arrives unnoticed and has to find their own way",
         "客户到店无人理会，只能自己找路", "客戶到店無人理會，只能自己找路"),
        ("Guard greets every arriving car within 30 seconds, asks the purpose of the visit and directs it to the "
         "reception bay", "保安在车辆到达30秒内主动问候，询问来意并引导至接车区",
         "保安在車輛到達30秒內主動問候，詢問來意並引導至接車區"),
        "observation", "daily", "security_guard",
    ),
    DefaultItem(
        "CL-REC02-1", "REC02",
        ("Customer has to explain the reason for the visit several times",
         "客户需要多次重复说明来店目的", "客戶需要多次重複說明來店目的"),
        ("Appointment list checked before opening; booked customers are greeted by name and the booked service is "
         "confirmed in one question", "营业前核对预约清单；称呼预约客户姓名，一次确认预约项目",
         "營業前核對預約清單；稱呼預約客戶姓名，一次確認預約項目"),
        "record_check", "daily", "service_advisor",
    ),
    DefaultItem(
        "CL-REC03-1", "REC03",
        ("Long wait at the reception desk with nobody taking charge",
         "在接待台前长时间等待，无人负责", "在接待台前長時間等待，無人負責"),
        ("An advisor is assigned within 2 minutes; walk-ins are routed to quick repair, warranty or regular "
         "service and told the expected waiting time",
         "客户2分钟内分配服务顾问；未预约客户按快修、索赔或常规保养分流，并告知预计等待时间",
         "客戶2分鐘內分配服務顧問；未預約客戶按快修、索賠或常規保養分流，並告知預計等待時間"),
        "observation", "daily", "reception_host",
    ),
    DefaultItem(
        "CL-REC04-1", "REC04",
        ("Advisor comes empty-handed and writes nothing down; the customer fears requests get forgotten",
         "服务顾问空手迎接、不做记录，客户担心需求被遗忘", "服務顧問空手迎接、不做記錄，客戶擔心需求被遺忘"),
        ("Advisor meets the car with the pre-inspection sheet, records the customer's concerns in their own words "
         "and reads them back", "服务顾问携带预检单迎接，用客户原话记录诉求并复述确认",
         "服務顧問攜帶預檢單迎接，用客戶原話記錄訴求並複述確認"),
        "mystery_shopper", "monthly", "service_advisor",
    ),
    DefaultItem(
        "CL-REC04-2", "REC04",
        ("Seats and floor get dirty while the car is in the workshop",
         "维修期间座椅和地毯被弄脏", "維修期間座椅和地毯被弄髒"),
        ("Seat, steering-wheel and floor covers are fitted in front of the customer before anyone drives the car",
         "在任何人驾驶车辆之前，当着客户的面套上座椅套、方向盘套和脚垫",
         "在任何人駕駛車輛之前，當著客戶的面套上座椅套、方向盤套和腳墊"),
        "observation", "daily", "service_advisor",
    ),
    DefaultItem(
        "CL-REC05-1", "REC05",
        ("Disputes at pick-up about scratches or belongings that were never recorded",
         "取车时因未记录的划痕或车内物品产生纠纷", "取車時因未記錄的劃痕或車內物品產生糾紛"),
        ("Walk-around with the customer: existing damage, fuel level, mileage and valuables are recorded on the "
         "sheet and signed by the customer", "与客户一起环车检查：外观损伤、油量、里程及贵重物品记录在单并由客户签字",
         "與客戶一起環車檢查：外觀損傷、油量、里程及貴重物品記錄在單並由客戶簽字"),
        "record_check", "weekly", "service_advisor",
    ),
    DefaultItem(
        "CL-REC06-1", "REC06",
        ("A small job takes half a day because it waits in the normal queue",
         "小保养排在普通队列里，一等就是半天", "小保養排在普通隊列裡，一等就是半天"),
        ("Jobs under one hour go to the quick-repair bay; completion is promised and met within 60 minutes",
         "1小时以内的作业进入快修工位，承诺并在60分钟内完工", "1小時以內的作業進入快修工位，承諾並在60分鐘內完工"),
        "record_check", "weekly", "workshop_foreman",
    ),
    DefaultItem(
        "CL-REC07-1", "REC07",
        ("Customer is unsure whether the repair is covered and fears being charged",
         "客户不清楚是否属于保修，担心被收费", "客戶不清楚是否屬於保修，擔心被收費"),
        ("Warranty eligibility is checked in the system at reception; before the job starts the customer hears "
         "which items are covered, which are not, and why",
         "接待时在系统中核查保修资格；开工前告知客户哪些项目保修、哪些不保修及原因",
         "接待時在系統中核查保修資格；開工前告知客戶哪些項目保修、哪些不保修及原因"),
        "interview", "monthly", "warranty_clerk",
    ),
    DefaultItem(
        "CL-CON01-1", "CON01",
        ("Work done that the customer did not ask for, or a requested item forgotten",
         "做了客户未要求的项目，或漏做客户要求的项目", "做了客戶未要求的項目，或漏做客戶要求的項目"),
        ("Every repair item is listed, explained in plain words and confirmed by the customer; extra findings "
         "during the job are approved by phone before any work",
         "逐项列出维修项目并用通俗语言解释，由客户确认；作业中新发现的问题须电话征得同意后再施工",
         "逐項列出維修項目並用通俗語言解釋，由客戶確認；作業中新發現的問題須電話徵得同意後再施工"),
        "record_check", "weekly", "service_advisor",
    ),
    DefaultItem(
        "CL-CON02-1", "CON02",
        ("Cost surprises at pick-up", "取车时费用超出预期", "取車時費用超出預期"),
        ("Advisor states the estimated cost, finish time and payment method before the job starts and records "
         "the customer's consent", "开工前服务顾问说明预估费用、完工时间和付款方式，并记录客户同意",
         "開工前服務顧問說明預估費用、完工時間和付款方式，並記錄客戶同意"),
        "record_check", "weekly", "service_advisor",
    ),
    DefaultItem(
        "CL-CON02-2", "CON02",
        ("The car is not ready at the promised time and nobody calls",
         "到了承诺时间车还没修好，也没人通知", "到了承諾時間車還沒修好，也沒人通知"),
        ("When the finish time will slip or the cost will exceed the estimate by more than 10 %, the advisor calls "
         "the customer beforehand and records the new agreement",
         "预计超时或费用超出估价10%以上时，服务顾问提前致电客户并记录新的约定",
         "預計超時或費用超出估價10%以上時，服務顧問提前致電客戶並記錄新的約定"),
        "interview", "monthly", "service_advisor",
    ),
    DefaultItem(
        "CL-CON03-1", "CON03",
        ("Repair order unclear or wrong, so the workshop does the wrong job",
         "委托书内容不清或有误，车间做错项目", "委託書內容不清或有誤，車間做錯項目"),
        ("Repair order complete (customer, vehicle, items, parts, price, promised time), signed by the customer, "
         "and a copy handed over", "任务委托书信息完整（客户、车辆、项目、配件、价格、承诺时间），客户签字并交付副本",
         "任務委託書資訊完整（客戶、車輛、項目、配件、價格、承諾時間），客戶簽字並交付副本"),
        "record_check", "weekly", "service_advisor",
    ),
    DefaultItem(
        "CL-CON04-1", "CON04",
        ("Waiting customer left alone in an uncomfortable lounge without progress updates",
         "等候的客户被冷落在不舒适的休息区，也得不到进度更新", "等候的客戶被冷落在不舒適的休息區，也得不到進度更新"),
        ("Customer is accompanied to the lounge, offered a drink and Wi-Fi, and told how progress will be "
         "reported; the lounge is checked for cleanliness every two hours",
         "陪同客户到休息区，提供饮品和Wi-Fi，告知进度通报方式；休息区每两小时检查一次清洁",
         "陪同客戶到休息區，提供飲品和Wi-Fi，告知進度通報方式；休息區每兩小時檢查一次清潔"),
        "observation", "daily", "lounge_host",
    ),
    DefaultItem(
        "CL-CON05-1", "CON05",
        ("The car waits in the yard for hours before a technician starts",
         "车辆在停车场等了几个小时才有技师开工", "車輛在停車場等了幾個小時才有技師開工"),
        ("The job is dispatched to a technician within 15 minutes of the signed order and the start time is "
         "recorded on the dispatch board", "委托书签字后15分钟内派工给技师，开工时间记录在派工看板",
         "委託書簽字後15分鐘內派工給技師，開工時間記錄在派工看板"),
        "record_check", "daily", "workshop_foreman",
    ),
    DefaultItem(
        "CL-RES01-1", "RES01",
        ("Car released with unfinished items or without a final quality check",
         "车辆未完成全部项目或未经终检就交出", "車輛未完成全部項目或未經終檢就交出"),
        ("Final inspection signed by the foreman; the technician hands the car to the advisor with the completed "
         "order and the replaced parts", "车间主管签字完成终检；技师将车辆连同完工委托书和旧件交给服务顾问",
         "車間主管簽字完成終檢；技師將車輛連同完工委託書和舊件交給服務顧問"),
        "record_check", "weekly", "workshop_foreman",
    ),
    DefaultItem(
        "CL-RES02-1", "RES02",
        ("Car returned dirty, with seat and mirrors moved", "交车时车辆脏污，座椅和后视镜位置被改动",
         "交車時車輛髒污，座椅和後視鏡位置被改動"),
        ("Before the customer is called the car is washed and vacuumed, seat, mirrors and radio are back in their "
         "recorded positions and the invoice is ready",
         "通知客户前完成洗车吸尘，座椅、后视镜和收音机恢复原位，结算单准备就绪",
         "通知客戶前完成洗車吸塵，座椅、後視鏡和收音機恢復原位，結算單準備就緒"),
        "observation", "daily", "service_advisor",
    ),
    DefaultItem(
        "CL-RES03-1", "RES03",
        ("Customer has to call to find out whether the car is ready",
         "客户要自己打电话询问车是否修好", "客戶要自己打電話詢問車是否修好"),
        ("Customer is notified within 15 minutes of the car being ready, by their chosen channel, with the amount "
         "due and the opening hours", "车辆完工后15分钟内按客户选择的方式通知取车，并告知应付金额和营业时间",
         "車輛完工後15分鐘內按客戶選擇的方式通知取車，並告知應付金額和營業時間"),
        "record_check", "weekly", "service_advisor",
    ),
    DefaultItem(
        "CL-RES04-1", "RES04",
        ("Customer cannot see what was done and doubts it was done at all",
         "客户看不到做了什么，怀疑是否真的做了", "客戶看不到做了什麼，懷疑是否真的做了"),
        ("Advisor shows the work on the car and the replaced parts, then removes the seat, wheel and floor covers "
         "in front of the customer", "服务顾问在车旁展示维修成果和换下的旧件，并当着客户的面取下三件套",
         "服務顧問在車旁展示維修成果和換下的舊件，並當著客戶的面取下三件套"),
        "mystery_shopper", "monthly", "service_advisor",
    ),
    DefaultItem(
        "CL-VAL01-1", "VAL01",
        ("An invoice full of codes that nobody explains", "结算单上都是代码，没人解释", "結算單上都是代碼，沒人解釋"),
        ("Advisor walks through each item done, why it was needed and what it cost, in plain words, and answers "
         "questions", "服务顾问逐项说明所做项目、必要性及费用，用通俗语言解答客户疑问",
         "服務顧問逐項說明所做項目、必要性及費用，用通俗語言解答客戶疑問"),
        "mystery_shopper", "monthly", "service_advisor",
    ),
    DefaultItem(
        "CL-VAL02-1", "VAL02",
        ("Deferred repairs and the next service are not mentioned, and the customer is surprised later",
         "建议维修项目和下次保养未说明，客户事后才发现", "建議維修項目和下次保養未說明，客戶事後才發現"),
        ("Deferred items with their urgency and the next service date and mileage are written on the invoice and "
         "explained; a reminder is scheduled", "在结算单上写明建议维修项目及紧急程度、下次保养日期和里程并作解释；安排跟进提醒",
         "在結算單上寫明建議維修項目及緊急程度、下次保養日期和里程並作解釋；安排跟進提醒"),
        "record_check", "weekly", "service_advisor",
    ),
    DefaultItem(
        "CL-VAL03-1", "VAL03",
        ("Charged for items covered by warranty or never agreed",
         "被收取了保修范围内或未经同意的项目费用", "被收取了保修範圍內或未經同意的項目費用"),
        ("Invoice checked against the signed order and the estimate before it is handed over; warranty items "
         "shown at zero cost; differences explained", "交付前将结算单与签字委托书及估价核对；保修项目显示为零费用；差异当面解释",
         "交付前將結算單與簽字委託書及估價核對；保修項目顯示為零費用；差異當面解釋"),
        "record_check", "weekly", "service_manager",
    ),
    DefaultItem(
        "CL-HND01-1", "HND01",
        ("Customer is left to find the cashier and queue alone",
         "客户独自寻找收银台并排队", "客戶獨自尋找收銀台並排隊"),
        ("Advisor accompanies the customer to the cashier and introduces them; nobody waits at the cashier for "
         "more than 3 minutes", "服务顾问陪同客户到收银台并做介绍；客户在收银台等候不超过3分钟",
         "服務顧問陪同客戶到收銀台並做介紹；客戶在收銀台等候不超過3分鐘"),
        "observation", "daily", "service_advisor",
    ),
    DefaultItem(
        "CL-HND02-1", "HND02",
        ("Slow payment, and the customer's usual payment method is not accepted",
         "结账缓慢，常用的付款方式不被接受", "結賬緩慢，常用的付款方式不被接受"),
        ("Payment completed within 5 minutes; cards, mobile payment (WeChat Pay, Alipay) and company transfer "
         "accepted; receipt and invoice handed over with both hands",
         "5分钟内完成付款；支持银行卡、移动支付（微信、支付宝）和对公转账；双手递交收据和发票",
         "5分鐘內完成付款；支援銀行卡、行動支付（微信、支付寶）和對公轉賬；雙手遞交收據和發票"),
        "observation", "daily", "cashier",
    ),
    DefaultItem(
        "CL-HND03-1", "HND03",
        ("Customer leaves without a goodbye and never hears from the dealer again",
         "客户离店无人送别，之后也再无联系", "客戶離店無人送別，之後也再無聯繫"),
        ("Advisor walks the customer to the car, hands over the keys, thanks them and sees them off; a follow-up "
         "call within 3 days is recorded", "服务顾问陪同客户到车旁、交付钥匙、致谢并目送离店；3天内完成回访并记录",
         "服務顧問陪同客戶到車旁、交付鑰匙、致謝並目送離店；3天內完成回訪並記錄"),
        "record_check", "weekly", "customer_relations",
    ),
]
