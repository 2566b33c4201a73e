/**
 * An http subscriber for the topic, as a web app subscribed through `POST /subscribe {"endpoint": ...}` would
 * be: it takes SNS's envelope and keeps the JSON document each notification carries. The demo and the
 * end-to-end tests wait on it.
 */
import { SnsEnvelope, SnsHttpEndpoint } from './sns-http-endpoint';
import type { NotificationDocument } from '../src/handler/notification';

export interface ReceivedNotification {
  readonly subject?: string;
  readonly document: NotificationDocument;
  readonly receivedAt: number;
}

export class NotificationReceiver {
  public static async start(): Promise<NotificationReceiver> {
    const receiver = new NotificationReceiver();
    receiver.endpoint = await SnsHttpEndpoint.start((envelope) => receiver.receive(envelope));
    return receiver;
  }

  public readonly received: ReceivedNotification[] = [];
  private readonly waiters = new Set<() => void>();
  private endpoint!: SnsHttpEndpoint;

  private constructor() {}

  /** The endpoint to subscribe. */
  public get url(): string {
    return this.endpoint.url;
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
    return this.endpoint.stop();
  }

  private receive(envelope: SnsEnvelope): void {
    this.received.push({ subject: envelope.Subject, document: JSON.parse(envelope.Message), receivedAt: Date.now() });
    for (const wake of [...this.waiters]) {
      wake();
    }
  }
}
