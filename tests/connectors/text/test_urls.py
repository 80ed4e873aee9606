"""Tests of connectors.text.urls: the one rule for web addresses, and the listed-URL form."""

from __future__ import annotations

import pytest

from connectors.text.urls import absolute_http_url, http_url_problem, is_http_url


@pytest.mark.parametrize(
    ("value", "base", "expected"),
    [
        ("https://a.example/x", None, "https://a.example/x"),
        ("  http://a.example/x#frag ", None, "http://a.example/x"),
        ("/x?q=1", "https://a.example/feed/", "https://a.example/x?q=1"),
        ("y", "https://a.example/feed/", "https://a.example/feed/y"),
        ("//cdn.example/z", "https://a.example/", "https://cdn.example/z"),
        ("https://a.example/a b", None, None),
        ("https://a.example/\x00", None, None),
        ("javascript:alert(1)", None, None),
        ("mailto:x@a.example", None, None),
        ("file:///etc/passwd", None, None),
        ("https://", None, None),
        ("https://a.example:99999/", None, None),
        ("https://a.example:port/", None, None),
        ("/relative", None, None),
        ("", None, None),
        (None, None, None),
    ],
)
def test_absolute_http_url(value, base, expected):
    assert absolute_http_url(value, base=base) == expected


def test_absolute_http_url_length_cap():
    url = "https://a.example/" + "z" * 100
    assert absolute_http_url(url, max_length=len(url)) == url
    assert absolute_http_url(url, max_length=len(url) - 1) is None


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("https://a.example/x", None),
        ("HTTP://A.example", None),
        ("a.example/x", "not absolute"),
        ("ftp://a.example/", "scheme 'ftp' is not http or https"),
        ("https:///x", "URL has no host"),
        ("https://a.example:99999/", "invalid URL"),
        ("http://[::1", "invalid URL"),
    ],
)
def test_http_url_problem(url, problem):
    found = http_url_problem(url)
    assert found == problem if problem is None else found is not None and found.startswith(problem)


def test_http_url_problem_length_is_a_parameter():
    url = "https://a.example/" + "z" * 3000
    assert http_url_problem(url) == "URL longer than 2083 characters"
    assert http_url_problem(url, max_length=None) is None
    assert is_http_url(url)
    assert not is_http_url(None)
    assert not is_http_url("")
