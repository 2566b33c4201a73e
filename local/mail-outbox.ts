/**
 * Email cannot leave this machine, and moto delivers nothing to email subscriptions. So for every email address
 * subscribed, the outbox subscribes its own loopback http receiver to the topic too, with the address's filter
 * policy: moto then decides, as SNS would, whether the address gets a message. What the receiver is sent is the
 * message's JSON rendering; the outbox turns it back into the `email` rendering with the handler's own
 * {@link emailText}, so the text shown is the text SNS would mail, links included (presigned against the
 * emulator, so they open from this machine).
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import * as path from 'node:path';
import {
  GetSubscriptionAttributesCommand, paginateListSubscriptionsByTopic, SNSClient, SubscribeCommand, UnsubscribeCommand,
} from '@aws-sdk/client-sns';
import { SnsEnvelope, SnsHttpEndpoint } from './sns-http-endpoint';
import { emailText } from '../src/handler/notification';

export interface Mail {
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  readonly receivedAt: Date;
}

export interface MailOutboxOptions {
  readonly sns: SNSClient;
  readonly topicArn: string;
  /** The function's LINK_EXPIRY_SECONDS, which the email text states and the http document leaves out. */
  readonly linkExpirySeconds: number;
  /** Every mail is appended here. */
  readonly logFile: string;
  readonly onMail: (mail: Mail) => void;
  readonly log: (line: string) => void;
}

export class MailOutbox {
  public static async start(options: MailOutboxOptions): Promise<MailOutbox> {
    const outbox = new MailOutbox(options);
    outbox.endpoint = await SnsHttpEndpoint.start((envelope, urlPath) => outbox.receive(envelope, urlPath));
    return outbox;
  }

  private readonly subscriptions: string[] = [];
  private endpoint!: SnsHttpEndpoint;

  private constructor(private readonly options: MailOutboxOptions) {}

  /** Starts showing what SNS would mail to `email`, which must be subscribed to the topic. */
  public async watch(email: string): Promise<void> {
    let subscriptionArn: string | undefined;
    for await (const page of paginateListSubscriptionsByTopic({ client: this.options.sns }, { TopicArn: this.options.topicArn })) {
      subscriptionArn ??= page.Subscriptions?.find((s) => s.Protocol === 'email' && s.Endpoint === email)?.SubscriptionArn;
    }
    if (subscriptionArn === undefined) {
      throw new Error(`mail: ${email} is not subscribed to ${this.options.topicArn}`);
    }
    const { Attributes } = await this.options.sns.send(new GetSubscriptionAttributesCommand({ SubscriptionArn: subscriptionArn }));
    const filter: Record<string, string> = {};
    for (const name of ['FilterPolicy', 'FilterPolicyScope']) {
      if (Attributes?.[name]) {
        filter[name] = Attributes[name];
      }
    }
    const { SubscriptionArn } = await this.options.sns.send(new SubscribeCommand({
      TopicArn: this.options.topicArn,
      Protocol: 'http',
      Endpoint: `${this.endpoint.url}${encodeURIComponent(email)}`,
      Attributes: filter,
      ReturnSubscriptionArn: true,
    }));
    this.subscriptions.push(SubscriptionArn!);
  }

  /** Unsubscribes the receivers, so an emulator that lives on does not try to deliver to a closed port. */
  public async stop(): Promise<void> {
    try {
      for (const arn of this.subscriptions.splice(0)) {
        await this.options.sns.send(new UnsubscribeCommand({ SubscriptionArn: arn }));
      }
    } finally {
      await this.endpoint.stop();
    }
  }

  private receive(envelope: SnsEnvelope, urlPath: string): void {
    try {
      this.deliver({
        to: decodeURIComponent(urlPath.slice(1)),
        subject: envelope.Subject ?? '',
        text: emailText(JSON.parse(envelope.Message), this.options.linkExpirySeconds),
        receivedAt: new Date(),
      });
    } catch (error) {
      this.options.log(`mail: could not render a notification as email: ${(error as Error).message}`);
    }
  }

  private deliver(mail: Mail): void {
    mkdirSync(path.dirname(this.options.logFile), { recursive: true });
    appendFileSync(this.options.logFile, formatMail(mail));
    this.options.onMail(mail);
  }
}

export function formatMail(mail: Mail): string {
  return [
    `From: SNS (local) | To: ${mail.to} | ${mail.receivedAt.toISOString()}`,
    `Subject: ${mail.subject}`,
    '',
    mail.text,
    '-'.repeat(72),
    '',
  ].join('\n');
}
