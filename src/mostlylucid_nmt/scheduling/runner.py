"""Runs one request's sentences through a translator in length-sorted batches, in worker threads.

Sorting by length keeps padding (wasted compute) low; EASYNMT_BATCH_SIZE bounds sentences per call. Between
batches the request may be abandoned (timeout, disconnect): its remaining batches are then never started.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from mostlylucid_nmt.backends.base import GenerationOptions, Translator
from mostlylucid_nmt.errors import BackendFailure, ServiceError
from mostlylucid_nmt.scheduling.admission import Lease

log = logging.getLogger(__name__)

T = TypeVar("T")


class BatchRunner:
    def __init__(self, batch_size: int, threads: int) -> None:
        self._batch_size = batch_size
        self._executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="translate")

    async def call(self, lease: Lease, function: Callable[[], T]) -> T:
        """Run blocking model work in a worker thread, tracked by the lease."""
        future = self._executor.submit(function)
        lease.track(future)
        try:
            return await asyncio.wrap_future(future)
        except ServiceError:
            raise
        except Exception as exc:
            log.exception("model call failed")
            raise BackendFailure("translation failed inside the model; see the server log") from exc

    async def translate(
        self,
        lease: Lease,
        translator: Translator,
        sentences: Sequence[str],
        source_lang: str,
        target_lang: str,
        options: GenerationOptions,
    ) -> list[str]:
        order = sorted(range(len(sentences)), key=lambda index: len(sentences[index]))
        results: list[str] = [""] * len(sentences)
        for start in range(0, len(order), self._batch_size):
            chunk = order[start : start + self._batch_size]
            batch = [sentences[index] for index in chunk]
            outputs = await self.call(
                lease, functools.partial(translator.translate, batch, source_lang, target_lang, options)
            )
            if len(outputs) != len(batch):
                raise BackendFailure(f"model returned {len(outputs)} results for {len(batch)} sentences")
            for index, output in zip(chunk, outputs, strict=True):
                results[index] = output
        return results

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
