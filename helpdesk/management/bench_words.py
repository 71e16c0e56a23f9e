"""What the bench dataset's tickets say: its share of open tickets, common
words, rare words and the syllables they are spelt from. Plain Python, no
import of ours or of Django's: the peer comparison's seed (scripts/peer, in
a venv where the peer's own `helpdesk` package takes our name) loads this
file by its path, so both datasets are drawn from the same words."""

OPEN_SHARE = 0.08  # a help desk closes most of what it gets: ~8 % of all tickets open
# Common words: a description draws 8, so each is in about a quarter of the tickets.
WORDS = (
    "invoice login password refund export crash sync webhook delivery account billing "
    "결제 배송 로그인 환불 發票 登入 匯出 Rechnung Passwort Lieferung lasku kirjautuminen "
    "faktura logowanie zamówienie"
).split()
# A description ends with one rare word, spelt from four of these syllables (Latin
# or Hangul), drawn from a vocabulary of a fifth of the ticket count: each rare
# word is in a handful of tickets. The Hangul ones share no pair with WORDS.
RARE_SYLLABLES = (
    "ka ze mo ri tu va ne lo pi su do ge ha ju ke mi no ra se ti wo ya bu fe gi".split()
)
KOREAN_SYLLABLES = "가 나 다 라 마 바 사 아 자 차 카 타 파 하 고 노 도 모 보 소 오 조 초 호".split()
KOREAN_RARE_SHARE = 0.25


def rare_word(number: int, syllables: list[str]) -> str:
    """The rare word `number`: its last four digits in base len(syllables), spelt."""
    spelt = []
    for _ in range(4):
        number, digit = divmod(number, len(syllables))
        spelt.append(syllables[digit])
    return "".join(spelt)
