/**
 * A loopback http(s) subscription endpoint, as SNS posts to one: it answers every POST, and hands on each
 * notification's envelope with the path it was posted to (which tells subscriptions sharing the endpoint apart).
 * Subscription confirmations are never posted here: moto confirms http subscriptions itself.
 */
import { createServer, IncomingMessage, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';

export interface SnsEnvelope {
  readonly Type: string;
  readonly Subject?: string;
  readonly Message: string;
}

export class SnsHttpEndpoint {
  public static async start(onNotification: (envelope: SnsEnvelope, path: string) => void): Promise<SnsHttpEndpoint> {
    const endpoint = new SnsHttpEndpoint(onNotification);
    await new Promise<void>((resolve, reject) => {
      endpoint.server.once('error', reject);
      endpoint.server.listen(0, '127.0.0.1', () => resolve());
    });
    return endpoint;
  }

  private readonly server = createServer((req, res) => this.receive(req, res));

  private constructor(private readonly onNotification: (envelope: SnsEnvelope, path: string) => void) {}

  /** The URL to subscribe; append a path to tell subscriptions apart. */
  public get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/`;
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
      let envelope: SnsEnvelope;
      try {
        envelope = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        return; // not from SNS
      }
      if (envelope.Type === 'Notification') {
        this.onNotification(envelope, new URL(req.url ?? '/', 'http://localhost').pathname);
      }
    });
  }
}
