"""folio mcp and folio serve's /mcp, driven by the official MCP Python SDK.

A real client no one here wrote: it starts `folio mcp` over stdio on a
folder of highlights, initializes, lists tools and resources, calls every
tool, validates each structured answer against the tool's declared
outputSchema (jsonschema), and compares search_quotes with
`folio quotes --json` (same hits, same order); then the same over
Streamable HTTP against a `folio serve` it starts, and a foreign Origin is
refused. With --bench N it also times N search_quotes calls against N
searches of the running server's /api/quotes.

    python tests/mcp/client.py --folio target/debug/folio --notes DIR [--bench 100]

Needs `pip install mcp jsonschema`. Exit status 0 when every check holds.
"""

import argparse
import asyncio
import http.client
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse

import jsonschema
from mcp import ClientSession, StdioServerParameters, stdio_client, types
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError

TOOLS = {"search_quotes", "search_notes", "get_note", "similar_quotes", "index_stats"}
QUERIES = ["habit", "attention", "time", "memory"]


class Checks:
    def __init__(self):
        self.failures = []
        self.validated = 0

    def check(self, condition, what):
        if not condition:
            self.failures.append(what)
            print(f"FAILED: {what}", file=sys.stderr)


def folio_quotes(folio, index, cwd, query):
    out = subprocess.run(
        [folio, "quotes", "--json", "--no-refresh", "--index", index, "--", query],
        cwd=cwd, capture_output=True, text=True, check=False,
    )
    if out.returncode not in (0, 1):
        raise SystemExit(f"folio quotes {query!r} failed: {out.stderr}")
    return json.loads(out.stdout)


async def exercise(session, label, checks, folio, index, cwd):
    init = await session.initialize()
    checks.check(init.server_info.name == "folio", f"{label}: serverInfo.name is folio")

    tools = {tool.name: tool for tool in (await session.list_tools()).tools}
    checks.check(set(tools) == TOOLS, f"{label}: tools are {sorted(TOOLS)}, got {sorted(tools)}")
    for tool in tools.values():
        checks.check(tool.output_schema is not None, f"{label}: {tool.name} has an outputSchema")
        jsonschema.Draft202012Validator.check_schema(tool.input_schema)
        jsonschema.Draft202012Validator.check_schema(tool.output_schema)

    async def call(name, arguments, expect_error=False):
        result = await session.call_tool(name, arguments)
        if expect_error:
            checks.check(result.is_error, f"{label}: {name} {arguments} is an error")
            return result
        checks.check(not result.is_error, f"{label}: {name} {arguments} answers: {result.content}")
        if result.is_error:
            return result
        try:
            jsonschema.validate(result.structured_content, tools[name].output_schema,
                                cls=jsonschema.Draft202012Validator)
            checks.validated += 1
        except jsonschema.ValidationError as error:
            checks.check(False, f"{label}: {name} output fits its schema: {error.message}")
        checks.check(bool(result.content) and result.content[0].text,
                     f"{label}: {name} has a text rendering")
        return result

    # search_quotes: the same hits in the same order as folio quotes --json.
    first_quote = None
    for query in QUERIES:
        result = await call("search_quotes", {"query": query})
        hits = result.structured_content["hits"]
        cli = folio_quotes(folio, index, cwd, query)
        checks.check([h["id"] for h in hits] == [h["id"] for h in cli["hits"]],
                     f"{label}: search_quotes {query!r} has folio quotes' hits in its order")
        checks.check(hits == cli["hits"],
                     f"{label}: search_quotes {query!r} hits are folio quotes --json's, field by field")
        for hit in hits:
            checks.check(hit["note"]["titles"] and "reference" in hit,
                         f"{label}: a quote hit names its book and reference")
        first_quote = first_quote or (hits[0] if hits else None)
    checks.check(first_quote is not None, f"{label}: some query found a quote")

    await call("search_quotes", {"query": "habit", "limit": 3, "year": "1900..2100"})
    notes = await call("search_notes", {"query": "habit", "limit": 5})
    note_hits = notes.structured_content["hits"] if not notes.is_error else []
    if note_hits:
        await call("get_note", {"id": note_hits[0]["id"]})
        await call("get_note", {"path": note_hits[0]["path"]})
    if first_quote:
        similar = await session.call_tool("similar_quotes", {"id": first_quote["id"]})
        if similar.is_error:
            # Only an index without vectors may refuse, and it says what to do.
            checks.check("folio index" in similar.content[0].text,
                         f"{label}: similar_quotes refuses with a way out: {similar.content}")
            print(f"{label}: similar_quotes: {similar.content[0].text}")
        else:
            await call("similar_quotes", {"id": first_quote["id"], "limit": 5})
    stats = await call("index_stats", {})
    checks.check(stats.structured_content["quotes"] > 0, f"{label}: the index holds quotes")

    # Errors a person can act on.
    await call("search_quotes", {"query": "habit", "year": "soon"}, expect_error=True)
    await call("get_note", {"id": "nope"}, expect_error=True)
    try:
        await session.call_tool("no_such_tool", {})
        checks.check(False, f"{label}: an unknown tool is a protocol error")
    except MCPError as error:
        checks.check("search_quotes" in str(error), f"{label}: the error lists the tools: {error}")

    # Resources: listable page by page, each readable.
    resources, cursor, pages = [], None, 0
    while True:
        params = types.PaginatedRequestParams(cursor=cursor) if cursor else None
        page = await session.list_resources(params=params)
        resources += page.resources
        pages += 1
        cursor = page.next_cursor
        if not cursor or pages > 1000:
            break
    checks.check(len(resources) == stats.structured_content["notes"],
                 f"{label}: one resource per note ({len(resources)} of "
                 f"{stats.structured_content['notes']})")
    if resources:
        read = await session.read_resource(str(resources[0].uri))
        checks.check(read.contents and read.contents[0].text.startswith("# "),
                     f"{label}: a note resource reads as Markdown")
    print(f"{label}: {len(tools)} tools, {len(resources)} resources in {pages} pages, "
          f"{checks.validated} answers valid so far")
    return first_quote


async def bench_stdio(session, calls, query):
    times = []
    for _ in range(calls):
        start = time.perf_counter()
        result = await session.call_tool("search_quotes", {"query": query})
        times.append(time.perf_counter() - start)
        assert not result.is_error
    return times


def bench_stdio_raw(folio, index, cwd, calls, query):
    """search_quotes over stdio without the SDK: JSON-RPC lines written and
    read by hand, so the figure is the server's, not the client library's."""
    server = subprocess.Popen([folio, "mcp", "--index", index, "--no-refresh"], cwd=cwd,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, text=True, bufsize=1)

    def ask(message):
        server.stdin.write(json.dumps(message) + "\n")
        server.stdin.flush()
        if "id" not in message:
            return None
        while True:
            answer = json.loads(server.stdout.readline())
            if answer.get("id") == message["id"]:
                return answer

    ask({"jsonrpc": "2.0", "id": 0, "method": "initialize",
         "params": {"protocolVersion": "2025-06-18", "capabilities": {},
                    "clientInfo": {"name": "bench", "version": "0"}}})
    ask({"jsonrpc": "2.0", "method": "notifications/initialized"})
    times = []
    for i in range(calls):
        start = time.perf_counter()
        answer = ask({"jsonrpc": "2.0", "id": i + 1, "method": "tools/call",
                      "params": {"name": "search_quotes", "arguments": {"query": query}}})
        times.append(time.perf_counter() - start)
        assert not answer["result"]["isError"], answer
    server.stdin.close()
    server.wait(timeout=30)
    return times


def bench_http(addr, calls, query):
    host, port = addr.rsplit(":", 1)
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    path = "/api/quotes?" + urllib.parse.urlencode({"q": query, "limit": 10})
    times = []
    for _ in range(calls):
        start = time.perf_counter()
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        times.append(time.perf_counter() - start)
        assert response.status == 200, response.status
    connection.close()
    return times


def start_serve(folio, index, cwd):
    serve = subprocess.Popen(
        [folio, "serve", "--listen", "127.0.0.1:0", "--index", index],
        cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    deadline = time.time() + 120
    while time.time() < deadline:
        line = serve.stderr.readline()
        if not line:
            break
        found = re.search(r"http://([0-9.]+:[0-9]+)/", line)
        if found:
            addr = found.group(1)
            # Wait for the first engine (the refresher opens the index).
            while time.time() < deadline:
                try:
                    connection = http.client.HTTPConnection(*addr.split(":"), timeout=5)
                    connection.request("GET", "/healthz")
                    if connection.getresponse().status == 200:
                        return serve, addr
                except OSError:
                    pass
                time.sleep(0.1)
    serve.kill()
    raise SystemExit("folio serve did not start")


def origin_status(addr, origin):
    host, port = addr.split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "ping"})
    headers = {"Content-Type": "application/json",
               "Accept": "application/json, text/event-stream", "Origin": origin}
    connection.request("POST", "/mcp", body=body, headers=headers)
    status = connection.getresponse().status
    connection.close()
    return status


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--folio", required=True)
    parser.add_argument("--notes", required=True)
    parser.add_argument("--bench", type=int, default=0)
    args = parser.parse_args()
    folio = os.path.abspath(args.folio)
    checks = Checks()
    with tempfile.TemporaryDirectory(prefix="folio-mcp-") as cwd:
        index = os.path.join(cwd, "index")
        subprocess.run([folio, "index", args.notes, "--index", index], cwd=cwd, check=True,
                       stdout=subprocess.DEVNULL)

        params = StdioServerParameters(command=folio, args=["mcp", "--index", index],
                                       env=dict(os.environ), cwd=cwd)
        async with stdio_client(params) as (read, write):
            async with ClientSession(read, write) as session:
                quote = await exercise(session, "stdio", checks, folio, index, cwd)
                stdio_times = await bench_stdio(session, args.bench, "habit") if args.bench else []
        raw_times = bench_stdio_raw(folio, index, cwd, args.bench, "habit") if args.bench else []

        serve, addr = start_serve(folio, index, cwd)
        try:
            async with streamable_http_client(f"http://{addr}/mcp") as streams:
                read, write = streams[0], streams[1]
                async with ClientSession(read, write) as session:
                    await exercise(session, "http", checks, folio, index, cwd)
            checks.check(origin_status(addr, "https://evil.example") == 403,
                         "http: a foreign Origin is refused with 403")
            checks.check(origin_status(addr, f"http://{addr}") != 403,
                         "http: the server's own Origin passes")
            http_times = bench_http(addr, args.bench, "habit") if args.bench else []
        finally:
            serve.terminate()
            serve.wait(timeout=30)

    if args.bench:
        sdk_ms = statistics.median(stdio_times) * 1000
        raw_ms = statistics.median(raw_times) * 1000
        api_ms = statistics.median(http_times) * 1000
        print(f"bench, medians of {args.bench} calls of the same search: "
              f"search_quotes over stdio {raw_ms:.2f} ms (JSON-RPC lines by hand), "
              f"{sdk_ms:.2f} ms (through the Python SDK); GET /api/quotes on a running "
              f"folio serve {api_ms:.2f} ms; ratio {raw_ms / api_ms:.2f} "
              f"({sdk_ms / api_ms:.2f} with the SDK)")
    print(f"{checks.validated} structured answers validated against their outputSchema")
    if checks.failures or quote is None:
        print(f"{len(checks.failures)} checks failed", file=sys.stderr)
        sys.exit(1)
    print("all MCP client checks passed")


if __name__ == "__main__":
    asyncio.run(main())
