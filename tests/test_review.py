"""The HTML review page (`criteria_nlp.review`, `annotate --format html`): each criterion's
text shown exactly as given, every constraint and entity highlighted at its offsets with its
details on hover, everything from a document escaped, nothing fetched from the network."""
import io
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Dict, List, Optional

import pytest
from typer.testing import CliRunner

import criteria_nlp
from criteria_nlp.cli import app
from criteria_nlp.io.writers import format_interval, write_html
from criteria_nlp.review import render_document_html, render_html
from criteria_nlp.schemas import Bound, Constraint, Criterion, Document, Entity, SpanRef

runner = CliRunner()
SEEDS = sorted((Path(__file__).resolve().parents[1] / "corpus" / "seeds").glob("*.txt"))
VOID = {"meta", "br", "hr", "img", "link", "input", "wbr"}


@dataclass
class Element:
    tag: str
    attrs: Dict[str, Optional[str]]
    start: int
    text: str = ""
    classes: List[str] = field(default_factory=list)


class Page(HTMLParser):
    """The elements of a page, each with its text (tags stripped, references unescaped).
    Fails on an end tag that does not close the innermost open element."""

    def __init__(self, page: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: List[Element] = []
        self._open: List[Element] = []
        self._text: List[str] = []
        self.feed(page)
        self.close()
        assert not self._open, [e.tag for e in self._open]

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        element = Element(tag, attributes, len(self._text), classes=(attributes.get("class") or "").split())
        self.elements.append(element)
        if tag not in VOID:
            self._open.append(element)

    def handle_endtag(self, tag):
        element = self._open.pop()
        assert element.tag == tag, (element.tag, tag)
        element.text = "".join(self._text[element.start:])

    def handle_data(self, data):
        self._text.append(data)

    def having(self, cls: Optional[str] = None, **attrs: str) -> List[Element]:
        return [e for e in self.elements if (cls is None or cls in e.classes)
                and all(e.attrs.get(k.replace("_", "-")) == v for k, v in attrs.items())]


@pytest.fixture(scope="module")
def rules():
    return criteria_nlp.load(entities=False)


@pytest.fixture(scope="module")
def seeds(nlp):
    return [criteria_nlp.annotate(path.read_text(encoding="utf-8"), id=path.stem, nlp=nlp) for path in SEEDS]


def by_start(criteria):
    return sorted(criteria, key=lambda c: c.start)


def test_review_criterion_text_is_shown_exactly(seeds):
    assert [d.id for d in seeds] == ["NCT06980805", "NCT07177911", "NCT07193810"]
    for document in seeds:
        page = Page(render_html([document]))
        assert [e.text for e in page.having("ctext")] == [c.text for c in by_start(document.criteria)]
        assert len(page.having("criterion")) == len(document.criteria)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_review_every_constraint_is_highlighted_with_kind_and_subject(seeds, seed):
    """One mark per constraint: no entity splits a constraint, and no two cross in the seeds."""
    document = seeds[seed]
    page = Page(render_html([document]))
    assert len(document.constraints) >= 3
    for index, constraint in enumerate(document.constraints):
        (mark,) = page.having(data_c=str(index))
        assert mark.tag == "mark" and mark.text == constraint.text
        assert {"constraint", constraint.kind} <= set(mark.classes)
        title = mark.attrs["title"]
        assert format_interval(constraint) in title
        if constraint.subject is not None:
            assert f"subject: {constraint.subject.text}" in title
        assert ("negated" in title) is constraint.negated
        assert ("hypothetical" in title) is constraint.hypothetical


def test_review_hover_and_table_of_a_constraint(seeds):
    document = seeds[2]
    page = Page(render_html([document]))
    iga = next(i for i, c in enumerate(document.constraints) if c.text == "\\<10 mg/dL")
    (mark,) = page.having(data_c=str(iga))
    assert mark.attrs["title"] == f"#{iga} numeric: < 10 mg/dL\nsubject: serum IgA level [Measurement]\nunit: mg/dL\nUCUM: mg/dL"
    # each constraint is a row of its criterion's table too
    rows = [e for e in page.having() if e.tag == "tr" and e.classes]
    assert len(rows) == len(document.constraints)
    assert any(r.text.startswith(f"{iga}numeric\\<10 mg/dLserum IgA level< 10 mg/dLmg/dLmg/dL") for r in rows)


def test_review_entities_show_label_and_flags(seeds):
    document = seeds[0]
    page = Page(render_html([document]))
    in_criteria = [e for e in document.entities if any(c.start <= e.start and e.end <= c.end for c in document.criteria)]
    assert in_criteria
    for entity in in_criteria:
        pieces = page.having(data_e=str(document.entities.index(entity)))  # split by a constraint
        assert "".join(p.text for p in pieces) == entity.text
        assert pieces[0].attrs["title"].split("\n")[0] == entity.label
        assert ("negated" in pieces[0].classes) is entity.negated
    negated = next(e for e in document.entities if e.text == "systemic LE manifestations")
    assert page.having(data_e=str(document.entities.index(negated)))[0].attrs["title"] == "Condition\nnegated"


def test_review_logic_indentation_and_text_outside_criteria(rules):
    text = ("Inclusion Criteria:\n  -  Aged 18 years or older\n  -  Meet at least one of the following:\n"
            "       -  eGFR < 60 mL/min/1.73 m2\n       -  urine albumin-to-creatinine ratio > 30 mg/g\n")
    document = criteria_nlp.annotate(text, id="nested", nlp=rules)
    page = Page(render_html([document]))
    blocks = page.having("criterion")
    assert [b.attrs.get("style") for b in blocks] == [None, None, "margin-left:2em", "margin-left:2em"]
    assert "requires at least 1 of the items below" in blocks[1].text
    assert "item under #1" in blocks[2].text and "item under #1" in blocks[3].text
    assert [e.text for e in page.having("outside")] == ["Inclusion Criteria:"]
    assert [e.text for e in page.having("marker")] == ["-"] * 4


HOSTILE = ('Exclusion Criteria:\n* Serum IgA <10 mg/dL <script>alert(1)</script>\n'
           '* "quotes" & <b>tags</b> within 4 weeks prior to screening\n')


def test_review_escapes_everything_from_the_document(rules):
    document = criteria_nlp.annotate(HOSTILE, id='<img src=x onerror="alert(1)">', nlp=rules)
    assert any("<script>" in c.text for c in document.criteria) and len(document.constraints) == 2
    page = render_html([document], title="<b>review</b>")
    assert "<script" not in page.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&quot;quotes&quot; &amp; &lt;b" in page and "tags&lt;/b&gt;" in page
    parsed = Page(page)
    assert not {e.tag for e in parsed.elements} & {"script", "img", "b"}
    assert [e.text for e in parsed.having("ctext")] == [c.text for c in by_start(document.criteria)]
    assert [e.text for e in parsed.elements if e.tag == "h2"] == ['<img src=x onerror="alert(1)">']
    assert [e.text for e in parsed.elements if e.tag in ("title", "h1")] == ["<b>review</b>"] * 2


def test_review_escapes_attribute_values_and_unknown_labels():
    text = 'x" onmouseover="alert(1)" level <10 mg/dL\r\nnext'
    subject = SpanRef(start=0, end=31, text=text[:31], label='"><i>')
    document = Document(
        id="attrs", text=text, errors=["[E001] <bad> record"],
        criteria=[Criterion(start=0, end=len(text), text=text)],
        entities=[Entity(start=0, end=31, text=text[:31], label='x" onclick="alert(1)')],
        constraints=[Constraint(kind="numeric", start=32, end=41, text="<10 mg/dL", subject=subject,
                                subjects=[subject], upper=Bound(value=10, inclusive=False), unit="mg/dL",
                                ucum='mg/dL"><i>')],
    )
    page = render_html([document])
    parsed = Page(page)
    assert not any(k.startswith("on") for e in parsed.elements for k in e.attrs)
    assert "i" not in {e.tag for e in parsed.elements}
    (entity,) = parsed.having(data_e="0")
    assert entity.classes == ["entity", "e-other"] and entity.attrs["title"] == 'x" onclick="alert(1)'
    (mark,) = parsed.having(data_c="0")
    assert 'subject: x" onmouseover="alert(1)" level ["><i>]' in mark.attrs["title"]
    assert [e.text for e in parsed.having("ctext")] == [text]  # the carriage return kept
    assert [e.text for e in parsed.having("errors")] == ["[E001] <bad> record"]


def test_review_page_is_self_contained(seeds):
    page = render_html(seeds)
    lower = page.lower()
    assert "http://" not in lower and "https://" not in lower
    assert "<script" not in lower and "src=" not in lower and "<link" not in lower and "url(" not in lower
    assert page.startswith("<!DOCTYPE html>") and page.endswith("</html>\n")
    assert [e.text for e in Page(page).elements if e.tag == "h2"] == [d.id for d in seeds]


def test_review_overlapping_and_nested_spans_keep_the_exact_text():
    text = "Intro\n- No history of myocardial infarction within 6 months; ANC >= 1500/uL\n- next one"
    item = text.index("No")
    end = text.index("\n- next")

    def at(fragment, label=None, occurrence=0):
        start = text.index(fragment)
        for _ in range(occurrence):
            start = text.index(fragment, start + 1)
        return dict(start=start, end=start + len(fragment), text=fragment, **({"label": label} if label else {}))

    window = at("within 6 months")
    document = Document(
        id="overlaps", text=text,
        criteria=[Criterion(start=item, end=end, text=text[item:end], section="exclusion"),
                  Criterion(start=end + 3, end=len(text), text=text[end + 3:], section="exclusion")],
        entities=[
            Entity(**at("history of myocardial infarction within 6 months", "Condition"), negated=True),
            Entity(**at("myocardial infarction", "Condition")),  # inside the one before
            Entity(**at("infarction within", "Qualifier")),  # crosses the constraint's start
            Entity(**at(">= 1500/uL", "Value")),  # same extent as a constraint
            Entity(**at("uL\n- next", "Observation")),  # across two criteria
        ],
        constraints=[
            Constraint(kind="temporal", **window, upper=Bound(value=6, inclusive=True), unit="months",
                       ucum="mo", direction="before", negated=True),
            Constraint(kind="numeric", **at(">= 1500/uL"), subject=SpanRef(**at("ANC")),
                       lower=Bound(value=1500, inclusive=True), unit="/uL", ucum="/uL"),
            Constraint(kind="numeric", **at("1500"), lower=Bound(value=1500, inclusive=True)),  # inside
        ],
    )
    page = Page(render_html([document]))
    assert [e.text for e in page.having("ctext")] == [c.text for c in document.criteria]
    for index, entity in enumerate(document.entities[:4]):
        assert "".join(p.text for p in page.having(data_e=str(index))) == entity.text
    # split where it crosses the entity before it and where the constraint starts
    assert [p.text for p in page.having(data_e="2")] == ["infarction", " ", "within"]
    # clipped to each criterion: "uL" in the first, "next" in the second, "\n- " outside both
    assert [p.text for p in page.having(data_e="4")] == ["uL", "next"]
    for index, constraint in enumerate(document.constraints):
        (mark,) = page.having(data_c=str(index))
        assert mark.text == constraint.text and constraint.kind in mark.classes
    assert page.having(data_c="0")[0].attrs["title"] == (
        "#0 temporal: ≤ 6 mo before\nunit: months\nUCUM: mo\ndirection: before\nnegated")
    # a constraint outside an entity of the same extent, a constraint inside it
    html = render_html([document])
    assert '">' + "<span" in html.split('data-c="1"', 1)[1].split(">=", 1)[0]
    assert '<mark class="constraint numeric" data-c="2"' in html.split('data-e="3"', 1)[1]


def test_review_document_fragment_for_notebooks(seeds):
    fragment = render_document_html(seeds[0])
    assert fragment.startswith('<div class="cnlp"><style>') and "<html" not in fragment
    page = Page(fragment)
    assert [e.text for e in page.having("ctext")] == [c.text for c in by_start(seeds[0].criteria)]
    assert len(page.having("legend")) == 1


def test_review_write_html_streams_documents_and_dicts(seeds):
    out = io.StringIO()
    assert write_html(iter([seeds[0], seeds[1].to_dict()]), out) == 2
    assert [e.text for e in Page(out.getvalue()).elements if e.tag == "h2"] == ["NCT06980805", "NCT07177911"]
    assert write_html([], out) == 0


def test_review_cli_annotate_format_html(tmp_path):
    seed = next(p for p in SEEDS if p.stem == "NCT07193810")
    result = runner.invoke(app, ["annotate", str(seed), "--format", "html"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("<!DOCTYPE html>") and "<h2>NCT07193810</h2>" in result.stdout
    out = tmp_path / "review.html"
    result = runner.invoke(app, ["annotate", "-", "--format", "html", "--explain", "--rules-only", "-o", str(out)],
                           input="Serum IgA level <10 mg/dL")
    assert result.exit_code == 0, result.output
    page = Page(out.read_text(encoding="utf-8"))
    assert "rules" in [e.text for e in page.elements if e.tag == "th"]
    assert "kind: numeric (rule 'measurement unit')" in [e.text for e in page.elements if e.tag == "li"]
