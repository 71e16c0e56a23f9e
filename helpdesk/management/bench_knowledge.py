"""The help center's lines of `make bench` (issue 20): 10,000 articles (at
full size), each in English and a share in the other five languages, then
the public pages as an anonymous visitor: an article (target p95 <= 30 ms),
search (target p95 <= 60 ms), the home and a category page. The articles are
seeded once and kept; a database holding another count is seeded again."""

import random

from django.db import connection, transaction
from django.test import Client
from django.utils.text import slugify

from knowledge.models import Article, Category, Section, Translation
from knowledge.search import document

ARTICLES = 10_000
CATEGORIES = 20
SECTIONS_PER_CATEGORY = 5
ARTICLE_TARGET = 30
SEARCH_TARGET = 60
# Besides English: every nth article also in this language.
OTHER_LANGUAGES = {"ko": 3, "fi": 5, "de": 5, "zh-hant": 5, "pl": 5}
WORDS = {
    "en": "invoice login password refund export crash sync webhook delivery account billing "
    "settings team member plan seats report filter email address phone integration".split(),
    "ko": "결제 배송 로그인 환불 비밀번호 계정 설정 요금제 보고서 연동 이메일 주소".split(),
    "fi": "lasku kirjautuminen salasana palautus toimitus tili asetukset raportti".split(),
    "de": "Rechnung Passwort Lieferung Rückerstattung Konto Einstellungen Bericht".split(),
    "zh-hant": "發票 登入 匯出 退款 密碼 帳戶 設定 報告 配送 電子郵件".split(),
    "pl": "faktura logowanie hasło zwrot dostawa konto ustawienia raport płatność".split(),
}
RARE = "quarantine"  # in one English article in a thousand
VOCABULARY = 4000  # made-up words per language besides the help desk's own
SYLLABLES = {
    "en": "ka lo mi ne ro sa ti vu be da fe go".split(),
    "fi": "ta lo ka mi su ne vä ri ky jo".split(),
    "de": "ber gen sch ta ung lei mo ri ke".split(),
    "pl": "prz ko wa ni sz ła dy mo że".split(),
    "ko": list("가나다라마바사아자차카타파하고노도로모보소오조"),
    "zh-hant": list(
        "的一是在不了有和人這中大為上個國我以要他時來用們生到作地於出就分對成會可主發年動同工也能下過子說產種面而方後多定行學法所民得經十三之進著等部度家電力裡如水化高自二理起小物現實加量都兩體制機當使點從業本去把性好應開它合還因由其些然前外天政四日那社義事平形相全表間樣與關各重新線內數正心反你明看原又麼利比或但質氣第向道命此變條只沒結解問意建月公無系軍很情者最立代想已通並提直題黨程展五果料象員革位入常文總次品式活設及管特件長求老頭基資邊流路級少圖山統接知較將組見計別她手角期根論運農指幾九區強放決西被幹做必戰先回則任取據處府研"
    ),
}


def _vocabulary(rng: random.Random, language: str) -> list[str]:
    syllables = SYLLABLES[language]
    words = set()
    while len(words) < VOCABULARY:
        words.add("".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))))
    return sorted(words)


def _text(rng: random.Random, vocabulary, language: str, n: int, words: int) -> str:
    """Words drawn with a long tail (a few common, most rare), and each of the
    help desk's own words in about one article in eight."""
    pool = vocabulary[language]
    chosen = [pool[min(len(pool) - 1, int(rng.paretovariate(1.1)) - 1)] for _ in range(words)]
    chosen = [w if rng.random() < 0.5 else rng.choice(pool) for w in chosen]
    for word in WORDS[language]:
        if rng.random() < 0.125 * words / 160:
            chosen.insert(rng.randrange(len(chosen) + 1), word)
    joiner = "" if language in ("ko", "zh-hant") and n % 2 else " "
    body = joiner.join(chosen)
    if language == "en" and n % 1000 == 7:
        body += f" {RARE}"
    return body


def seed(count: int) -> None:
    if Translation.objects.filter(language="en").count() == count:
        return
    rng = random.Random(20)
    vocabulary = {language: _vocabulary(rng, language) for language in WORDS}
    with transaction.atomic():
        Translation.objects.all().delete()
        Article.objects.all().delete()
        Section.objects.all().delete()
        Category.objects.all().delete()
        categories = Category.objects.bulk_create(
            Category(name=f"Bench category {c}", slug=f"bench-{c}", position=c)
            for c in range(CATEGORIES)
        )
        sections = Section.objects.bulk_create(
            Section(category=category, name=f"Section {s}", position=s)
            for category in categories
            for s in range(SECTIONS_PER_CATEGORY)
        )
        articles = Article.objects.bulk_create(
            Article(
                category=sections[n % len(sections)].category,
                section=sections[n % len(sections)],
                tags=[rng.choice(WORDS["en"])],
                position=n,
            )
            for n in range(count)
        )
        rows = []
        for n, article in enumerate(articles):
            for language in ("en", *OTHER_LANGUAGES):
                if language != "en" and n % OTHER_LANGUAGES[language]:
                    continue
                title = _text(rng, vocabulary, language, n, 6).capitalize()
                text = "\n\n".join(_text(rng, vocabulary, language, n, 40) for _p in range(4))
                body = "".join(f"<p>{p}</p>" for p in text.split("\n\n"))
                rows.append(
                    Translation(
                        article=article,
                        language=language,
                        title=title,
                        slug=slugify(title, allow_unicode=True)[:80],
                        body=body,
                        text=text,
                        state=Translation.State.PUBLISHED if n % 20 else Translation.State.DRAFT,
                        helpful_yes=n % 17,
                        search_vector=document(title, text, article.tags),
                    )
                )
        Translation.objects.bulk_create(rows, batch_size=2000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE knowledge_translation")


def measure(runs: int, tickets: int, time_request, case) -> list[dict]:
    """The help center's pages, timed like the workspace's (time_request)."""
    count = min(ARTICLES, max(100, tickets))
    seed(count)
    visitor = Client(SERVER_NAME="localhost")
    published = Translation.objects.filter(state=Translation.State.PUBLISHED)
    english = published.filter(language="en").order_by("-id").first()
    korean = published.filter(language="ko").order_by("-id").first()
    category = english.article.category
    found = f"({count:,} articles)"
    cases = [
        case(f"help center article page {found}", visitor, english.get_absolute_url(), {}, {}, ARTICLE_TARGET),
        case(f"help center article page, Korean {found}", visitor, korean.get_absolute_url(), {}, {}, ARTICLE_TARGET),
        case(f"help center search common word {found}", visitor, "/help/en/search/", {"q": "refund"}, {}, SEARCH_TARGET),
        case(f"help center search rare word {found}", visitor, "/help/en/search/", {"q": RARE}, {}, SEARCH_TARGET),
        case(f"help center search Korean without spaces {found}", visitor, "/help/ko/search/", {"q": "환불"}, {}, SEARCH_TARGET),
        case(f"help center search two words, Polish without diacritics {found}", visitor, "/help/pl/search/", {"q": "haslo platnosc"}, {}, SEARCH_TARGET),
        case(f"help center home {found}", visitor, "/help/en/", {}, {}),
        case(f"help center category page {found}", visitor, f"/help/en/categories/{category.slug}/", {}, {}),
    ]  # fmt: skip
    return [time_request(c, runs) for c in cases]
