"""Python's http.client (stdlib, HTTP/1.1 only) against h2kit serve: two GETs on one kept-alive
connection. Prints JSON: for each response its HTTP version (11 for HTTP/1.1), status, length,
sha256 of the body, and the local port of the socket (the same port for both: one connection).

Usage: http1_client.py HOST PORT PATH [--tls]
"""
import hashlib
import http.client
import json
import ssl
import sys


def main():
    host, port, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    tls = '--tls' in sys.argv[4:]
    if tls:
        # The development certificate is self-signed: no verification (loopback only).
        conn = http.client.HTTPSConnection(host, port, timeout=20, context=ssl._create_unverified_context())
    else:
        conn = http.client.HTTPConnection(host, port, timeout=20)
    responses = []
    for i in range(2):
        conn.request('GET', '%s?via=python-%s-%d' % (path, 'tls' if tls else 'plain', i))
        r = conn.getresponse()
        body = r.read()
        responses.append({
            'version': r.version,
            'status': r.status,
            'length': len(body),
            'sha256': hashlib.sha256(body).hexdigest(),
            'local_port': conn.sock.getsockname()[1],
            'alpn': conn.sock.selected_alpn_protocol() if tls else None,
        })
    conn.close()
    print(json.dumps({'responses': responses}))


if __name__ == '__main__':
    main()
