/**
 * The rules for a `POST /subscribe` body. The deployed API enforces them with a JSON schema model and the
 * local server with {@link parseSubscribeRequest}; both are built from the same patterns here.
 */

/** Deliberately plain: one `@`, no spaces, a dot in the domain, and nothing SNS would read as another protocol. */
export const EMAIL_PATTERN = '^[^\\s@]{1,64}@[^\\s@]+\\.[^\\s@]{2,}$';
/** Only http(s) endpoints; SQS, Lambda, SMS and application endpoints cannot be subscribed through the API. */
export const ENDPOINT_PATTERN = '^https?://[^\\s]{1,2040}$';

export const MAX_EMAIL_LENGTH = 254;

/** JSON Schema draft-04, as API Gateway models require: exactly one of `email` or `endpoint`. */
export const SUBSCRIBE_REQUEST_SCHEMA = {
  $schema: 'http://json-schema.org/draft-04/schema#',
  title: 'SubscribeRequest',
  type: 'object',
  additionalProperties: false,
  properties: {
    email: { type: 'string', pattern: EMAIL_PATTERN, maxLength: MAX_EMAIL_LENGTH },
    endpoint: { type: 'string', pattern: ENDPOINT_PATTERN },
  },
  oneOf: [{ required: ['email'] }, { required: ['endpoint'] }],
};

export type Subscription =
  | { readonly protocol: 'email'; readonly endpoint: string }
  | { readonly protocol: 'http' | 'https'; readonly endpoint: string };

/** The same rules as {@link SUBSCRIBE_REQUEST_SCHEMA}, for places that have no API Gateway in front of them. */
export function parseSubscribeRequest(body: unknown): Subscription | { readonly error: string } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { error: 'The body must be a JSON object: {"email": "..."} or {"endpoint": "https://..."}' };
  }
  const fields = Object.keys(body);
  const unknownField = fields.find((f) => f !== 'email' && f !== 'endpoint');
  if (unknownField !== undefined) {
    return { error: `Unknown field "${unknownField}": give only "email" or "endpoint"` };
  }
  if (fields.length !== 1) {
    return { error: 'Give exactly one of "email" or "endpoint"' };
  }
  const { email, endpoint } = body as { email?: unknown; endpoint?: unknown };
  if (email !== undefined) {
    if (typeof email !== 'string' || email.length > MAX_EMAIL_LENGTH || !new RegExp(EMAIL_PATTERN).test(email)) {
      return { error: '"email" must be an email address' };
    }
    return { protocol: 'email', endpoint: email };
  }
  if (typeof endpoint !== 'string' || !new RegExp(ENDPOINT_PATTERN).test(endpoint)) {
    return { error: '"endpoint" must be an http:// or https:// URL' };
  }
  return { protocol: endpoint.startsWith('https://') ? 'https' : 'http', endpoint };
}
