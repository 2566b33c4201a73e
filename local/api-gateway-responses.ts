/**
 * The local API answers with the deployed API's own response templates, read from the synthesized template,
 * so a changed message or status code shows up locally without a second copy. Only the few VTL expressions the
 * integration responses use are understood, and gateway responses must be plain text; anything else makes the local
 * server refuse to start rather than answer differently from API Gateway.
 */
import { IntegrationResponse } from './example-template';

export interface TemplateValues {
  /** `$input.params('name')`: the method request's path parameters, URL-decoded as API Gateway passes them. */
  readonly params?: Record<string, string>;
}

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

/** Throws at start-up for an integration response template this module could not render as API Gateway would. */
export function checkRenderable(template: string, where: string): void {
  if (ANY_VTL.test(template.replace(EXPRESSION, ''))) {
    throw new Error(`${where}: the response template uses VTL the local API does not render: ${template}`);
  }
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
