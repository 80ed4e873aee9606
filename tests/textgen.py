"""Deterministic, distinct article texts for tests (different stories must not look alike)."""

from __future__ import annotations

import random

_WORDS = ["council", "budget", "river", "harbour", "railway", "school", "hospital", "election", "mayor", "minister", "court", "police", "market", "factory", "farmers", "weather", "storm", "museum", "theatre", "festival", "bridge", "airport", "station", "tram", "museum", "library", "stadium", "union", "strike", "teachers", "nurses", "prices", "energy", "grid", "housing", "rents", "tenants", "landlord", "planning", "committee", "protest", "vote", "report", "audit", "contract", "company", "shares", "profit", "loss", "investors", "bank", "loan", "interest", "inflation", "wages", "jobs", "tourism", "hotel", "beach", "forest", "fire", "drought", "flood", "rescue", "volunteers", "charity", "donation", "scientists", "study", "research", "vaccine", "clinic", "patients", "doctors", "ambulance", "traffic", "crash", "cyclists", "road", "repairs", "delays", "commuters", "ferry", "island", "coast", "fishing", "quota", "harvest", "wine", "cheese", "bakery"]


def paragraphs(seed: str, count: int = 6, sentences: int = 4) -> list[str]:
    """``count`` paragraphs of plausible sentences that depend only on ``seed``."""
    rng = random.Random(seed)
    result = []
    for _ in range(count):
        lines = []
        for _ in range(sentences):
            words = [rng.choice(_WORDS) for _ in range(rng.randint(10, 18))]
            lines.append(" ".join(words).capitalize() + ".")
        result.append(" ".join(lines))
    return result
