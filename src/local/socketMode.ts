/** Slack's Socket Mode protocol on a WebSocket: hello, envelopes with envelope_id, and acks. */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import { APP_ID } from './store.ts';

export type EnvelopeType = 'slash_commands' | 'interactive' | 'events_api';

export class SocketModeServer {
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly tickets = new Set<string>();
  private readonly pending = new Map<string, (payload: unknown) => void>();
  private readonly sockets = new Set<WebSocket>();
  private pinger: NodeJS.Timeout;

  constructor() {
    // Slack pings its clients; Bolt's client reconnects when pings stop.
    this.pinger = setInterval(() => this.sockets.forEach((s) => s.ping()), 10_000);
    this.pinger.unref();
  }

  ticket(): string {
    const t = randomUUID();
    this.tickets.add(t);
    return t;
  }

  get connected(): boolean {
    return [...this.sockets].some((s) => s.readyState === WebSocket.OPEN);
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const ticket = new URL(req.url ?? '/', 'http://x').searchParams.get('ticket') ?? '';
    if (!this.tickets.delete(ticket)) {
      socket.end('HTTP/1.1 401 Unauthorized\r\n\r\n');
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      this.sockets.add(ws);
      ws.on('close', () => this.sockets.delete(ws));
      ws.on('message', (data) => {
        try {
          const msg = JSON.parse(data.toString()) as { envelope_id?: string; payload?: unknown };
          if (msg.envelope_id) this.pending.get(msg.envelope_id)?.(msg.payload ?? {});
        } catch {
          // Not an ack: Slack ignores such frames too.
        }
      });
      ws.send(JSON.stringify({ type: 'hello', num_connections: this.sockets.size, debug_info: { host: 'local-workspace', build_number: 1, approximate_connection_time: 3600 }, connection_info: { app_id: APP_ID } }));
    });
  }

  /** Sends one envelope and resolves with the ack's payload, or rejects after `timeoutMs`. */
  deliver(type: EnvelopeType, payload: unknown, timeoutMs = 3000): Promise<unknown> {
    const ws = [...this.sockets].find((s) => s.readyState === WebSocket.OPEN);
    if (!ws) return Promise.reject(new Error('no socket mode connection'));
    const envelope_id = randomUUID();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(envelope_id);
        reject(new Error('operation_timeout'));
      }, timeoutMs);
      this.pending.set(envelope_id, (ack) => {
        clearTimeout(timer);
        this.pending.delete(envelope_id);
        resolve(ack);
      });
      ws.send(JSON.stringify({ envelope_id, type, payload, accepts_response_payload: type !== 'events_api', retry_attempt: 0, retry_reason: '' }));
    });
  }

  /**
   * Closes every connection with a close frame, as Slack does, and waits (up to `graceMs`) for the
   * handshakes: a connection cut without one makes Bolt's client leave a 30 s timer behind.
   */
  async close(graceMs = 1000): Promise<void> {
    clearInterval(this.pinger);
    const sockets = [...this.sockets];
    const closed = sockets.map((s) => (s.readyState === WebSocket.CLOSED ? Promise.resolve() : new Promise<void>((resolve) => s.once('close', () => resolve()))));
    for (const s of sockets) if (s.readyState === WebSocket.OPEN) s.close(1001, 'going away');
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(closed), new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)))]);
    clearTimeout(timer);
    for (const s of sockets) s.terminate();
    this.sockets.clear();
    this.wss.close();
  }
}
