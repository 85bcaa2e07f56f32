/**
 * The gateway half of the fake Discord: a WebSocket speaking Discord's protocol (v10, JSON, no
 * compression): HELLO, IDENTIFY → READY, heartbeats and their ACKs, dispatches with sequence
 * numbers, RESUME → replay of what was missed + RESUMED, and a way to drop the connection.
 */
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import { type WebSocket, WebSocketServer } from 'ws';

export const GATEWAY_PATH = '/gateway';

/** Intents Discord reserves for approved bots: GUILD_MEMBERS, GUILD_PRESENCES, MESSAGE_CONTENT. */
export const PRIVILEGED_INTENTS = (1 << 1) | (1 << 8) | (1 << 15);

interface Session {
  readonly id: string;
  seq: number;
  /** Every dispatch of the session, for replay on RESUME. */
  readonly events: { s: number; t: string; d: unknown }[];
}

export interface GatewayStats {
  identifies: { token: string; intents: number }[];
  resumes: number;
  heartbeats: number;
  connections: number;
}

export class FakeGateway {
  readonly stats: GatewayStats = { identifies: [], resumes: 0, heartbeats: 0, connections: 0 };
  private readonly wss: WebSocketServer;
  private socket: WebSocket | undefined;
  private session: Session | undefined;
  private readyWaiters: (() => void)[] = [];

  constructor(
    server: Server,
    private readonly options: {
      readonly token: string;
      readonly applicationId: string;
      readonly botUserId: string;
      readonly url: () => string;
      readonly heartbeatMs: number;
    },
  ) {
    this.wss = new WebSocketServer({ noServer: true });
    server.on('upgrade', (request, socket, head) => {
      if (!(request.url ?? '').startsWith(GATEWAY_PATH)) {
        socket.destroy();
        return;
      }
      this.wss.handleUpgrade(request, socket, head, (ws) => this.accept(ws));
    });
  }

  /** Resolves when a session is ready (identified or resumed) and connected. */
  ready(): Promise<void> {
    if (this.socket !== undefined && this.session !== undefined) return Promise.resolve();
    return new Promise((resolve) => this.readyWaiters.push(resolve));
  }

  get connected(): boolean {
    return this.socket !== undefined;
  }

  /** Sends (or, while disconnected, only records for the resume) one dispatch. */
  dispatch(t: string, d: unknown): void {
    const session = this.session;
    if (session === undefined) throw new Error('no gateway session');
    const event = { s: ++session.seq, t, d };
    session.events.push(event);
    this.socket?.send(JSON.stringify({ op: 0, ...event }));
  }

  /** Closes the connection as Discord does when it wants a client to reconnect and resume. */
  drop(code = 4000): void {
    const socket = this.socket;
    this.socket = undefined;
    socket?.close(code, 'fake: connection dropped');
  }

  async close(): Promise<void> {
    for (const client of this.wss.clients) client.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }

  private send(ws: WebSocket, payload: object): void {
    ws.send(JSON.stringify(payload));
  }

  private accept(ws: WebSocket): void {
    this.stats.connections++;
    this.send(ws, { op: 10, d: { heartbeat_interval: this.options.heartbeatMs }, s: null, t: null });
    ws.on('message', (data) => this.onMessage(ws, String(data)));
    ws.on('close', () => {
      if (this.socket === ws) this.socket = undefined;
    });
  }

  private onMessage(ws: WebSocket, text: string): void {
    const payload = JSON.parse(text) as { op: number; d: unknown };
    switch (payload.op) {
      case 1:
        this.stats.heartbeats++;
        this.send(ws, { op: 11, d: null, s: null, t: null });
        return;
      case 2:
        this.identify(ws, payload.d as { token: string; intents: number });
        return;
      case 6:
        this.resume(ws, payload.d as { token: string; session_id: string; seq: number });
        return;
      default:
        return;
    }
  }

  private identify(ws: WebSocket, d: { token: string; intents: number }): void {
    this.stats.identifies.push({ token: d.token, intents: d.intents });
    if (d.token !== this.options.token) {
      ws.close(4004, 'Authentication failed.');
      return;
    }
    this.session = { id: randomBytes(8).toString('hex'), seq: 0, events: [] };
    this.socket = ws;
    this.dispatch('READY', {
      v: 10,
      user: {
        id: this.options.botUserId,
        username: 'aitws',
        discriminator: '0',
        global_name: null,
        avatar: null,
        bot: true,
        flags: 0,
      },
      guilds: [],
      session_id: this.session.id,
      resume_gateway_url: this.options.url(),
      shard: [0, 1],
      application: { id: this.options.applicationId, flags: 0 },
    });
    this.wake();
  }

  private resume(ws: WebSocket, d: { token: string; session_id: string; seq: number }): void {
    const session = this.session;
    if (d.token !== this.options.token || session === undefined || session.id !== d.session_id) {
      this.send(ws, { op: 9, d: false, s: null, t: null });
      return;
    }
    this.stats.resumes++;
    this.socket = ws;
    for (const event of session.events.filter((e) => e.s > d.seq)) this.send(ws, { op: 0, ...event });
    this.dispatch('RESUMED', {});
    this.wake();
  }

  private wake(): void {
    const waiters = this.readyWaiters;
    this.readyWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
