"""Serving with several worker processes: the socket they share says it is TCP, so that every connection a worker
accepts has Nagle's algorithm off — else each request on a kept-alive connection after the first waits 40 ms for
the client's delayed ACK (uvicorn issue 3149)."""

from __future__ import annotations

import asyncio
import socket

import uvicorn

from yibao.entrypoints.cli.serve_commands import tcp_listener


def _accepted_nodelay(listener: socket.socket) -> int:
    """TCP_NODELAY on a connection asyncio accepts from ``listener``, as a uvicorn worker accepts it."""

    async def accept_one() -> int:
        accepted: asyncio.Future[int] = asyncio.get_running_loop().create_future()

        class Probe(asyncio.Protocol):
            def connection_made(self, transport: asyncio.BaseTransport) -> None:
                sock = transport.get_extra_info("socket")
                accepted.set_result(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
                transport.close()

        server = await asyncio.get_running_loop().create_server(Probe, sock=listener)
        port = listener.getsockname()[1]
        _, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            return await asyncio.wait_for(accepted, 10)
        finally:
            writer.close()
            server.close()

    return asyncio.run(accept_one())


def test_the_workers_shared_socket_turns_nagle_off() -> None:
    config = uvicorn.Config("yibao.entrypoints.server:app_from_environment", host="127.0.0.1", port=0, workers=2)
    listener = tcp_listener(config)
    assert listener.proto == socket.IPPROTO_TCP and listener.get_inheritable()
    assert _accepted_nodelay(listener) == 1
    # uvicorn's own socket, as `uvicorn --workers 2` shares it: the reason for tcp_listener (once uvicorn marks it
    # TCP itself, this fails, and tcp_listener can go)
    assert _accepted_nodelay(config.bind_socket()) == 0
