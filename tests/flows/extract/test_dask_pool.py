"""The Dask engine on a real LocalCluster (worker processes with nannies, 127.0.0.1).

The same documents give the same results as the local pool; a page over its
time limit, one that kills its extraction process and one that raises become
reject rows decided on the worker (the Dask worker itself survives); a cluster
that cannot be used says why in one EngineError before anything runs: no
worker, a daemonic worker, a worker of another build (an unreachable scheduler:
tests/flows/test_ingest_dask.py, through the command line).
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from distributed import Client, LocalCluster

import flows.extract.dask_worker as dask_worker
from connectors.records import RawDocument, Rejected, RejectReason
from flows.errors import EngineError
from flows.extract.dask_pool import DaskPool
from flows.extract.dask_worker import WorkerJob, local_build
from flows.extract.workers import ExtractionPool
from flows.pipeline.per_document import CLEANER, Processed, process_document
from tests.daskcluster import local_cluster, worker_pids
from tests.flows.extract.test_workers import (
    CRASH,
    HANG,
    RAISE,
    article_page,
    document,
    misbehaving_task,
)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def cluster() -> Iterator[LocalCluster]:
    with local_cluster(2) as running:
        yield running


def extract(pool: Any, docs: list[RawDocument]) -> list[Processed]:
    async def all_of() -> list[Processed]:
        async with pool:
            return list(await asyncio.gather(*(pool.process(doc) for doc in docs)))

    return asyncio.run(all_of())


def pages(count: int) -> list[RawDocument]:
    return [
        replace(
            document(article_page(f"dask-{i}"), name=f"p{i}"),
            content=article_page(f"dask-{i}").encode(),
        )
        for i in range(count)
    ]


def test_documents_give_the_same_results_on_dask_as_in_the_local_pool(
    cluster: LocalCluster,
) -> None:
    docs = pages(30)
    on_dask = extract(
        DaskPool(
            scheduler=cluster.scheduler_address, timeout=30, task=process_document, preload=CLEANER
        ),
        docs,
    )
    local = extract(ExtractionPool(workers=2, timeout=30, task=process_document), docs)

    assert all(isinstance(r, tuple) for r in on_dask)
    assert on_dask == local


def test_slots_are_the_clusters_worker_threads(cluster: LocalCluster) -> None:
    async def slots() -> int:
        async with DaskPool(
            scheduler=cluster.scheduler_address, timeout=30, task=process_document
        ) as pool:
            return pool.slots

    assert asyncio.run(slots()) == 2


def test_a_hang_and_a_bug_become_rejects_and_the_cluster_recovers(
    cluster: LocalCluster,
) -> None:
    """The hang leaves its worker stuck (restarted by the flow); the bug is a reject on the
    spot."""
    started = time.monotonic()
    pool: DaskPool[Processed] = DaskPool(
        scheduler=cluster.scheduler_address, timeout=1.0, task=misbehaving_task
    )
    hang, bug, page = extract(
        pool,
        [
            document(HANG, name="hang"),
            document(RAISE, name="raise"),
            document(article_page("dask-after"), name="after"),
        ],
    )

    assert isinstance(hang, Rejected) and hang.reason is RejectReason.EXTRACTION_TIMEOUT
    assert hang.detail == "extraction took longer than 1 s"
    assert (hang.location, hang.raw_hash) == ("https://news.example/hang", "hang")
    assert isinstance(bug, Rejected) and bug.detail == "ValueError: a bug in the extractor"
    assert isinstance(page, tuple) and page[0].title == "Harbour plans"
    assert time.monotonic() - started < 30  # the hang was cut, not waited for
    with Client(cluster.scheduler_address, timeout=30) as client:
        client.wait_for_workers(2, timeout=60)  # the nanny restarted the stuck worker


def test_a_page_that_kills_its_process_is_a_reject_once_run_alone_in_pebble(
    cluster: LocalCluster,
) -> None:
    """It kills Dask worker after worker (allowed-failures + 1), then its chunk's pages are
    sent one by one into pebble processes: the culprit is a reject, the others extracted."""
    pool: DaskPool[Processed] = DaskPool(
        scheduler=cluster.scheduler_address, timeout=30, task=misbehaving_task
    )
    docs = [document(CRASH, name="crash")]
    docs += [document(article_page(f"next-{i}"), name=f"next-{i}") for i in range(4)]

    crash, *others = extract(pool, docs)

    assert isinstance(crash, Rejected) and crash.reason is RejectReason.EXTRACTION_ERROR
    assert crash.detail.startswith("worker died")
    assert [o[0].url for o in others if isinstance(o, tuple)] == [d.url for d in docs[1:]]
    with Client(cluster.scheduler_address, timeout=30) as client:
        client.wait_for_workers(2, timeout=60)  # the nannies restarted the workers


def test_a_worker_stuck_on_a_page_is_restarted_and_its_other_pages_are_extracted() -> None:
    """One worker: the hang leaves it stuck mid-chunk; the pages it gave back (the rest of
    that chunk and the next chunk) are extracted once the flow has restarted it."""
    with local_cluster(1) as cluster:
        before = worker_pids(cluster.scheduler_address)
        started = time.monotonic()
        pool: DaskPool[Processed] = DaskPool(
            scheduler=cluster.scheduler_address, timeout=1.0, task=misbehaving_task
        )
        hang, *others = extract(
            pool,
            [document(HANG, name="hang")]
            + [document(article_page(f"after-{i}"), name=f"after-{i}") for i in range(4)],
        )
        after = worker_pids(cluster.scheduler_address)

    assert isinstance(hang, Rejected) and hang.reason is RejectReason.EXTRACTION_TIMEOUT
    assert [type(o) for o in others] == [tuple] * 4
    assert [o[0].url for o in others if isinstance(o, tuple)] == [
        f"https://news.example/after-{i}" for i in range(4)
    ]
    assert time.monotonic() - started < 60
    assert set(after.values()).isdisjoint(before.values())  # a new worker process


def test_a_worker_is_restarted_after_its_share_of_pages() -> None:
    """As a pebble process after max_tasks: a worker that extracted max_pages pages is
    restarted (its memory freed) and the pages still to do are extracted by the new one."""
    docs = [document(article_page(f"quota-{i}"), name=f"quota-{i}") for i in range(7)]
    with local_cluster(1) as cluster:
        before = worker_pids(cluster.scheduler_address)
        pool: DaskPool[Processed] = DaskPool(
            scheduler=cluster.scheduler_address, timeout=30, task=misbehaving_task, max_pages=3
        )
        outcomes = extract(pool, docs)
        after = worker_pids(cluster.scheduler_address)

    assert [o[0].url for o in outcomes if isinstance(o, tuple)] == [d.url for d in docs]
    assert set(after.values()).isdisjoint(before.values())


def imports_prefect() -> bool:
    return "prefect" in sys.modules


def test_workers_never_import_prefect(cluster: LocalCluster) -> None:
    """No Prefect on a worker: none of them can start a temporary Prefect server."""
    extract(
        DaskPool(
            scheduler=cluster.scheduler_address, timeout=30, task=process_document, preload=CLEANER
        ),
        pages(2),
    )
    with Client(cluster.scheduler_address) as client:
        assert set(client.run(imports_prefect).values()) == {False}


def test_a_cluster_without_workers_is_an_engine_error() -> None:
    with local_cluster(0) as empty:
        pool: DaskPool[Processed] = DaskPool(
            scheduler=empty.scheduler_address, timeout=30, task=process_document, worker_wait=1
        )
        with pytest.raises(
            EngineError,
            match=r"no Dask worker joined .* within 1 s: start some with `news-ingest worker",
        ):
            extract(pool, pages(1))


def test_daemonic_workers_are_named_before_any_document() -> None:
    with local_cluster(1, daemon=True) as daemonic:
        pool: DaskPool[Processed] = DaskPool(
            scheduler=daemonic.scheduler_address, timeout=30, task=process_document
        )
        with pytest.raises(EngineError, match=r"daemonic process .* `news-ingest worker`"):
            extract(pool, pages(1))


def pretend_another_build() -> str:
    """Make this worker report another trafilatura version (its pools check the digest)."""
    real = local_build()
    other = dask_worker.Build(
        tuple((k, "0.0-other" if k == "trafilatura" else v) for k, v in real.versions), real.code
    )
    dask_worker.local_build = lambda: other  # type: ignore[assignment]
    return other.digest


def test_a_worker_of_another_build_is_named_with_the_difference() -> None:
    with local_cluster(1) as cluster:
        with Client(cluster.scheduler_address) as client:
            client.run(pretend_another_build)
        pool: DaskPool[Processed] = DaskPool(
            scheduler=cluster.scheduler_address, timeout=30, task=process_document
        )
        here = dict(local_build().versions)["trafilatura"]
        expected = f"(trafilatura 0.0-other vs {here}, worker vs flow)"
        with pytest.raises(
            EngineError, match=r"Dask worker tcp://127\.0\.0\.1:\d+ runs another"
        ) as error:
            extract(pool, pages(1))
        assert expected in str(error.value)


def test_a_worker_asked_for_another_build_refuses_the_document() -> None:
    """A worker that joins during a run checks the flow's build on its first document."""
    job = WorkerJob("0" * 16, process_document, 30.0, None)
    with pytest.raises(
        EngineError, match="the flow expects 0000000000000000: install the same version"
    ):
        dask_worker._pool_for(job, 1)


def test_a_cluster_that_loses_every_worker_fails_the_documents_instead_of_waiting() -> None:
    """The scheduler would keep the chunk waiting for a worker for ever: the run is told."""
    with local_cluster(1) as cluster:
        pool: DaskPool[Processed] = DaskPool(
            scheduler=cluster.scheduler_address, timeout=60, task=misbehaving_task, worker_wait=1
        )

        async def lose_the_worker() -> None:
            async with pool:
                pending = asyncio.ensure_future(pool.process(document(HANG, name="hang")))
                await asyncio.sleep(2)
                await asyncio.to_thread(cluster.scale, 0)
                started = time.monotonic()
                with pytest.raises(EngineError, match="has had no worker for 1 s"):
                    await pending
                assert time.monotonic() - started < 30

        asyncio.run(lose_the_worker())
