"""The ``http`` benchmark's machinery, without the app: the load generator counts answers and errors, and
the py-spy summary splits samples by package and stage (the benchmark itself runs in ``make bench``)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from bench import loadgen, pyspy


async def _serve(body: bytes) -> asyncio.Server:
    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                at = head.lower().find(b"content-length:")
                await reader.readexactly(int(head[at + 15:head.index(b"\r\n", at)]))
                writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: "
                             + str(len(body)).encode() + b"\r\n\r\n" + body)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    return await asyncio.start_server(answer, "127.0.0.1", 0)


async def _run(body: bytes) -> dict:
    server = await _serve(body)
    port = server.sockets[0].getsockname()[1]
    query = json.dumps({"query": "{ x }"})
    request = (f"POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Length: {len(query)}\r\n\r\n{query}")
    try:
        return await loadgen.run({"kind": "http", "host": "127.0.0.1", "port": port, "concurrency": 4,
                                  "seconds": 0.3, "warmup": 0.1, "request": request})
    finally:
        server.close()


async def test_answers_are_timed_and_graphql_errors_counted() -> None:
    ok = await _run(b'{"data": {"x": 1}}')
    assert ok["errors"] == 0 and len(ok["latencies"]) > 10 and ok["client_cpu_s"] >= 0
    failed = await _run(b'{"data": null, "errors": [{"message": "no"}]}')
    assert not failed["latencies"] and failed["errors"] > 10 and "HTTP 200" in failed["error_samples"][0]


def test_profile_summary_by_package_and_stage(tmp_path: Path) -> None:
    raw = tmp_path / "p.txt"
    raw.write_text(
        "run (uvicorn/main.py:1);execute (graphql/execution/executor.py:9);execute (sqlalchemy/orm/session.py:2) 3\n"
        "run (uvicorn/main.py:1);person_node (plugins/residents/schema.py:160) 1\n"
    )
    found = pyspy.summary([raw])
    assert found["samples"] == 4
    assert found["by_package"] == {"sqlalchemy": 0.75, "wardhub plugins": 0.25}
    assert found["by_stage"]["SQLAlchemy: engine, pool, session"] == 0.75
    assert found["by_stage"]["members → PersonNode (person_node)"] == 0.25
