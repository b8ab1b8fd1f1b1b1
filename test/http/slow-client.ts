/**
 * Raw clients for listener tests: one that trickles its headers a byte at a time, and one that opens a
 * connection and sends a whole request. Plain or TLS; they report what came back and when the server hung up.
 */
import net from 'node:net';
import tls from 'node:tls';

export interface Target {
  port: number;
  host?: string;
  /** TLS with this CA (PEM); plain when absent. */
  ca?: string | undefined;
  servername?: string | undefined;
}

function connect(t: Target): Promise<net.Socket> {
  const host = t.host ?? '127.0.0.1';
  return new Promise((resolve, reject) => {
    const socket: net.Socket =
      t.ca === undefined
        ? net.connect({ port: t.port, host }, () => resolve(socket))
        : tls.connect({ port: t.port, host, ca: t.ca, servername: t.servername ?? 'localhost' }, () =>
            resolve(socket),
          );
    socket.once('error', reject);
  });
}

export interface SlowResult {
  /** Milliseconds from the first byte until the server closed the connection. */
  closedAfterMs: number;
  /** What the server sent before closing (a 408, usually). */
  received: string;
  /** Header bytes sent before the close. */
  bytesSent: number;
}

/**
 * Sends a request line, then one header byte every `intervalMs`, never finishing the headers, until the
 * server closes the connection or `giveUpMs` passes (then `closedAfterMs` is Infinity).
 */
export async function trickleHeaders(t: Target, intervalMs = 200, giveUpMs = 20_000): Promise<SlowResult> {
  const socket = await connect(t);
  const started = Date.now();
  let received = '';
  let bytesSent = 0;
  socket.on('data', (d: Buffer) => {
    received += d.toString('latin1');
  });
  socket.on('error', () => {});
  socket.write('GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Slow: ');
  return new Promise((resolve) => {
    const timer = setInterval(() => {
      if (Date.now() - started > giveUpMs) {
        finish(Number.POSITIVE_INFINITY);
        return;
      }
      if (!socket.destroyed && socket.writable) {
        socket.write('a');
        bytesSent++;
      }
    }, intervalMs);
    const finish = (ms: number) => {
      clearInterval(timer);
      socket.destroy();
      resolve({ closedAfterMs: ms, received, bytesSent });
    };
    socket.once('close', () => finish(Date.now() - started));
  });
}

/** Opens a connection and keeps it open (sending nothing) until `close()`. */
export async function idleConnection(t: Target): Promise<{ close(): void }> {
  const socket = await connect(t);
  socket.on('error', () => {});
  return { close: () => socket.destroy() };
}

/** Sends one complete GET and returns the raw response text (until the server closes or 3 s pass). */
export async function rawGet(t: Target, path = '/healthz'): Promise<string> {
  const socket = await connect(t);
  let received = '';
  socket.on('data', (d: Buffer) => {
    received += d.toString('latin1');
  });
  socket.on('error', () => {});
  socket.write(`GET ${path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`);
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => resolve(), 3_000);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
  socket.destroy();
  return received;
}
