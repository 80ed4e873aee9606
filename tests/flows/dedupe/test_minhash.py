"""Tests of flows.dedupe.minhash: signatures, LSH band keys, similarity estimates."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from flows.dedupe.config import DEFAULT_CONFIG, DedupeConfig
from flows.dedupe.hashing import content_hash, is_boilerplate, is_dedupable
from flows.dedupe.minhash import (
    _permutations,
    _shingle_hashes,
    band_keys,
    lsh_probability,
    minhash,
    shingle_signature,
    similarity,
)
from flows.dedupe.similarity import is_same_story, story_features
from flows.errors import DedupeError
from tests.flows.dedupe.texts import CONSENT_WALL, article


def test_a_consent_banner_leaking_into_an_article_does_not_change_its_signature() -> None:
    text = article(10)
    leaked = CONSENT_WALL + "\n" + text
    assert is_dedupable(leaked)
    assert not is_boilerplate(leaked)
    assert minhash(leaked) == minhash(text)
    a = story_features(text=text, title="A", url="https://a.com/1")
    b = story_features(text=leaked, title="B", url="https://b.com/1")
    assert is_same_story(a, b)


def test_band_keys_are_signed_64_bit_and_one_per_band() -> None:
    keys = band_keys(minhash(article(12)))
    assert len(keys) == DEFAULT_CONFIG.bands
    assert all(-(2**63) <= key < 2**63 for key in keys)
    assert any(key < 0 for key in keys) or any(key >= 2**62 for key in keys)


def test_similarity_rejects_signatures_of_other_lengths() -> None:
    small = DedupeConfig(bands=4, rows=2)
    with pytest.raises(DedupeError):
        similarity(minhash("a b c d e f", config=small), minhash("a b c d e f"))
    with pytest.raises(DedupeError):
        band_keys(minhash("a b c d e f", config=small))


def test_lsh_probability_follows_the_s_curve() -> None:
    config = DEFAULT_CONFIG
    values = [lsh_probability(j / 10) for j in range(11)]
    assert values == sorted(values)
    assert values[0] == 0.0
    assert values[10] == 1.0
    assert lsh_probability(config.threshold) > 0.99
    assert lsh_probability(0.1) < 0.05


def test_signature_and_band_keys_are_equal_in_another_process() -> None:
    text = article(13)
    script = textwrap.dedent(
        """
        import sys
        from flows.dedupe.hashing import content_hash
        from flows.dedupe.minhash import band_keys, minhash
        text = sys.stdin.read()
        print(minhash(text).hex())
        print(",".join(map(str, band_keys(minhash(text)))))
        print(content_hash(text))
        """
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    result = subprocess.run(
        [sys.executable, "-c", script],
        input=text,
        capture_output=True,
        text=True,
        check=True,
        env=env,
        timeout=60,
    )
    signature_hex, keys, digest = result.stdout.split()
    assert signature_hex == minhash(text).hex()
    assert keys == ",".join(map(str, band_keys(minhash(text))))
    assert digest == content_hash(text)


def test_a_huge_text_is_hashed_in_bounded_slices() -> None:
    # 30,000 tokens: more than seven signature slices; the result must not depend on slicing.
    text = " ".join(f"w{i}" for i in range(30_000))
    signature = minhash(text)
    words = text.split()
    hashes = _shingle_hashes(words, 5, DEFAULT_CONFIG.seed)
    a, b = _permutations(DEFAULT_CONFIG.num_perm, DEFAULT_CONFIG.seed)
    at_once = ((hashes.reshape(-1, 1) * a + b) >> np.uint64(32)).min(axis=0)
    assert signature == at_once.astype("<u4").tobytes()


def test_shingle_signature_counts_distinct_shingles() -> None:
    # Runs of five in "a b c d e f a b c d e": six distinct, "a b c d e" twice.
    signature, shingles = shingle_signature(["a", "b", "c", "d", "e", "f", "a", "b", "c", "d", "e"])
    assert shingles == 6
    assert signature == minhash("A b, c d e; f a b c d e.")
    # A text shorter than a shingle is one shingle; an empty one has none.
    assert shingle_signature(["a", "b"])[1] == 1
    assert shingle_signature([]) == (minhash(""), 0)


# --------------------------------------------------------------------------- on-disk format

# These values pin the on-disk format: warehouses store signatures and band keys
# (store.story_features, store.story_bands) under DedupeConfig.scheme, and a new
# article only finds its story if it computes the same values. They were computed
# by the code before any restructuring; a speed-up that changes one of them needs
# a new scheme name and a migration, not a new expected value here.
PINNED_ENGLISH = (
    "The city council of Riverton approved a budget of 48 million euros for new social "
    "housing on Tuesday evening, after a debate that lasted more than four hours. Mayor "
    "Elena Brandt said the plan would create 600 flats near the old harbour by 2028 and "
    "called the vote a “turning point” for young families who can no longer afford rents "
    "in the centre. The opposition criticised the cost — and warned that construction "
    "prices could rise further."
)
PINNED_CJK = "国务院总理今天在北京主持召开常务会议，研究部署进一步扩大内需和稳定就业的政策措施。"
# 9,996 shingles: more than two slices of the signature computation.
PINNED_LONG = " ".join(f"w{i}" for i in range(10_000))

PINNED_BAND_KEYS = {
    "english": [
        4332971256754531913, -6066993747378886738, -6262897959913617767, 1519661575722961802,
        928676910549855875, 603726703446315131, 7743497239113031603, -9115769048446649362,
        2414097786844756276, -3885188581814188583, -1722247031505190929, -6149075889173820741,
        -5881738557496317378, -5423124558977857438, -6377022688902727136, -4258767980395816909,
        -1481579911899439609, -6686053636805788094, -6973858872084003598, -4442864671285399512,
        -2025434942491277976, -8173779712674099955, 5135864323885461489, -6546461606378811436,
        3824364487515419818, 5119769593075176274, -6240315167784903597, -5622513106385234891,
        -55945506580885442, -2757155596975337121, -5668308067753403519, -1469656524777720437,
        8579251838586597752, 5103641146169668830, 3217528281152068117, -988875261982618469,
        6647255431638496749, 5168367602932529938, -8646421669381026113, 4213634908385726123,
    ],
    "cjk": [
        8866100908583093753, 5477980016274710352, -3478613048454425971, -7810433999912134413,
        -2447417203904493211, -4703664402050442835, 4304428750566603878, 2606227884368643897,
        -944542398371119365, 6950503559921016604, 2279907812327716282, -4491908213033949994,
        -2398868239543538383, 3703107809720500699, -2772889909104221568, 1579104719731622788,
        7503925777710953869, 6656447719813622607, -3931609907781510353, -3769263456307316223,
        -2649013689323222551, -8009796472941584973, 3267742958836464666, -7937592433721493818,
        6975880491782799804, -1742767289385681672, 1950020284253485366, 3908862064454723879,
        -971704768897711756, 6092658949360863502, -6336263249117097852, -8150023888492789784,
        -897701029023308147, -6554554835577270628, -1633798261139691345, -3226879335972261071,
        -5655057700660443452, -3149001150243582502, 7842507247662220808, -5056162542344365065,
    ],
    "long": [
        -3091713388202871714, -2053636865793710310, -2491177878840205320, 6369905670471533149,
        981605397637736682, -1790803296782040781, -5127786685206938364, -7073675303657599642,
        8984337901266208895, 5428139808108904392, 679112355559200174, 8327160808642678815,
        -3323238561958248390, 2093818353652373771, 3463057449223625723, 2988334262368939850,
        4959550740568980625, -8097460112252611635, -6474149749320516392, 3483761152262082353,
        -2698893041102499191, -5987993068719497570, 3746927277002156332, -6523334913924390218,
        6396469448295756608, -326841221359573233, 2325728063345099568, 1058524681930890014,
        -6283872113395503221, 6713570431855130181, -3721687383033111204, 9003977708609227043,
        -5505236695179562303, -8301778415386631760, -1883415488561186597, 5177809914103334462,
        -1130521769308804315, -5872541297743480941, -5537414113212443761, -6622640539490241158,
    ],
}  # fmt: skip
# The first three slots of each signature: a readable hint of where a change went wrong.
PINNED_FIRST_SLOTS = {
    "english": [75727209, 62934960, 25401321],
    "cjk": [103263320, 56927292, 40281873],
    "long": [555228, 766802, 634609],
}
_PINNED_TEXTS = {"english": PINNED_ENGLISH, "cjk": PINNED_CJK, "long": PINNED_LONG}


def test_signatures_and_band_keys_match_the_stored_format() -> None:
    for name, text in _PINNED_TEXTS.items():
        signature = minhash(text)
        assert len(signature) == 480, name
        assert np.frombuffer(signature, dtype="<u4")[:3].tolist() == PINNED_FIRST_SLOTS[name]
        # Each band key hashes its slice of the signature: all 40 pin every byte of it.
        assert band_keys(signature) == PINNED_BAND_KEYS[name], name


def test_a_small_config_signature_matches_the_stored_format() -> None:
    # Another seed and layout: pins how permutations and band keys derive from the config.
    small = DedupeConfig(bands=4, rows=2, seed=7)
    signature = minhash(PINNED_ENGLISH, config=small)
    assert signature.hex() == "8a7b9102c8ae23028dd48b005f097e0953e4f20a046b5404d1d4050151b32600"
    assert band_keys(signature, config=small) == [
        7124842704031241375, -3857290324909541891, -8676226908899798196, 1371472396240921918,
    ]  # fmt: skip


def test_the_empty_signature_matches_the_stored_format() -> None:
    assert minhash("") == b"\xff" * 480
    assert band_keys(minhash("")) == []
