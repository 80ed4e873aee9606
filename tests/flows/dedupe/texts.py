"""Deterministic article texts for the dedupe rules' tests (pseudo-articles and their edits)."""

from __future__ import annotations

import random

__all__ = ["CONSENT_WALL", "VOCABULARY", "article", "edit_paragraph"]

VOCABULARY = [
    "the",
    "council",
    "city",
    "mayor",
    "budget",
    "housing",
    "river",
    "bridge",
    "school",
    "police",
    "report",
    "minister",
    "election",
    "vote",
    "party",
    "union",
    "workers",
    "strike",
    "hospital",
    "doctors",
    "patients",
    "energy",
    "prices",
    "market",
    "bank",
    "inflation",
    "rate",
    "court",
    "judge",
    "trial",
    "witness",
    "storm",
    "flood",
    "rain",
    "farmers",
    "harvest",
    "station",
    "train",
    "delay",
    "airport",
    "flight",
    "border",
    "trade",
    "tariff",
    "export",
    "factory",
    "jobs",
    "museum",
    "festival",
    "concert",
    "team",
    "coach",
    "match",
    "season",
    "league",
    "player",
    "injury",
    "transfer",
    "fans",
    "stadium",
    "said",
    "on",
    "tuesday",
    "after",
    "before",
    "during",
    "while",
    "because",
    "although",
    "however",
    "meanwhile",
    "later",
    "new",
    "old",
    "large",
    "small",
    "local",
    "national",
    "public",
    "private",
    "early",
    "late",
    "first",
    "last",
    "several",
    "according",
    "to",
    "officials",
    "residents",
    "spokesperson",
    "statement",
    "plan",
    "proposal",
    "decision",
    "cost",
    "million",
    "euros",
    "percent",
    "year",
    "week",
    "month",
    "morning",
    "evening",
    "night",
    "district",
    "region",
    "county",
]


def article(seed: int, paragraphs: int = 6, words: int = 60) -> str:
    """A deterministic pseudo-article: paragraphs of words drawn from a news vocabulary."""
    rng = random.Random(seed)
    return "\n".join(
        " ".join(rng.choice(VOCABULARY) for _ in range(words)).capitalize() + "."
        for _ in range(paragraphs)
    )


def edit_paragraph(text: str, index: int, seed: int) -> str:
    """Replace one paragraph's second half with other words (a syndicator's edit)."""
    lines = text.split("\n")
    rng = random.Random(seed)
    words = lines[index].split()
    half = len(words) // 2
    words[half:] = [rng.choice(VOCABULARY) for _ in words[half:]]
    lines[index] = " ".join(words)
    return "\n".join(lines)


CONSENT_WALL = (
    "We value your privacy. We and our 842 partners store and/or access information on a "
    "device, such as cookies, and process personal data for personalised ads and content. "
    "You can accept all cookies or manage your preferences at any time."
)
