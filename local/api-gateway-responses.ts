/**
 * The local API answers with the deployed API's own response templates, read from the synthesized template,
 * so a changed message or status code shows up locally without a second copy. Only the few VTL expressions
 * those templates use are understood; any other makes the local server refuse to start rather than answer
 * differently from API Gateway.
 */
import { IntegrationResponse } from './example-template';

export interface TemplateValues {
  /** `$input.params('name')`: the method request's path parameters, URL-decoded as API Gateway passes them. */
  readonly params?: Record<string, string>;
  /** `$context.error.validationErrorString` */
  readonly validationErrorString?: string;
}

/** The deployed templates follow each escape with `.replaceAll("\\'", "'")`, which undoes its `\'`. */
const EXPRESSION = /\$util\.escapeJavaScript\((?:\$input\.params\('([^']+)'\)|(\$context\.error\.validationErrorString))\)(\.replaceAll\("\\\\'", "'"\))?/g;
const ANY_VTL = /[$#][a-zA-Z{]/;

export function renderTemplate(template: string, values: TemplateValues): string {
  return template.replace(EXPRESSION, (_match, param: string | undefined, validation: string | undefined, unescapeQuote: string | undefined) => {
    const escaped = escapeJavaScript((validation !== undefined ? values.validationErrorString : values.params?.[param!]) ?? '');
    return unescapeQuote ? escaped.replace(/\\'/g, '\'') : escaped;
  });
}

/** Throws at start-up for a template this module could not render as API Gateway would. */
export function checkRenderable(template: string, where: string): void {
  if (ANY_VTL.test(template.replace(EXPRESSION, ''))) {
    throw new Error(`${where}: the response template uses VTL the local API does not render: ${template}`);
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

/** The integration response API Gateway picks for an AWS service's HTTP status code. */
export function selectResponse(responses: IntegrationResponse[], serviceStatus: number): IntegrationResponse {
  const matched = responses.find((r) => r.selectionPattern !== undefined && new RegExp(`^(?:${r.selectionPattern})$`).test(String(serviceStatus)));
  const chosen = matched ?? responses.find((r) => r.selectionPattern === undefined);
  if (!chosen) {
    throw new Error(`no integration response for status ${serviceStatus}`);
  }
  return chosen;
}
