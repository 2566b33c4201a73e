/**
 * The local API answers with the deployed API's own response templates, read from the synthesized template,
 * so a changed message or status code shows up locally without a second copy. Only the few VTL expressions the
 * integration responses use are understood (among them the CORS origin check, as the construct writes it), response
 * headers must be fixed values, and gateway responses must be plain text; anything else makes the local server refuse
 * to start rather than answer differently from API Gateway.
 */
import { GatewayResponse, IntegrationResponse } from './example-template';

export interface TemplateValues {
  /** `$input.params('name')`: the method request's path parameters, URL-decoded as API Gateway passes them. */
  readonly params?: Record<string, string>;
  /** `$input.params().header`: the request's headers, keyed as the client sent their names. */
  readonly headers?: Record<string, string>;
}

export interface RenderedResponse {
  readonly body: string;
  readonly headers: Record<string, string>;
}

/**
 * The construct's CORS check at the start of a template: it sets `Access-Control-Allow-Origin` to the request's
 * `Origin` (or, when there is none, `origin`) if that is one of the quoted origins.
 */
const ORIGIN_FILTER = new RegExp('^' + [
  '#set($origin = $input.params().header.get(\'Origin\'))',
  '#if("$!origin" == "")#set($origin = $input.params().header.get(\'origin\'))#end',
].map(escapeRegExp).join('') + '#if\\(((?:\\$origin == "[^"$#\\\\]*")(?: \\|\\| \\$origin == "[^"$#\\\\]*")*)\\)'
  + escapeRegExp('#set($context.responseOverride.header.Access-Control-Allow-Origin = $origin)#end'));

/** The deployed templates follow each escape with `.replaceAll("\\'", "'")`, which undoes its `\'`. */
const EXPRESSION = /\$util\.escapeJavaScript\(\$input\.params\('([^']+)'\)\)(\.replaceAll\("\\\\'", "'"\))?/g;
const ANY_VTL = /[$#][a-zA-Z{]/;

/** An integration response's template, which API Gateway runs through VTL. */
export function renderTemplate(template: string, values: TemplateValues): string {
  return template.replace(EXPRESSION, (_match, param: string, unescapeQuote: string | undefined) => {
    const escaped = escapeJavaScript(values.params?.[param] ?? '');
    return unescapeQuote ? escaped.replace(/\\'/g, '\'') : escaped;
  });
}

/** An integration response as API Gateway sends it: its template rendered, its fixed headers and any the template set. */
export function renderResponse(response: IntegrationResponse, values: TemplateValues): RenderedResponse {
  const headers = fixedHeaders(response.responseParameters, 'method.response.header.', 'integration response');
  const filter = ORIGIN_FILTER.exec(response.template);
  if (filter) {
    const origins = [...filter[1].matchAll(/"([^"]*)"/g)].map((quoted) => quoted[1]);
    const origin = values.headers?.Origin || values.headers?.origin;
    if (origin && origins.includes(origin)) {
      headers['Access-Control-Allow-Origin'] = origin;
    }
  }
  return { body: renderTemplate(response.template.slice(filter?.[0].length ?? 0), values), headers };
}

/** A gateway response's headers, which API Gateway only allows to be fixed values or request values. */
export function gatewayResponseHeaders(response: GatewayResponse): Record<string, string> {
  return fixedHeaders(response.responseParameters, 'gatewayresponse.header.', 'gateway response');
}

/** Throws at start-up for an integration response this module could not render as API Gateway would. */
export function checkRenderable(response: IntegrationResponse, where: string): void {
  const template = response.template.replace(ORIGIN_FILTER, '');
  if (ANY_VTL.test(template.replace(EXPRESSION, ''))) {
    throw new Error(`${where}: the response template uses VTL the local API does not render: ${response.template}`);
  }
  fixedHeaders(response.responseParameters, 'method.response.header.', where);
}

/**
 * Headers mapped from fixed values (`'Origin'`). One mapped from the request or the integration's answer
 * (`method.request.header.Origin`, `integration.response.header.ETag`) is not rendered here, and throws.
 */
function fixedHeaders(parameters: Record<string, string>, prefix: string, where: string): Record<string, string> {
  return Object.fromEntries(Object.entries(parameters).map(([name, expression]) => {
    const fixed = /^'([^']*)'$/.exec(expression);
    if (!name.startsWith(prefix) || !fixed) {
      throw new Error(`${where}: the local API renders only fixed response headers, not ${name}: ${expression}`);
    }
    return [name.slice(prefix.length), fixed[1]];
  }));
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Throws at start-up for a gateway response template that is not plain text. API Gateway runs no VTL on those and
 * only substitutes `$context` and `$stageVariables` variables, which the local API does not know.
 */
export function checkStatic(template: string, where: string): void {
  if (ANY_VTL.test(template)) {
    throw new Error(`${where}: the gateway response template has variables the local API does not substitute: ${template}`);
  }
}

/** Throws at start-up for a gateway response whose template or headers the local API could not give as API Gateway would. */
export function checkGatewayResponse(response: GatewayResponse, where: string): void {
  checkStatic(response.template, where);
  fixedHeaders(response.responseParameters, 'gatewayresponse.header.', where);
}

/**
 * API Gateway's `$util.escapeJavaScript` (Java's `StringEscapeUtils.escapeEcmaScript`): note that it turns `'`
 * into `\'`, which is not valid JSON, so the templates undo that with a `replaceAll`.
 */
export function escapeJavaScript(value: string): string {
  let out = '';
  for (const ch of value) {
    const code = ch.codePointAt(0)!;
    const named: Record<string, string> = { '\'': '\\\'', '"': '\\"', '\\': '\\\\', '/': '\\/', '\b': '\\b', '\n': '\\n', '\t': '\\t', '\f': '\\f', '\r': '\\r' };
    if (named[ch] !== undefined) {
      out += named[ch];
    } else if (code < 0x20 || code >= 0x7f) {
      for (let i = 0; i < ch.length; i++) {
        out += `\\u${ch.charCodeAt(i).toString(16).toUpperCase().padStart(4, '0')}`;
      }
    } else {
      out += ch;
    }
  }
  return out;
}

/**
 * The integration response API Gateway picks for an AWS service's HTTP status code. API Gateway keeps integration
 * responses by status code, in no order, so two patterns that match the same status are an error here.
 */
export function selectResponse(responses: IntegrationResponse[], serviceStatus: number): IntegrationResponse {
  const matched = responses.filter((r) => r.selectionPattern !== undefined && new RegExp(`^(?:${r.selectionPattern})$`).test(String(serviceStatus)));
  if (matched.length > 1) {
    throw new Error(`status ${serviceStatus} matches the selection patterns of more than one integration response: `
      + matched.map((r) => `${r.statusCode} (${r.selectionPattern})`).join(', '));
  }
  const chosen = matched[0] ?? responses.find((r) => r.selectionPattern === undefined);
  if (!chosen) {
    throw new Error(`no integration response for status ${serviceStatus}`);
  }
  return chosen;
}
