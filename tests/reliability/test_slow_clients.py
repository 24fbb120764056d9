"""Slow clients: connections that send their body a byte at a time do not hold up anyone else."""

from __future__ import annotations

import asyncio
import json
import time

import httpx
import pytest

from tests.reliability.load import median, percentile
from tests.reliability.profile import Profile
from tests.reliability.report import Report
from tests.support.server import running_server

pytestmark = pytest.mark.integration

BYTE_INTERVAL_S = 0.1
NORMAL_REQUESTS = 50


async def _slow_client(host: str, port: int, body: bytes) -> tuple[float, int, str]:
    """Send the headers at once, then the body one byte per BYTE_INTERVAL_S; (body sent at, status, body)."""
    reader, writer = await asyncio.open_connection(host, port)
    head = (
        f"POST /translate HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    )
    writer.write(head.encode())
    await writer.drain()
    for index in range(len(body)):
        writer.write(body[index : index + 1])
        await writer.drain()
        await asyncio.sleep(BYTE_INTERVAL_S)
    sent_at = time.monotonic()
    answer = await reader.read()
    writer.close()
    status_line, _, rest = answer.decode().partition("\r\n")
    return sent_at, int(status_line.split()[1]), rest.split("\r\n\r\n", 1)[1]


def test_byte_by_byte_bodies_do_not_block_others(profile: Profile, report: Report) -> None:
    with running_server({"TRANSLATION_BACKEND": "fake", "REQUEST_LOG": "0"}) as server:
        host, port = server.base_url.removeprefix("http://").split(":")
        body = json.dumps({"text": "Slowly.", "target_lang": "de", "source_lang": "en"}).encode()

        async def scenario() -> tuple[list[tuple[float, int, str]], list[float], list[int], float]:
            slow = [
                asyncio.create_task(_slow_client(host, int(port), body)) for _ in range(profile.slow_clients)
            ]
            await asyncio.sleep(1.0)  # every slow connection is open and trickling
            latencies: list[float] = []
            statuses: list[int] = []
            async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as client:
                for index in range(NORMAL_REQUESTS):
                    sent = time.perf_counter()
                    response = await client.post(
                        "/translate",
                        json={"text": f"Fast {index}.", "target_lang": "de", "source_lang": "en"},
                    )
                    latencies.append(time.perf_counter() - sent)
                    statuses.append(response.status_code)
            normal_done = time.monotonic()
            return await asyncio.gather(*slow), latencies, statuses, normal_done

        slow_results, latencies, statuses, normal_done = asyncio.run(scenario())
        log = server.log()

    first_slow_body_sent = min(sent_at for sent_at, _, _ in slow_results)
    section = report.section(
        "slow-clients",
        "Slow clients",
        f"{profile.slow_clients} connections send a {len(body)}-byte body one byte every "
        f"{BYTE_INTERVAL_S * 1000:.0f} ms (about {len(body) * BYTE_INTERVAL_S:.0f} s each) while one client "
        f"sends {NORMAL_REQUESTS} ordinary requests one after another. One worker, fake backend.",
    )
    section.figure("slow connections", len(slow_results))
    section.figure("ordinary requests answered 200", statuses.count(200))
    section.figure(
        "ordinary latency p50 / p95 / max (ms)",
        f"{median(latencies) * 1000:.0f} / {percentile(latencies, 0.95) * 1000:.0f} / {max(latencies) * 1000:.0f}",
    )
    section.figure(
        "ordinary requests finished before the first slow body was complete",
        normal_done < first_slow_body_sent,
    )
    section.figure("slow requests answered 200", sum(1 for _, status, _ in slow_results if status == 200))
    section.headline = (
        f"{len(slow_results)} byte-by-byte connections open: all {statuses.count(200)} ordinary requests answered "
        f"(p95 {percentile(latencies, 0.95) * 1000:.0f} ms) before any slow body was complete; "
        f"{sum(1 for _, status, _ in slow_results if status == 200)} slow requests answered 200 afterwards."
    )
    assert statuses == [200] * NORMAL_REQUESTS
    # All ordinary requests were served while every slow body was still arriving.
    assert normal_done < first_slow_body_sent
    assert [status for _, status, _ in slow_results] == [200] * profile.slow_clients
    assert all(json.loads(text)["translated"] == "[de] Slowly." for _, _, text in slow_results)
    assert " ERROR " not in log
