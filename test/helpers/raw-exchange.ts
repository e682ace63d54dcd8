/**
 * A raw TCP exchange for tests that must see the server's octets as sent (HTTP/1.1 heads,
 * pipelining, how a connection ends): writes `bytes` to 127.0.0.1:`port` and resolves with
 * everything read (as latin1) once the server closes the connection.
 */
import net from 'node:net';

export function rawExchange(port: number, bytes: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(bytes));
    let got = '';
    socket.on('data', (d: Buffer) => (got += d.toString('latin1')));
    socket.on('error', () => {});
    socket.on('close', () => resolve(got));
  });
}
