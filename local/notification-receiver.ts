/**
 * An http subscriber for the topic, as a web app subscribed through `POST /subscribe {"endpoint": ...}` would
 * be: it takes SNS's envelope and keeps the JSON document each notification carries. The demo and the
 * end-to-end tests wait on it.
 */
import { createServer, IncomingMessage, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import type { NotificationDocument } from '../src/handler/notification';

export interface ReceivedNotification {
  readonly subject?: string;
  readonly document: NotificationDocument;
  readonly receivedAt: number;
}

export class NotificationReceiver {
  public static async start(): Promise<NotificationReceiver> {
    const receiver = new NotificationReceiver();
    await new Promise<void>((resolve, reject) => {
      receiver.server.once('error', reject);
      receiver.server.listen(0, '127.0.0.1', () => resolve());
    });
    return receiver;
  }

  public readonly received: ReceivedNotification[] = [];
  private readonly server = createServer((req, res) => this.receive(req, res));
  private readonly waiters = new Set<() => void>();

  private constructor() {}

  /** The endpoint to subscribe. */
  public get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/`;
  }

  /** The first notification about `key` (in any bucket) that satisfies `accept`, waiting up to `timeoutMs`. */
  public async waitFor(key: string, timeoutMs: number, accept: (n: ReceivedNotification) => boolean = () => true): Promise<ReceivedNotification> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.received.find((n) => n.document.key === key && accept(n));
      if (found) {
        return found;
      }
      const remaining = deadline - Date.now();
      if (remaining <= 0) {
        throw new Error(`no notification about "${key}" within ${timeoutMs} ms`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(wake, remaining);
        const waiters = this.waiters;
        function wake() {
          clearTimeout(timer);
          waiters.delete(wake);
          resolve();
        }
        waiters.add(wake);
      });
    }
  }

  public stop(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private receive(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      res.end();
      const envelope = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      if (envelope.Type !== 'Notification') {
        return;
      }
      this.received.push({ subject: envelope.Subject, document: JSON.parse(envelope.Message), receivedAt: Date.now() });
      for (const wake of [...this.waiters]) {
        wake();
      }
    });
  }
}
