"""Lighthouse-style checks of the help center's pages, run locally (issue 20):
well-formed HTML (every element closed in order, ids unique), one h1 and no
skipped heading level, alt text on every image, a label for every field, a
name for every link and button, the page's language, and the colours'
contrast (WCAG AA, 4.5:1)."""

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from knowledge.models import Category, Section
from knowledge.views.public import contrast
from tests.factories import article

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
# Closed implicitly by HTML's rules when the parent closes (we write them closed anyway).
OPTIONAL_END = {"p", "li", "option"}


class Checker(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.problems, self.ids, self.headings = [], [], set(), []
        self.labels_for, self.fields, self.images = set(), [], []
        self.open_named = []  # [tag, attrs, text] of links and buttons being read
        self.html_lang = None
        self.label_depth = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "html":
            self.html_lang = attrs.get("lang")
        if "id" in attrs:
            if attrs["id"] in self.ids:
                self.problems.append(f"duplicate id {attrs['id']}")
            self.ids.add(attrs["id"])
        if re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))
        if tag == "img":
            self.images.append(attrs)
        if tag == "label":
            self.label_depth += 1
            if "for" in attrs:
                self.labels_for.add(attrs["for"])
        if tag in ("input", "select", "textarea") and attrs.get("type") not in ("hidden", "submit"):
            self.fields.append((attrs, self.label_depth > 0))
        if tag in ("a", "button"):
            self.open_named.append([tag, attrs, ""])
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if tag == "label":
            self.label_depth -= 1
        while self.stack and self.stack[-1] != tag and self.stack[-1] in OPTIONAL_END:
            self.stack.pop()
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"</{tag}> closes <{self.stack[-1] if self.stack else None}>")
            return
        self.stack.pop()
        if tag in ("a", "button") and self.open_named:
            name_tag, attrs, text = self.open_named.pop()
            if not (text.strip() or attrs.get("aria-label") or attrs.get("title")):
                self.problems.append(f"<{name_tag}> without a name: {attrs}")

    def handle_data(self, data):
        for item in self.open_named:
            item[2] += data

    def report(self) -> list[str]:
        problems = list(self.problems)
        if self.stack:
            problems.append(f"left open: {self.stack}")
        if not self.html_lang:
            problems.append("no lang on <html>")
        if self.headings.count(1) != 1:
            problems.append(f"{self.headings.count(1)} h1 elements")
        for before, after in zip(self.headings, self.headings[1:], strict=False):
            if after > before + 1:
                problems.append(f"heading level skipped: h{before} then h{after}")
        problems += [f"image without alt: {img}" for img in self.images if "alt" not in img]
        for attrs, in_label in self.fields:
            named = in_label or attrs.get("id") in self.labels_for or attrs.get("aria-label")
            if not named:
                problems.append(f"field without a label: {attrs}")
        return problems


def check(html: str) -> list[str]:
    checker = Checker()
    checker.feed(html)
    return checker.report()


@pytest.fixture
def help_center(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    category = Category.objects.create(name="Billing", slug="billing", description="Money.")
    section = Section.objects.create(category=category, name="Refunds")
    first = article(
        title="How to request a refund",
        body='<h2>Steps</h2><p>Open Billing.</p><img src="/help/files/x/a.png" alt="The menu">',
        category=category,
        section=section,
    )
    article(title="Refund times", category=category, section=section)
    article(title="환불 방법", language="ko", of=first.article)
    return first


@pytest.mark.parametrize(
    "url",
    [
        "/help/en/",
        "/help/ko/",
        "/help/en/categories/billing/",
        "ARTICLE",
        "/help/en/search/?q=refund",
        "/help/en/search/?q=nothing-like-this",
        "/help/en/search/",
    ],
)
def test_help_center_pages_pass_the_checks(client, help_center, url):
    if url == "ARTICLE":
        url = help_center.get_absolute_url()
    response = client.get(url)
    assert response.status_code == 200
    assert check(response.content.decode()) == []


def test_the_checker_finds_problems():
    bad = (
        '<html><body><h1>A</h1><h3>skip</h3><h1>B</h1><img src="x"><input name="q">'
        '<a href="/"></a><div id="d"></div><span id="d"><p></div></body></html>'
    )
    problems = check(bad)
    assert any("skipped" in p for p in problems)
    assert any("2 h1" in p for p in problems)
    assert any("image without alt" in p for p in problems)
    assert any("field without a label" in p for p in problems)
    assert any("<a> without a name" in p for p in problems)
    assert any("duplicate id" in p for p in problems)
    assert any("closes" in p for p in problems)
    assert any("no lang" in p for p in problems)


def test_the_help_center_colours_meet_wcag_aa():
    css = (Path(django_settings.BASE_DIR) / "static/css/help.css").read_text()
    tokens = dict(re.findall(r"--([a-z0-9-]+):\s*(#[0-9a-fA-F]{6})", css))
    for text, background in [
        ("text", "bg"),
        ("text", "bg-2"),
        ("muted", "bg"),
        ("muted", "bg-2"),
        ("brand-text", "bg"),
        ("on-brand", "brand"),
    ]:
        assert contrast(tokens[text], tokens[background]) >= 4.5, (text, background)
    # The search term's highlight keeps the text readable.
    assert contrast(tokens["text"], "#fff1b8") >= 4.5
