"""A small, bounded HTTP/1.1 load generator: N keep-alive connections, each sending its next
request as soon as the previous answer is in (a closed loop, as wrk does).

    .venv/bin/python bench/loadgen.py SPEC.json > RESULT.json

It runs in its own process, so its work is not the server's, and it stops by itself: after
`duration` seconds no new request starts, the ones in flight are awaited (at most `drain`
seconds, so the server is idle again when it exits and every write has its answer), and it
also stops when its requests run out (`once`: each request is sent once, `max_requests`).
Like wrk, it counts the answers that arrive during the measured seconds (unlike wrk, only
those under 400). It talks to 127.0.0.1
only.

The spec: {"port": 8000, "duration": 10, "warmup": 1, "connections": 8, "mode": "repeat" or
"once", "drain": 60, "requests": ["GET / HTTP/1.1\\r\\nHost: ...\\r\\n\\r\\n", ...]} (requests
as latin-1 strings). Requests started during the warm-up are sent but not counted.

The result: requests per second, latency and time-to-first-byte percentiles, status counts, and
for `once` the indexes of the requests answered 2xx or 3xx (`acknowledged`), so the caller can
check each of them against the database.
"""

import asyncio
import json
import resource
import sys
import time
from typing import Any

HOST = "127.0.0.1"
STAGGER_SECONDS = 0.02  # between opening one connection and the next


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class Run:
    def __init__(self, spec: dict[str, Any]) -> None:
        self.port = int(spec["port"])
        self.requests = [r.encode("latin-1") for r in spec["requests"]]
        self.once = spec.get("mode", "repeat") == "once"
        self.connections = int(spec.get("connections", 8))
        self.duration = float(spec["duration"])
        self.warmup = float(spec.get("warmup", 0))
        self.drain = float(spec.get("drain", 60))
        self.max_requests = spec.get("max_requests")
        self.next_index = 0
        self.latencies: list[float] = []
        self.ttfbs: list[float] = []
        self.statuses: dict[str, int] = {}
        self.errors: dict[str, int] = {}
        self.acknowledged: list[int] = []
        self.bytes = 0
        self.outside = 0  # answers during the warm-up or the drain: not counted
        self.failed = 0  # 4xx and 5xx answers: not counted either
        self.every: list[tuple[float, float]] = []  # (sent, answered) of every answer

    def take(self) -> int | None:
        if self.once and self.next_index >= len(self.requests):
            return None
        if self.max_requests is not None and self.next_index >= self.max_requests:
            return None
        index = self.next_index
        self.next_index += 1
        return index

    async def connection(self, deadline: float, number: int = 0) -> None:
        # One connection after the other: opened all at once, they were all accepted by
        # whichever worker woke first, and with keep-alive the other worker got no request at
        # all (bench/README.md).
        await asyncio.sleep(number * STAGGER_SECONDS)
        reader = writer = None
        while time.perf_counter() < deadline:
            index = self.take()
            if index is None:
                break
            request = self.requests[index % len(self.requests)]
            try:
                if writer is None:
                    reader, writer = await asyncio.open_connection(HOST, self.port)
                started = time.perf_counter()
                writer.write(request)
                status, first_byte, size, keep = await self.response(reader)
                done = time.perf_counter()
            except (OSError, asyncio.IncompleteReadError, ValueError) as error:
                name = type(error).__name__
                self.errors[name] = self.errors.get(name, 0) + 1
                if writer is not None:
                    writer.close()
                reader = writer = None
                continue
            if self.once and 200 <= status < 400:
                self.acknowledged.append(index)
            if status < 400:
                self.every.append((started, done))
            self.statuses[str(status)] = self.statuses.get(str(status), 0) + 1
            # Counted as wrk counts: the answers that came in during the measured seconds; but
            # only good ones (an error page is quick, and would flatter the figure).
            if status >= 400:
                self.failed += 1
            elif self.measure_from <= done <= self.deadline:
                self.latencies.append(done - started)
                self.ttfbs.append(first_byte - started)
                self.bytes += size
            else:
                self.outside += 1
            if not keep:
                writer.close()
                reader = writer = None
        if writer is not None:
            writer.close()

    async def response(self, reader: asyncio.StreamReader) -> tuple[int, float, int, bool]:
        head = await reader.readuntil(b"\r\n\r\n")
        first_byte = time.perf_counter()
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = {}
        for line in lines[1:]:
            if ":" in line:
                key, value = line.split(":", 1)
                headers[key.strip().lower()] = value.strip()
        size = 0
        if "content-length" in headers:
            size = int(headers["content-length"])
            await reader.readexactly(size)
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            while True:
                chunk_head = await reader.readuntil(b"\r\n")
                chunk = int(chunk_head.split(b";")[0], 16)
                await reader.readexactly(chunk + 2)
                size += chunk
                if chunk == 0:
                    break
        keep = headers.get("connection", "").lower() != "close"
        return status, first_byte, size, keep

    async def main(self) -> dict[str, Any]:
        start = time.perf_counter()
        self.measure_from = start + self.warmup
        self.deadline = deadline = self.measure_from + self.duration
        cpu_before = resource.getrusage(resource.RUSAGE_SELF)
        tasks = [
            asyncio.create_task(self.connection(deadline, number))
            for number in range(self.connections)
        ]
        _done, pending = await asyncio.wait(tasks, timeout=deadline - start + self.drain)
        for task in pending:  # still waiting for an answer after the drain: given up
            task.cancel()
        cpu_after = resource.getrusage(resource.RUSAGE_SELF)
        cpu = cpu_after.ru_utime - cpu_before.ru_utime + cpu_after.ru_stime - cpu_before.ru_stime
        wall = time.perf_counter() - start
        ms = 1000.0
        counted = len(self.latencies)
        # Answers slower than the measured seconds (the L page under load) hardly ever land in
        # them: then the rate over the whole run, from the first request to the last answer.
        whole_rps = None
        if self.every:
            first = min(sent for sent, _done in self.every)
            last = max(done for _sent, done in self.every)
            whole_rps = round(len(self.every) / max(last - first, 1e-9), 3)
            if counted < 20:
                self.latencies = [done - sent for sent, done in self.every]
        windowed = counted >= 20 or not whole_rps
        return {
            "whole_run": {
                "answers": len(self.every),
                "rps": whole_rps,
                "latency_ms_p50": round(v * ms, 2)
                if (v := percentile([d - s for s, d in self.every], 0.5)) is not None
                else None,
            },
            "requests": counted,
            "seconds": self.duration,
            "rps": round(counted / self.duration, 2) if windowed else whole_rps,
            "rps_basis": "measured seconds" if windowed else "whole run",
            "latency_ms": {
                q: round(v * ms, 2) if (v := percentile(self.latencies, p)) is not None else None
                for q, p in (("p50", 0.5), ("p90", 0.9), ("p99", 0.99), ("max", 1.0))
            },
            "ttfb_ms_p50": round(v * ms, 2)
            if (v := percentile(self.ttfbs, 0.5)) is not None
            else None,
            "statuses": self.statuses,  # of every answer, counted or not
            "failed": self.failed,
            "errors": self.errors,
            "unfinished": len(pending),
            "bytes_per_response": round(self.bytes / counted) if counted else 0,
            "not_counted": self.outside,
            "connections": self.connections,
            "sent": self.next_index,
            "acknowledged": sorted(self.acknowledged) if self.once else None,
            "client_cpu": round(cpu / wall, 2),  # cores the load generator itself used
        }


def main() -> None:
    with open(sys.argv[1], encoding="utf-8") as spec_file:
        spec = json.load(spec_file)
    try:
        from uvloop import new_event_loop as loop_factory
    except ImportError:
        loop_factory = None
    result = asyncio.run(Run(spec).main(), loop_factory=loop_factory)
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
