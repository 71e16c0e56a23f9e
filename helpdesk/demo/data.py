"""Content of the demo dataset: a support team's week in six languages."""

TEAMS = ["Customer Support", "Billing", "Technical Support"]

# username, first, last, role, visibility, main team, extra teams, language
USERS = [
    ("admin", "Maya", "Lindqvist", "super_admin", "all", "Customer Support", [], ""),
    ("jonas", "Jonas", "Becker", "agent", "all", "Customer Support", ["Billing"], "de"),
    ("aino", "Aino", "Virtanen", "agent", "teams", "Technical Support", [], "fi"),
    ("kasia", "Katarzyna", "Nowak", "agent", "owned", "Billing", [], "pl"),
    ("minjun", "민준", "김", "agent", "teams", "Customer Support", ["Technical Support"], "ko"),
    ("weiling", "慧玲", "陳", "agent", "all", "Technical Support", [], "zh-hant"),
    ("sam", "Sam", "Ortiz", "collaborator", "teams", "Billing", [], "en"),
]

# Routing (issue 17): each team's method and cap, each agent's languages and skills.
TEAM_ROUTING = {
    "Customer Support": ("round_robin", 25),
    "Technical Support": ("least_open", 20),
    "Billing": ("manual", 0),
}
TEAM_LEADS = {"Customer Support": ["jonas"], "Technical Support": ["aino"]}
AGENT_SKILLS = {
    "admin": (["en", "sv", "fi"], []),
    "jonas": (["de", "en"], ["billing"]),
    "aino": (["fi", "en", "sv"], ["api", "integrations"]),
    "kasia": (["pl", "en"], ["billing", "invoices"]),
    "minjun": (["ko", "en"], ["api"]),
    "weiling": (["zh-hant", "en"], ["integrations"]),
}

OTHER_INBOXES = ["Sales", "Partnerships"]

COMPANIES = [
    ("Northwind Traders", "northwind.example"),
    ("Fabrikam GmbH", "fabrikam.example"),
    ("Kivi & Sammal Oy", "kivisammal.example"),
    ("한빛소프트", "hanbit.example"),
    ("台灣雲端科技", "twcloud.example"),
    ("Zielony Ogród sp. z o.o.", "zielonyogrod.example"),
    ("Contoso Retail", "contoso.example"),
    ("Bäckerei Müller", "baeckerei-mueller.example"),
    ("Lumo Design", "lumo.example"),
    ("서울물류", "seoullogistics.example"),
    ("永豐電子", "yongfeng.example"),
    ("Wydawnictwo Łąka", "laka.example"),
]

# Tags (issue 17): name and colour; the tags a request's subject calls for
# (most tickets get them, as agents forget some), and the companies whose
# tickets are all "vip".
TAGS = [
    ("vip", "purple"),
    ("refund", "amber"),
    ("invoice", "blue"),
    ("bug", "red"),
    ("feature-request", "green"),
    ("login", "grey"),
]
TAGS_BY_SUBJECT = {
    "Can't log in after password reset": ["login"],
    "Invoice shows the wrong VAT number": ["invoice"],
    "Export to CSV times out": ["bug"],
    "Feature request: dark mode": ["feature-request"],
    "Charged twice for the same order": ["refund"],
    "Mobile app crashes on startup": ["bug"],
    "Webhook deliveries failing with 401": ["bug"],
    "Rechnung doppelt erhalten": ["invoice", "refund"],
    "Passwort zurücksetzen funktioniert nicht": ["login"],
    "API-Limit erhöhen": ["feature-request"],
    "Fehlermeldung beim Hochladen von Dateien": ["bug"],
    "Laskussa väärä summa": ["invoice"],
    "Sovellus ei synkronoi": ["bug"],
    "Käyttäjätunnuksen lukitus": ["login"],
    "Raportin vienti Exceliin": ["feature-request"],
    "결제가 두 번 청구되었습니다": ["refund"],
    "비밀번호 재설정 메일이 오지 않아요": ["login"],
    "앱 로그인 오류": ["login", "bug"],
    "세금계산서 발행 요청": ["invoice"],
    "배송 조회가 안 됩니다": ["bug"],
    "無法登入帳號": ["login"],
    "發票抬頭需要更改": ["invoice"],
    "匯出報表失敗": ["bug"],
    "希望新增多語系介面": ["feature-request"],
    "訂單重複扣款": ["refund"],
    "Nie mogę zalogować się do panelu": ["login"],
    "Błędna kwota na fakturze": ["invoice"],
    "Aplikacja nie wysyła powiadomień": ["bug"],
    "Prośba o fakturę korygującą": ["invoice", "refund"],
}
TAGGED_SHARE = 0.7
VIP_COMPANIES = ["Northwind Traders", "한빛소프트"]

# first, last, company index (None for private customers)
CONTACTS = [
    ("Emma", "Wilson", 0),
    ("Oliver", "Brown", 6),
    ("Grace", "Taylor", None),
    ("Liam", "Davies", 0),
    ("Lukas", "Schmidt", 1),
    ("Sophie", "Wagner", 7),
    ("Felix", "Hoffmann", 1),
    ("Anna", "Krüger", None),
    ("Mikko", "Korhonen", 2),
    ("Laura", "Mäkinen", 8),
    ("Juha", "Nieminen", 2),
    ("Sanna", "Heikkinen", None),
    ("지우", "박", 3),
    ("서연", "이", 9),
    ("도윤", "최", 3),
    ("하은", "정", None),
    ("志明", "林", 4),
    ("怡君", "黃", 10),
    ("俊傑", "張", 4),
    ("雅婷", "王", None),
    ("Tomasz", "Wiśniewski", 5),
    ("Agnieszka", "Wójcik", 11),
    ("Paweł", "Kamiński", 5),
    ("Zofia", "Lewandowska", None),
]

DEALS = [
    ("Northwind annual renewal", 24000, "contract", 0),
    ("Fabrikam upgrade to Enterprise", 58000, "qualified", 1),
    ("Kivi & Sammal onboarding", 9600, "won", 2),
    ("한빛소프트 연간 계약", 31000, "appointment", 3),
    ("台灣雲端 擴充方案", 42000, "contract", 4),
    ("Zielony Ogród — nowe licencje", 7200, "qualified", 5),
    ("Contoso seats expansion", 15500, "lost", 6),
]

# (subject, description) per language; the language of the contact who wrote.
REQUESTS = {
    "en": [
        (
            "Can't log in after password reset",
            "I reset my password this morning but the new one is rejected. I need access before our 3 pm meeting.",
        ),
        (
            "Invoice shows the wrong VAT number",
            "Our invoice for October lists an old VAT number. Could you reissue it with the correct one?",
        ),
        (
            "Export to CSV times out",
            "Exporting last quarter's orders stops after a minute with an error. Smaller ranges work.",
        ),
        (
            "Feature request: dark mode",
            "Our night shift would love a dark theme for the dashboard.",
        ),
        (
            "Charged twice for the same order",
            "My card statement shows two charges for order 48213.",
        ),
        (
            "How do I add a second admin?",
            "We are growing and I would like a colleague to manage users too.",
        ),
        (
            "Mobile app crashes on startup",
            "Since yesterday's update the iOS app closes right after the splash screen.",
        ),
        (
            "Webhook deliveries failing with 401",
            "Our endpoint started receiving 401s from your webhooks after we rotated keys.",
        ),
    ],
    "de": [
        (
            "Rechnung doppelt erhalten",
            "Wir haben die Rechnung für November zweimal bekommen. Bitte prüfen Sie, ob sie auch doppelt abgebucht wird.",
        ),
        (
            "Passwort zurücksetzen funktioniert nicht",
            "Der Link in der E-Mail ist abgelaufen, bevor ich ihn öffnen konnte.",
        ),
        (
            "Lieferadresse ändern",
            "Können Sie die Lieferadresse für unsere offene Bestellung auf unser neues Lager ändern?",
        ),
        (
            "API-Limit erhöhen",
            "Wir stoßen täglich an das Limit von 1.000 Anfragen pro Stunde. Gibt es ein höheres Kontingent?",
        ),
        (
            "Fehlermeldung beim Hochladen von Dateien",
            "Beim Hochladen von PDF-Dateien über 10 MB erscheint „Unbekannter Fehler“.",
        ),
        (
            "Kündigung zum Monatsende",
            "Bitte bestätigen Sie die Kündigung unseres Abos zum 30. November.",
        ),
    ],
    "fi": [
        (
            "Laskussa väärä summa",
            "Lokakuun laskussa on veloitettu kolmesta käyttäjästä, vaikka meillä on vain kaksi.",
        ),
        ("Sovellus ei synkronoi", "Puhelimen sovellus ei ole päivittänyt tietoja eilisen jälkeen."),
        (
            "Käyttäjätunnuksen lukitus",
            "Tilini lukittui liian monen kirjautumisyrityksen jälkeen. Voitteko avata sen?",
        ),
        (
            "Raportin vienti Exceliin",
            "Miten saan kuukausiraportin vietyä Exceliin niin, että päivämäärät säilyvät oikein?",
        ),
        (
            "Uuden toimipisteen lisääminen",
            "Avaamme toimipisteen Tampereelle ja tarvitsemme sille oman näkymän.",
        ),
    ],
    "ko": [
        (
            "결제가 두 번 청구되었습니다",
            "이번 달 구독료가 카드에서 두 번 결제되었습니다. 확인 후 환불 부탁드립니다.",
        ),
        (
            "비밀번호 재설정 메일이 오지 않아요",
            "비밀번호 재설정을 여러 번 요청했지만 메일을 받지 못했습니다.",
        ),
        ("앱 로그인 오류", "안드로이드 앱에서 로그인하면 '알 수 없는 오류' 메시지가 표시됩니다."),
        ("세금계산서 발행 요청", "지난달 결제 건에 대한 세금계산서를 발행해 주실 수 있나요?"),
        ("배송 조회가 안 됩니다", "주문번호 20931의 배송 상태가 3일째 업데이트되지 않고 있습니다."),
    ],
    "zh-hant": [
        ("無法登入帳號", "我今天早上開始無法登入，系統一直顯示密碼錯誤，但我確定密碼是正確的。"),
        ("發票抬頭需要更改", "請協助將十月份的發票抬頭改為我們公司的新名稱。"),
        ("匯出報表失敗", "匯出上個月的銷售報表時，頁面一直停在載入中。"),
        ("希望新增多語系介面", "我們的團隊成員來自不同國家，希望系統能支援日文介面。"),
        ("訂單重複扣款", "訂單編號 55120 在信用卡帳單上出現兩筆相同的扣款。"),
    ],
    "pl": [
        (
            "Nie mogę zalogować się do panelu",
            "Od wczoraj przy logowaniu pojawia się komunikat „Nieprawidłowa sesja”.",
        ),
        (
            "Błędna kwota na fakturze",
            "Na fakturze za październik naliczono opłatę za dodatkowy moduł, którego nie zamawialiśmy.",
        ),
        (
            "Zmiana danych firmy",
            "Zmieniliśmy adres siedziby. Proszę o aktualizację danych na przyszłych fakturach.",
        ),
        (
            "Aplikacja nie wysyła powiadomień",
            "Po aktualizacji systemu Android przestały przychodzić powiadomienia push.",
        ),
        (
            "Prośba o fakturę korygującą",
            "Proszę o wystawienie faktury korygującej do zamówienia nr 7731.",
        ),
    ],
}

# Which language each contact writes in, by index in CONTACTS.
CONTACT_LANGUAGES = ["en"] * 4 + ["de"] * 4 + ["fi"] * 4 + ["ko"] * 4 + ["zh-hant"] * 4 + ["pl"] * 4

PROPERTIES = [
    # key, label, type, choices, on create form
    (
        "product_area",
        "Product area",
        "choice",
        ["Billing portal", "Mobile app", "API", "Reporting", "Account"],
        True,
    ),
    ("order_number", "Order number", "text", [], True),
    (
        "resolution",
        "Resolution",
        "choice",
        ["Fixed", "Workaround", "Not reproducible", "Duplicate"],
        False,
    ),
    ("renewal_date", "Renewal date", "date", [], False),
]

PIPELINES = [
    (
        "Support pipeline",
        [
            ("New", False, []),
            ("Waiting on contact", False, []),
            ("Waiting on us", False, []),
            ("Closed", True, ["category"]),
        ],
    ),
    (
        "Escalations",
        [
            ("Triage", False, []),
            ("In progress", False, []),
            ("Resolved", True, ["priority", "resolution"]),
            ("Won't fix", True, []),
        ],
    ),
]

# Names in the other UI languages (issue 14), by English name: teams,
# pipelines, statuses, custom properties and their options, custom views.
# "API" reads the same everywhere, so it has none.
LABELS = {
    # Teams
    "Customer Support": {
        "ko": "고객 지원",
        "fi": "Asiakastuki",
        "de": "Kundensupport",
        "zh-hant": "客戶支援",
        "pl": "Obsługa klienta",
    },
    "Billing": {
        "ko": "결제",
        "fi": "Laskutus",
        "de": "Abrechnung",
        "zh-hant": "帳務",
        "pl": "Rozliczenia",
    },
    "Technical Support": {
        "ko": "기술 지원",
        "fi": "Tekninen tuki",
        "de": "Technischer Support",
        "zh-hant": "技術支援",
        "pl": "Wsparcie techniczne",
    },
    # Pipelines and their statuses
    "Support pipeline": {
        "ko": "지원 파이프라인",
        "fi": "Tukiputki",
        "de": "Support-Pipeline",
        "zh-hant": "支援管道",
        "pl": "Potok wsparcia",
    },
    "New": {"ko": "신규", "fi": "Uusi", "de": "Neu", "zh-hant": "新建", "pl": "Nowe"},
    "Waiting on contact": {
        "ko": "연락처 응답 대기",
        "fi": "Odottaa yhteyshenkilöä",
        "de": "Wartet auf Kontakt",
        "zh-hant": "等待聯絡人",
        "pl": "Oczekiwanie na kontakt",
    },
    "Waiting on us": {
        "ko": "내부 처리 대기",
        "fi": "Odottaa meitä",
        "de": "Wartet auf uns",
        "zh-hant": "等待我方處理",
        "pl": "Oczekiwanie na nas",
    },
    "Closed": {
        "ko": "종료",
        "fi": "Suljettu",
        "de": "Geschlossen",
        "zh-hant": "已關閉",
        "pl": "Zamknięte",
    },
    "Escalations": {
        "ko": "에스컬레이션",
        "fi": "Eskalaatiot",
        "de": "Eskalationen",
        "zh-hant": "升級處理",
        "pl": "Eskalacje",
    },
    "Triage": {
        "ko": "분류",
        "fi": "Luokittelu",
        "de": "Sichtung",
        "zh-hant": "分流",
        "pl": "Wstępna ocena",
    },
    "In progress": {
        "ko": "진행 중",
        "fi": "Työn alla",
        "de": "In Bearbeitung",
        "zh-hant": "處理中",
        "pl": "W toku",
    },
    "Resolved": {
        "ko": "해결됨",
        "fi": "Ratkaistu",
        "de": "Gelöst",
        "zh-hant": "已解決",
        "pl": "Rozwiązane",
    },
    "Won't fix": {
        "ko": "수정 안 함",
        "fi": "Ei korjata",
        "de": "Wird nicht behoben",
        "zh-hant": "不予修正",
        "pl": "Nie będzie naprawiane",
    },
    # Custom properties and their options
    "Product area": {
        "ko": "제품 영역",
        "fi": "Tuotealue",
        "de": "Produktbereich",
        "zh-hant": "產品範圍",
        "pl": "Obszar produktu",
    },
    "Billing portal": {
        "ko": "결제 포털",
        "fi": "Laskutusportaali",
        "de": "Abrechnungsportal",
        "zh-hant": "帳務入口網站",
        "pl": "Portal rozliczeń",
    },
    "Mobile app": {
        "ko": "모바일 앱",
        "fi": "Mobiilisovellus",
        "de": "Mobile App",
        "zh-hant": "行動應用程式",
        "pl": "Aplikacja mobilna",
    },
    "Reporting": {
        "ko": "리포트",
        "fi": "Raportointi",
        "de": "Berichte",
        "zh-hant": "報表",
        "pl": "Raportowanie",
    },
    "Account": {"ko": "계정", "fi": "Tili", "de": "Konto", "zh-hant": "帳戶", "pl": "Konto"},
    "Order number": {
        "ko": "주문 번호",
        "fi": "Tilausnumero",
        "de": "Bestellnummer",
        "zh-hant": "訂單編號",
        "pl": "Numer zamówienia",
    },
    "Resolution": {
        "ko": "해결 방법",
        "fi": "Ratkaisu",
        "de": "Lösung",
        "zh-hant": "解決方式",
        "pl": "Rozwiązanie",
    },
    "Fixed": {
        "ko": "수정됨",
        "fi": "Korjattu",
        "de": "Behoben",
        "zh-hant": "已修正",
        "pl": "Naprawione",
    },
    "Workaround": {
        "ko": "임시 해결책",
        "fi": "Kiertotie",
        "de": "Umgehungslösung",
        "zh-hant": "替代方案",
        "pl": "Obejście",
    },
    "Not reproducible": {
        "ko": "재현 불가",
        "fi": "Ei toistettavissa",
        "de": "Nicht reproduzierbar",
        "zh-hant": "無法重現",
        "pl": "Nie do odtworzenia",
    },
    "Duplicate": {
        "ko": "중복",
        "fi": "Kaksoiskappale",
        "de": "Duplikat",
        "zh-hant": "重複",
        "pl": "Duplikat",
    },
    "Renewal date": {
        "ko": "갱신일",
        "fi": "Uusimispäivä",
        "de": "Verlängerungsdatum",
        "zh-hant": "續約日期",
        "pl": "Data odnowienia",
    },
    # Custom views
    "Urgent and high, still open": {
        "ko": "긴급·높음, 미해결",
        "fi": "Kiireelliset ja korkeat, yhä avoinna",
        "de": "Dringend und hoch, noch offen",
        "zh-hant": "緊急與高優先，尚未結案",
        "pl": "Pilne i wysokie, nadal otwarte",
    },
    # Macros
    "Ask for order number": {
        "ko": "주문 번호 요청",
        "fi": "Pyydä tilausnumeroa",
        "de": "Nach Bestellnummer fragen",
        "zh-hant": "索取訂單編號",
        "pl": "Poproś o numer zamówienia",
    },
    "Escalate to billing": {
        "ko": "결제팀으로 이관",
        "fi": "Siirrä laskutukselle",
        "de": "An Abrechnung eskalieren",
        "zh-hant": "轉交帳務團隊",
        "pl": "Przekaż do rozliczeń",
    },
    "Solve as answered": {
        "ko": "답변 완료로 종료",
        "fi": "Ratkaise vastattuna",
        "de": "Als beantwortet schließen",
        "zh-hant": "以已答覆結案",
        "pl": "Zamknij jako odpowiedziane",
    },
    "SLA at risk": {
        "ko": "SLA 위험",
        "fi": "SLA vaarassa",
        "de": "SLA gefährdet",
        "zh-hant": "SLA 有風險",
        "pl": "SLA zagrożone",
    },
    "My billing tickets": {
        "ko": "내 결제 티켓",
        "fi": "Omat laskutustiketit",
        "de": "Meine Abrechnungstickets",
        "zh-hant": "我的帳務票單",
        "pl": "Moje zgłoszenia rozliczeniowe",
    },
}

# Team email addresses (S17): the first is the help desk's main address.
ADDRESSES = [
    ("support@helpdesk.example", "Customer Support", ["Customer Support", "Technical Support"]),
    ("billing@helpdesk.example", "Billing", ["Billing"]),
]

# An agent's first answer, in the customer's language.
REPLIES = {
    "en": "Thanks for reaching out. I'm looking into this now and will get back to you today.",
    "de": "Vielen Dank für Ihre Nachricht. Ich sehe mir das gleich an und melde mich heute noch.",
    "fi": "Kiitos viestistäsi. Selvitän asiaa ja palaan sinulle vielä tänään.",
    "ko": "문의해 주셔서 감사합니다. 지금 확인하고 있으며 오늘 중으로 다시 연락드리겠습니다.",
    "zh-hant": "感謝您的來信。我正在確認這個問題，今天內會再回覆您。",
    "pl": "Dziękujemy za wiadomość. Sprawdzam to teraz i odezwę się jeszcze dziś.",
}

# A customer's answer to the agent's reply, quoting it the way mail clients do
# in that language (the conversation folds the quote).
FOLLOW_UPS = {
    "en": ("Thank you, that helps!", "On {date}, {agent} wrote:"),
    "de": ("Danke, das hilft mir weiter!", "Am {date} schrieb {agent}:"),
    "fi": ("Kiitos, tämä auttoi!", "{date} {agent} kirjoitti:"),
    "ko": ("감사합니다. 도움이 많이 되었어요!", "{date}, {agent} 작성:"),
    "zh-hant": ("謝謝，這對我很有幫助！", "{agent} 於 {date} 寫道："),
    "pl": ("Dziękuję, to bardzo pomogło!", "{date} {agent} napisał(a):"),
}

COMMENTS = [
    "Same issue as last week: check the payment provider's log first.",
    "Escalated to the product team, waiting for their answer.",
    "Customer is on the annual plan, refund needs approval from Billing.",
]

SNIPPETS = [
    ("Thanks for waiting", "thanks", "Thank you for your patience while we looked into this."),
    (
        "Ask for a screenshot",
        "screenshot",
        "Could you send us a screenshot of the error message? It helps us find the cause faster.",
    ),
]

TEMPLATES = [
    (
        "Refund confirmed",
        "Hi {contact_first_name},\n\nYour refund for ticket {ticket_number} is on its way and "
        "should reach your account within 5 business days.\n\nBest regards,\n{agent_name}",
    ),
    (
        "Closing after no reply",
        "Hi {contact_first_name},\n\nWe haven't heard back about {ticket_name}, so we are closing "
        "ticket {ticket_number}. Just reply to this email to reopen it.\n\n{agent_name}",
    ),
]

ARTICLES = [
    (
        "How to reset your password",
        "Open the sign-in page, choose 'Forgot password' and follow the link we email you.",
        "https://help.example.com/articles/reset-password",
    ),
    (
        "Understanding your invoice",
        "Each invoice lists your plan, the number of seats and any one-off charges.",
        "https://help.example.com/articles/invoices",
    ),
]

MEETINGS = [("Book a 30-minute call", "https://meet.example.com/support-30")]

# The demo chat widget's chatbot: (topic button, words that ask about it, answer).
BOT_ANSWERS = [
    (
        "Delivery times",
        "delivery, shipping, parcel, Lieferung, toimitus, 배송, 配送, dostawa",
        "Orders leave our warehouse within one working day and arrive in 2-3 working days.",
    ),
    (
        "Reset my password",
        "password, login, Passwort, salasana, 비밀번호, 密碼, hasło",
        "Use “Forgot password” on the sign-in page; the link in the email works for one hour.",
    ),
    (
        "Invoices",
        "invoice, bill, Rechnung, lasku, 청구서, 發票, faktura",
        "Invoices are under Account → Billing, as PDF, for the last 24 months.",
    ),
]

# SLA goals by priority: (priority, first response, next response, close, due
# soon), in working minutes.
SLA_GOALS = [
    ("urgent", 30, 60, 8 * 60, 15),
    ("high", 60, 2 * 60, 2 * 10 * 60, 30),
    ("medium", 4 * 60, 4 * 60, 5 * 10 * 60, 60),
    ("low", 10 * 60, 10 * 60, 10 * 10 * 60, 120),
    ("", 4 * 60, 4 * 60, 5 * 10 * 60, 60),
]

# Every channel connected (S12), and one item from each arriving through it the
# way customers send them: the tickets of the demo's present moment.
WEB_FORM = {
    "name": "Contact support",
    "slug": "support",
    "title": "How can we help?",
    "intro": "Tell us what happened. We answer by email, usually within one working day.",
    "allowed_origins": "https://www.northwind.example",
}
# kind, label, required, property key (for custom property fields)
WEB_FORM_FIELDS = [
    ("first_name", "First name", False, ""),
    ("last_name", "Last name", False, ""),
    ("email", "Email", True, ""),
    ("subject", "Subject", True, ""),
    ("property", "Order number", False, "order_number"),
    ("message", "How can we help?", True, ""),
    ("file", "Attachment (screenshot, invoice…)", False, ""),
]
# A customer's submission: values by field kind, and the file they attach.
WEB_FORM_SUBMISSION = {
    "first_name": "Zofia",
    "last_name": "Lewandowska",
    "email": "zofia.lewandowska@mail.example",
    "subject": "Podwójne obciążenie za zamówienie 4471",
    "property": "4471",
    "message": (
        "Dzień dobry,\n\nza zamówienie 4471 karta została obciążona dwa razy. "
        "W załączniku przesyłam potwierdzenie z banku.\n\nPozdrawiam\nZofia Lewandowska"
    ),
}
WEB_FORM_FILE = (
    "potwierdzenie-4471.pdf",
    "Potwierdzenie obciazenia karty",
    [
        "Zamowienie: 4471",
        "Obciazenie 1: 2026-03-02, 249,00 PLN",
        "Obciazenie 2: 2026-03-02, 249,00 PLN",
        "Karta: **** **** **** 4410",
    ],
)

MESSENGER_PAGE = {
    "page_id": "104857600000001",
    "name": "Northwind Traders",
    # The Page access token is read from this environment variable when agents reply.
    "access_token_env": "MESSENGER_TOKEN_NORTHWIND",
}
MESSENGER_MESSAGE = (
    "6518000000000001",  # the person's page-scoped id
    # Its first line becomes the ticket's name.
    "주문한 상품이 아직 도착하지 않았어요\n안녕하세요, 주문번호 20931 배송 상태 확인 부탁드립니다.",
)

# A chat visitor who asks the chatbot first, then for a person.
CHAT_VISITOR = {"name": "陳雅婷", "email": "yating.chen@twcloud.example"}
CHAT_TURNS = ["發票在哪裡下載？", "我想找真人，十月份的發票金額不對。"]

# An email with an inline screenshot and a PDF invoice attached.
EMAIL_WITH_FILES = {
    "contact": ("Lukas", "Schmidt"),
    "subject": "Fehlermeldung beim Bezahlen der Rechnung",
    "text": (
        "Hallo,\n\nbeim Bezahlen der angehängten Rechnung erscheint im Kundenportal "
        "nur eine rote Fehlermeldung (siehe Screenshot). Können Sie das prüfen?\n\n"
        "Viele Grüße\nLukas Schmidt"
    ),
    "screenshot": "fehlermeldung.png",
    "invoice": (
        "Rechnung-2026-0142.pdf",
        "Rechnung 2026-0142",
        [
            "Fabrikam GmbH",
            "Leistungszeitraum: März 2026",
            "Betrag: 1.240,00 EUR",
            "Fällig: 2026-04-15",
        ],
    ),
}


# Shared macros (issue 17): name, sharing team (None: everyone) and actions by
# names, resolved to ids when seeded. Reply texts keep their {placeholders}.
MACROS = [
    (
        "Ask for order number",
        None,
        [
            ("set_status", "Waiting on contact"),
            (
                "reply_text",
                "<p>Hi {contact_first_name},</p><p>Thanks for writing to us. Could you send "
                "the order number of your purchase? It is in the confirmation email and "
                "starts with “NW-”. We will look into {ticket_number} as soon as we have it.</p>"
                "<p>{agent_name}</p>",
                {
                    "ko": "<p>{contact_first_name}님, 안녕하세요.</p><p>문의해 주셔서 감사합니다. "
                    "구매하신 주문의 주문 번호를 보내 주시겠어요? 주문 확인 이메일에 있으며 "
                    "“NW-”로 시작합니다. 번호를 받는 대로 {ticket_number} 건을 확인하겠습니다.</p>"
                    "<p>{agent_name} 드림</p>",
                },
            ),
        ],
    ),
    (
        "Escalate to billing",
        "Billing",
        [
            ("set_team", "Billing"),
            ("set_priority", "high"),
            ("set_category", "billing_issue"),
            (
                "comment",
                "<p>Escalated to Billing: please check the invoice and the payment "
                "history of {contact_name}.</p>",
            ),
        ],
    ),
    (
        "Solve as answered",
        None,
        [("set_status", "Closed")],
    ),
]

# What customers wrote with their satisfaction rating, in their language
# (the demo's surveys: a few of the week's closed tickets were rated).
SURVEY_COMMENTS = {
    "en": {
        "good": [
            "Sorted out within the hour, thank you!",
            "Clear answer and very friendly.",
            "Exactly what I needed, no back and forth.",
        ],
        "bad": [
            "It took three days to get a first reply.",
            "I had to explain the problem twice.",
        ],
    },
    "de": {
        "good": [
            "Schnelle und freundliche Hilfe, vielen Dank!",
            "Die Anleitung hat sofort funktioniert.",
        ],
        "bad": ["Die Antwort kam erst nach mehreren Tagen.", "Mein Problem ist nicht gelöst."],
    },
    "fi": {
        "good": ["Nopea ja selkeä vastaus, kiitos!", "Ongelma ratkesi heti."],
        "bad": ["Vastausta piti odottaa liian kauan."],
    },
    "ko": {
        "good": ["빠르고 친절하게 도와주셔서 감사합니다!", "설명이 명확해서 바로 해결했어요."],
        "bad": ["답변을 받기까지 너무 오래 걸렸어요."],
    },
    "zh-hant": {
        "good": ["回覆很快，問題馬上解決了，謝謝！", "說明清楚又有耐心。"],
        "bad": ["等了好幾天才收到回覆。"],
    },
    "pl": {
        "good": ["Szybka i konkretna pomoc, dziękuję!", "Wszystko jasno wyjaśnione."],
        "bad": ["Na odpowiedź czekałem kilka dni."],
    },
}
