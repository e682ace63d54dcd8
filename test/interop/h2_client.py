#!/usr/bin/python3
"""An HTTP/2 client on python-hyper's h2 (Debian's python3-h2), used by the interop suite.

Usage: h2_client.py HOST PORT [--tls]
Over one connection (h2c with prior knowledge, or TLS with ALPN h2 given --tls) it sends GET /push and POST /echo (200000 bytes with
trailers), follows flow control both ways, collects server pushes, and prints one JSON object
with what came back, for the TypeScript test to assert on.
"""
import hashlib
import json
import socket
import ssl
import sys

import h2.config
import h2.connection
import h2.events

host, port = sys.argv[1], int(sys.argv[2])
use_tls = '--tls' in sys.argv[3:]
sock = socket.create_connection((host, port), timeout=10)
alpn = None
if use_tls:
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE  # the test's throwaway self-signed certificate
    ctx.set_alpn_protocols(['h2'])
    sock = ctx.wrap_socket(sock, server_hostname=host)
    alpn = sock.selected_alpn_protocol()
scheme = 'https' if use_tls else 'http'
conn = h2.connection.H2Connection(config=h2.config.H2Configuration(client_side=True, header_encoding='utf-8'))
conn.initiate_connection()
sock.sendall(conn.data_to_send())

authority = f'{host}:{port}'
get_id = conn.get_next_available_stream_id()
conn.send_headers(get_id, [(':method', 'GET'), (':path', '/push'), (':scheme', scheme), (':authority', authority)], end_stream=True)
post_id = conn.get_next_available_stream_id()
conn.send_headers(post_id, [(':method', 'POST'), (':path', '/echo'), (':scheme', scheme), (':authority', authority)])
upload = bytes((i * 7) & 0xFF for i in range(200000))
sent = 0

streams = {get_id: {'path': '/push'}, post_id: {'path': '/echo'}}
pushes = {}
bodies = {get_id: bytearray(), post_id: bytearray()}
ended = set()
trailers_sent = False


def pump_upload():
    global sent, trailers_sent
    while sent < len(upload):
        window = min(conn.local_flow_control_window(post_id), conn.max_outbound_frame_size)
        if window <= 0:
            return
        chunk = upload[sent:sent + window]
        conn.send_data(post_id, chunk)
        sent += len(chunk)
    if not trailers_sent:
        conn.send_headers(post_id, [('x-upload-sha256', hashlib.sha256(upload).hexdigest())], end_stream=True)
        trailers_sent = True


pump_upload()
sock.sendall(conn.data_to_send())


def done():
    return get_id in ended and post_id in ended and all(p['id'] in ended for p in pushes.values())


while not done():
    data = sock.recv(65536)
    if not data:
        break
    for event in conn.receive_data(data):
        if isinstance(event, h2.events.ResponseReceived):
            streams.setdefault(event.stream_id, {})['headers'] = [list(h) for h in event.headers]
        elif isinstance(event, h2.events.PushedStreamReceived):
            pushes[event.pushed_stream_id] = {'id': event.pushed_stream_id, 'parent': event.parent_stream_id,
                                              'request_headers': [list(h) for h in event.headers]}
            bodies[event.pushed_stream_id] = bytearray()
        elif isinstance(event, h2.events.DataReceived):
            bodies.setdefault(event.stream_id, bytearray()).extend(event.data)
            conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
        elif isinstance(event, h2.events.TrailersReceived):
            streams.setdefault(event.stream_id, {})['trailers'] = [list(h) for h in event.headers]
        elif isinstance(event, h2.events.StreamEnded):
            ended.add(event.stream_id)
        elif isinstance(event, h2.events.StreamReset):
            streams.setdefault(event.stream_id, {})['reset'] = event.error_code
            ended.add(event.stream_id)
        elif isinstance(event, h2.events.WindowUpdated):
            pass
    pump_upload()
    sock.sendall(conn.data_to_send())

conn.close_connection()
sock.sendall(conn.data_to_send())
sock.close()

for sid, info in streams.items():
    info['body'] = bodies.get(sid, b'').decode('utf-8', 'replace')
for sid, info in pushes.items():
    info['body'] = bodies.get(sid, b'').decode('utf-8', 'replace')
    info['ended'] = sid in ended
print(json.dumps({'streams': {info.get('path', str(sid)): info for sid, info in streams.items()},
                  'pushes': list(pushes.values()), 'uploaded': sent, 'alpn': alpn}))
