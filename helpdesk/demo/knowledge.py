"""The demo's help center (issue 20): two categories and three articles, each
in all six languages, published by the admin."""

CATEGORIES = [
    # slug, name, labels, icon, description, descriptions
    (
        "billing",
        "Billing",
        {"ko": "결제", "fi": "Laskutus", "de": "Abrechnung", "zh-hant": "帳單", "pl": "Płatności"},
        "receipt",
        "Invoices, refunds and payment methods.",
        {
            "ko": "청구서, 환불, 결제 수단",
            "fi": "Laskut, hyvitykset ja maksutavat.",
            "de": "Rechnungen, Rückerstattungen und Zahlungsarten.",
            "zh-hant": "發票、退款與付款方式。",
            "pl": "Faktury, zwroty i metody płatności.",
        },
    ),
    (
        "account",
        "Your account",
        {
            "ko": "계정",
            "fi": "Tilisi",
            "de": "Ihr Konto",
            "zh-hant": "您的帳戶",
            "pl": "Twoje konto",
        },
        "user",
        "Signing in, passwords and team members.",
        {
            "ko": "로그인, 비밀번호, 팀원",
            "fi": "Kirjautuminen, salasanat ja tiimin jäsenet.",
            "de": "Anmeldung, Passwörter und Teammitglieder.",
            "zh-hant": "登入、密碼與團隊成員。",
            "pl": "Logowanie, hasła i członkowie zespołu.",
        },
    ),
]
SECTIONS = {
    "billing": [
        (
            "Refunds",
            {
                "ko": "환불",
                "fi": "Hyvitykset",
                "de": "Rückerstattungen",
                "zh-hant": "退款",
                "pl": "Zwroty",
            },
        ),
        (
            "Invoices",
            {
                "ko": "청구서",
                "fi": "Laskut",
                "de": "Rechnungen",
                "zh-hant": "發票",
                "pl": "Faktury",
            },
        ),
    ],
    "account": [
        (
            "Signing in",
            {
                "ko": "로그인",
                "fi": "Kirjautuminen",
                "de": "Anmeldung",
                "zh-hant": "登入",
                "pl": "Logowanie",
            },
        )
    ],
}

# (category, section, tags, {language: (title, summary, body html)})
ARTICLES = [
    (
        "billing",
        "Refunds",
        ["refund"],
        {
            "en": (
                "How to request a refund",
                "Refunds take up to five business days.",
                "<p>You can request a refund within 30 days of a payment.</p><h2>Steps</h2>"
                "<ol><li>Open <b>Billing</b> in the settings.</li><li>Choose the payment and "
                "click <b>Request refund</b>.</li><li>Tell us why, then send.</li></ol>"
                "<p>The money is back on your card within five business days.</p>",
            ),
            "ko": (
                "환불 요청 방법",
                "환불은 영업일 기준 최대 5일이 걸립니다.",
                "<p>결제 후 30일 이내에 환불을 요청할 수 있습니다.</p><h2>단계</h2>"
                "<ol><li>설정에서 <b>결제</b>를 엽니다.</li><li>결제 내역을 선택하고 "
                "<b>환불 요청</b>을 클릭합니다.</li><li>사유를 입력한 후 보냅니다.</li></ol>"
                "<p>영업일 기준 5일 이내에 카드로 환불됩니다.</p>",
            ),
            "fi": (
                "Näin pyydät hyvitystä",
                "Hyvitys kestää enintään viisi arkipäivää.",
                "<p>Voit pyytää hyvitystä 30 päivän kuluessa maksusta.</p><h2>Vaiheet</h2>"
                "<ol><li>Avaa asetuksista <b>Laskutus</b>.</li><li>Valitse maksu ja napsauta "
                "<b>Pyydä hyvitystä</b>.</li><li>Kerro syy ja lähetä.</li></ol>"
                "<p>Rahat palautuvat kortillesi viiden arkipäivän kuluessa.</p>",
            ),
            "de": (
                "So beantragen Sie eine Rückerstattung",
                "Eine Rückerstattung dauert bis zu fünf Werktage.",
                "<p>Sie können innerhalb von 30 Tagen nach einer Zahlung eine Rückerstattung "
                "beantragen.</p><h2>Schritte</h2><ol><li>Öffnen Sie <b>Abrechnung</b> in den "
                "Einstellungen.</li><li>Wählen Sie die Zahlung und klicken Sie auf "
                "<b>Rückerstattung beantragen</b>.</li><li>Nennen Sie den Grund und senden Sie ab."
                "</li></ol><p>Das Geld ist innerhalb von fünf Werktagen wieder auf Ihrer Karte.</p>",
            ),
            "zh-hant": (
                "如何申請退款",
                "退款最多需要五個工作天。",
                "<p>您可以在付款後 30 天內申請退款。</p><h2>步驟</h2>"
                "<ol><li>在設定中開啟<b>帳單</b>。</li><li>選擇該筆付款，然後按一下"
                "<b>申請退款</b>。</li><li>說明原因後送出。</li></ol>"
                "<p>款項會在五個工作天內退回您的信用卡。</p>",
            ),
            "pl": (
                "Jak poprosić o zwrot pieniędzy",
                "Zwrot trwa do pięciu dni roboczych.",
                "<p>O zwrot możesz poprosić w ciągu 30 dni od płatności.</p><h2>Kroki</h2>"
                "<ol><li>Otwórz <b>Płatności</b> w ustawieniach.</li><li>Wybierz płatność i "
                "kliknij <b>Poproś o zwrot</b>.</li><li>Podaj powód i wyślij.</li></ol>"
                "<p>Pieniądze wrócą na kartę w ciągu pięciu dni roboczych.</p>",
            ),
        },
    ),
    (
        "billing",
        "Invoices",
        ["invoice", "VAT"],
        {
            "en": (
                "Understanding your invoice",
                "What each line of the invoice means, and how to change the VAT number.",
                "<p>Each invoice lists your plan, the number of seats and the period.</p>"
                "<p>To change the company name or VAT number, edit <b>Billing details</b> "
                "before the next invoice is made.</p>",
            ),
            "ko": (
                "청구서 이해하기",
                "청구서 각 항목의 의미와 사업자 번호를 변경하는 방법입니다.",
                "<p>각 청구서에는 요금제, 시트 수, 청구 기간이 표시됩니다.</p>"
                "<p>회사 이름이나 사업자 번호를 변경하려면 다음 청구서가 발행되기 전에 "
                "<b>결제 정보</b>를 수정하세요.</p>",
            ),
            "fi": (
                "Laskun tiedot",
                "Mitä laskun rivit tarkoittavat ja miten ALV-tunnus vaihdetaan.",
                "<p>Jokaisessa laskussa näkyvät tilauksesi, käyttäjäpaikkojen määrä ja jakso.</p>"
                "<p>Vaihda yrityksen nimi tai ALV-tunnus kohdassa <b>Laskutustiedot</b> ennen "
                "seuraavaa laskua.</p>",
            ),
            "de": (
                "Ihre Rechnung verstehen",
                "Was jede Zeile der Rechnung bedeutet und wie Sie die USt-IdNr. ändern.",
                "<p>Jede Rechnung nennt Ihren Tarif, die Anzahl der Plätze und den Zeitraum.</p>"
                "<p>Um Firmennamen oder USt-IdNr. zu ändern, bearbeiten Sie die "
                "<b>Rechnungsdaten</b> vor der nächsten Rechnung.</p>",
            ),
            "zh-hant": (
                "了解您的發票",
                "發票上每一行的意義，以及如何變更統一編號。",
                "<p>每張發票都會列出您的方案、席位數量與計費期間。</p>"
                "<p>若要變更公司名稱或統一編號，請在下一張發票開立前編輯<b>帳單資料</b>。</p>",
            ),
            "pl": (
                "Jak czytać fakturę",
                "Co oznacza każda pozycja faktury i jak zmienić numer NIP.",
                "<p>Każda faktura zawiera plan, liczbę stanowisk i okres rozliczeniowy.</p>"
                "<p>Aby zmienić nazwę firmy lub numer NIP, edytuj <b>Dane rozliczeniowe</b> "
                "przed wystawieniem kolejnej faktury.</p>",
            ),
        },
    ),
    (
        "account",
        "Signing in",
        ["password", "login"],
        {
            "en": (
                "Reset your password",
                "Use the forgot password link on the sign-in page.",
                "<p>On the sign-in page, click <b>Forgot password</b> and enter your email "
                "address. The link in the email works for one hour.</p>",
            ),
            "ko": (
                "비밀번호 재설정",
                "로그인 페이지의 비밀번호 찾기 링크를 사용하세요.",
                "<p>로그인 페이지에서 <b>비밀번호 찾기</b>를 클릭하고 이메일 주소를 입력하세요. "
                "이메일의 링크는 1시간 동안 유효합니다.</p>",
            ),
            "fi": (
                "Salasanan vaihtaminen",
                "Käytä kirjautumissivun Unohtunut salasana -linkkiä.",
                "<p>Napsauta kirjautumissivulla <b>Unohtunut salasana</b> ja anna "
                "sähköpostiosoitteesi. Sähköpostin linkki toimii tunnin.</p>",
            ),
            "de": (
                "Passwort zurücksetzen",
                "Nutzen Sie den Link „Passwort vergessen“ auf der Anmeldeseite.",
                "<p>Klicken Sie auf der Anmeldeseite auf <b>Passwort vergessen</b> und geben Sie "
                "Ihre E-Mail-Adresse ein. Der Link in der E-Mail gilt eine Stunde.</p>",
            ),
            "zh-hant": (
                "重設密碼",
                "使用登入頁面上的「忘記密碼」連結。",
                "<p>在登入頁面按一下<b>忘記密碼</b>，然後輸入您的電子郵件地址。"
                "郵件中的連結在一小時內有效。</p>",
            ),
            "pl": (
                "Resetowanie hasła",
                "Użyj linku „Nie pamiętam hasła” na stronie logowania.",
                "<p>Na stronie logowania kliknij <b>Nie pamiętam hasła</b> i podaj adres "
                "e-mail. Link w wiadomości działa przez godzinę.</p>",
            ),
        },
    ),
]
