/**
 * Subscribe as SNS answers it. SNS keeps one subscription per topic, protocol and endpoint: subscribing again
 * with the same attributes returns it, but with an attribute that differs SNS refuses with 400 InvalidParameter
 * ("Subscription already exists with different attributes"). moto instead gives the existing subscription the
 * new attributes, so under private notifications a second caller subscribing the same endpoint would take it
 * over with their own filter, where deployed the API answers 400 and the first caller's filter stays.
 */
import { isDeepStrictEqual } from 'node:util';
import {
  GetSubscriptionAttributesCommand, InvalidParameterException, paginateListSubscriptionsByTopic, SNSClient, SubscribeCommand,
  SubscribeCommandInput, SubscribeCommandOutput,
} from '@aws-sdk/client-sns';

/** The attributes SNS holds as JSON documents, compared as such. */
const JSON_ATTRIBUTES = ['DeliveryPolicy', 'FilterPolicy', 'RedrivePolicy'];

export async function subscribeAsSns(sns: SNSClient, input: SubscribeCommandInput): Promise<SubscribeCommandOutput> {
  const requested = Object.entries(input.Attributes ?? {});
  if (requested.length > 0) {
    const existing = await findSubscription(sns, input);
    if (existing !== undefined) {
      const { Attributes: current = {} } = await sns.send(new GetSubscriptionAttributesCommand({ SubscriptionArn: existing }));
      // As SNS does, only the attributes the request names are compared.
      if (requested.some(([name, value]) => !sameAttribute(name, value, current[name]))) {
        throw new InvalidParameterException({
          message: 'Invalid parameter: Attributes Reason: Subscription already exists with different attributes',
          $metadata: { httpStatusCode: 400 },
        });
      }
    }
  }
  return sns.send(new SubscribeCommand(input));
}

async function findSubscription(sns: SNSClient, input: SubscribeCommandInput): Promise<string | undefined> {
  for await (const page of paginateListSubscriptionsByTopic({ client: sns }, { TopicArn: input.TopicArn })) {
    const found = page.Subscriptions?.find((s) => s.Protocol === input.Protocol && s.Endpoint === input.Endpoint);
    if (found) {
      return found.SubscriptionArn;
    }
  }
  return undefined;
}

function sameAttribute(name: string, requested: string, current: string | undefined): boolean {
  if (current === undefined || !JSON_ATTRIBUTES.includes(name)) {
    return requested === current;
  }
  try {
    return isDeepStrictEqual(JSON.parse(requested), JSON.parse(current));
  } catch {
    return requested === current;
  }
}
