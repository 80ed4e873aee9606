"""Clean plain-text scrapes of news pages: headline, lead, body, byline and dateline.

A text scrape is the visible text of a news page copied into a ``.txt`` file:
site chrome (skip links, menus, share bars, cookie notices, adverts), the
headline, often a standfirst, bylines and datelines, photo captions and
credits, the article body, then trailing chrome (related stories, comments,
newsletter boxes, copyright). :func:`clean_text_scrape` recovers the article
with language-agnostic structure first and small multilingual lexicons second
(pure: standard library and regular expressions only; the one date rule it
shares, the zone table, comes from ``connectors.text.dates``):

1. The text is cut into lines (hard-wrapped paragraphs are re-joined) and
   every line gets features: length (CJK-aware), sentence-final punctuation,
   stopword density (the JusText idea; text has no link density), and lexicon
   hits for chrome, notices addressed to the reader, captions, credits,
   bylines and datelines. Short lines repeated three times are chrome.
2. The body is the densest run of prose: a maximum-sum segment over lines in
   which prose counts for its length (half when it stands alone, like teaser
   text) and everything else counts against, bylines and datelines most. The
   run ends where prose stops, or at a "Related"/"Mehr zum Thema" marker.
3. The lead is the first prose line of that run that is not cut off from the
   rest by header furniture (bylines, datelines) or by a photo credit, and is
   not a picture description (a full calendar date, "pictured", "FILE -").
4. The headline is the best-scoring title-shaped line above the lead: length,
   punctuation, being followed by bylines/datelines, not sitting inside them,
   not next to a photo credit, not a UI string, and (when ``url`` is given)
   sharing words with the URL slug. A line sharing none of a wordy slug's
   words is not taken; the slug then names the headline if one line holds
   half its words. Otherwise, below a confidence bar, it is ``None``.
5. A standfirst becomes ``description`` only when it sits between headline and
   lead with nothing but header furniture around it and is not a second
   headline. Authors come only from explicit bylines ("By", "Von", "Par",
   ...); dates only from datelines near the headline: a labelled "published"
   date first, then a bare date if one headline was found and all bare dates
   agree, then an "updated" date. Never from captions or the body.

Nothing is guessed: a headline without enough evidence, an ambiguous date
(``03/04/2024`` in English), a relative date ("2 hours ago") or a date in a
caption all give ``None``. Every line that does not make it into the text is
listed in ``dropped`` with a reason (chrome, caption, credit, byline,
dateline, header, headline, description, trailing).

The modules, in the order the cleaner uses them (each imports only those above it)::

    lexicon     word lists and patterns: chrome, notices, credits, captions, stopwords
    lines       the line model: splitting, unwrapping, features, prose
    language    the language guess (script, then stopwords)
    dates       datelines: date patterns, labels, zones
    byline      author names from explicit bylines
    document    the lines plus each line's role in context (byline, dateline, picture)
    segment     step 2: the densest prose run and its trailing cut
    headline    step 4: the headline
    header      steps 3 and 5: lead, standfirst, captions, byline and date picks
    assemble    the TextScrape result and the reasons lines were dropped
    cleaner     clean_text_scrape: the steps in order
"""

from __future__ import annotations

from flows.extract.textscrape.assemble import TextScrape
from flows.extract.textscrape.cleaner import DEFAULT_MAX_CHARS, clean_text_scrape

__all__ = ["DEFAULT_MAX_CHARS", "TextScrape", "clean_text_scrape"]
