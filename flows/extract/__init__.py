"""Extraction: RawDocument -> Article | Rejected, in worker processes.

``workers`` runs ``clean`` in a process pool with a time limit per document;
``clean`` decides (trafilatura for pages, ``textscrape`` for plain-text
scrapes) and builds the ``records`` it hands on; ``pagemeta`` reads what a page
states about itself and ``dating`` turns any timestamp into a dated value.
"""
