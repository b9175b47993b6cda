"""The context component: medspaCy's ConText marks negated, hypothetical and historical
thresholds and subjects.

    "If receiving oral glucocorticoids (e.g., prednisone), the dose must be ≤40 mg/day"
    -> the `≤40 mg/day` threshold is hypothetical
    "No history of MI or stroke" -> the entities `MI` and `stroke` are negated

Each criterion (and each line) is one ConText scope. medspaCy's `ConText` builds one graph
over the whole Doc and compares every modifier with every other and with every target, so
its cost grows with the square of the document; here the same rules, modifiers and graph
run once per criterion, which gives the same flags in linear time. The cues are found as
medspaCy's matcher finds them, with its phrases and word patterns in one PhraseMatcher
(`CueMatcher`), about ten times faster than its token Matcher. A criterion with
more than `max_cues` ConText cues (no real criterion has more than a few dozen; only
machine-made text has thousands) is left without flags and says so in the Doc's errors.

The flags go onto each threshold span as `span._.criteria_flags` (a `records.ContextMarks`)
and, for each recognised entity in `doc.ents`, into `span._.criteria_context`.
"""
from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections import defaultdict
from typing import Dict, List, Optional, Set, Tuple

import numpy
import srsly
from loguru import logger
from spacy.attrs import IDX, SENT_START
from spacy.language import Language
from spacy.matcher import Matcher, PhraseMatcher
from spacy.tokens import Doc, Span

from .. import extensions
from ..doctext import CharSpans, doc_text
from ..extensions import CRITERIA_KEY, QUANTITIES_KEY
from ..lexicon import read_resource
from ..records import ContextMarks
from ._medspacy import DEFAULT_ATTRIBUTES, ConTextGraph, ConTextModifier, ConTextRule
from ._serialize import RuleDataMixin
from .batched import BatchedPipe
from .quantities import criterion_bounds

logger.disable("medspacy")
logger.disable("PyRuSH")

_NEWLINE = re.compile("\n")
#: ConText category -> flag name, from medspaCy's own attribute map (`is_negated` -> negated).
FLAGS = {category: next(iter(attrs)).removeprefix("is_")
         for category, attrs in DEFAULT_ATTRIBUTES.items()}


def _exact_rules(rule: dict) -> List[dict]:
    """The rule, with each token of its pattern that reads `{"LOWER": {"IN": [...]}}` spelled
    out as one rule per value, and each optional token (`"OP": "?"`) as one rule without it
    and one with it. The same phrases match, under the same category, direction and scope."""
    variants: List[List[dict]] = [[]]
    for token in rule.get("pattern") or []:
        lower = token.get("LOWER")
        values = lower["IN"] if isinstance(lower, dict) and set(lower) == {"IN"} else [lower]
        optional = token.get("OP") == "?"
        if optional:
            token = {key: value for key, value in token.items() if key != "OP"}
        spelled = [{**token, "LOWER": value} for value in values] if isinstance(lower, dict) else [token]
        variants = (list(variants) if optional else []) + [
            done + [one] for done in variants for one in spelled]
    if not rule.get("pattern") or len(variants) == 1:
        return [rule]
    return [{**rule, "pattern": pattern} for pattern in variants]


class CueMatcher:
    """The ConText cues of a rule list, found as medspaCy's matcher finds them (matches of
    every rule, overlaps pruned to the longest), with phrases in a PhraseMatcher on `LOWER`:
    a literal, or a pattern of exact lower-case words. spaCy's Matcher tries every token
    pattern at every token; a PhraseMatcher looks each token up once. Only patterns with
    other token attributes go to a Matcher.

    nlp (Language): the pipeline, whose tokenizer splits the literals.
    rules (List[ConTextRule]): the rules.
    """

    def __init__(self, nlp: Language, rules: List[ConTextRule]) -> None:
        self.phrases = PhraseMatcher(nlp.vocab, attr="LOWER")
        self.patterns = Matcher(nlp.vocab)
        self.rule_map: Dict[int, ConTextRule] = {}
        for number, rule in enumerate(rules):
            key = f"{rule.category}_{number}"
            self.rule_map[nlp.vocab.strings.add(key)] = rule
            words = _exact_words(rule.pattern)
            if rule.pattern is None:
                self.phrases.add(key, [nlp.make_doc(rule.literal.lower())])
            elif words is not None:
                self.phrases.add(key, [Doc(nlp.vocab, words=words)])
            else:
                self.patterns.add(key, [rule.pattern])

    def __call__(self, doc: Doc) -> List[Tuple[int, int, int]]:
        """(match_id, start, end) of the cues, sorted, overlaps pruned to the longest."""
        matches = list(self.phrases(doc))
        if len(self.patterns):  # an empty Matcher warns on every call
            matches = list(self.patterns(doc)) + matches
        while True:  # medspaCy's pruning, repeated until a pass prunes nothing
            matches.sort(key=lambda match: (match[1], match[2]))
            pruned = _prune_pass(matches)
            if len(pruned) == len(matches):
                return pruned
            matches = pruned


def _prune_pass(matches: List[Tuple[int, int, int]]) -> List[Tuple[int, int, int]]:
    """One pass of medspaCy's `prune_overlapping_matches` over sorted matches, in linear
    time (it pops from the front of a list): of two neighbours that overlap, the longer
    (the first when equal) is kept, and the pair is done."""
    pruned = []
    i = 0
    while i < len(matches):
        current = matches[i]
        if i + 1 < len(matches) and _overlap(current, matches[i + 1]):
            following = matches[i + 1]
            pruned.append(following if following[2] - following[1] > current[2] - current[1] else current)
            i += 2
        else:
            pruned.append(current)
            i += 1
    return pruned


def _overlap(a: Tuple[int, int, int], b: Tuple[int, int, int]) -> bool:
    """medspaCy's test: `b` starts inside `a`, or ends inside it."""
    return a[1] <= b[1] < a[2] or a[1] < b[2] <= a[2]


def _exact_words(pattern) -> Optional[List[str]]:
    """The words of a token pattern that asks for nothing but exact lower-case words."""
    if not isinstance(pattern, list) or not pattern:
        return None
    if any(set(token) != {"LOWER"} or not isinstance(token["LOWER"], str) for token in pattern):
        return None
    return [token["LOWER"] for token in pattern]


def read_rule_data(rules: str = "default") -> dict:
    """The rule file's content: the package's `resources/context_rules.json` for "default",
    else the medspaCy-format JSON file at `rules`."""
    if rules == "default":
        return read_resource("context_rules.json")
    return srsly.read_json(rules)


class ContextFlags(BatchedPipe, RuleDataMixin):
    """Run ConText over thresholds, their subjects and entities, one criterion per scope.

    nlp (Language): the pipeline.
    name (str): the component name.
    rules (str): "default" for the package's rules (resources/context_rules.json), else the
        path of a rule file in medspaCy's format. Defaults to "default".
    criteria_key (str): span group of the criteria. Defaults to "criteria".
    max_cues (int): most ConText cues in one criterion; a criterion with more gets no flags
        and an error note. Defaults to 64.
    """

    rules_file = "context_rules.json"

    def __init__(self, nlp: Language, name: str = "criteria_context", *, rules: str = "default",
                 criteria_key: str = CRITERIA_KEY, max_cues: int = 64) -> None:
        self.name = name
        self.criteria_key = criteria_key
        self.max_cues = max_cues
        self.nlp = nlp
        self.set_rule_data(read_rule_data(rules))

    def set_rule_data(self, data: dict) -> None:
        """Use these ConText rules ({"context_rules": [rule dicts in medspaCy's format]})."""
        self.rule_data = data
        self.matcher = CueMatcher(self.nlp, [ConTextRule.from_dict(exact) for rule in data["context_rules"]
                                             for exact in _exact_rules(rule)])

    def __call__(self, doc: Doc) -> Doc:
        thresholds = list(doc.spans[QUANTITIES_KEY]) if QUANTITIES_KEY in doc.spans else []
        entities = list(doc.ents)
        if not thresholds and not entities:
            return doc
        starts = self._scope_starts(doc)
        doc.from_array([SENT_START], _sentence_flags(len(doc), starts))  # doc.sents: the scopes
        matches = self.matcher(doc)
        flags: Dict[Tuple[str, int], Set[str]] = defaultdict(set)
        cues: Dict[Tuple[str, int], List[str]] = defaultdict(list)  # for `explain`
        if matches:  # without a cue nothing is flagged: no targets to build
            targets, owners = _targets(doc, thresholds, entities)
            for target, category, cue in self._edges(doc, matches, targets, starts):
                if category in FLAGS:
                    flags[owners[target]].add(FLAGS[category])
                    reason = f"context_rules: {cue!r} -> {FLAGS[category]}"
                    if reason not in cues[owners[target]]:  # a record and its subject are both targets
                        cues[owners[target]].append(reason)
        for i, qspan in enumerate(thresholds):
            found = flags.get(("record", i), set())
            qspan._.criteria_flags = ContextMarks(negated="negated" in found, hypothetical="hypothetical" in found,
                                                  historical="historical" in found, cues=cues.get(("record", i), []))
        for i, entity in enumerate(entities):
            found = flags.get(("entity", i), set())
            entity._.criteria_context = {flag: flag in found for flag in
                                         ("negated", "hypothetical", "historical", "family")}
        return doc

    def _edges(self, doc: Doc, matches: List[Tuple[int, int, int]], targets: List[Span],
               starts: List[int]) -> List[Tuple[int, str, str]]:
        """(target index, ConText category, the cue's words) for every modifier (`matches` of
        the cue matcher) that modifies a target, ConText's graph run once per scope (`starts`:
        token index of each scope's start)."""
        cues: Dict[int, List[Tuple[int, int, int]]] = defaultdict(list)  # scope -> its matches
        for match_id, start, end in matches:
            cues[bisect_right(starts, start) - 1].append((match_id, start, end))
        in_scope: Dict[int, List[int]] = defaultdict(list)
        for i, target in enumerate(targets):
            for k in range(bisect_right(starts, target.start) - 1,
                           bisect_right(starts, max(target.end - 1, target.start))):
                in_scope[k].append(i)
        edges: List[Tuple[int, str, str]] = []
        for k, matches in cues.items():
            if k not in in_scope:
                continue
            scope_end = starts[k + 1] if k + 1 < len(starts) else len(doc)
            if len(matches) > self.max_cues:
                last = doc[scope_end - 1]
                extensions.get_doc_errors(doc).append(
                    f"[W002] criterion at characters {doc[starts[k]].idx}-{last.idx + len(last)}: "
                    f"{len(matches)} ConText cues, over the limit of {self.max_cues}; its "
                    "targets have no negated/hypothetical/historical flags")
                continue
            graph = ConTextGraph(prune_on_modifier_overlap=False)
            graph.targets = [targets[i] for i in in_scope[k]]
            graph.modifiers = []
            for match_id, start, end in matches:
                rule = self.matcher.rule_map[match_id]
                graph.modifiers.append(ConTextModifier(
                    rule, start, end, None, *_scope(rule, start, end, starts[k], scope_end)))
            graph.update_scopes()
            graph.apply_modifiers()
            index = {id(targets[i]): i for i in in_scope[k]}
            edges.extend((index[id(target)], modifier.category, doc[slice(*modifier.modifier_span)].text)
                         for target, modifier in graph.edges)
        return edges

    def _scope_starts(self, doc: Doc) -> List[int]:
        """Token index where each scope starts: the first token, each criterion's first token,
        and each token after one that holds a line end."""
        if not len(doc):
            return []
        idx = doc.to_array(IDX).tolist()  # a list: a few bisections cost less than numpy's calls
        n = len(idx)
        starts = {0}
        for start, _ in criterion_bounds(doc, self.criteria_key):
            i = bisect_left(idx, start)
            if i < n and idx[i] == start:  # a criterion starting at a token's first character
                starts.add(i)
        for m in _NEWLINE.finditer(doc_text(doc)):
            i = bisect_right(idx, m.start())  # the token after the one holding the line end
            if i < n:
                starts.add(i)
        return sorted(starts)


def _targets(doc: Doc, thresholds: List[Span], entities: List[Span]) -> Tuple[List[Span], List[Tuple[str, int]]]:
    """What ConText may modify: each threshold, its subject and each recognised entity; with
    the owner of each, ("record" | "entity", index), a threshold owning its subject."""
    targets: List[Span] = []
    owners: List[Tuple[str, int]] = []
    char_spans = CharSpans(doc)
    for i, qspan in enumerate(thresholds):
        targets.append(qspan)
        owners.append(("record", i))
        link = qspan._.criteria_link
        if link is not None and link.subject is not None:
            subject = char_spans.expand(link.subject.start, link.subject.end)
            if subject is not None:
                targets.append(subject)
                owners.append(("record", i))
    targets.extend(entities)
    owners.extend(("entity", i) for i in range(len(entities)))
    return targets, owners


def _sentence_flags(length: int, starts: List[int]) -> numpy.ndarray:
    flags = numpy.full(length, -1, dtype="int64")
    flags[starts] = 1
    return flags.view("uint64").reshape(-1, 1)


def _scope(rule: ConTextRule, start: int, end: int, sent_start: int,
           sent_end: int) -> Tuple[int, int]:
    """A modifier's scope inside its sentence, as medspaCy's `ConTextModifier` sets it."""
    direction, limit = rule.direction.lower(), rule.max_scope
    if direction == "forward":
        return end, sent_end if limit is None or sent_end - end <= limit else end + limit
    if direction == "backward":
        return sent_start if limit is None or start - sent_start <= limit else start - limit, start
    lo = sent_start if limit is None or start - sent_start <= limit else start - limit
    hi = sent_end if limit is None or sent_end - end <= limit else end + limit
    return lo, hi
